"""Entry point of a lab container (docker backend): run the simulated host, make it reachable on the
container's network address.

The simulator binds loopback only (by design); inside the container this process forwards the container's
own address on the WinRM and replication ports to the simulator on 127.0.0.1, prints the host's ready line
once everything listens, and passes SIGTERM on. Run as ``python -m hvrepl.lab.container_entry``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import signal
import sys
from collections.abc import Awaitable, Callable

log = logging.getLogger(__name__)

READY_PREFIX = "hvsim ready "
FORWARDED_PORTS = (5986, 5985, 443)


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    except (ConnectionError, asyncio.CancelledError):
        pass
    finally:
        with contextlib.suppress(Exception):
            writer.close()


def _forwarder(port: int) -> Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]:
    async def handle(client_reader: asyncio.StreamReader, client_writer: asyncio.StreamWriter) -> None:
        try:
            upstream_reader, upstream_writer = await asyncio.open_connection("127.0.0.1", port)
        except OSError:
            client_writer.close()
            return
        await asyncio.gather(_pipe(client_reader, upstream_writer), _pipe(upstream_reader, client_writer))

    return handle


async def main_async(args: argparse.Namespace) -> int:
    """Start the host, forward, wait for it to end."""
    argv = [sys.executable, "-m", "simulator", "serve", "--name", args.name, "--state-dir", args.state_dir,
            "--address", "127.0.0.1", "--https-port", "5986", "--http-port", "5985",
            "--topology", args.topology, "--lab-file", args.lab_file]
    child = await asyncio.create_subprocess_exec(*argv, stdout=asyncio.subprocess.PIPE)
    assert child.stdout is not None
    ready = ""
    while not ready:
        line = (await child.stdout.readline()).decode(errors="replace")
        if not line:
            return await child.wait()
        if line.startswith(READY_PREFIX):
            ready = line.strip()
    servers = [await asyncio.start_server(_forwarder(port), args.address, port) for port in FORWARDED_PORTS]
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, child.terminate)
    print(ready, flush=True)
    code = await child.wait()
    for server in servers:
        server.close()
    return code


def main() -> int:
    """Parse the flags and run."""
    parser = argparse.ArgumentParser(prog="python -m hvrepl.lab.container_entry")
    for flag in ("--name", "--state-dir", "--topology", "--lab-file", "--address"):
        parser.add_argument(flag, required=True)
    return asyncio.run(main_async(parser.parse_args()))


if __name__ == "__main__":
    sys.exit(main())
