"""``python -m simulator serve``: run one simulated host until SIGTERM, WinRM on HTTPS and HTTP.

Binds the listening sockets itself (so port 0 gives a free port and the real port is known), opens
or creates the host state, writes ``host.json`` (mode 0600) for the lab and tests, then serves the
app with two uvicorn servers (HTTPS and HTTP) in one event loop and prints exactly one ready line.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import errno
import importlib
import ipaddress
import json
import logging
import os
import signal
import socket
import sys
from pathlib import Path
from typing import Any

import uvicorn
from uvicorn.protocols.http.h11_impl import H11Protocol

from simulator import topology as topology_module
from simulator.app import Runtime, create_app
from simulator.core.host import Host, HostInfo, atomic_write_bytes
from simulator.wsman.auth import Account, Authenticator, write_ntlm_user_file
from simulator.wsman.listener_cert import ensure_listener_certificate, load_or_create_secrets

log = logging.getLogger(__name__)

HOST_FILE = "host.json"
USERNAME = "Administrator"
KEEP_ALIVE_SECONDS = 120  # HTTP.sys keeps idle connections ~2 min; NTLM sessions need it


class StartupError(Exception):
    """The host cannot start (message for the user, exit code)."""

    def __init__(self, message: str, exit_code: int = 2) -> None:
        super().__init__(message)
        self.exit_code = exit_code


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The flags of ``serve``."""
    parser.add_argument("--name", help="NetBIOS computer name (1-15 characters); default: the topology's name")
    parser.add_argument("--state-dir", required=True, type=Path,
                        help="folder holding the host's state; an existing state is resumed, never reset")
    parser.add_argument("--dns-suffix", help="primary DNS suffix already set on the host (default: none)")
    parser.add_argument("--address", default="127.0.0.1",
                        help="loopback address (127.x.y.z) the listeners bind (default: 127.0.0.1)")
    parser.add_argument("--os", choices=topology_module.OS_VERSIONS, help="Windows Server version (default: 2016)")
    parser.add_argument("--topology", type=Path, help="YAML/JSON file with the host's initial state (VMs, drives …)")
    parser.add_argument("--https-port", type=int, default=5986,
                        help="WinRM HTTPS port (default 5986; 0 picks a free port)")
    parser.add_argument("--http-port", type=int, default=5985,
                        help="WinRM HTTP port (default 5985; 0 picks a free port; -1 disables HTTP)")
    parser.add_argument("--lab-file", type=Path, help="lab file naming the other hosts (for replication)")
    parser.add_argument("--allow-unencrypted", action="store_true",
                        help="accept Basic auth and unencrypted SOAP over HTTP (AllowUnencrypted=true)")
    parser.add_argument("--allow-non-loopback", action="store_true",
                        help="allow --address outside 127.0.0.0/8 (a container's own address); the host then "
                        "listens on that network, so use it only on an isolated container network")
    parser.add_argument("--log-level", default="warning", choices=("debug", "info", "warning", "error"),
                        help="log level of the host process (logs go to stderr)")


def resolve_topology(args: argparse.Namespace) -> dict[str, Any]:
    """The host topology: the file, then command-line flags over it; validated."""
    topo: dict[str, Any] = {}
    if args.topology is not None:
        topo = topology_module.load_host_topology(args.topology)
    if args.name:
        topo["name"] = args.name
    if args.os:
        topo["os"] = args.os
    if args.dns_suffix:
        topo["dns_suffix"] = args.dns_suffix
    if "name" not in topo:
        raise topology_module.TopologyError("--name is required (or a --topology file with a name)")
    return topology_module.validate_host(topo, str(args.topology or "command line"))


def bind_socket(address: str, port: int, what: str) -> socket.socket:
    """A listening TCP socket on ``address:port`` (port 0 = any free port)."""
    # proto must be IPPROTO_TCP: asyncio sets TCP_NODELAY on accepted sockets only then (else Nagle
    # plus delayed ACKs add ~40 ms to every request on a kept-alive connection)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((address, port))
    except OSError as error:
        sock.close()
        reason = "is already in use" if error.errno == errno.EADDRINUSE else f"cannot be bound ({error.strerror})"
        raise StartupError(f"{what} port {address}:{port} {reason}; pass --{what.lower()}-port 0 for a free port",
                           1) from None
    sock.listen(128)
    sock.set_inheritable(True)
    return sock


def fqdn_of(name: str, suffix: str | None) -> str:
    """``name.suffix``, or the bare name without a suffix."""
    return f"{name}.{suffix}" if suffix else name


def active_names(host: Host, topo: dict[str, Any]) -> tuple[str, str]:
    """(computer name, FQDN) as the host currently has them (the identity subsystem knows renames)."""
    identity = importlib.import_module("simulator.services.identity")
    host_name, fqdn = getattr(identity, "host_name", None), getattr(identity, "fqdn", None)
    if host_name is not None and fqdn is not None:
        return str(host_name(host)), str(fqdn(host))
    name = str(host.info["name"])
    return name, fqdn_of(name, topo.get("dns_suffix"))


def make_protocol(runtime: Runtime) -> type[H11Protocol]:
    """uvicorn's h11 protocol, telling the authenticator when a connection closes (NTLM state is per connection)."""

    class TrackedProtocol(H11Protocol):
        def shutdown(self) -> None:
            idle = self.cycle is None or self.cycle.response_complete
            super().shutdown()
            if idle:  # don't wait for a TLS close_notify the idle client will never send
                self.transport.abort()

        def connection_lost(self, exc: Exception | None) -> None:
            server, client = self.server, self.client
            if server and client:
                runtime.authenticator.forget((int(server[1] or 0), str(client[0]), int(client[1])))
            super().connection_lost(exc)

    return TrackedProtocol


class _Server(uvicorn.Server):
    """A uvicorn server that leaves signal handling to us (two servers share one loop)."""

    def capture_signals(self) -> contextlib.AbstractContextManager[None]:  # type: ignore[override]  # plain CM
        return contextlib.nullcontext()


def prepare(args: argparse.Namespace) -> tuple[Runtime, dict[str, socket.socket]]:
    """Everything before serving: topology, sockets, state, secrets, certificate, host.json."""
    try:
        topo = resolve_topology(args)
        if args.lab_file is not None and args.lab_file.exists():
            topology_module.load_lab(args.lab_file)
        elif args.lab_file is not None:
            log.warning("lab file %s does not exist yet; peers are looked up when it appears", args.lab_file)
    except topology_module.TopologyError as error:
        raise StartupError(str(error)) from None
    try:
        address = ipaddress.IPv4Address(args.address)
    except ValueError:
        raise StartupError(f"--address {args.address}: not an IPv4 address") from None
    if not address.is_loopback and not args.allow_non_loopback:
        raise StartupError(f"--address {args.address}: only loopback addresses (127.x.y.z) may be used "
                           "(--allow-non-loopback for a container's own address)")
    state_dir: Path = args.state_dir.resolve()
    state_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    sockets = {"https": bind_socket(args.address, args.https_port, "HTTPS")}
    if args.http_port >= 0:
        sockets["http"] = bind_socket(args.address, args.http_port, "HTTP")
    info = HostInfo(name=topo["name"], os_version=topo["os"], address=args.address,
                    virtual_address=topo.get("address"))
    host = Host.open(state_dir, info, topo)
    name, fqdn = active_names(host, topo)
    secret = load_or_create_secrets(state_dir)
    account = Account(USERNAME, secret["password"], name)
    write_ntlm_user_file(state_dir / "winrm" / "ntlm_users", account)
    names = sorted({name, name.lower(), fqdn, fqdn.lower(), "localhost"})
    cert, key = ensure_listener_certificate(state_dir / "winrm", names, sorted({args.address, "127.0.0.1"}))
    runtime = Runtime(
        host=host, state_dir=state_dir, name=name, fqdn=fqdn, address=args.address,
        authenticator=Authenticator(account, allow_unencrypted=args.allow_unencrypted),
        control_token=secret["control_token"], lab_file=args.lab_file.resolve() if args.lab_file else None,
        allow_unencrypted=args.allow_unencrypted,
    )
    runtime.ephemeral_ports = args.https_port == 0  # read by replication's listener
    https_port = sockets["https"].getsockname()[1]
    http_port = sockets["http"].getsockname()[1] if "http" in sockets else None
    runtime.info = {
        "name": name, "fqdn": fqdn, "address": args.address, "virtual_address": host.info.get("virtual_address"),
        "os": host.os_version, "state_dir": str(state_dir),
        "winrm": {"https_url": f"https://{args.address}:{https_port}/wsman",
                  "http_url": f"http://{args.address}:{http_port}/wsman" if http_port else None,
                  "https_port": https_port, "http_port": http_port},
        "username": USERNAME, "password": secret["password"], "ca_bundle": str(cert), "ssl_key": str(key),
        "control_url": f"https://{args.address}:{https_port}/_sim", "control_token": secret["control_token"],
        "pid": os.getpid(),
    }
    atomic_write_bytes(state_dir / HOST_FILE, json.dumps(runtime.info, indent=1).encode(), mode=0o600)
    return runtime, sockets


def _replication_hook(name: str) -> Any:
    module = importlib.import_module("simulator.services.replication")
    return getattr(module, name, None)


async def run_servers(runtime: Runtime, sockets: dict[str, socket.socket]) -> None:
    """Serve until SIGTERM/SIGINT, then stop cleanly."""
    app = create_app(runtime)
    protocol = make_protocol(runtime)
    common: dict[str, Any] = {"lifespan": "off", "timeout_keep_alive": KEEP_ALIVE_SECONDS, "http": protocol,
                              "server_header": False, "access_log": False, "log_config": None, "ws": "none",
                              "timeout_graceful_shutdown": 2}
    servers = [_Server(uvicorn.Config(app, ssl_certfile=runtime.info["ca_bundle"],
                                      ssl_keyfile=runtime.info["ssl_key"], **common))]
    if "http" in sockets:
        servers.append(_Server(uvicorn.Config(app, **common)))
    def request_exit() -> None:
        for running in servers:
            running.should_exit = True

    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, request_exit)
    socket_lists = [[sockets["https"]]] + ([[sockets["http"]]] if "http" in sockets else [])
    tasks = [asyncio.create_task(s.serve(sockets=socks)) for s, socks in zip(servers, socket_lists, strict=True)]
    while not all(s.started for s in servers):
        if any(t.done() for t in tasks):
            await asyncio.gather(*tasks)
            raise StartupError("the WinRM listeners stopped during startup", 1)
        await asyncio.sleep(0.01)
    start = _replication_hook("on_host_start")
    if start is not None:
        await asyncio.to_thread(start, runtime.host, runtime)
    print(f"hvsim ready {runtime.name} {runtime.info['winrm']['https_url']}", flush=True)
    try:
        await asyncio.gather(*tasks)
    finally:
        stop = _replication_hook("on_host_stop")
        if stop is not None:
            await asyncio.to_thread(stop, runtime.host)
        runtime.shells.close_all()
        runtime.host.save()


def serve(args: argparse.Namespace) -> int:
    """Entry point of ``python -m simulator serve``."""
    logging.basicConfig(level=args.log_level.upper(), stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        runtime, sockets = prepare(args)
        asyncio.run(run_servers(runtime, sockets))
    except StartupError as error:
        print(f"hvsim: error: {error}", file=sys.stderr)
        return error.exit_code
    return 0
