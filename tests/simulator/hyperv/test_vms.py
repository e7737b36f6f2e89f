"""VMs and checkpoints: Get-VM lookups and errors, start/stop, disks as sparse files, checkpoint naming."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from simulator.core.errors import SimError
from simulator.core.host import Host
from simulator.services.hyperv.state import find_vm
from tests.simulator.hyperv.conftest import make_hv_host
from tests.simulator.hyperv.helpers import FakeSession, call

TOPOLOGY = {
    "name": "Hyper-v-prim",
    "vms": [
        {"name": "VM01", "generation": 2, "state": "Running", "disks": [{"name": "VM01.vhdx", "size_mb": 64}]},
        {"name": "VM02", "generation": 1, "state": "Off", "disks": [{"name": "VM02.vhdx", "size_mb": 8}],
         "checkpoints": [{"name": "before-update"}]},
        {"name": "Web01", "state": "Off"},
    ],
}


def vm_state(host: Host, name: str) -> str:
    vm = find_vm(host, name)
    assert vm is not None
    return str(vm["state"])


@pytest.fixture(name="host")
def _host(tmp_path: Path) -> Host:
    return make_hv_host(tmp_path / "h", TOPOLOGY)


def test_get_vm_by_name_wildcard_and_enums(host: Host) -> None:
    [vm] = call(host, "Get-VM", Name=["vm01"])
    assert vm.get("Name") == "VM01"
    assert vm.get("State") == "Running" and vm.get("State").value == 2
    assert vm.get("ReplicationState").value == 0 and vm.get("ReplicationMode") == "None"
    assert vm.get("ReplicationHealth") == "NotApplicable"
    names = [v.get("Name") for v in call(host, "Get-VM", Name=["VM*"])]
    assert names == ["VM01", "VM02"]
    assert len(call(host, "Get-VM")) == 3
    assert call(host, "Get-VM", Name=["Nothing*"]) == []
    [by_id] = call(host, "Get-VM", Id=vm.get("Id"))
    assert by_id.get("Name") == "VM01"


def test_get_vm_unknown_name_is_windows_error(host: Host) -> None:
    session = FakeSession()
    assert call(host, "Get-VM", session, Name=["Missing", "VM02"])[0].get("Name") == "VM02"
    [error] = session.errors
    assert error.message == 'Hyper-V was unable to find a virtual machine with name "Missing".'
    assert error.fully_qualified_error_id == "InvalidParameter,Microsoft.HyperV.PowerShell.Commands.GetVM"


def test_disks_are_sparse_files_of_full_size(host: Host) -> None:
    path = host.real_path("C:\\Hyper-V\\Virtual Hard Disks\\VM01.vhdx")
    assert path.stat().st_size == 64 * 1024 * 1024
    assert path.stat().st_blocks * 512 < 1024 * 1024
    [drive] = call(host, "Get-VMHardDiskDrive", VMName=["VM01"])
    assert drive.get("Path") == "C:\\Hyper-V\\Virtual Hard Disks\\VM01.vhdx"
    assert drive.get("ControllerType") == "SCSI"
    [vhd] = call(host, "Get-VHD", Path=[drive.get("Path")])
    assert vhd.get("Size") == 64 * 1024 * 1024


def test_start_stop(host: Host) -> None:
    call(host, "Stop-VM", Name=["VM01"], TurnOff=True)
    assert vm_state(host, "VM01") == "Off"
    [vm] = call(host, "Start-VM", Name=["VM01"], Passthru=True)
    assert vm.get("State") == "Running"
    [piped] = call(host, "Get-VM", Name=["VM02"])
    call(host, "Start-VM", VM=[piped])
    assert vm_state(host, "VM02") == "Running"


def test_checkpoint_default_name_and_remove_with_children(host: Host) -> None:
    host.clock.advance(0)
    [snap] = call(host, "Checkpoint-VM", Name=["VM01"], Passthru=True)
    assert re.fullmatch(r"VM01 - \(\d{1,2}/\d{1,2}/\d{4} - \d{1,2}:\d{2}:\d{2} [AP]M\)", snap.get("Name"))
    call(host, "Checkpoint-VM", Name=["VM01"], SnapshotName="child")
    names = [s.get("Name") for s in call(host, "Get-VMSnapshot", VMName=["VM01"])]
    assert names[1] == "child"
    [child] = call(host, "Get-VMSnapshot", VMName=["VM01"], Name="child")
    assert child.get("ParentSnapshotName") == snap.get("Name")
    call(host, "Remove-VMSnapshot", VMName=["VM01"], Name=[snap.get("Name")], IncludeAllChildSnapshots=True)
    assert call(host, "Get-VMSnapshot", VMName=["VM01"]) == []


def test_remove_checkpoint_reparents_children(host: Host) -> None:
    call(host, "Checkpoint-VM", Name=["VM02"], SnapshotName="second")
    call(host, "Remove-VMSnapshot", VMName=["VM02"], Name=["before-*"])
    [left] = call(host, "Get-VMSnapshot", VMName=["VM02"])
    assert left.get("Name") == "second" and left.get("ParentSnapshotId") is None
    with pytest.raises(SimError, match="unable to find a checkpoint"):
        call(host, "Get-VMSnapshot", VMName=["VM02"], Name="gone")
