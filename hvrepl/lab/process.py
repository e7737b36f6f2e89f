"""The process backend: each lab host is ``python -m simulator serve`` in its own session, on its own loopback.

Hosts are daemons: ``lab up`` returns while they keep running, so their output goes to files in the host's
state folder (``host.out`` carries the ready line, ``host.log`` the log) rather than to pipes. Stopping a host
checks that the pid still belongs to a simulator serving that state folder before signalling it.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hvrepl.lab.labfile import LabError

log = logging.getLogger(__name__)

READY_PREFIX = "hvsim ready "
START_TIMEOUT = 90.0
EXIT_PORT_IN_USE = 1  # `serve` exits 1 when a fixed port cannot be bound


class PortInUseError(LabError):
    """A host could not bind its fixed ports on the chosen address (try another address)."""


@dataclass
class HostProcess:
    """A started host: its process (when this process started it), state folder and host.json."""

    name: str
    state_dir: Path
    pid: int
    popen: subprocess.Popen[bytes] | None
    info: dict[str, Any]


def launch(name: str, state_dir: Path, topology_file: Path, address: str, lab_file: Path, *,
           real_ports: bool, https_port: int | None = None, http_port: int | None = None) -> subprocess.Popen[bytes]:
    """Start one host process (returns at once; see :func:`wait_ready`).

    Ports: the real 5986/5985 with ``real_ports``, else free ones (0), unless given (a restart keeps its ports).
    """
    state_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    (state_dir / "host.out").unlink(missing_ok=True)
    (state_dir / "host.json").unlink(missing_ok=True)
    default_https, default_http = (5986, 5985) if real_ports else (0, 0)
    https_port = default_https if https_port is None else https_port
    http_port = default_http if http_port is None else http_port
    argv = [sys.executable, "-m", "simulator", "serve", "--name", name, "--state-dir", str(state_dir),
            "--address", address, "--https-port", str(https_port), "--http-port", str(http_port),
            "--topology", str(topology_file), "--lab-file", str(lab_file)]
    with (state_dir / "host.out").open("wb") as out, (state_dir / "host.log").open("ab") as err:
        popen = subprocess.Popen(argv, stdout=out, stderr=err, stdin=subprocess.DEVNULL, start_new_session=True,
                                 env={**os.environ, "PYTHONUNBUFFERED": "1"})
    log.info("started %s (pid %d) on %s", name, popen.pid, address)
    return popen


def wait_ready(name: str, state_dir: Path, popen: subprocess.Popen[bytes],
               timeout: float = START_TIMEOUT) -> HostProcess:
    """Wait for the ready line; then host.json describes the host. Raises LabError with the host's log tail."""
    deadline = time.monotonic() + timeout
    out = state_dir / "host.out"
    while time.monotonic() < deadline:
        text = out.read_text(encoding="utf-8", errors="replace") if out.exists() else ""
        if any(line.startswith(READY_PREFIX) for line in text.splitlines()):
            info = json.loads((state_dir / "host.json").read_text(encoding="utf-8"))
            return HostProcess(name, state_dir, popen.pid, popen, info)
        code = popen.poll()
        if code is not None:
            tail = _log_tail(state_dir)
            if code == EXIT_PORT_IN_USE and "already in use" in tail:
                raise PortInUseError(f"{name}: {tail.strip().splitlines()[-1]}")
            raise LabError(f"host {name} exited with code {code} before it was ready; its log ends:\n{tail}")
        time.sleep(0.05)
    stop_pid(popen.pid, state_dir, popen)
    raise LabError(f"host {name} was not ready within {timeout:.0f} s; its log ends:\n{_log_tail(state_dir)}")


def _log_tail(state_dir: Path) -> str:
    try:
        return (state_dir / "host.log").read_text(encoding="utf-8", errors="replace")[-3000:]
    except OSError:
        return ""


def is_our_host(pid: int, state_dir: Path) -> bool:
    """True when ``pid`` is a simulator serving ``state_dir`` (guards against a recycled pid)."""
    try:
        argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return False
    words = [a.decode(errors="replace") for a in argv]
    return "simulator" in words and "serve" in words and str(state_dir) in words


def stop_pid(pid: int, state_dir: Path, popen: subprocess.Popen[bytes] | None = None, timeout: float = 15.0,
             sig: signal.Signals = signal.SIGTERM) -> bool:
    """Send ``sig`` (SIGTERM: an orderly stop) to the host, SIGKILL after ``timeout``; False when it was not running."""
    if popen is not None:
        if popen.poll() is not None:
            return False
        popen.send_signal(sig)
        try:
            popen.wait(timeout)
        except subprocess.TimeoutExpired:
            log.warning("host pid %d ignored SIGTERM; killing it", pid)
            popen.kill()
            popen.wait()
        return True
    if not is_our_host(pid, state_dir):
        return False
    os.kill(pid, sig)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not is_our_host(pid, state_dir) or _is_zombie(pid):
            return True
        time.sleep(0.05)
    log.warning("host pid %d ignored SIGTERM; killing it", pid)
    os.kill(pid, signal.SIGKILL)
    return True


def record_started(entry: dict[str, Any], info: dict[str, Any]) -> None:
    """Put what a started host published (host.json) into its lab.json entry: pid, WinRM, control URL, ports."""
    winrm = info["winrm"]
    entry.update({
        "fqdn": info.get("fqdn"), "os": info.get("os", entry.get("os")), "pid": info.get("pid"),
        "winrm": {"url": winrm["https_url"], "auth": "basic", "username": info["username"],
                  "password": info["password"], "ca_bundle": info["ca_bundle"], "http_url": winrm.get("http_url")},
        "control_url": info["control_url"],
        # the port map: the Windows port -> where this host really listens (the same when real ports were free)
        "ports": {"5986": winrm.get("https_port"), "5985": winrm.get("http_port")},
    })


def is_running(pid: int, state_dir: Path) -> bool:
    """The host process serving ``state_dir`` is alive (not gone, not a zombie)."""
    return is_our_host(pid, state_dir) and not _is_zombie(pid)


def _is_zombie(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0] == "Z"
    except (OSError, IndexError):
        return True
