"""Virtual machines: seeding from the topology, Get-VM, Start-VM, Stop-VM, Get-VMHardDiskDrive, Get-VHD."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from simulator.core.errors import NotModelledError, SimError
from simulator.ps.api import Invocation, Param, cmdlet
from simulator.ps.objects import PSObject
from simulator.services.hyperv.disks import create_sparse
from simulator.services.hyperv.objects import hard_drive_object, vhd_object, vm_object
from simulator.services.hyperv.state import (
    DEFAULT_VHD_FOLDER,
    find_vm_by_id,
    hyperv_error,
    iso,
    new_guid,
    new_vm_record,
    now,
    select_vms,
    vm_not_found,
    vms,
)

if TYPE_CHECKING:
    from simulator.core.host import Host

log = logging.getLogger(__name__)

VM_PIPELINE = Param("VM", type="object[]", from_pipeline=True)
# Documented on the replication cmdlets but not modelled: declared so the binder accepts them as Windows does,
# then refused by :func:`refuse_unmodelled` (never "A parameter cannot be found", which Windows would not say).
REMOTING = (Param("ComputerName", type="string[]"), Param("CimSession", type="object[]"),
            Param("Credential", type="object[]"))
AS_JOB = Param("AsJob", type="switch")
UNMODELLED_NAMES = ("AsJob", "ComputerName", "CimSession", "Credential")
# ASSUMPTION: wrong-state refusals carry ERROR_INVALID_STATE (5023) as HRESULT; Windows' exact code is unconfirmed.
E_INVALID_STATE = 0x8007139F


def refuse_unmodelled(inv: Invocation) -> None:
    """Fail loudly when a documented but unmodelled parameter (background job, remote host) was given."""
    for name in UNMODELLED_NAMES:
        if inv.get(name) not in (None, False):
            raise NotModelledError(f"{inv.name} -{name}")


def seed_vms(host: Host, topology: dict[str, Any]) -> None:
    """Create the topology's VMs with their sparse VHD files and checkpoints."""
    for spec in topology.get("vms", []) or []:
        vm = new_vm_record(spec["name"], spec.get("generation", 2), spec.get("state", "Off"),
                           spec.get("memory_mb", 1024))
        if vm["state"] == "Running":
            vm["started_at"] = iso(now(host))
        for disk in spec.get("disks", []) or []:
            path = disk.get("path") or f"{DEFAULT_VHD_FOLDER}\\{disk['name']}"
            size = int(disk.get("size_mb", 64)) * 1024 * 1024
            create_sparse(host.real_path(path), size)
            vm["disks"].append({"name": disk.get("name") or path.rsplit("\\", 1)[-1], "path": path,
                                "size_bytes": size, "id": new_guid()})
        for checkpoint in spec.get("checkpoints", []) or []:
            record = {"id": new_guid(), "name": checkpoint["name"], "type": "Standard", "created": iso(now(host)),
                      "parent_id": vm.get("current_checkpoint"), "vm_state": vm["state"]}
            vm["checkpoints"].append(record)
            vm["current_checkpoint"] = record["id"]
        vms(host).append(vm)


def resolve_vms(inv: Invocation, command: str, name_param: str = "Name", object_param: str = "VM",
                *, write_errors: bool = True) -> list[dict[str, Any]]:
    """The VM records a cmdlet targets: piped/given VM objects, else names (wildcards), else all."""
    given = inv.get(object_param)
    if given is not None:
        objects = given if isinstance(given, list) else [given]
        found: list[dict[str, Any]] = []
        for obj in objects:
            vm_id = obj.hidden.get("vm_id") if isinstance(obj, PSObject) else None
            vm = find_vm_by_id(inv.host, vm_id) if vm_id else None
            if vm is None:
                raise vm_not_found(str(obj.get("Name") if isinstance(obj, PSObject) else obj), command)
            found.append(vm)
        return found
    names = inv.get(name_param)
    if isinstance(names, str):
        names = [names]
    return select_vms(inv.host, names, command, inv.write_error if write_errors else None)


def by_wildcard(inv: Invocation, name_param: str = "VMName") -> bool:
    """Whether the VMs were chosen by a wildcard name (``*``): cmdlets then skip VMs they do not apply to."""
    names = inv.get(name_param)
    names = [names] if isinstance(names, str) else names or []
    return any(any(c in str(n) for c in "*?[") for n in names)


def vm_state_error(vm: dict[str, Any], operation: str, command: str) -> SimError:
    """Hyper-V's refusal of an operation in the VM's current state."""
    return hyperv_error(
        f"'{vm['name']}' failed to {operation}. The operation cannot be performed while the virtual machine is "
        "in its current state", f"InvalidState,Microsoft.HyperV.PowerShell.Commands.{command}",
        hresult=E_INVALID_STATE, target=vm["name"])


@cmdlet(
    "Get-VM",
    Param("Name", type="string[]", position=0, aliases=("VMName",)),
    Param("Id", type="string"),
    summary="List virtual machines by name (wildcards) or Id.",
    not_modelled="-ComputerName, -CimSession, -Credential, -ClusterObject",
    area="Hyper-V",
)
def get_vm(inv: Invocation) -> list[PSObject]:
    """Return VirtualMachine objects; a literal name that matches nothing is Windows' "unable to find" error.

    Not modelled: -ComputerName, -CimSession, -Credential, -ClusterObject.
    """
    if inv.has("Id"):
        vm = find_vm_by_id(inv.host, str(inv.get("Id")))
        if vm is None:
            raise hyperv_error(f'Hyper-V was unable to find a virtual machine with id "{inv.get("Id")}".',
                               "InvalidParameter,Microsoft.HyperV.PowerShell.Commands.GetVM", "InvalidArgument")
        return [vm_object(inv.host, vm)]
    return [vm_object(inv.host, vm) for vm in resolve_vms(inv, "GetVM")]


@cmdlet(
    "Start-VM",
    Param("Name", type="string[]", position=0, aliases=("VMName",)),
    VM_PIPELINE,
    Param("Passthru", type="switch"),
    summary="Start virtual machines (refused for replica VMs and primaries prepared for failover).",
    not_modelled="-AsJob, -ComputerName, -CimSession, -Credential, -WhatIf, -Confirm",
    mutates=True, area="Hyper-V",
)
def start_vm(inv: Invocation) -> list[PSObject]:
    """Start each VM that is Off; a replica VM can start only after failover.

    Not modelled: -AsJob, -ComputerName, -CimSession, -Credential, -WhatIf/-Confirm.
    """
    out = []
    for vm in resolve_vms(inv, "StartVM"):
        rep = vm.get("replication")
        # ASSUMPTION: (§2.4) a replica VM before failover and a primary prepared for failover refuse to start
        # with VMMS's "invalid state" error.
        if rep and ((rep["mode"] == "Replica" and rep["state"] not in {"FailedOverWaitingCompletion", "FailedOver"})
                    or rep["state"] == "PreparedForFailover"):
            inv.write_error(vm_state_error(vm, "start", "StartVM"))
            continue
        if vm["state"] != "Running":
            vm["state"] = "Running"
            vm["started_at"] = iso(now(inv.host))
        if inv.get("Passthru"):
            out.append(vm_object(inv.host, vm))
    return out


@cmdlet(
    "Stop-VM",
    Param("Name", type="string[]", position=0, aliases=("VMName",)),
    VM_PIPELINE,
    Param("Force", type="switch"),
    Param("TurnOff", type="switch"),
    Param("Save", type="switch"),
    Param("Passthru", type="switch"),
    summary="Shut down (or turn off) virtual machines.",
    not_modelled="-Save, -AsJob, -ComputerName, -CimSession, -Credential, -WhatIf, -Confirm",
    mutates=True, area="Hyper-V",
)
def stop_vm(inv: Invocation) -> list[PSObject]:
    """Turn each running VM Off (shutdown and -TurnOff end the same way here; a VM already off is left alone).

    Not modelled: -Save (saved state), -AsJob, -ComputerName, -CimSession, -Credential, -WhatIf/-Confirm.
    """
    if inv.get("Save"):
        raise NotModelledError("Stop-VM -Save (saved state)")
    out = []
    for vm in resolve_vms(inv, "StopVM"):
        vm["state"] = "Off"
        vm["started_at"] = None
        if inv.get("Passthru"):
            out.append(vm_object(inv.host, vm))
    return out


@cmdlet(
    "Get-VMHardDiskDrive",
    Param("VMName", type="string[]", position=0, aliases=("Name",)),
    VM_PIPELINE,
    summary="List the virtual hard disk drives of virtual machines.",
    not_modelled="-ControllerType, -ControllerNumber, -ControllerLocation, -ComputerName, -CimSession",
    area="Hyper-V",
)
def get_vm_hard_disk_drive(inv: Invocation) -> list[PSObject]:
    """Return one HardDiskDrive per attached VHD.

    Not modelled: -ControllerType/-ControllerNumber/-ControllerLocation filters, -ComputerName, -CimSession.
    """
    return [hard_drive_object(inv.host, vm, i)
            for vm in resolve_vms(inv, "GetVMHardDiskDrive", "VMName") for i in range(len(vm["disks"]))]


@cmdlet(
    "Get-VHD",
    Param("Path", type="string[]", position=0, aliases=("FullName",)),
    Param("VMId", type="string"),
    summary="Describe virtual hard disk files by path or by VM id.",
    not_modelled="-DiskNumber, -ComputerName, -CimSession",
    area="Hyper-V",
)
def get_vhd(inv: Invocation) -> list[PSObject]:
    """Return VirtualHardDisk objects for known VHD paths (or every disk of a VM).

    Not modelled: -DiskNumber, -ComputerName, -CimSession; VHD files not attached to a VM.
    """
    out = []
    if inv.has("VMId"):
        vm = find_vm_by_id(inv.host, str(inv.get("VMId")))
        if vm is None:
            raise vm_not_found(str(inv.get("VMId")), "GetVHD")
        return [vhd_object(inv.host, vm, disk) for disk in vm["disks"]]
    for path in inv.get("Path") or []:
        owner = next(((vm, d) for vm in vms(inv.host) for d in vm["disks"] if d["path"].lower() == path.lower()),
                     None)
        if owner is None:
            if inv.host.real_path(path).exists():
                raise NotModelledError(f"Get-VHD of a file not attached to a virtual machine ({path})")
            inv.write_error(hyperv_error(f"The system cannot find the file specified. '{path}'",
                                         "ObjectNotFound,Microsoft.Vhd.PowerShell.Cmdlets.GetVHD",
                                         "ObjectNotFound", hresult=0x80070002, target=path))
            continue
        out.append(vhd_object(inv.host, owner[0], owner[1]))
    return out
