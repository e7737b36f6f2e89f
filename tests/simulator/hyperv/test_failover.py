"""Failover: planned failover and reverse (§2.4), test failover, recovery points restored byte for byte."""

from __future__ import annotations

from typing import Any

import pytest

from simulator.core.errors import SimError
from simulator.services.hyperv import read_guest_data, write_guest_data
from simulator.services.hyperv.scheduler import run_due
from simulator.services.hyperv.state import find_vm
from tests.simulator.hyperv.conftest import PRIMARY_FQDN, REPLICA_FQDN, Pair
from tests.simulator.hyperv.helpers import FakeSession, call
from tests.simulator.hyperv.test_replication_flow import rep_state

MIB = 1024 * 1024


def replicating(pair: Pair, **extra: Any) -> None:
    pair.enable(ReplicationFrequencySec=300, **extra)
    call(pair.primary, "Start-VMInitialReplication", VMName=["VM01"])


def test_planned_failover_and_reverse(pair: Pair) -> None:
    replicating(pair)
    write_guest_data(pair.primary, "VM01", 0, b"last write before failover")
    with pytest.raises(SimError, match="must be turned off"):
        call(pair.primary, "Start-VMFailover", VMName=["VM01"], Prepare=True)
    call(pair.primary, "Stop-VM", Name=["VM01"])
    call(pair.primary, "Start-VMFailover", VMName=["VM01"], Prepare=True)
    assert rep_state(pair.primary)[0] == "PreparedForFailover"
    assert rep_state(pair.replica)[0] == "Replicating"
    assert read_guest_data(pair.replica, "VM01", 0, 26) == b"last write before failover"
    session = FakeSession()
    call(pair.primary, "Start-VM", session, Name=["VM01"])
    vm = find_vm(pair.primary, "VM01")
    assert session.errors and vm is not None and vm["state"] == "Off"
    call(pair.replica, "Start-VMFailover", VMName=["VM01"])
    assert rep_state(pair.replica)[0] == "FailedOverWaitingCompletion"
    assert rep_state(pair.primary)[0] == "PreparedForFailover"
    call(pair.replica, "Set-VMReplication", VMName=["VM01"], Reverse=True)
    call(pair.replica, "Start-VM", Name=["VM01"])
    assert rep_state(pair.replica)[:2] == ("Replicating", "Primary")
    assert rep_state(pair.primary)[:2] == ("Replicating", "Replica")
    [info] = call(pair.replica, "Get-VMReplication", VMName=["VM01"])
    assert info.get("PrimaryServerName") == REPLICA_FQDN and info.get("ReplicaServerName") == PRIMARY_FQDN
    write_guest_data(pair.replica, "VM01", MIB, b"written on the new primary")
    pair.replica.clock.advance(300)
    assert run_due(pair.replica)["sent"] == 1
    assert read_guest_data(pair.primary, "VM01", MIB, 26) == b"written on the new primary"


def test_a_prepare_that_cannot_reach_the_replica_keeps_the_pending_changes(pair: Pair) -> None:
    """-Prepare fails while the replica is unreachable; the next -Prepare still sends the write it carried."""
    replicating(pair)
    call(pair.primary, "Stop-VM", Name=["VM01"])
    write_guest_data(pair.primary, "VM01", 3 * MIB, b"pending when the network dropped")
    pair.lab.cut = True
    with pytest.raises(SimError) as info:
        call(pair.primary, "Start-VMFailover", VMName=["VM01"], Prepare=True)
    assert info.value.message.startswith("'VM01' failed to prepare for planned failover.")
    assert "(0x00002EFD)" in info.value.message
    assert rep_state(pair.primary)[0] == "Replicating"
    assert read_guest_data(pair.replica, "VM01", 3 * MIB, 32) == bytes(32)
    pair.lab.cut = False
    call(pair.primary, "Start-VMFailover", VMName=["VM01"], Prepare=True)
    assert rep_state(pair.primary)[0] == "PreparedForFailover"
    assert read_guest_data(pair.replica, "VM01", 3 * MIB, 32) == b"pending when the network dropped"


def test_cancel_prepare_on_primary(pair: Pair) -> None:
    replicating(pair)
    call(pair.primary, "Stop-VM", Name=["VM01"])
    call(pair.primary, "Start-VMFailover", VMName=["VM01"], Prepare=True)
    call(pair.primary, "Stop-VMFailover", VMName=["VM01"])
    assert rep_state(pair.primary)[0] == "Replicating"
    call(pair.primary, "Start-VM", Name=["VM01"])


def test_unplanned_failover_then_reverse_needs_initial_replication(pair: Pair) -> None:
    replicating(pair)
    call(pair.primary, "Stop-VM", Name=["VM01"])
    write_guest_data(pair.primary, "VM01", 2 * MIB, b"lost in the disaster")
    call(pair.replica, "Start-VMFailover", VMName=["VM01"])
    call(pair.replica, "Complete-VMFailover", VMName=["VM01"])
    assert rep_state(pair.replica)[0] == "FailedOver"
    call(pair.replica, "Set-VMReplication", VMName=["VM01"], Reverse=True)
    assert rep_state(pair.replica)[:2] == ("ReadyForInitialReplication", "Primary")
    assert rep_state(pair.primary)[:2] == ("WaitingForInitialReplication", "Replica")
    call(pair.replica, "Start-VMInitialReplication", VMName=["VM01"])
    assert read_guest_data(pair.primary, "VM01", 2 * MIB, 20) == bytes(20)


def test_test_failover_creates_and_removes_test_vm(pair: Pair) -> None:
    replicating(pair)
    write_guest_data(pair.primary, "VM01", 0, b"visible in the test VM")
    pair.primary.clock.advance(300)
    run_due(pair.primary)
    call(pair.replica, "Start-VMFailover", VMName=["VM01"], AsTest=True)
    [test_vm] = call(pair.replica, "Get-VM", Name=["VM01 - Test"])
    assert test_vm.get("ReplicationMode") == "TestReplica"
    assert read_guest_data(pair.replica, "VM01 - Test", 0, 22) == b"visible in the test VM"
    assert rep_state(pair.replica)[0] == "Replicating"
    [info] = call(pair.replica, "Get-VMReplication", VMName=["VM01"])
    assert info.get("TestVirtualMachine") == "VM01 - Test"
    with pytest.raises(SimError, match="already in progress"):
        call(pair.replica, "Start-VMFailover", VMName=["VM01"], AsTest=True)
    call(pair.replica, "Stop-VMFailover", VMName=["VM01"])
    assert call(pair.replica, "Get-VM", Name=["VM01*"])[0].get("Name") == "VM01"
    assert len(call(pair.replica, "Get-VM")) == 1


def test_recovery_points_hourly_and_byte_exact_failover(pair: Pair) -> None:
    replicating(pair, RecoveryHistory=3)
    contents = []
    for hour in range(5):
        data = f"hour {hour}".encode() * 1000
        write_guest_data(pair.primary, "VM01", 0, data)
        write_guest_data(pair.primary, "VM01", 9 * MIB + hour * 70000, b"x" * 5000)
        pair.primary.clock.advance(3600)
        run_due(pair.primary)
        contents.append(read_guest_data(pair.primary, "VM01", 0, 10 * MIB))
    points = call(pair.replica, "Get-VMSnapshot", VMName=["VM01"], SnapshotType="Replica")
    assert len(points) == 3
    assert all(p.get("SnapshotType").value == 6 for p in points)
    # a point is taken at each hourly cycle: the three kept hold the state after hours 2, 3 and 4's changes
    oldest = points[0]
    call(pair.replica, "Start-VMFailover", VMRecoverySnapshot=oldest)
    assert read_guest_data(pair.replica, "VM01", 0, 10 * MIB) == contents[2]
    call(pair.replica, "Stop-VMFailover", VMName=["VM01"])
    assert read_guest_data(pair.replica, "VM01", 0, 10 * MIB) == contents[-1]
    call(pair.replica, "Start-VMFailover", VMRecoverySnapshot=points[1])
    assert read_guest_data(pair.replica, "VM01", 0, 10 * MIB) == contents[3]
    call(pair.replica, "Complete-VMFailover", VMName=["VM01"])
    assert call(pair.replica, "Get-VMSnapshot", VMName=["VM01"], SnapshotType="Replica") == []
    assert read_guest_data(pair.replica, "VM01", 0, 10 * MIB) == contents[3]


def test_stop_failover_discards_writes_made_on_the_failed_over_replica(pair: Pair) -> None:
    replicating(pair)
    write_guest_data(pair.primary, "VM01", 0, b"replicated")
    pair.primary.clock.advance(300)
    run_due(pair.primary)
    before = read_guest_data(pair.replica, "VM01", 0, 2 * MIB)
    call(pair.replica, "Start-VMFailover", VMName=["VM01"])
    call(pair.replica, "Start-VM", Name=["VM01"])
    write_guest_data(pair.replica, "VM01", 100, b"written while failed over" * 5000)
    call(pair.replica, "Stop-VMFailover", VMName=["VM01"])
    assert read_guest_data(pair.replica, "VM01", 0, 2 * MIB) == before
    assert rep_state(pair.replica)[0] == "Replicating"


def test_lowering_recovery_history_drops_old_points(pair: Pair) -> None:
    replicating(pair, RecoveryHistory=3)
    for _ in range(3):
        pair.primary.clock.advance(3600)
        run_due(pair.primary)
    assert len(call(pair.replica, "Get-VMSnapshot", VMName=["VM01"], SnapshotType="Replica")) == 3
    call(pair.primary, "Set-VMReplication", VMName=["VM01"], RecoveryHistory=0)
    pair.primary.clock.advance(300)
    run_due(pair.primary)
    assert call(pair.replica, "Get-VMSnapshot", VMName=["VM01"], SnapshotType="Replica") == []
    rp_folder = pair.replica.real_path(pair.replica.state["hyperv"]["vms"][0]["disks"][0]["path"]).parent
    assert not any(p.suffix == ".undo" for p in rp_folder.rglob("*"))
