"""Replication time: run every cycle that fell due since the last one, on the simulated clock.

:func:`run_due` is called by the transport after each clock advance and from a background tick. It is
idempotent (each cycle's slot is claimed under the host lock before anything is sent, so a second call
at the same time finds nothing due) and deterministic (cycle times are ``last cycle + k·frequency``).
Due cycles of one VM travel together as one ``apply_log`` call: the changed blocks belong to the first
of them (they were written before it), the others are empty but still count and can carry hourly
recovery points on the replica. Sending happens *outside* the host lock, one channel per replica
server, so two hosts replicating to each other cannot deadlock on each other's locks.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
import threading
from collections import defaultdict
from typing import TYPE_CHECKING, Any

from simulator.core.errors import SimError
from simulator.services.hyperv.disks import BLOCK_SIZE
from simulator.services.hyperv.events import EVENT_REPLICATE_RETRY, EVENT_STATISTICS, vmms_event
from simulator.services.hyperv.health import new_statistics
from simulator.services.hyperv.replication import (
    finish_initial_replication,
    finish_media_initial_replication,
    ir_due,
    run_initial_replication,
    send_initial_copy,
)
from simulator.services.hyperv.replication_admin import cycle_payload, resynchronize
from simulator.services.hyperv.replication_objects import replicated_indices
from simulator.services.hyperv.server import server_settings
from simulator.services.hyperv.state import find_vm_by_id, iso, now, parse_time, vms
from simulator.services.hyperv.transfer import connect, connect_for, restore_dirty, send_delta, take_dirty

if TYPE_CHECKING:
    from simulator.core.host import Host

log = logging.getLogger(__name__)

RESYNC_LOG_FRACTION = 0.5
RETRY_SECONDS = 300
FATAL_REPLICA_ERRORS = frozenset({"ReplicaVirtualMachineNotFound", "ReplicaAccessDenied"})
MEDIA_CHECK_SECONDS = 30  # how often a primary asks whether the replica imported a media copy


def run_due(host: Host) -> dict[str, int]:
    """Run what fell due on ``host``: background and scheduled initial replications, resyncs, media IR
    completion, cycles.

    Returns counts (``sent``, ``missed`` cycles) for callers that want to report them.
    """
    _run_background_initial_replications(host)
    deltas = _claim_due_work(host)
    results = _send(host, deltas)
    return _record(host, results)


_IR_RUNNING: set[tuple[str, str]] = set()  # (state dir, VM id) of background copies under way in this process
_IR_RUNNING_LOCK = threading.Lock()


def _run_background_initial_replications(host: Host) -> None:
    """Send the copies Start-VMInitialReplication left running (background mode), outside the host lock.

    Each copy is claimed in memory, so two passes never send it twice; after a restart the claim is
    gone and the copy starts over, as an interrupted initial replication does.
    """
    jobs: list[tuple[str, dt.datetime]] = []
    with host.transaction():
        at = now(host)
        for vm in vms(host):
            rep = vm.get("replication") or {}
            key = (str(host.state_dir), vm["id"])
            if rep.get("mode") != "Primary" or rep.get("state") != "InitialReplicationInProgress" \
                    or rep.get("ir_mode") != "network":
                continue
            with _IR_RUNNING_LOCK:
                if key in _IR_RUNNING:
                    continue
                _IR_RUNNING.add(key)
            jobs.append((vm["id"], at))
    for vm_id, at in jobs:
        try:
            _send_background_copy(host, vm_id, at)
        finally:
            with _IR_RUNNING_LOCK:
                _IR_RUNNING.discard((str(host.state_dir), vm_id))


def _send_background_copy(host: Host, vm_id: str, at: dt.datetime) -> None:
    vm = find_vm_by_id(host, vm_id)
    if vm is None:
        return
    applied, failure = 0, None
    try:
        applied = send_initial_copy(host, vm, at)
    except SimError as error:
        failure = error
    except OSError as error:  # a disk file changed under us (the VM was removed meanwhile)
        failure = SimError(f"{error} (0x80004005).", "ReplicationReadFailed", hresult=0x80004005)
    with host.transaction():
        vm = find_vm_by_id(host, vm_id)
        rep = (vm or {}).get("replication") or {}
        if vm is None or rep.get("state") != "InitialReplicationInProgress" or rep.get("ir_mode") != "network":
            log.info("background initial replication of %s finished after its relationship changed", vm_id)
            return
        finish_initial_replication(host, vm, now(host), applied, failure, "StartVMInitialReplication")


def _claim_due_work(host: Host) -> list[dict[str, Any]]:
    """Under the lock: start due one-off jobs and claim the due cycles (with their changed blocks)."""
    claimed: list[dict[str, Any]] = []
    with host.transaction():
        at = now(host)
        for vm in list(vms(host)):
            rep = vm.get("replication")
            if not rep or rep["mode"] != "Primary":
                continue
            try:
                _one_off_jobs(host, vm, rep, at)
            except SimError as error:
                log.info("scheduled job for %s failed: %s", vm["name"], error.message)
            if rep["state"] != "Replicating":
                continue
            anchor = parse_time(rep.get("last_cycle")) or at
            frequency = int(rep["frequency"])
            count = math.floor((at - anchor).total_seconds() / frequency)
            if count < 1:
                continue
            first = anchor + dt.timedelta(seconds=frequency)
            rep["last_cycle"] = iso(anchor + dt.timedelta(seconds=frequency * count))
            claimed.append({"vm_id": vm["id"], "first": first, "count": count, "dirty": take_dirty(rep),
                            "key": (rep["replica_server"].lower(), int(rep["replica_port"]), rep["auth_type"],
                                    rep.get("thumbprint") or ""),
                            "payload": cycle_payload(rep, first, count)})
    return claimed


def _one_off_jobs(host: Host, vm: dict[str, Any], rep: dict[str, Any], at: dt.datetime) -> None:
    retry = iso(at + dt.timedelta(seconds=RETRY_SECONDS))
    if ir_due(rep, at):
        try:
            run_initial_replication(host, vm, "StartVMInitialReplication")
        except SimError:
            rep["ir_start_time"] = retry  # ASSUMPTION: a failed scheduled copy is retried every 5 minutes
            raise
    elif rep["state"] == "InitialReplicationInProgress" and rep.get("ir_mode") == "media":
        checked = parse_time(rep.get("media_checked"))
        if checked is not None and (at - checked).total_seconds() < MEDIA_CHECK_SECONDS:
            return
        rep["media_checked"] = iso(at)
        with connect_for(host, rep) as channel:
            reply, _ = channel.call("replica_status", {"vm_id": vm["id"]})
        finish_media_initial_replication(host, vm, str(reply.get("state", "")))
    elif rep["state"] == "WaitingForStartResynchronize" and resync_due(rep, at):
        try:
            resynchronize(host, vm, "ResumeVMReplication")
        except SimError:
            rep["resync_retry_after"] = retry
            raise


def resync_due(rep: dict[str, Any], at: dt.datetime) -> bool:
    """A scheduled resynchronization whose time came, or automatic resync inside its daily window.

    # ASSUMPTION: the host's local time is UTC (the simulator has no time zones).
    """
    retry = parse_time(rep.get("resync_retry_after"))
    if retry is not None and at < retry:
        return False
    start = parse_time(rep.get("resync_start_time"))
    if start is not None:
        return start <= at
    if not rep.get("auto_resync"):
        return False
    seconds = at.hour * 3600 + at.minute * 60 + at.second
    begin, end = int(rep.get("auto_resync_start_s", 66600)), int(rep.get("auto_resync_end_s", 21600))
    return begin <= seconds < end if begin <= end else (seconds >= begin or seconds < end)


def _send(host: Host, claimed: list[dict[str, Any]]) -> list[tuple[dict[str, Any], SimError | None, int]]:
    """Outside the lock: one channel per replica server, one apply_log per VM."""
    groups: dict[tuple[str, int, str, str], list[dict[str, Any]]] = defaultdict(list)
    for item in claimed:
        groups[item["key"]].append(item)
    results: list[tuple[dict[str, Any], SimError | None, int]] = []
    for (server, port, auth, thumbprint), items in groups.items():
        try:
            channel = connect(host, server, port, auth, thumbprint)
        except SimError as error:
            results.extend((item, error, 0) for item in items)
            continue
        except Exception as error:  # any transport fault must give the claimed changes back, not lose them
            log.exception("connecting to %s failed unexpectedly", server)
            failure = SimError(f"{error} (0x80004005).", "ReplicationConnectFailed", hresult=0x80004005)
            results.extend((item, failure, 0) for item in items)
            continue
        with channel:
            for item in items:
                vm = find_vm_by_id(host, item["vm_id"])
                if vm is None:
                    continue
                try:
                    results.append((item, None, send_delta(channel, host, vm, item["dirty"], item["payload"])))
                except SimError as error:
                    results.append((item, error, 0))
                except OSError as error:  # a disk file changed under us (the VM was removed meanwhile)
                    results.append((item, SimError(f"{error} (0x80004005).", "ReplicationReadFailed",
                                                   hresult=0x80004005), 0))
    return results


def _record(host: Host, results: list[tuple[dict[str, Any], SimError | None, int]]) -> dict[str, int]:
    """Under the lock: statistics, health inputs, retries and the resynchronization threshold."""
    counts = {"sent": 0, "missed": 0}
    with host.transaction():
        at = now(host)
        for item, error, applied in results:
            vm = find_vm_by_id(host, item["vm_id"])
            rep = vm.get("replication") if vm else None
            if vm is None or rep is None or rep["mode"] != "Primary":
                continue
            last = item["first"] + dt.timedelta(seconds=int(rep["frequency"]) * (item["count"] - 1))
            stats = _count_cycles(host, vm, rep, item["first"], item["count"], at,
                                  "successful" if error is None else "missed")
            if error is None:
                counts["sent"] += item["count"]
                stats["bytes"] += applied
                stats["max_bytes"] = max(stats["max_bytes"], applied)
                latency = max(0.0, (at - last).total_seconds())
                stats["latency_total_s"] += latency * item["count"]
                stats["latency_max_s"] = max(stats["latency_max_s"], latency)
                rep.update(last_replication_time=iso(last), failing_cycles=0, last_replication_type="Regular")
                continue
            counts["missed"] += item["count"]
            restore_dirty(rep, item["dirty"])
            stats["errors"] += 1
            rep["failing_cycles"] = int(rep.get("failing_cycles", 0)) + item["count"]
            rep["last_error"] = error.message
            fatal = error.fully_qualified_error_id.split(",", 1)[0] in FATAL_REPLICA_ERRORS
            if fatal and rep["state"] == "Replicating":
                # ASSUMPTION: a replica that no longer has (or no longer accepts) the VM puts the primary in
                # Error; retrying cannot help, so it waits for Resume-VMReplication.
                rep["state"] = "Error"
            vmms_event(host, EVENT_REPLICATE_RETRY, "Warning",
                       f"Hyper-V failed to replicate changes for virtual machine '{vm['name']}': {error.message} "
                       f"Hyper-V will retry replication after {max(1, int(rep['frequency']) // 60)} minute(s). "
                       f"(Virtual machine ID {vm['id']})", vm=vm["name"], hresult=error.hresult_hex)
            _check_resync_needed(vm, rep)
        for vm in vms(host):
            rep = vm.get("replication")
            if rep and rep["mode"] == "Primary":
                _roll_statistics(host, vm, rep, at)
    return counts


def _count_cycles(host: Host, vm: dict[str, Any], rep: dict[str, Any], first: dt.datetime, count: int,
                  at: dt.datetime, key: str) -> dict[str, Any]:
    """Add a batch of cycles to the statistics, split at the start of the current monitoring interval.

    Cycles that fell in finished intervals are counted there (and logged with event 29174); the rest
    count in the current interval, whose statistics are returned.
    """
    stats = rep.setdefault("stats", new_statistics(at))
    since = parse_time(stats.get("since")) or at
    interval = dt.timedelta(seconds=int(server_settings(host)["monitoring_interval_s"]))
    current = since + math.floor((at - since) / interval) * interval if at > since else since
    before = 0
    if current > since:
        before = min(count, max(0, math.ceil((current - first).total_seconds() / int(rep["frequency"]))))
        stats[key] += before
        _roll_statistics(host, vm, rep, at)
        stats = rep["stats"]
    stats[key] += count - before
    return stats


def _check_resync_needed(vm: dict[str, Any], rep: dict[str, Any]) -> None:
    """Tracking logs beyond half the replicated disks' size force resynchronization (fact sheet §2.5)."""
    total = sum(int(vm["disks"][i]["size_bytes"]) for i in replicated_indices(vm)) or 1
    pending = sum(len(b) for b in (rep.get("dirty") or {}).values()) * BLOCK_SIZE
    if rep["state"] == "Replicating" and max(pending, int(rep.get("log_bytes", 0))) > RESYNC_LOG_FRACTION * total:
        rep["state"] = "WaitingForStartResynchronize"
        rep["dirty"] = {}
        rep["log_bytes"] = 0


def _roll_statistics(host: Host, vm: dict[str, Any], rep: dict[str, Any], at: dt.datetime) -> None:
    """At the end of each monitoring interval log its statistics (event 29174) and start a new one."""
    stats = rep.get("stats")
    since = parse_time(stats.get("since")) if stats else None
    if stats is None or since is None:
        return
    interval = dt.timedelta(seconds=int(server_settings(host)["monitoring_interval_s"]))
    if at - since < interval:
        return
    elapsed = math.floor((at - since) / interval)
    vmms_event(host, EVENT_STATISTICS, "Information",
               f"Replication statistics for virtual machine '{vm['name']}' for the past monitoring interval: "
               f"{stats['successful']} successful replication cycles, {stats['missed']} missed, "
               f"{stats['bytes']} bytes replicated. (Virtual machine ID {vm['id']})",
               vm=vm["name"], successful=stats["successful"], missed=stats["missed"])
    rep["stats"] = new_statistics(since + elapsed * interval)
