"""Power a lab host off and on again: the ``host-down`` fault as a user means it, a server that is not there.

Powering off stops the host's process (process backend) or container (docker backend), so WinRM, the
control plane and the replication listener all go away together, as for a switched-off server. Powering on
starts the same host again from the same state folder, on the same address and, where it can, the same
ports, so lab.json and the WinRM URLs users hold stay valid. Everything the host had (certificates,
settings, VMs, its clock) is kept: the simulator saves its state durably.

The simulated clock of a host is real time plus an offset the lab advances; while a host is off the lab
keeps the advances it missed in lab.json (``power.missed_seconds``) and applies them at power-on, so a host
that was off for a simulated day comes back a day later like its peers.
"""

from __future__ import annotations

import logging
import signal
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hvrepl.lab import docker_backend, process
from hvrepl.lab.labfile import LabError

if TYPE_CHECKING:
    from hvrepl.lab.lab import Lab

log = logging.getLogger(__name__)

OFF = "off"
ON = "on"


def is_powered_off(entry: dict[str, Any]) -> bool:
    """The host was powered off by the lab (``lab fault host-down``) and not powered on since."""
    return bool((entry.get("power") or {}).get("state") == OFF)


def power_off(lab: Lab, name: str, *, hard: bool = False) -> None:
    """Stop host ``name``: SIGTERM / ``docker stop`` (an orderly shutdown) or, ``hard``, SIGKILL (power cut)."""
    lab.refresh()
    host = lab.host(name)
    entry = host.entry
    if is_powered_off(entry):
        raise LabError(f"{host.name} is already powered off; `hvrepl lab fault host-up {host.name}` starts it")
    lab.forget_client(host.name)
    if lab.document.get("backend") == "docker":
        docker_backend.stop_host(entry, hard=hard)
    else:
        pid, popen = host.pid, lab.own_popen(host)
        lab.processes.pop(host.name, None)
        if pid and not process.stop_pid(pid, host.state_dir, popen, sig=signal.SIGKILL if hard else signal.SIGTERM):
            log.info("%s was not running", host.name)
        entry["pid"] = None
    entry["power"] = {"state": OFF, "missed_seconds": 0.0, "hard": hard}
    lab.write()
    log.info("powered off %s%s", host.name, " (hard)" if hard else "")


def power_on(lab: Lab, name: str) -> None:
    """Start host ``name`` again from its state folder; apply the clock advances it missed while off."""
    lab.refresh()
    host = lab.host(name)
    entry = host.entry
    if not is_powered_off(entry):
        raise LabError(f"{host.name} is not powered off (`hvrepl lab fault host-down {host.name}` first)")
    missed = float(entry["power"].get("missed_seconds") or 0.0)
    if lab.document.get("backend") == "docker":
        docker_backend.start_host(entry)
    else:
        _start_process(lab, entry)
    entry["power"] = {"state": ON}
    lab.write()
    if missed:
        lab.control(host.name).post("/clock/advance", {"seconds": missed})
        lab.control(host.name).post("/replication/run-due")
    log.info("powered on %s (clock advanced by %g s it missed)", host.name, missed)


def note_missed_clock(lab: Lab, seconds: float) -> None:
    """Remember a clock advance every powered-off host missed (applied when it powers on)."""
    changed = False
    for entry in lab.document["hosts"]:
        if is_powered_off(entry):
            entry["power"]["missed_seconds"] = float(entry["power"].get("missed_seconds") or 0.0) + seconds
            changed = True
    if changed:
        lab.write()


def _start_process(lab: Lab, entry: dict[str, Any]) -> None:
    """Relaunch ``serve`` with the host's first arguments; the same WinRM ports unless they were taken meanwhile."""
    state_dir = Path(entry["state_dir"])
    ports = entry.get("ports") or {}
    wanted = (int(ports.get("5986") or 0), int(ports.get("5985") or 0))
    lab_file = lab.directory / "lab.json"
    for https_port, http_port in (wanted, (0, 0)):
        popen = process.launch(entry["name"], state_dir, state_dir / "topology.yaml", entry["address"], lab_file,
                               real_ports=False, https_port=https_port, http_port=http_port)
        try:
            started = process.wait_ready(entry["name"], state_dir, popen)
        except process.PortInUseError as exc:
            if (https_port, http_port) == (0, 0):
                raise
            log.info("%s: its ports were taken while it was off (%s); picking free ones", entry["name"], exc)
            continue
        lab.processes[entry["name"]] = started
        process.record_started(entry, started.info)
        return
