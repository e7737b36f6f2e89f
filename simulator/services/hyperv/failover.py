"""Failover: Start-VMFailover (-Prepare on the primary, plain or -AsTest on the replica, -VMRecoverySnapshot),
Complete-VMFailover and Stop-VMFailover (fact sheet §1.8).

Failing over to an older recovery point rewrites the replica's disks from the points' undo stores and
keeps what it overwrote, so Stop-VMFailover can put the latest state back. Both rewrites go through
:mod:`~simulator.services.hyperv.failover_journal`, so a kill -9 in the middle never leaves a torn disk.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from simulator.core.errors import SimError
from simulator.ps.api import Invocation, Param, cmdlet
from simulator.ps.objects import PSObject
from simulator.services.hyperv.crash_recovery import recover_host
from simulator.services.hyperv.disks import drop_undo, overlay_points, sparse_copy
from simulator.services.hyperv.events import EVENT_FAILOVER, vmms_event
from simulator.services.hyperv.failover_journal import new_test_folder, overlay_journalled, retire_test_folder
from simulator.services.hyperv.objects import SNAPSHOT_OBJECT_TYPE, vm_object
from simulator.services.hyperv.replication import fqid, invalid_state, not_enabled, wrap
from simulator.services.hyperv.replication_admin import cycle_payload
from simulator.services.hyperv.state import (
    find_vm,
    find_vm_by_id,
    hyperv_error,
    iso,
    new_guid,
    new_vm_record,
    now,
    vms,
)
from simulator.services.hyperv.transfer import connect_for, restore_dirty, send_delta, take_dirty
from simulator.services.hyperv.vm_cmdlets import AS_JOB, REMOTING, VM_PIPELINE, refuse_unmodelled, resolve_vms

if TYPE_CHECKING:
    from simulator.core.host import Host

log = logging.getLogger(__name__)

E_INVALID_STATE = 0x8007139F


def _split_input(inv: Invocation, command: str) -> tuple[list[dict[str, Any]], dict[str, Any] | None]:
    """VMs to act on, and the recovery snapshot (given, or piped in place of a VM)."""
    snapshot = inv.get("VMRecoverySnapshot")
    piped = inv.get("VM")
    if piped is not None:
        items = piped if isinstance(piped, list) else [piped]
        snaps = [o for o in items if isinstance(o, PSObject) and o.type_name == SNAPSHOT_OBJECT_TYPE]
        if snaps:
            snapshot = snaps[0]
            inv.args.pop("VM")
    if isinstance(snapshot, list):
        snapshot = snapshot[0] if snapshot else None
    if isinstance(snapshot, PSObject):
        vm = find_vm_by_id(inv.host, snapshot.hidden.get("vm_id", ""))
        if vm is None:
            raise hyperv_error("The recovery snapshot does not belong to a virtual machine on this host",
                               fqid(command, "InvalidParameter"), "InvalidArgument")
        point = next((p for p in (vm.get("replication") or {}).get("points", [])
                      if p["id"] == snapshot.hidden.get("snapshot_id")), None)
        if point is None:
            raise hyperv_error(f"'{snapshot.get('Name')}' is not a recovery point of a replica virtual machine",
                               fqid(command, "InvalidParameter"), "InvalidArgument")
        return [vm], point
    return resolve_vms(inv, command, "VMName"), None


@cmdlet(
    "Start-VMFailover",
    Param("VMName", type="string[]", position=0, aliases=("Name",)),
    VM_PIPELINE,
    Param("VMRecoverySnapshot", type="object", aliases=("VMRecoveryCheckpoint",)),
    Param("Prepare", type="switch"),
    Param("AsTest", type="switch"),
    Param("Passthru", type="switch"),
    AS_JOB, *REMOTING,
    summary="Prepare a planned failover (primary), fail over, or start a test failover (replica).",
    not_modelled="the replica's check that the primary is off (split-brain), -AsJob, -ComputerName, -CimSession",
    mutates=True, area="Hyper-V Replica",
)
def start_vm_failover(inv: Invocation) -> list[PSObject]:
    """-Prepare on an Off primary sends the last changes; on a replica fail over (optionally to a point) or test.

    Not modelled: the replica-side check that the primary VM is not running, -AsJob, -ComputerName,
    -CimSession, -Credential, -WhatIf/-Confirm.
    """
    command = "StartVMFailover"
    refuse_unmodelled(inv)
    recover_host(inv.host)
    targets, point = _split_input(inv, command)
    out = []
    for vm in targets:
        rep = vm.get("replication")
        if rep is None:
            raise not_enabled(vm, command)
        if inv.get("Prepare"):
            _prepare(inv.host, vm, rep, command)
        elif inv.get("AsTest"):
            test_vm = _test_failover(inv.host, vm, rep, point, command)
            if inv.get("Passthru"):
                out.append(vm_object(inv.host, test_vm))
            continue
        else:
            _failover(inv.host, vm, rep, point, command)
        if inv.get("Passthru"):
            out.append(vm_object(inv.host, vm))
    return out


def _prepare(host: Host, vm: dict[str, Any], rep: dict[str, Any], command: str) -> None:
    if rep["mode"] != "Primary" or rep["state"] not in {"Replicating", "Suspended"}:
        raise invalid_state(vm, command)
    if vm["state"] != "Off":
        # ASSUMPTION: (§10.3) text for -Prepare on a running VM.
        raise hyperv_error(f"'{vm['name']}' failed to prepare for planned failover. The virtual machine must be "
                           "turned off before a planned failover", fqid(command), hresult=E_INVALID_STATE,
                           target=vm["name"])
    dirty = take_dirty(rep)
    try:
        with connect_for(host, rep) as channel:
            send_delta(channel, host, vm, dirty, cycle_payload(rep, now(host), 1, final=True))
    except SimError as error:
        restore_dirty(rep, dirty)
        raise wrap(error, f"'{vm['name']}' failed to prepare for planned failover.", command) from error
    rep.update(state="PreparedForFailover", last_replication_time=iso(now(host)), last_replication_type="Planned")


def _failover(host: Host, vm: dict[str, Any], rep: dict[str, Any], point: dict[str, Any] | None, command: str) -> None:
    if rep["mode"] != "Replica" or rep["state"] not in {"Replicating", "Suspended", "Error"}:
        raise invalid_state(vm, command)
    points = rep.get("points", [])
    # Pre-images of every block changed from here on (the point's overlay, then guest writes) let
    # Stop-VMFailover put the replica back exactly as it was.
    undo: dict[str, Any] = {"id": f"failover-{new_guid()}", "undo": {}}
    if point is not None:
        newer_first = list(reversed(points[points.index(point):]))
        overlay_journalled(host, vm, newer_first, save_to=undo)
    rep["failover_undo"] = undo
    rep["failover_point"] = point["id"] if point is not None else None
    rep["state"] = "FailedOverWaitingCompletion"
    rep["failed_over_type"] = "Planned" if rep.get("prepared_by_primary") else "Regular"
    vmms_event(host, EVENT_FAILOVER, "Information",
               f"Failover started for virtual machine '{vm['name']}'"
               + (f" to recovery point '{point['name']}'" if point else "") + f". (Virtual machine ID {vm['id']})",
               vm=vm["name"])


def _test_failover(host: Host, vm: dict[str, Any], rep: dict[str, Any], point: dict[str, Any] | None,
                   command: str) -> dict[str, Any]:
    if rep["mode"] != "Replica" or rep["state"] not in {"Replicating", "Suspended"}:
        raise invalid_state(vm, command)
    if rep.get("test_vm_id") and find_vm_by_id(host, rep["test_vm_id"]) is not None:
        # ASSUMPTION: text for a second concurrent test failover (only one is allowed).
        raise hyperv_error(f"A test failover is already in progress for virtual machine '{vm['name']}'",
                           fqid(command), hresult=E_INVALID_STATE, target=vm["name"])
    name = f"{vm['name']} - Test"
    if find_vm(host, name) is not None:
        raise hyperv_error(f"A virtual machine named '{name}' already exists", fqid(command), hresult=0x800700B7)
    test_vm = new_vm_record(name, vm["generation"], "Off", vm["memory_mb"])
    test_vm["path"] = vm["path"]
    targets = []
    for disk in vm["disks"]:
        folder, _, filename = disk["path"].rpartition("\\")
        path = f"{folder}\\Test-{test_vm['id']}\\{filename}"
        new_test_folder(host.real_path(path).parent)
        sparse_copy(host.real_path(disk["path"]), host.real_path(path))
        targets.append(host.real_path(path))
        test_vm["disks"].append({"name": disk["name"], "path": path, "size_bytes": disk["size_bytes"],
                                 "id": new_guid()})
    if point is not None:
        points = rep.get("points", [])
        overlay_points(host, vm["disks"], list(reversed(points[points.index(point):])), targets)
    test_vm["replication"] = {"mode": "TestReplica", "state": "Disabled", "source_vm_id": vm["id"]}
    vms(host).append(test_vm)
    rep["test_vm_id"] = test_vm["id"]
    rep["last_test_failover"] = iso(now(host))
    return test_vm


@cmdlet(
    "Complete-VMFailover",
    Param("VMName", type="string[]", position=0, aliases=("Name",)),
    VM_PIPELINE,
    Param("Passthru", type="switch"),
    AS_JOB, *REMOTING,
    summary="Commit a failover: keep the chosen point, delete every other recovery point.",
    not_modelled="-AsJob, -ComputerName, -CimSession, -Credential, -WhatIf, -Confirm",
    mutates=True, area="Hyper-V Replica",
)
def complete_vm_failover(inv: Invocation) -> list[PSObject]:
    """FailedOverWaitingCompletion → FailedOver; recovery points are deleted (cannot be undone).

    Not modelled: -AsJob, -ComputerName, -CimSession, -Credential, -WhatIf/-Confirm.
    """
    command = "CompleteVMFailover"
    refuse_unmodelled(inv)
    recover_host(inv.host)
    out = []
    for vm in resolve_vms(inv, command, "VMName"):
        rep = vm.get("replication")
        if rep is None:
            raise not_enabled(vm, command)
        if rep["state"] != "FailedOverWaitingCompletion":
            raise invalid_state(vm, command)
        for point in rep.get("points", []):
            drop_undo(inv.host, vm["disks"], point)
        if rep.get("failover_undo"):
            drop_undo(inv.host, vm["disks"], rep["failover_undo"])
        rep.update(state="FailedOver", points=[], failover_undo=None)
        if inv.get("Passthru"):
            out.append(vm_object(inv.host, vm))
    return out


def _remove_test_vm(host: Host, rep: dict[str, Any]) -> None:
    test_vm = find_vm_by_id(host, rep.get("test_vm_id") or "")
    rep["test_vm_id"] = None
    if test_vm is None:
        return
    # Renamed aside, not deleted: until the state without the test VM is saved, a crash must find its disks
    # again (crash recovery renames them back, or deletes them once the removal is saved).
    for folder in {host.real_path(disk["path"]).parent for disk in test_vm["disks"]}:
        retire_test_folder(folder)
    vms(host).remove(test_vm)


@cmdlet(
    "Stop-VMFailover",
    Param("VMName", type="string[]", position=0, aliases=("Name",)),
    VM_PIPELINE,
    Param("Passthru", type="switch"),
    AS_JOB, *REMOTING,
    summary="Cancel a failover: end a test failover, undo a failover, or cancel -Prepare on the primary.",
    not_modelled="-AsJob, -ComputerName, -CimSession, -Credential, -WhatIf, -Confirm",
    mutates=True, area="Hyper-V Replica",
)
def stop_vm_failover(inv: Invocation) -> list[PSObject]:
    """Test failover → delete the test VM; failover → turn off and restore the latest state; prepared primary →
    back to Replicating.

    Not modelled: -AsJob, -ComputerName, -CimSession, -Credential, -WhatIf/-Confirm.
    """
    command = "StopVMFailover"
    refuse_unmodelled(inv)
    recover_host(inv.host)
    out = []
    for vm in resolve_vms(inv, command, "VMName"):
        rep = vm.get("replication")
        if rep is None:
            raise not_enabled(vm, command)
        if rep["mode"] == "Primary" and rep["state"] == "PreparedForFailover":
            rep["state"] = "Replicating"
            rep["last_cycle"] = iso(now(inv.host))
        elif rep["mode"] == "Replica" and rep.get("test_vm_id"):
            _remove_test_vm(inv.host, rep)
        elif rep["mode"] == "Replica" and rep["state"] == "FailedOverWaitingCompletion":
            vm["state"] = "Off"
            vm["started_at"] = None
            undo = rep.get("failover_undo")
            if undo:
                overlay_journalled(inv.host, vm, [undo])
                drop_undo(inv.host, vm["disks"], undo)
            rep.update(state="Replicating", failover_undo=None, failover_point=None, failed_over_type="None")
        else:
            raise invalid_state(vm, command)
        if inv.get("Passthru"):
            out.append(vm_object(inv.host, vm))
    return out
