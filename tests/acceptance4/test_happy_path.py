"""Issue 4, the happy path through pywinrm only: enable, initial replication, planned failover, reverse, test failover.

States, modes and health are asserted on both hosts at every step against the fact sheet's table (§2.4).
"""

from __future__ import annotations

import base64

import pytest

from tests.acceptance4.checks import assert_error, assert_event, enable, replication, vm_names, vm_status
from tests.acceptance4.lab import PRIMARY, PRIMARY_FQDN, REPLICA, REPLICA_FQDN, STORAGE, Lab

pytestmark = pytest.mark.slow  # a two-process lab behind every test

DISK_HASH = "Get-FileHash -Path (Get-VMHardDiskDrive -VMName VM01).Path | Select-Object -ExpandProperty Hash"


def _replicate(lab: Lab) -> None:
    assert enable(lab).status == 0
    lab.ok(PRIMARY, "Start-VMInitialReplication -VMName VM01")


def test_enable_and_initial_replication(lab: Lab) -> None:
    """Disabled -> ReadyForInitialReplication/Warning (replica waiting) -> Replicating/Normal on both sides."""
    assert vm_status(lab, PRIMARY) == ("Running", "Disabled", "NotApplicable", "None")
    assert "VM01" not in vm_names(lab, REPLICA)
    result = enable(lab)
    assert result.status == 0, result.err
    assert vm_status(lab, PRIMARY)[1:] == ("ReadyForInitialReplication", "Warning", "Primary")
    assert vm_status(lab, REPLICA)[1:][0::2] == ("WaitingForInitialReplication", "Replica")
    lab.ok(PRIMARY, "Start-VMInitialReplication -VMName VM01")
    assert vm_status(lab, PRIMARY)[1:] == ("Replicating", "Normal", "Primary")
    assert vm_status(lab, REPLICA)[0] == "Off"
    assert vm_status(lab, REPLICA)[1:][0::2] == ("Replicating", "Replica")
    shown = replication(lab, PRIMARY)
    assert (shown["PrimaryServerName"].lower(), shown["ReplicaServerName"].lower()) == (PRIMARY_FQDN, REPLICA_FQDN)


def test_planned_failover_and_reverse(lab: Lab) -> None:
    """Stop-VM, -Prepare on A, failover on B, -Reverse, Start-VM: B is primary, A replica, both Replicating; then a
    test failover on A, the replica of the reversed direction."""
    _replicate(lab)
    lab.ok(PRIMARY, "Stop-VM -Name VM01 -Force")
    lab.ok(PRIMARY, "Start-VMFailover -VMName VM01 -Prepare -Confirm:$false")
    assert vm_status(lab, PRIMARY)[1] == "PreparedForFailover"
    assert vm_status(lab, REPLICA)[1] == "Replicating"
    started = lab.ps(PRIMARY, "Start-VM -Name VM01")
    assert started.status == 1, "a primary prepared for failover must not start"
    lab.ok(REPLICA, "Start-VMFailover -VMName VM01 -Confirm:$false")
    assert vm_status(lab, REPLICA)[1] == "FailedOverWaitingCompletion"
    assert vm_status(lab, PRIMARY)[1] == "PreparedForFailover"
    lab.ok(REPLICA, "Set-VMReplication -VMName VM01 -Reverse -Confirm:$false")
    assert vm_status(lab, REPLICA)[3] == "Primary"
    assert vm_status(lab, PRIMARY)[3] == "Replica"
    lab.ok(REPLICA, "Start-VM -Name VM01")
    assert vm_status(lab, REPLICA) == ("Running", "Replicating", "Normal", "Primary")
    assert vm_status(lab, PRIMARY)[1:][0::2] == ("Replicating", "Replica")
    shown = replication(lab, REPLICA)
    assert (shown["PrimaryServerName"].lower(), shown["ReplicaServerName"].lower()) == (REPLICA_FQDN, PRIMARY_FQDN)
    lab.advance(900)
    assert vm_status(lab, REPLICA)[1:] == ("Replicating", "Normal", "Primary")
    counts = lab.ok(REPLICA, "(Measure-VMReplication -VMName VM01).SuccessfulReplicationCount")
    assert int(counts) >= 1, "cycles run the other way after the reverse"
    lab.ok(PRIMARY, "Start-VMFailover -VMName VM01 -AsTest -Confirm:$false")  # the original primary is the replica now
    assert vm_status(lab, PRIMARY, "VM01 - Test")[3] == "TestReplica"
    assert "VM01 - Test" not in vm_names(lab, REPLICA)
    assert vm_status(lab, PRIMARY)[1] == "Replicating"
    lab.ok(PRIMARY, "Stop-VMFailover -VMName VM01 -Confirm:$false")
    assert "VM01 - Test" not in vm_names(lab, PRIMARY)


def test_test_failover(lab: Lab) -> None:
    """Start-VMFailover -AsTest on the replica makes 'VM01 - Test'; replication goes on; Stop-VMFailover removes it."""
    _replicate(lab)
    lab.ok(REPLICA, "Start-VMFailover -VMName VM01 -AsTest -Confirm:$false")
    assert "VM01 - Test" in vm_names(lab, REPLICA)
    assert vm_status(lab, REPLICA, "VM01 - Test")[3] == "TestReplica"
    assert vm_status(lab, REPLICA)[1] == "Replicating"
    assert vm_status(lab, PRIMARY)[1:] == ("Replicating", "Normal", "Primary")
    second = lab.ps(REPLICA, "Start-VMFailover -VMName VM01 -AsTest -Confirm:$false")
    assert second.status == 1, "only one test failover per replica VM at a time"
    lab.ok(REPLICA, "Stop-VMFailover -VMName VM01 -Confirm:$false")
    assert "VM01 - Test" not in vm_names(lab, REPLICA)
    assert vm_status(lab, REPLICA)[1] == "Replicating"


def test_prepare_sends_pending_changes(lab: Lab) -> None:
    """A guest write not yet replicated reaches the replica through -Prepare: the failed-over disk is identical."""
    _replicate(lab)
    lab.control(PRIMARY, "replication/guest/write", {"vm": "VM01", "offset": 8192,
                                                     "data_base64": base64.b64encode(b"last words " * 200).decode()})
    assert lab.ok(PRIMARY, DISK_HASH) != lab.ok(REPLICA, DISK_HASH), "the write is still pending"
    lab.ok(PRIMARY, "Stop-VM -Name VM01 -Force")
    lab.ok(PRIMARY, "Start-VMFailover -VMName VM01 -Prepare -Confirm:$false")
    lab.ok(REPLICA, "Start-VMFailover -VMName VM01 -Confirm:$false")
    assert lab.ok(REPLICA, DISK_HASH) == lab.ok(PRIMARY, DISK_HASH)


def test_reverse_needs_authorization_on_original_primary(lab: Lab) -> None:
    """-Reverse is refused (0x80070005, event on the original primary) until that host authorizes the replica."""
    _replicate(lab)
    lab.ok(PRIMARY, f"Remove-VMReplicationAuthorizationEntry -AllowedPrimaryServer '{REPLICA_FQDN}'")
    lab.ok(PRIMARY, "Stop-VM -Name VM01 -Force")
    lab.ok(PRIMARY, "Start-VMFailover -VMName VM01 -Prepare -Confirm:$false")
    lab.ok(REPLICA, "Start-VMFailover -VMName VM01 -Confirm:$false")
    refused = lab.ps(REPLICA, "Set-VMReplication -VMName VM01 -Reverse -Confirm:$false")
    assert_error(refused, "0x80070005", "E_ACCESSDENIED,Microsoft.HyperV.PowerShell.Commands.SetVMReplication",
                 "not authorized")
    assert_event(lab, PRIMARY, {29232}, REPLICA_FQDN)
    assert vm_status(lab, REPLICA)[1:] == ("FailedOverWaitingCompletion", "Warning", "Replica")
    lab.ok(PRIMARY, f"New-VMReplicationAuthorizationEntry -AllowedPrimaryServer '{REPLICA_FQDN}' "
                    f"-ReplicaStorageLocation {STORAGE} -TrustGroup lab | Out-Null")
    lab.ok(REPLICA, "Set-VMReplication -VMName VM01 -Reverse -Confirm:$false")
    assert vm_status(lab, REPLICA)[3] == "Primary"
