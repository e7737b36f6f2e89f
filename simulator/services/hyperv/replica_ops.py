"""The replica side of VM replication: operations a primary invokes over the authenticated channel.

Each handler runs on the replica host, under its lock, after the transport authenticated the primary
and matched an authorization entry (``peer.trust_group``, ``peer.storage_location``). Handlers
validate before they change anything. Operations: ``ping``, ``create_replica_vm``,
``initial_replication``, ``apply_log`` (delta cycles, also the final send of a planned failover and
resynchronization), ``block_hashes`` (resynchronization compare), ``reverse_replication`` and
``replica_status``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import math
from contextlib import closing
from pathlib import PureWindowsPath
from typing import TYPE_CHECKING, Any

from simulator.core.errors import SimError
from simulator.services.hyperv.blockstream import decode_blocks, prefetch
from simulator.services.hyperv.crash_recovery import recover_vm
from simulator.services.hyperv.disks import (
    BLOCK_SIZE,
    apply_journal,
    apply_records,
    create_sparse,
    data_blocks,
    drop_undo,
    read_block,
    stage,
)
from simulator.services.hyperv.events import EVENT_INVALID_STATE, vmms_event
from simulator.services.hyperv.health import new_statistics
from simulator.services.hyperv.state import (
    find_vm_by_id,
    hyperv_error,
    iso,
    new_guid,
    new_vm_record,
    now,
    parse_time,
    vms,
    windows_time,
)
from simulator.services.replication.api import DataStream, PeerIdentity, replica_operation

if TYPE_CHECKING:
    from simulator.core.host import Host

log = logging.getLogger(__name__)

Reply = tuple[dict[str, Any], bytes | None]
E_ACCESS_DENIED = 0x80070005
E_ALREADY_EXISTS = 0x800700B7
E_DISK_FULL = 0x80070070
EVENT_APPLY_FAILED = 32056
E_NOT_FOUND = 0x80070490
# ASSUMPTION: a replica VM in the wrong state refuses with ERROR_INVALID_STATE, logged as event 32546.
E_INVALID_STATE = 0x8007139F
HASH_SIZE = 8
ZERO_HASH = hashlib.blake2b(bytes(BLOCK_SIZE), digest_size=HASH_SIZE).digest()


def check_space(host: Host, windows_path: str, needed: int, vm_name: str) -> None:
    """Refuse when the replica's storage drive has less than ``needed`` bytes free (the disk-full fault).

    # ASSUMPTION: Hyper-V reports ERROR_DISK_FULL and logs event 32056 ("failed to apply replication logs").
    """
    try:
        from simulator.services.filesystem import free_bytes  # noqa: PLC0415 - optional subsystem
    except ImportError:  # pragma: no cover - filesystem subsystem absent
        return
    drive = PureWindowsPath(windows_path).drive.rstrip(":")
    if not drive or host.state.get("filesystem") is None or free_bytes(host, drive) >= needed:
        return
    message = (f"Hyper-V failed to apply replication logs for virtual machine '{vm_name}': "
               "There is not enough space on the disk")
    vmms_event(host, EVENT_APPLY_FAILED, "Error", f"{message} (0x80070070).", vm=vm_name)
    raise hyperv_error(message, "ReplicaStorageFull", "WriteError", hresult=E_DISK_FULL, target=windows_path)


def _drain(data: DataStream | None) -> None:
    for _ in data or ():
        pass


def _replica_vm(host: Host, peer: PeerIdentity, payload: dict[str, Any], states: set[str],
                data: DataStream | None, operation: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """The replica VM named by ``payload['vm_id']``, checked for mode, trust group and state."""
    vm = find_vm_by_id(host, str(payload.get("vm_id", "")))
    rep = vm.get("replication") if vm else None
    if vm is not None and rep is not None:
        recover_vm(host, vm)
    if vm is None or rep is None or rep["mode"] != "Replica":
        _drain(data)
        raise hyperv_error(f"The Replica server has no replica virtual machine with ID '{payload.get('vm_id')}'",
                           "ReplicaVirtualMachineNotFound", "ObjectNotFound", hresult=E_NOT_FOUND)
    if rep.get("trust_group", "").lower() != peer.trust_group.lower():
        _drain(data)
        raise hyperv_error(f"The primary server '{peer.fqdn}' is not authorized to replicate virtual machine "
                           f"'{vm['name']}': it belongs to another trust group", "ReplicaAccessDenied",
                           "PermissionDenied", hresult=E_ACCESS_DENIED)
    if rep["state"] not in states:
        _drain(data)
        message = (f"'{vm['name']}' failed to perform the '{operation}' operation. The virtual machine is not in a "
                   f"valid replication state to perform the operation (state {rep['state']})")
        vmms_event(host, EVENT_INVALID_STATE, "Error", f"{message}. (Virtual machine ID {vm['id']})", vm=vm["name"])
        raise hyperv_error(message, "InvalidReplicationState", hresult=E_INVALID_STATE, target=vm["name"])
    return vm, rep


@replica_operation("ping")
def ping(host: Host, peer: PeerIdentity, payload: dict[str, Any], data: DataStream | None) -> Reply:
    """Answer a connection test (Test-VMReplicationConnection)."""
    _drain(data)
    return {"ok": True, "primary_server": peer.fqdn, "trust_group": peer.trust_group}, None


def replica_disk_path(storage: str, vm_id: str, disk_name: str) -> str:
    """Where a replica VM's disk lives under the storage location of its authorization entry."""
    return f"{storage.rstrip(chr(92))}\\Hyper-V Replica\\Virtual hard disks\\{vm_id}\\{disk_name}"


def new_replica_record(peer: PeerIdentity, payload: dict[str, Any], state: str, at: dt.datetime) -> dict[str, Any]:
    """The replication record of a replica VM."""
    return {
        "mode": "Replica", "state": state, "primary_server": peer.fqdn, "incarnation": new_guid(),
        "replica_server": payload.get("replica_server", ""), "replica_port": int(payload.get("port", 443)),
        "auth_type": payload.get("auth_type", "Certificate"), "thumbprint": peer.thumbprint,
        "frequency": int(payload.get("frequency", 300)), "recovery_history": int(payload.get("recovery_history", 0)),
        "vss_frequency": payload.get("vss_frequency"), "trust_group": peer.trust_group,
        "allowed_primary_server": peer.fqdn, "relationship": "Simple", "points": [],
        "last_replication_time": None, "stats": new_statistics(at), "failovers": None, "test_vm_id": None,
    }


@replica_operation("create_replica_vm")
def create_replica_vm(host: Host, peer: PeerIdentity, payload: dict[str, Any], data: DataStream | None) -> Reply:
    """Create the replica VM (same Id, Off, WaitingForInitialReplication) with empty sparse disks."""
    _drain(data)
    vm_id = str(payload["vm_id"])
    if find_vm_by_id(host, vm_id) is not None:
        # ASSUMPTION: text for a VM that already exists on the replica server.
        raise hyperv_error(f"A virtual machine with ID '{vm_id}' already exists on the Replica server",
                           "ReplicaVirtualMachineExists", "ResourceExists", hresult=E_ALREADY_EXISTS)
    if not peer.storage_location:
        raise hyperv_error("The Replica server has no storage location for this primary server",
                           "ReplicaStorageNotConfigured", "InvalidOperation", hresult=0x80070057)
    check_space(host, peer.storage_location, sum(int(d["size_bytes"]) for d in payload.get("disks", [])),
                str(payload["name"]))
    vm = new_vm_record(str(payload["name"]), int(payload.get("generation", 2)), "Off",
                       int(payload.get("memory_mb", 1024)), vm_id=vm_id)
    vm["path"] = f"{peer.storage_location.rstrip(chr(92))}\\Hyper-V Replica"
    for disk in payload.get("disks", []):
        path = replica_disk_path(peer.storage_location, vm_id, disk["name"])
        create_sparse(host.real_path(path), int(disk["size_bytes"]))
        vm["disks"].append({"name": disk["name"], "path": path, "size_bytes": int(disk["size_bytes"]),
                            "id": new_guid()})
    vm["replication"] = new_replica_record(peer, payload, "WaitingForInitialReplication", now(host))
    vms(host).append(vm)
    log.info("replica VM %s created on %s for %s", vm["name"], host.info["name"], peer.fqdn)
    return {"primary_server": peer.fqdn, "trust_group": peer.trust_group}, None


@replica_operation("initial_replication")
def initial_replication(host: Host, peer: PeerIdentity, payload: dict[str, Any],
                        data: DataStream | None) -> Reply:
    """Receive the full disk contents (block stream) and start replicating."""
    vm, rep = _replica_vm(host, peer, payload, {"WaitingForInitialReplication"}, data, "initial replication")
    if vm["disks"]:
        try:
            check_space(host, vm["disks"][0]["path"], 1, vm["name"])
        except SimError:
            _drain(data)
            raise
    for disk in vm["disks"]:  # a copy interrupted earlier must not leave its blocks behind
        create_sparse(host.real_path(disk["path"]), 0)
        create_sparse(host.real_path(disk["path"]), int(disk["size_bytes"]))
    with closing(prefetch(data or iter(()))) as incoming:  # closed before the listener drains the rest
        applied = apply_records(host, vm["disks"], decode_blocks(incoming), None)
    at = parse_time(payload.get("at")) or now(host)
    rep["state"] = "Replicating"
    rep["last_replication_time"] = iso(at)
    rep["initial_replication_size"] = applied
    take_points(host, vm, rep, [at])
    return {"applied": applied}, None


def _point_name(vm: dict[str, Any], kind: str, at: dt.datetime) -> str:
    label = "Application-consistent Replica" if kind == "AppConsistentReplica" else "Standard Replica"
    # ASSUMPTION: recovery point names follow "<VM> - Standard Replica - (<time>)".
    return f"{vm['name']} - {label} - ({windows_time(at)})"


def take_points(host: Host, vm: dict[str, Any], rep: dict[str, Any], cycle_times: list[dt.datetime]) -> None:
    """Keep hourly recovery points (up to RecoveryHistory) at the given cycle times (ascending)."""
    history = max(0, int(rep.get("recovery_history", 0)))
    points: list[dict[str, Any]] = rep.setdefault("points", [])
    for at in cycle_times if history else []:
        last = parse_time(points[-1]["created"]) if points else None
        if last is not None and at - last < dt.timedelta(hours=1):
            continue
        kind = "Replica"
        vss = rep.get("vss_frequency")
        app_points = [p for p in points if p["type"] == "AppConsistentReplica"]
        last_app = parse_time(app_points[-1]["created"]) if app_points else None
        if vss and (last_app is None or at - last_app >= dt.timedelta(hours=int(vss)) - dt.timedelta(seconds=1)):
            kind = "AppConsistentReplica"
        points.append({"id": new_guid(), "name": _point_name(vm, kind, at), "type": kind, "created": iso(at),
                       "undo": {}})
    while len(points) > history:
        drop_undo(host, vm["disks"], points.pop(0))


def point_times(first: dt.datetime, count: int, frequency: int, last_point: dt.datetime | None,
                limit: int) -> list[dt.datetime]:
    """Cycle times among ``first + k*frequency`` (k < count) at which an hourly point falls due (the last ``limit``)."""
    if limit <= 0:
        return []
    times: list[dt.datetime] = []
    hour = dt.timedelta(hours=1)
    k = 0
    while k < count:
        at = first + dt.timedelta(seconds=k * frequency)
        if last_point is None or at - last_point >= hour:
            times.append(at)
            last_point = at
        assert last_point is not None
        k_next = math.ceil((last_point + hour - first).total_seconds() / frequency)
        k = max(k + 1, k_next)
    return times[-limit:]


@replica_operation("apply_log")
def apply_log(host: Host, peer: PeerIdentity, payload: dict[str, Any], data: DataStream | None) -> Reply:
    """Apply one or more replication cycles' changed blocks; keep points; mark a planned failover's final send."""
    vm, rep = _replica_vm(host, peer, payload, {"Replicating"}, data, "apply replication log")
    if vm["disks"]:
        try:
            check_space(host, vm["disks"][0]["path"], 1, vm["name"])
        except SimError:
            _drain(data)
            raise
    journal_id = f"{rep.get('incarnation', '')}_{new_guid()}"
    with closing(prefetch(data or iter(()))) as incoming:  # closed before the listener drains the rest
        stage(host, vm["disks"], decode_blocks(incoming), journal_id)
    for key in ("frequency", "recovery_history", "vss_frequency"):
        if key in payload:
            rep[key] = payload[key]
    points = rep.get("points", [])
    if payload.get("resync"):
        for point in points:
            drop_undo(host, vm["disks"], point)
        rep["points"] = points = []
    latest = points[-1] if points else None
    applied = apply_journal(host, vm["disks"], journal_id, latest)
    rep["last_journal"] = journal_id
    first = parse_time(payload.get("first")) or now(host)
    count = max(1, int(payload.get("count", 1)))
    last_point = parse_time(points[-1]["created"]) if points else None
    times = point_times(first, count, int(rep["frequency"]), last_point, int(rep.get("recovery_history", 0)))
    take_points(host, vm, rep, times)
    last = first + dt.timedelta(seconds=int(rep["frequency"]) * (count - 1))
    rep["last_replication_time"] = iso(last)
    stats = rep.setdefault("stats", new_statistics(now(host)))
    stats["successful"] += count
    stats["bytes"] += applied
    stats["max_bytes"] = max(stats["max_bytes"], applied)
    rep["prepared_by_primary"] = bool(payload.get("final"))
    return {"applied": applied}, None


def disk_hashes(host: Host, disks: list[dict[str, Any]]) -> tuple[list[int], bytes]:
    """Per-block hashes of every disk (holes hash as zero blocks), for resynchronization."""
    counts: list[int] = []
    out = bytearray()
    for disk in disks:
        path = host.real_path(disk["path"])
        size = int(disk["size_bytes"])
        total = (size + BLOCK_SIZE - 1) // BLOCK_SIZE
        present = set(data_blocks(path))
        with open(path, "rb") as handle:
            for block in range(total):
                if block not in present:
                    out += ZERO_HASH
                    continue
                content = read_block(handle, block, size).ljust(BLOCK_SIZE, b"\0")
                out += hashlib.blake2b(content, digest_size=HASH_SIZE).digest()
        counts.append(total)
    return counts, bytes(out)


@replica_operation("block_hashes")
def block_hashes(host: Host, peer: PeerIdentity, payload: dict[str, Any], data: DataStream | None) -> Reply:
    """Hashes of the replica's disk blocks, so a resynchronizing primary sends only differing blocks."""
    vm, _rep = _replica_vm(host, peer, payload, {"Replicating"}, data, "resynchronization")
    counts, hashes = disk_hashes(host, vm["disks"])
    return {"blocks": counts, "hash_size": HASH_SIZE}, hashes


@replica_operation("reverse_replication")
def reverse_replication(host: Host, peer: PeerIdentity, payload: dict[str, Any],
                        data: DataStream | None) -> Reply:
    """Turn this host's former primary VM into the replica of the peer (Set-VMReplication -Reverse on the peer)."""
    _drain(data)
    vm = find_vm_by_id(host, str(payload["vm_id"]))
    rep = vm.get("replication") if vm else None
    if vm is None or rep is None or rep["mode"] != "Primary":
        raise hyperv_error(f"The server has no primary virtual machine with ID '{payload['vm_id']}' to reverse",
                           "ReverseTargetNotFound", "ObjectNotFound", hresult=E_NOT_FOUND)
    if vm["state"] != "Off":
        raise hyperv_error(f"'{vm['name']}' must be turned off before replication can be reversed",
                           "InvalidVirtualMachineState", hresult=E_INVALID_STATE, target=vm["name"])
    planned = bool(payload.get("planned")) and rep["state"] == "PreparedForFailover"
    record = new_replica_record(peer, payload, "Replicating" if planned else "WaitingForInitialReplication", now(host))
    if planned:
        record["last_replication_time"] = iso(now(host))
    else:
        for disk in vm["disks"]:
            path = host.real_path(disk["path"])
            create_sparse(path, 0)
            create_sparse(path, int(disk["size_bytes"]))
    vm["replication"] = record
    return {"primary_server": peer.fqdn, "needs_initial_replication": not planned}, None


@replica_operation("replica_status")
def replica_status(host: Host, peer: PeerIdentity, payload: dict[str, Any], data: DataStream | None) -> Reply:
    """The replica VM's replication state (or that it does not exist)."""
    _drain(data)
    vm = find_vm_by_id(host, str(payload.get("vm_id", "")))
    rep = vm.get("replication") if vm else None
    if vm is None or rep is None:
        return {"exists": False}, None
    return {"exists": True, "state": rep["state"], "mode": rep["mode"]}, None


def replica_error(message: str) -> SimError:
    """A generic replica-side failure."""
    return hyperv_error(message, "ReplicaOperationFailed", hresult=0x80004005)
