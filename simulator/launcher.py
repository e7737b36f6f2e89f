"""Start simulated hosts as child processes (``python -m simulator serve``) for the lab and for tests.

:func:`start_host` returns once the host printed its ready line, with ``host.json`` loaded as
``.info``; a host that fails to start raises :class:`HostStartError` carrying the child's stderr.

Example::

    with start_host(tmp_path / "prim", "Hyper-v-prim", topology={"name": "Hyper-v-prim", "vms": []}) as host:
        session = winrm.Session(host.info["winrm"]["https_url"], transport="ssl",
                                auth=(host.info["username"], host.info["password"]),
                                ca_trust_path=host.info["ca_bundle"])
        session.run_ps("Get-VM")
        requests.get(host.info["control_url"] + "/state", verify=host.info["ca_bundle"],
                     headers={"Authorization": f"Bearer {host.info['control_token']}"})

The host's log (stderr) is ``<state_dir>/host.log``.
"""

from __future__ import annotations

import json
import logging
import os
import select
import signal
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml

log = logging.getLogger(__name__)

READY_PREFIX = "hvsim ready "
DEFAULT_TIMEOUT = 60.0


class HostStartError(RuntimeError):
    """The host process exited or stayed silent instead of becoming ready."""


class RunningHost:
    """A host process started by :func:`start_host`; a context manager that stops it on exit.

    Attributes:
        process: the child process.
        state_dir: the host's state folder.
        info: the content of ``host.json`` (winrm urls, username, password, ca_bundle, control_url …).
        ready_line: the line the host printed when it was ready.
    """

    def __init__(self, process: subprocess.Popen[bytes], state_dir: Path, info: dict[str, Any], ready_line: str,
                 stderr_path: Path) -> None:
        self.process = process
        self.state_dir = state_dir
        self.info = info
        self.ready_line = ready_line
        self.stderr_path = stderr_path

    @property
    def pid(self) -> int:
        """The host process id."""
        return self.process.pid

    def stop(self, timeout: float = 15.0) -> int:
        """SIGTERM, wait for a clean exit (SIGKILL after ``timeout``); returns the exit code."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                log.warning("host %s ignored SIGTERM for %.0f s; killing it", self.info.get("name"), timeout)
                self.process.kill()
                self.process.wait()
        self._close()
        return int(self.process.returncode)

    def kill(self) -> int:
        """SIGKILL (a crash: nothing is flushed beyond what the host already made durable)."""
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        self._close()
        return int(self.process.returncode)

    def stderr_text(self) -> str:
        """What the host wrote on stderr so far (its log)."""
        try:
            return self.stderr_path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return ""

    def _close(self) -> None:
        if self.process.stdout is not None:
            self.process.stdout.close()

    def __enter__(self) -> RunningHost:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def start_host(
    state_dir: Path | str,
    name: str,
    *,
    topology: dict[str, Any] | Path | str | None = None,
    address: str = "127.0.0.1",
    https_port: int = 0,
    http_port: int = 0,
    lab_file: Path | str | None = None,
    extra_args: Sequence[str] = (),
    timeout: float = DEFAULT_TIMEOUT,
    python: str = sys.executable,
) -> RunningHost:
    """Start ``python -m simulator serve`` and wait until it is ready.

    Args:
        state_dir: the host's state folder (created if needed; an existing state is resumed).
        name: the computer name.
        topology: a topology dict (written to ``state_dir/topology.yaml``) or the path of a topology file.
        address: loopback address to bind.
        https_port, http_port: 0 = free ports.
        lab_file: the lab file naming the other hosts.
        extra_args: more ``serve`` flags (e.g. ``["--allow-unencrypted"]``).
        timeout: seconds to wait for the ready line.

    Raises:
        HostStartError: the child exited or did not become ready in time (message includes its stderr).
    """
    state_dir = Path(state_dir).resolve()
    state_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    argv = [python, "-m", "simulator", "serve", "--name", name, "--state-dir", str(state_dir),
            "--address", address, "--https-port", str(https_port), "--http-port", str(http_port)]
    if isinstance(topology, dict):
        topo_path = state_dir / "topology.yaml"
        topo_path.write_text(yaml.safe_dump(topology, sort_keys=False), encoding="utf-8")
        argv += ["--topology", str(topo_path)]
    elif topology is not None:
        argv += ["--topology", str(topology)]
    if lab_file is not None:
        argv += ["--lab-file", str(lab_file)]
    argv += list(extra_args)
    stderr_path = state_dir / "host.log"
    with stderr_path.open("ab") as stderr_file:
        process = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=stderr_file, stdin=subprocess.DEVNULL,
                                   env={**os.environ, "PYTHONUNBUFFERED": "1"}, start_new_session=True)
    try:
        line = _wait_ready(process, timeout)
    except HostStartError as error:
        if process.poll() is None:
            process.kill()
            process.wait()
        tail = stderr_path.read_text(encoding="utf-8", errors="replace")[-4000:]
        raise HostStartError(f"{error}; host stderr:\n{tail}") from None
    info = json.loads((state_dir / "host.json").read_text(encoding="utf-8"))
    return RunningHost(process, state_dir, info, line, stderr_path)


def _wait_ready(process: subprocess.Popen[bytes], timeout: float) -> str:
    assert process.stdout is not None
    deadline = time.monotonic() + timeout
    buffer = b""
    fd = process.stdout.fileno()
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise HostStartError(f"host did not print its ready line within {timeout:.0f} s")
        readable, _, _ = select.select([fd], [], [], min(remaining, 0.5))
        if readable:
            chunk = os.read(fd, 4096)
            if not chunk:
                process.wait()
                raise HostStartError(f"host exited with code {process.returncode} before it was ready")
            buffer += chunk
            for raw in buffer.split(b"\n")[:-1]:
                text = raw.decode("utf-8", errors="replace").strip()
                if text.startswith(READY_PREFIX):
                    return text
        elif process.poll() is not None:
            raise HostStartError(f"host exited with code {process.returncode} before it was ready")
