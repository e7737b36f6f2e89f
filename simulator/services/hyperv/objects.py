"""PowerShell objects of the Hyper-V module built from the plain state records.

VirtualMachine, VMSnapshot, HardDiskDrive and VHD objects; the replication objects live in
``replication_objects.py``. Each object carries the record's ids in ``hidden`` so cmdlets that take
pipeline input can find the record again.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from simulator.ps.objects import PSObject
from simulator.services.hyperv.health import health
from simulator.services.hyperv.state import (
    CHECKPOINT_TYPE,
    NS,
    REPLICATION_HEALTH,
    REPLICATION_MODE,
    REPLICATION_STATE,
    SNAPSHOT_TYPE,
    TABLE_VIEWS,
    VM_STATE,
    now,
    parse_time,
)

if TYPE_CHECKING:
    from simulator.core.host import Host

VM_TYPE = f"{NS}.VirtualMachine"
SNAPSHOT_OBJECT_TYPE = f"{NS}.VMSnapshot"
DISK_TYPE = f"{NS}.HardDiskDrive"
VHD_TYPE = f"{NS}.VirtualHardDisk"
VERSION_BY_OS = {"2016": "8.0", "2019": "9.0", "2022": "10.0"}


def hard_drive_object(host: Host, vm: dict[str, Any], index: int) -> PSObject:
    """A ``HardDiskDrive`` (SCSI for generation 2, IDE for generation 1)."""
    disk = vm["disks"][index]
    controller = "SCSI" if vm["generation"] == 2 else "IDE"
    return PSObject(DISK_TYPE, {
        "VMName": vm["name"], "VMId": vm["id"], "ControllerType": controller, "ControllerNumber": 0,
        "ControllerLocation": index, "Path": disk["path"], "DiskNumber": None,
        "Name": f"Hard Drive on {controller} controller number 0 at location {index}",
        "ComputerName": host.info["name"], "IsDeleted": False,
    }, default_display=["VMName", "ControllerType", "ControllerNumber", "ControllerLocation", "DiskNumber", "Path"],
        to_string="HardDiskDrive", hidden={"vm_id": vm["id"], "disk_index": index})


def vhd_object(host: Host, vm: dict[str, Any] | None, disk: dict[str, Any]) -> PSObject:
    """A ``VirtualHardDisk`` (Get-VHD): sizes from the real sparse file."""
    real = host.real_path(disk["path"])
    used = real.stat().st_blocks * 512 if real.exists() else 0
    return PSObject(VHD_TYPE, {
        "ComputerName": host.info["name"], "Path": disk["path"], "VhdFormat": "VHDX", "VhdType": "Dynamic",
        "FileSize": used, "Size": disk["size_bytes"], "MinimumSize": disk["size_bytes"],
        "LogicalSectorSize": 512, "PhysicalSectorSize": 4096, "BlockSize": 33554432, "ParentPath": "",
        "DiskIdentifier": disk.get("id", ""), "Attached": vm is not None and vm["state"] == "Running",
    }, default_display=["ComputerName", "Path", "VhdFormat", "VhdType", "FileSize", "Size"],
        to_string="Microsoft.Vhd.PowerShell.VirtualHardDisk")


def vm_object(host: Host, vm: dict[str, Any]) -> PSObject:
    """The ``Microsoft.HyperV.PowerShell.VirtualMachine`` object."""
    rep = vm.get("replication")
    running = vm["state"] == "Running"
    started = parse_time(vm.get("started_at"))
    uptime = (now(host) - started) if running and started else dt.timedelta(0)
    uptime = dt.timedelta(seconds=int(uptime.total_seconds()))
    parent = next((c for c in vm["checkpoints"] if c["id"] == vm.get("current_checkpoint")), None)
    rep_state = rep["state"] if rep and rep["mode"] != "TestReplica" else "Disabled"
    props = {
        "Name": vm["name"], "Id": vm["id"], "VMName": vm["name"], "VMId": vm["id"],
        "State": VM_STATE(vm["state"]), "Status": "Operating normally", "CPUUsage": 0,
        "MemoryAssigned": vm["memory_mb"] * 1024 * 1024 if running else 0,
        "MemoryStartup": vm["memory_mb"] * 1024 * 1024, "Uptime": uptime,
        "Version": VERSION_BY_OS.get(host.os_version, "8.0"), "Generation": vm["generation"],
        "ReplicationState": REPLICATION_STATE(rep_state),
        "ReplicationHealth": REPLICATION_HEALTH(health(vm["name"], rep, now(host))),
        "ReplicationMode": REPLICATION_MODE(rep["mode"] if rep else "None"),
        "CheckpointType": CHECKPOINT_TYPE(vm.get("checkpoint_type", "Production")),
        "ParentSnapshotId": parent["id"] if parent else None,
        "ParentSnapshotName": parent["name"] if parent else None,
        "Path": vm["path"], "ConfigurationLocation": vm["path"], "SnapshotFileLocation": vm["path"],
        "HardDrives": [hard_drive_object(host, vm, i) for i in range(len(vm["disks"]))],
        "NetworkAdapters": [], "IsClustered": False, "ComputerName": host.info["name"], "IsDeleted": False,
    }
    return PSObject(VM_TYPE, props, to_string=f"VirtualMachine (Name = '{vm['name']}') [Id = '{vm['id']}']",
                    default_display=["Name", "State", "CPUUsage", "MemoryAssigned", "Uptime", "Status", "Version"],
                    hidden={"vm_id": vm["id"], "table_view": TABLE_VIEWS["VirtualMachine"]})


def snapshot_object(host: Host, vm: dict[str, Any], snap: dict[str, Any]) -> PSObject:
    """A ``VMSnapshot`` (a checkpoint, or a recovery point of a replica VM)."""
    parent = next((c for c in vm["checkpoints"] if c["id"] == snap.get("parent_id")), None)
    return PSObject(SNAPSHOT_OBJECT_TYPE, {
        "Name": snap["name"], "Id": snap["id"], "VMName": vm["name"], "VMId": vm["id"],
        "SnapshotType": SNAPSHOT_TYPE(snap.get("type", "Standard")),
        "CreationTime": parse_time(snap["created"]),
        "ParentSnapshotId": parent["id"] if parent else None,
        "ParentSnapshotName": parent["name"] if parent else None,
        "IsAutomaticCheckpoint": False, "State": VM_STATE(snap.get("vm_state", "Off")),
        "Path": vm["path"], "ComputerName": host.info["name"], "IsDeleted": False,
    }, default_display=["VMName", "Name", "SnapshotType", "CreationTime", "ParentSnapshotName"],
        to_string=snap["name"], hidden={"vm_id": vm["id"], "snapshot_id": snap["id"]})
