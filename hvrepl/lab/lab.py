"""A running lab as one object: bring hosts up, read their status, snapshot/restore, move clocks, inject faults.

Used by ``hvrepl lab``, ``hvrepl demo``, the scenario runner and the pytest plugin. Everything after start-up
goes through each host's ``/_sim`` control plane; the lab never reaches into a host's state files.
"""

from __future__ import annotations

import logging
import os
import random
import re
import time
from pathlib import Path
from typing import Any

import yaml
from cryptography import x509

from hvrepl.lab import docker_backend, power, process
from hvrepl.lab.control import ControlClient
from hvrepl.lab.labfile import (
    LAB_FILE,
    LabError,
    LabHost,
    host_topology,
    load_topology,
    read_lab_file,
    write_lab_file,
)

log = logging.getLogger(__name__)

INITIAL_SNAPSHOT = "lab-initial"
PORT_ATTEMPTS = 6
_DURATION = re.compile(r"(\d+(?:\.\d+)?)\s*([smhdwy]?)", re.IGNORECASE)
_UNIT_SECONDS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400, "y": 365 * 86400}


def parse_duration(text: str) -> float:
    """``90s``, ``15m``, ``1h30m``, ``2d``, ``1y`` (365 days) or plain seconds → seconds."""
    compact = text.strip().replace(" ", "")
    parts = list(_DURATION.finditer(compact))
    if not compact or not parts or "".join(m.group(0) for m in parts) != compact:
        raise LabError(f"not a duration: {text!r} (examples: 90s, 15m, 1h, 2d, 1y)")
    return sum(float(m.group(1)) * _UNIT_SECONDS[m.group(2).lower()] for m in parts)


def find_serial(lab: Lab, thumbprint: str) -> str | None:
    """The serial number (hex) of the certificate with ``thumbprint`` in any running host's stores."""
    wanted = thumbprint.replace(" ", "").upper()
    for host in lab.hosts:
        if power.is_powered_off(host.entry):
            continue
        for location in (lab.state(host.name).get("certs") or {}).values():
            for store in location.values() if isinstance(location, dict) else ():
                record = next((r for t, r in store.items() if t.upper() == wanted), None) \
                    if isinstance(store, dict) else None
                if record and record.get("cert_pem"):
                    certificate = x509.load_pem_x509_certificate(str(record["cert_pem"]).encode())
                    return format(certificate.serial_number, "X")
    return None


def _address_block() -> tuple[int, int]:
    # ASSUMPTION: 127.88-127.250 /16s are free loopback space on CI machines; random blocks let labs run side
    # by side (pytest-xdist, scenario --parallel) without coordinating.
    return random.randint(88, 250), random.randint(1, 254)  # noqa: S311 - address spreading, not security


class Lab:
    """A lab directory with its lab.json; hosts started by this process are stopped by :meth:`down`."""

    def __init__(self, directory: str | Path, document: dict[str, Any],
                 processes: dict[str, process.HostProcess] | None = None) -> None:
        self.directory = Path(directory).resolve()
        self.document = document
        self.processes = processes or {}
        self._clients: dict[str, ControlClient] = {}
        self._stamp = self._lab_file_stamp()

    def _lab_file_stamp(self) -> int | None:
        try:
            return (self.directory / LAB_FILE).stat().st_mtime_ns
        except OSError:
            return None

    def refresh(self) -> None:
        """Re-read lab.json when another process changed it (e.g. `hvrepl lab fault host-down` from a shell
        while a test holds this lab): host power, pids and URLs are then current."""
        stamp = self._lab_file_stamp()
        if stamp is not None and stamp != self._stamp:
            self.document = read_lab_file(self.directory)
            self._stamp = stamp
            for name in list(self._clients):
                self.forget_client(name)

    # ------------------------------------------------------------------ life cycle
    @classmethod
    def open(cls, directory: str | Path) -> Lab:
        """The lab described by ``DIR/lab.json``."""
        return cls(directory, read_lab_file(directory))

    @classmethod
    def up(cls, directory: str | Path, topology: dict[str, Any] | str | Path | None = None, *,
           backend: str = "process", ports: str = "auto", image: str | None = None) -> Lab:
        """Start every host of ``topology`` (default: the walkthrough pair), write lab.json, snapshot the start."""
        directory = Path(directory).resolve()
        if (directory / "lab.json").exists():
            existing = cls.open(directory)
            if any(existing.is_alive(h) for h in existing.hosts):
                raise LabError(f"a lab is already running in {directory}; run `hvrepl lab down` first")
        topo = topology if isinstance(topology, dict) else load_topology(topology)
        if backend == "docker":
            lab = cls(directory, docker_backend.start(directory, topo, image))
        elif backend == "process":
            real_ports = ports == "real" or (ports == "auto" and os.geteuid() == 0)
            lab = cls._start_processes(directory, topo, real_ports)
        else:
            raise LabError(f"unknown backend {backend!r} (process or docker)")
        try:
            lab.snapshot(INITIAL_SNAPSHOT)
        except LabError:
            lab.down()
            raise
        return lab

    @classmethod
    def _start_processes(cls, directory: Path, topo: dict[str, Any], real_ports: bool) -> Lab:
        for attempt in range(PORT_ATTEMPTS):
            second, third = _address_block()
            entries = []
            for index, host in enumerate(topo["hosts"]):
                state_dir = directory / host["name"]
                state_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
                (state_dir / "topology.yaml").write_text(yaml.safe_dump(host_topology(host), sort_keys=False),
                                                         encoding="utf-8")
                entries.append({**{k: v for k, v in host_topology(host).items() if k != "address"},
                                "virtual_address": host["address"], "address": f"127.{second}.{third}.{10 + index}",
                                "state_dir": str(state_dir)})
            document: dict[str, Any] = {"backend": "process", "hosts": entries}
            lab_file = write_lab_file(directory, document)
            started = {e["name"]: process.launch(e["name"], Path(e["state_dir"]),
                                                 Path(e["state_dir"]) / "topology.yaml", e["address"], lab_file,
                                                 real_ports=real_ports) for e in entries}
            running: dict[str, process.HostProcess] = {}
            try:
                for entry in entries:
                    running[entry["name"]] = process.wait_ready(entry["name"], Path(entry["state_dir"]),
                                                                started[entry["name"]])
            except process.PortInUseError as exc:
                log.info("attempt %d: %s; trying other addresses", attempt + 1, exc)
                for name, popen in started.items():
                    process.stop_pid(popen.pid, directory / name, popen)
                continue
            except LabError:
                for name, popen in started.items():
                    process.stop_pid(popen.pid, directory / name, popen)
                raise
            for entry in entries:
                process.record_started(entry, running[entry["name"]].info)
            write_lab_file(directory, document)
            return cls(directory, document, running)
        raise LabError(f"could not find free loopback addresses for the lab's ports after {PORT_ATTEMPTS} attempts")

    def down(self) -> list[str]:
        """Stop every host; returns the names of hosts that were running. The state stays on disk."""
        stopped = []
        self.refresh()
        if self.document.get("backend") == "docker":
            return docker_backend.stop(self.document)
        for host in self.hosts:
            if host.pid and process.stop_pid(host.pid, host.state_dir, self.own_popen(host)):
                stopped.append(host.name)
        for client in self._clients.values():
            client.close()
        self._clients.clear()
        return stopped

    def __enter__(self) -> Lab:
        return self

    def __exit__(self, *exc: object) -> None:
        self.down()

    # ------------------------------------------------------------------ hosts
    @property
    def hosts(self) -> list[LabHost]:
        """Every host of lab.json."""
        return [LabHost(e) for e in self.document["hosts"]]

    def write(self) -> None:
        """Save this lab's document as lab.json (mode 0600)."""
        write_lab_file(self.directory, self.document)
        self._stamp = self._lab_file_stamp()

    def host(self, name: str) -> LabHost:
        """A host by name, FQDN or virtual address (case-insensitive)."""
        wanted = name.lower()
        for host in self.hosts:
            keys = {host.name.lower(), str(host.entry.get("fqdn", "")).lower(), str(host.entry.get("virtual_address"))}
            if wanted in keys:
                return host
        raise LabError(f"the lab has no host {name!r} (hosts: {', '.join(h.name for h in self.hosts)})")

    def own_popen(self, host: LabHost) -> Any:
        """The Popen of ``host``'s current process when this process started it (to reap it), else None."""
        started = self.processes.get(host.name)
        return started.popen if started is not None and started.pid == host.pid else None

    def forget_client(self, name: str) -> None:
        """Drop the cached control-plane client of a host (it is stopping or moved)."""
        client = self._clients.pop(name, None)
        if client is not None:
            client.close()

    def control(self, name: str) -> ControlClient:
        """The control-plane client of one host (cached)."""
        host = self.host(name)
        if host.name not in self._clients:
            self._clients[host.name] = ControlClient(host)
        return self._clients[host.name]

    def is_alive(self, host: LabHost) -> bool:
        """The host's process is running (process backend) or its control plane answers (docker)."""
        if power.is_powered_off(host.entry):
            return False
        if self.document.get("backend") == "process" or host.pid:
            return bool(host.pid) and process.is_running(int(host.pid or 0), host.state_dir)
        try:
            self.control(host.name).get("/health")
        except LabError:
            return False
        return True

    def status(self) -> list[dict[str, Any]]:
        """Per host: running, pid, addresses, WinRM URL, simulated time and injected faults."""
        self.refresh()
        rows = []
        for host in self.hosts:
            row: dict[str, Any] = {"name": host.name, "fqdn": host.entry.get("fqdn"),
                                   "virtual_address": host.entry.get("virtual_address"),
                                   "address": host.entry.get("address"), "pid": host.pid,
                                   "winrm": host.winrm.get("url"), "running": self.is_alive(host),
                                   "powered_off": power.is_powered_off(host.entry), "ports": host.entry.get("ports")}
            if row["running"]:
                try:
                    health = self.control(host.name).get("/health")
                    row["time"] = health.get("time")
                    replication = self.control(host.name).get("/replication/status")
                    row["faults"] = replication.get("faults")
                    row["listeners"] = replication.get("listeners")
                except LabError as exc:
                    row["error"] = str(exc)
            rows.append(row)
        return rows

    def state(self, name: str) -> dict[str, Any]:
        """The host's state tree (secrets masked), as its control plane shows it."""
        return dict(self.control(name).get("/state"))

    # ------------------------------------------------------------------ snapshots and clock
    def snapshot(self, name: str) -> None:
        """Snapshot every host (state and drive files) under ``name``."""
        self.refresh()
        off = [h.name for h in self.hosts if power.is_powered_off(h.entry)]
        if off:
            raise LabError(f"cannot snapshot while {', '.join(off)} is powered off (`hvrepl lab fault host-up`)")
        for host in self.hosts:
            self.control(host.name).post("/snapshot", {"name": name})

    def restore(self, name: str) -> None:
        """Bring every host back to snapshot ``name`` (hosts powered off are powered on first)."""
        self.refresh()
        for host in self.hosts:
            if power.is_powered_off(host.entry):
                power.power_on(self, host.name)
        for host in self.hosts:
            self.control(host.name).post("/restore", {"name": name})

    def reset(self) -> None:
        """Every host as it was right after ``lab up``."""
        self.restore(INITIAL_SNAPSHOT)

    def advance_clock(self, seconds: float) -> None:
        """Advance every host's clock by ``seconds``, then run the replication cycles that fell due.

        A powered-off host's clock is advanced when it powers on (see :mod:`hvrepl.lab.power`).
        """
        self.refresh()
        running = [h for h in self.hosts if not power.is_powered_off(h.entry)]
        for host in running:
            self.control(host.name).post("/clock/advance", {"seconds": seconds})
        power.note_missed_clock(self, seconds)
        for host in running:
            self.control(host.name).post("/replication/run-due")

    # ------------------------------------------------------------------ faults
    def cut(self, a: str, b: str) -> None:
        """Cut the link between hosts ``a`` and ``b`` in both directions."""
        first, second = self.host(a), self.host(b)
        self.control(first.name).post("/replication/network/cut", {"peer": second.entry["virtual_address"]})
        self.control(second.name).post("/replication/network/cut", {"peer": first.entry["virtual_address"]})
        for one, other in ((first, second), (second, first)):  # by name too: a peer may be dialled by FQDN
            self.control(one.name).post("/replication/network/cut", {"peer": other.name})

    def restore_link(self, a: str, b: str) -> None:
        """Restore the link between ``a`` and ``b``."""
        first, second = self.host(a), self.host(b)
        for one, other in ((first, second), (second, first)):
            for peer in (other.entry["virtual_address"], other.name):
                self.control(one.name).post("/replication/network/restore", {"peer": peer})

    def host_down(self, name: str, *, hard: bool = False) -> None:
        """Power host ``name`` off: its process or container stops (WinRM and replication with it)."""
        power.power_off(self, name, hard=hard)

    def host_up(self, name: str) -> None:
        """Power host ``name`` on again from its state folder (state, certificates and VMs kept)."""
        power.power_on(self, name)

    def replication_down(self, name: str, down: bool = True) -> None:
        """Stop (or start again) only the Hyper-V replication service of a host that stays up (WinRM answers)."""
        self.control(name).post("/replication/host/down", {"down": down})

    def rate(self, name: str, bytes_per_second: int | None) -> None:
        """Cap what ``name`` sends over replication (bytes per second), or lift the cap (None)."""
        self.control(name).post("/replication/network/rate", {"bytes_per_second": bytes_per_second})

    def revoke(self, checker: str, *, thumbprint: str | None = None, serial: str | None = None) -> str:
        """Revoke a certificate as ``checker`` sees it; returns the revoked serial.

        A thumbprint is looked up in every host's stores here (a docker host cannot read its peers' states).
        """
        serial = serial or (find_serial(self, thumbprint) if thumbprint else None)
        body = {"serial": serial} if serial else {"thumbprint": thumbprint}
        return str(self.control(checker).post("/replication/certificates/revoke", body)["revoked"])

    def disk_full(self, name: str, drive: str = "D", capacity_bytes: int = 0) -> dict[str, Any]:
        """Shrink a drive's capacity (the disk-full fault)."""
        return dict(self.control(name).post("/replication/disk/capacity",
                                            {"drive": drive, "capacity_bytes": capacity_bytes}))

    def wait_until(self, predicate: Any, timeout: float = 60.0, interval: float = 0.5) -> bool:
        """Poll ``predicate(self)`` until true or ``timeout``; returns the last result."""
        deadline = time.monotonic() + timeout
        while True:
            if predicate(self):
                return True
            if time.monotonic() > deadline:
                return False
            time.sleep(interval)
