"""Checkpoints (snapshots): Get-VMSnapshot, Checkpoint-VM, Remove-VMSnapshot and their *-VMCheckpoint aliases.

Standard checkpoints are records on the VM; a replica VM's recovery points (``-SnapshotType Replica``)
come from its replication record. Checkpoint contents (differencing disks) are not modelled: a
checkpoint is a name in a tree, which is what Hyper-V Replica's rules look at.
"""

from __future__ import annotations

from typing import Any

from simulator.core.errors import NotModelledError
from simulator.ps.api import Invocation, Param, cmdlet
from simulator.ps.objects import PSObject
from simulator.services.hyperv.objects import snapshot_object
from simulator.services.hyperv.state import (
    SNAPSHOT_TYPE_VALUES,
    has_wildcard,
    hyperv_error,
    iso,
    new_guid,
    now,
    wildcard_match,
    windows_time,
)
from simulator.services.hyperv.vm_cmdlets import VM_PIPELINE, resolve_vms, vm_state_error


def recovery_points(vm: dict[str, Any]) -> list[dict[str, Any]]:
    """A replica VM's recovery points as snapshot-like records (oldest first)."""
    rep = vm.get("replication") or {}
    return [{"id": p["id"], "name": p["name"], "type": p.get("type", "Replica"), "created": p["created"],
             "parent_id": None, "vm_state": "Off"} for p in rep.get("points", [])]


def all_snapshots(vm: dict[str, Any]) -> list[dict[str, Any]]:
    """Standard checkpoints and recovery points of a VM."""
    return list(vm["checkpoints"]) + recovery_points(vm)


@cmdlet(
    "Get-VMSnapshot",
    Param("VMName", type="string[]", position=0),
    Param("Name", type="string", position=1),
    Param("SnapshotType", validate_set=tuple(SNAPSHOT_TYPE_VALUES)),
    Param("Id", type="string"),
    VM_PIPELINE,
    summary="List checkpoints of virtual machines, or a replica VM's recovery points (-SnapshotType Replica).",
    not_modelled="-ParentOf, -ChildOf, -ComputerName, -CimSession, -Credential",
    aliases=("Get-VMCheckpoint",), area="Hyper-V",
)
def get_vm_snapshot(inv: Invocation) -> list[PSObject]:
    """Return VMSnapshot objects filtered by name (wildcards), type and id.

    Not modelled: -ParentOf, -ChildOf, -ComputerName, -CimSession, -Credential.
    """
    wanted_type = inv.get("SnapshotType")
    out = []
    for vm in resolve_vms(inv, "GetVMSnapshot", "VMName"):
        for snap in all_snapshots(vm):
            if wanted_type is not None and snap["type"] != wanted_type:
                continue
            if inv.has("Name") and not wildcard_match(inv.get("Name"), snap["name"]):
                continue
            if inv.has("Id") and snap["id"].lower() != str(inv.get("Id")).lower():
                continue
            out.append(snapshot_object(inv.host, vm, snap))
    if inv.has("Name") and not out and not has_wildcard(inv.get("Name")):
        raise hyperv_error(f"Hyper-V was unable to find a checkpoint with name \"{inv.get('Name')}\".",
                           "InvalidParameter,Microsoft.HyperV.PowerShell.Commands.GetVMSnapshot", "InvalidArgument",
                           target=inv.get("Name"))
    return out


@cmdlet(
    "Checkpoint-VM",
    Param("Name", type="string[]", position=0, aliases=("VMName",)),
    Param("SnapshotName", position=1, aliases=("CheckpointName",)),
    VM_PIPELINE,
    Param("Passthru", type="switch"),
    summary="Create a standard checkpoint of virtual machines (-Name is the VM name).",
    not_modelled="-AsJob, -ComputerName, -CimSession, -Credential, -WhatIf, -Confirm",
    mutates=True, area="Hyper-V",
)
def checkpoint_vm(inv: Invocation) -> list[PSObject]:
    """Add a checkpoint named -SnapshotName, or "<VM> - (<M/d/yyyy - h:mm:ss tt>)" by default.

    Not modelled: -AsJob, -ComputerName, -CimSession, -Credential, -WhatIf/-Confirm; disk contents.
    """
    out = []
    for vm in resolve_vms(inv, "CheckpointVM"):
        rep = vm.get("replication")
        if rep and rep["mode"] == "Replica" and rep["state"] not in {"FailedOver"}:
            # ASSUMPTION: a replica VM takes no user checkpoints before its failover is complete.
            inv.write_error(vm_state_error(vm, "create a checkpoint", "CheckpointVM"))
            continue
        stamp = now(inv.host)
        name = inv.get("SnapshotName") or f"{vm['name']} - ({windows_time(stamp)})"
        record = {"id": new_guid(), "name": name, "type": "Standard", "created": iso(stamp),
                  "parent_id": vm.get("current_checkpoint"), "vm_state": vm["state"]}
        vm["checkpoints"].append(record)
        vm["current_checkpoint"] = record["id"]
        if inv.get("Passthru"):
            out.append(snapshot_object(inv.host, vm, record))
    return out


def _descendants(vm: dict[str, Any], snap_id: str) -> list[str]:
    children = [c["id"] for c in vm["checkpoints"] if c.get("parent_id") == snap_id]
    found = list(children)
    for child in children:
        found.extend(_descendants(vm, child))
    return found


@cmdlet(
    "Remove-VMSnapshot",
    Param("VMName", type="string[]", position=0),
    Param("Name", type="string[]", position=1),
    Param("VMSnapshot", type="object[]", from_pipeline=True, aliases=("VMCheckpoint",)),
    Param("IncludeAllChildSnapshots", type="switch", aliases=("IncludeAllChildCheckpoints",)),
    Param("Passthru", type="switch"),
    summary="Delete checkpoints by VM and name (wildcards) or piped snapshot objects.",
    not_modelled="-AsJob, -ComputerName, -CimSession, -Credential, -WhatIf, -Confirm",
    mutates=True, aliases=("Remove-VMCheckpoint",), area="Hyper-V",
)
def remove_vm_snapshot(inv: Invocation) -> list[PSObject]:
    """Delete the chosen checkpoints (children move up to the parent unless -IncludeAllChildSnapshots).

    Not modelled: -AsJob, -ComputerName, -CimSession, -Credential, -WhatIf/-Confirm; recovery points
    (they are managed by replication).
    """
    targets: list[tuple[dict[str, Any], str]] = []
    given = inv.get("VMSnapshot")
    if given is not None:
        from simulator.services.hyperv.state import find_vm_by_id  # noqa: PLC0415 - local use only

        for obj in given if isinstance(given, list) else [given]:
            vm = find_vm_by_id(inv.host, obj.hidden.get("vm_id", "")) if isinstance(obj, PSObject) else None
            if vm is None:
                raise hyperv_error("The checkpoint object does not belong to a virtual machine on this host",
                                   "InvalidParameter,Microsoft.HyperV.PowerShell.Commands.RemoveVMSnapshot",
                                   "InvalidArgument")
            targets.append((vm, obj.hidden["snapshot_id"]))
    else:
        names = inv.get("Name") or ["*"]
        for vm in resolve_vms(inv, "RemoveVMSnapshot", "VMName"):
            for pattern in names:
                matches = [c["id"] for c in vm["checkpoints"] if wildcard_match(pattern, c["name"])]
                if not matches and not has_wildcard(pattern):
                    inv.write_error(hyperv_error(
                        f"Hyper-V was unable to find a checkpoint with name \"{pattern}\".",
                        "InvalidParameter,Microsoft.HyperV.PowerShell.Commands.RemoveVMSnapshot", "InvalidArgument",
                        target=pattern))
                targets.extend((vm, snap_id) for snap_id in matches)
    touched = []
    for vm, snap_id in targets:
        if any(p["id"] == snap_id for p in (vm.get("replication") or {}).get("points", [])):
            raise NotModelledError("Remove-VMSnapshot of a replica recovery point")
        _remove_one(vm, snap_id, bool(inv.get("IncludeAllChildSnapshots")))
        if vm not in touched:
            touched.append(vm)
    if inv.get("Passthru"):
        from simulator.services.hyperv.objects import vm_object  # noqa: PLC0415 - local use only

        return [vm_object(inv.host, vm) for vm in touched]
    return []


def _remove_one(vm: dict[str, Any], snap_id: str, with_children: bool) -> None:
    snap = next((c for c in vm["checkpoints"] if c["id"] == snap_id), None)
    if snap is None:
        return
    doomed = {snap_id, *(_descendants(vm, snap_id) if with_children else [])}
    for child in vm["checkpoints"]:
        if child.get("parent_id") == snap_id and child["id"] not in doomed:
            child["parent_id"] = snap.get("parent_id")
    vm["checkpoints"] = [c for c in vm["checkpoints"] if c["id"] not in doomed]
    if vm.get("current_checkpoint") in doomed:
        vm["current_checkpoint"] = snap.get("parent_id") if snap.get("parent_id") not in doomed else None
