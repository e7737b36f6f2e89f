"""Two served hosts for the issue-6 acceptance tests: issue 4's recipe lab, with VMs whose disks carry data.

Reuses tests/acceptance4's :class:`Lab` (pywinrm sessions, control plane, snapshots) and its recipe; only the
VM list differs. Guest writes, disk hashes and recovery points go through the control plane and WinRM.
"""

from __future__ import annotations

import base64
import hashlib
import json
import random
from pathlib import Path
from typing import Any

from simulator.launcher import start_host
from tests.acceptance4.lab import (
    PRIMARY,
    PRIMARY_VIRTUAL,
    REPLICA,
    REPLICA_FQDN,
    REPLICA_VIRTUAL,
    Lab,
    run_recipe,
    topology,
)

DISK_MB = 8
DISK_BYTES = DISK_MB * 1024 * 1024
PRIMARY_DISK = "C:\\Hyper-V\\Virtual Hard Disks\\VM01.vhdx"
BASELINE6 = "acceptance6-base"
VMS6: list[dict[str, Any]] = [
    {"name": "VM01", "generation": 2, "state": "Running", "disks": [{"name": "VM01.vhdx", "size_mb": DISK_MB}]},
]


class _RecipeLabWithoutSnapshots(Lab):
    """A Lab whose ``snapshot`` control calls are skipped: the recipe's baseline copy of multi-GiB disks is not
    wanted (the control plane's snapshot copies sparse disks in full)."""

    def control(self, name: str, path: str, body: dict[str, Any] | None = None, *, method: str = "POST") -> Any:
        """The control plane call, except ``snapshot``."""
        if path == "snapshot":
            return {"name": (body or {}).get("name"), "skipped": True}
        return super().control(name, path, body, method=method)


def start_lab6(directory: Path, vms: list[dict[str, Any]] | None = None, *, snapshot: bool = True) -> Lab:
    """Start the primary (``vms``, default VM01 with one DISK_MB disk) and the empty replica, run the recipe.

    With ``snapshot`` both hosts are then snapshotted as BASELINE6 (for :func:`restore6`); without, no snapshot
    is taken at all (not even the recipe's), for labs with large disks.
    """
    vms = VMS6 if vms is None else vms
    octet = random.randint(2, 250)  # spreads parallel labs over loopback addresses
    spec = {PRIMARY: (PRIMARY_VIRTUAL, f"127.86.{octet}.9", topology(PRIMARY, PRIMARY_VIRTUAL, vms)),
            REPLICA: (REPLICA_VIRTUAL, f"127.86.{octet}.13", topology(REPLICA, REPLICA_VIRTUAL, []))}
    lab_file = directory / "lab.json"
    entries = [{**topo, "name": name, "address": bind, "virtual_address": virtual,
                "state_dir": str(directory / name)} for name, (virtual, bind, topo) in spec.items()]
    lab_file.write_text(json.dumps({"backend": "process", "hosts": entries}), encoding="utf-8")
    lab = Lab(directory, {}) if snapshot else _RecipeLabWithoutSnapshots(directory, {})
    try:
        for name, (_virtual, bind, topo) in spec.items():
            lab.hosts[name] = start_host(directory / name, name, topology=topo, address=bind, lab_file=lab_file)
        run_recipe(lab)
        for name in lab.hosts if snapshot else ():
            lab.control(name, "snapshot", {"name": BASELINE6})
    except Exception:
        lab.stop()
        raise
    return lab


def restore6(lab: Lab) -> None:
    """Both hosts back to right after the recipe (no faults, no replication, zeroed disks)."""
    for name in lab.hosts:
        lab.control(name, "replication/network/restore", {"peer": None})
        lab.control(name, "replication/network/rate", {"bytes_per_second": None})
        lab.control(name, "restore", {"name": BASELINE6})


def guest_write(lab: Lab, offset: int, data: bytes, vm: str = "VM01") -> None:
    """The guest of ``vm`` on the primary writes ``data`` at ``offset`` (control plane)."""
    lab.control(PRIMARY, "replication/guest/write",
                {"vm": vm, "offset": offset, "data_base64": base64.b64encode(data).decode()})


def enable_and_replicate(lab: Lab, extra: str = "") -> None:
    """Enable replication of VM01 (certificate auth, 443) with ``extra`` flags and run the initial copy."""
    tp = lab.thumbprints[PRIMARY]
    lab.ok(PRIMARY, f"Enable-VMReplication -VMName VM01 -ReplicaServerName '{REPLICA_FQDN}' -ReplicaServerPort 443 "
                    f"-AuthenticationType Certificate -CertificateThumbprint '{tp}' {extra}; "
                    "Start-VMInitialReplication -VMName VM01")


def file_sha256(lab: Lab, host: str, path: str) -> str:
    """SHA-256 of a file on a host, as Get-FileHash reports it (upper-case hex), through pywinrm."""
    return lab.ok(host, f"(Get-FileHash -Path '{path}' -Algorithm SHA256).Hash")


def replica_disk(lab: Lab, vm: str = "VM01") -> str:
    """The path of the replica VM's first disk (Get-VMHardDiskDrive on the replica)."""
    return lab.ok(REPLICA, f"(Get-VMHardDiskDrive -VMName '{vm}' | Select-Object -First 1).Path")


def recovery_points(lab: Lab, vm: str = "VM01") -> list[str]:
    """Ids of the replica VM's recovery points, oldest first (Get-VMSnapshot -SnapshotType Replica)."""
    out = lab.ok(REPLICA, f"@(Get-VMSnapshot -VMName '{vm}' | Where-Object {{ $_.SnapshotType -like '*Replica' }} "
                          "| Sort-Object CreationTime | ForEach-Object { $_.Id.ToString() }) -join ';'")
    return [p for p in out.split(";") if p]


def sha256_upper(data: bytes) -> str:
    """SHA-256 hex as Get-FileHash writes it."""
    return hashlib.sha256(data).hexdigest().upper()


def restart_replica(lab: Lab) -> None:
    """Start the replica's process again on its state folder (after a kill), with fresh WinRM sessions."""
    old = lab.hosts[REPLICA]
    lab_file = lab.directory / "lab.json"
    entry = next(h for h in json.loads(lab_file.read_text(encoding="utf-8"))["hosts"] if h["name"] == REPLICA)
    lab.hosts[REPLICA] = start_host(old.state_dir, REPLICA, address=entry["address"], lab_file=lab_file)
    lab.sessions.pop(REPLICA, None)
