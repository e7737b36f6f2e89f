"""Issue 4, the replication cmdlets' documented parameters through pywinrm only.

Each test sets a parameter and reads back what Windows would show for it (Get-VMReplication, Get-VM,
Get-VMSnapshot, Measure-VMReplication) on the host where it matters; parameters the simulator does not
model must fail loudly as not modelled, never as unknown to Windows.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import time

import pytest

from tests.acceptance4.checks import assert_error, assert_event, enable, vm_names, vm_status
from tests.acceptance4.lab import PRIMARY, REPLICA, REPLICA_FQDN, Lab

pytestmark = pytest.mark.slow  # a two-process lab behind every test

FQID = "Microsoft.HyperV.PowerShell.Commands"
RESYNC_STARTED, RESYNC_COMPLETED = 29242, 29244
DISK_HASH = "(Get-FileHash -Path (Get-VMHardDiskDrive -VMName VM01).Path).Hash"


def _settings(lab: Lab, host: str, vm: str = "VM01") -> dict[str, object]:
    out = lab.ok(host, f"Get-VMReplication -VMName {vm} | Select-Object CompressionEnabled, ReplicateHostKvpItems, "
                       "BypassProxyServer, EnableWriteOrderPreservationAcrossDisks, VSSSnapshotFrequencyHour, "
                       "RecoveryHistory, ReplicationFrequencySec, AutoResynchronizeEnabled, CertificateThumbprint, "
                       "@{n='ResyncStart';e={$_.AutoResynchronizeIntervalStart.ToString()}}, "
                       "@{n='ResyncEnd';e={$_.AutoResynchronizeIntervalEnd.ToString()}} | ConvertTo-Json")
    found: dict[str, object] = json.loads(out)
    return found


def test_enable_every_setting_parameter_shows_on_both_sides(lab: Lab) -> None:
    """VM object from the pipeline, every setting parameter, -Passthru: Get-VMReplication shows what was asked."""
    out = lab.ok(PRIMARY, f"Get-VM -Name VM01 | Enable-VMReplication -ReplicaServerName '{REPLICA_FQDN}' "
                          f"-ReplicaServerPort 443 -AuthenticationType Certificate "
                          f"-CertificateThumbprint '{lab.thumbprints[PRIMARY]}' -CompressionEnabled $false "
                          "-ReplicateHostKvpItems $false -BypassProxyServer $true "
                          "-EnableWriteOrderPreservationAcrossDisks $true -VSSSnapshotFrequencyHour 2 "
                          "-RecoveryHistory 4 -ReplicationFrequencySec 900 -AutoResynchronizeEnabled $true "
                          "-AutoResynchronizeIntervalStart '20:00:00' -AutoResynchronizeIntervalEnd '05:30:00' "
                          "-Passthru "
                          "| Select-Object Name, @{n='State';e={$_.ReplicationState.ToString()}} | ConvertTo-Json")
    assert json.loads(out) == {"Name": "VM01", "State": "ReadyForInitialReplication"}
    assert _settings(lab, PRIMARY) == {
        "CompressionEnabled": False, "ReplicateHostKvpItems": False, "BypassProxyServer": True,
        "EnableWriteOrderPreservationAcrossDisks": True, "VSSSnapshotFrequencyHour": 2, "RecoveryHistory": 4,
        "ReplicationFrequencySec": 900, "AutoResynchronizeEnabled": True,
        "CertificateThumbprint": lab.thumbprints[PRIMARY], "ResyncStart": "20:00:00", "ResyncEnd": "05:30:00"}
    on_replica = _settings(lab, REPLICA)
    assert (on_replica["ReplicationFrequencySec"], on_replica["RecoveryHistory"],
            on_replica["VSSSnapshotFrequencyHour"]) == (900, 4, 2)
    lab.ok(PRIMARY, "Start-VMInitialReplication -VMName VM01")
    lab.advance(3 * 3600 + 60)
    kinds = lab.ok(REPLICA, "@(Get-VMSnapshot -VMName VM01 | ForEach-Object { $_.SnapshotType.ToString() }) -join ','")
    assert "AppConsistentReplica" in kinds.split(","), "VSS every 2 h gives app-consistent points"


def test_defaults_without_setting_parameters(lab: Lab) -> None:
    """A plain Enable-VMReplication: 5-minute frequency, no extra points, compression on, KVP items replicated."""
    assert enable(lab).status == 0
    shown = _settings(lab, PRIMARY)
    assert (shown["ReplicationFrequencySec"], shown["RecoveryHistory"], shown["CompressionEnabled"],
            shown["ReplicateHostKvpItems"], shown["AutoResynchronizeEnabled"]) == (300, 0, True, True, False)


@pytest.mark.parametrize("how", ["-ExcludedVhdPath (Get-VMHardDiskDrive -VMName VM03 | Select-Object -Last 1).Path",
                                 "-ExcludedVhd (Get-VMHardDiskDrive -VMName VM03 | Select-Object -Last 1)"])
def test_excluded_disks_are_not_replicated(lab: Lab, how: str) -> None:
    """VM03's second disk excluded (by path or by drive object): listed as excluded, absent on the replica."""
    result = enable(lab, "VM03", extra=how)
    assert result.status == 0, result.err
    shown = json.loads(lab.ok(PRIMARY, "Get-VMReplication -VMName VM03 | Select-Object ExcludedDisks, ReplicatedDisks "
                                       "| ConvertTo-Json"))
    assert [p.rsplit("\\", 1)[-1] for p in shown["ExcludedDisks"]] == ["VM03-paging.vhdx"]
    assert [p.rsplit("\\", 1)[-1] for p in shown["ReplicatedDisks"]] == ["VM03-system.vhdx"]
    lab.ok(PRIMARY, "Start-VMInitialReplication -VMName VM03")
    on_replica = lab.ok(REPLICA, "@(Get-VMHardDiskDrive -VMName VM03 | ForEach-Object { Split-Path $_.Path -Leaf }) "
                                 "-join ','")
    assert on_replica == "VM03-system.vhdx"


@pytest.mark.parametrize("extra", ["-AsJob", "-ComputerName localhost", "-AsReplica", "-WhatIf"])
def test_unmodelled_parameters_fail_loudly(lab: Lab, extra: str) -> None:
    """Documented parameters the simulator does not model are refused as such, and nothing is enabled."""
    as_replica = extra == "-AsReplica"
    result = lab.ps(PRIMARY, "Enable-VMReplication VM01 -AsReplica") if as_replica else enable(lab, extra=extra)
    assert result.status == 1
    assert "not modelled by the simulator" in result.err, result.err
    assert "FullyQualifiedErrorId : NotModelledBySimulator" in result.err
    assert "VM01" not in vm_names(lab, REPLICA)
    for command in ("Start-VMInitialReplication -VMName VM01", "Get-VMReplication -VMName VM01",
                    "Start-VMFailover -VMName VM01", "Set-VMReplication -VMName VM01"):
        if extra in ("-AsJob", "-ComputerName localhost") and not (extra == "-AsJob" and command.startswith("Get-")):
            refused = lab.ps(PRIMARY, f"{command} {extra}")
            assert "not modelled by the simulator" in refused.err, (command, refused.err)


@pytest.mark.parametrize("hours", [0, 13])
def test_vss_frequency_range(lab: Lab, hours: int) -> None:
    """-VSSSnapshotFrequencyHour outside 1-12 fails parameter binding (nothing reaches Hyper-V)."""
    result = enable(lab, extra=f"-RecoveryHistory 2 -VSSSnapshotFrequencyHour {hours}")
    assert result.status == 1
    assert f"FullyQualifiedErrorId : ParameterArgumentValidationError,{FQID}.EnableVMReplication" in result.err
    assert "Cannot validate argument on parameter 'VSSSnapshotFrequencyHour'" in result.err
    assert "VM01" not in vm_names(lab, REPLICA)


def test_initial_replication_through_media(lab: Lab) -> None:
    """-DestinationPath exports the copy; the media is carried to the replica and imported; both replicate."""
    lab.control(PRIMARY, "replication/guest/write", {"vm": "VM01", "offset": 65536,
                                                     "data_base64": "c2hpcHBlZCBvbiBhIGRpc2s="})
    assert enable(lab).status == 0
    lab.ok(PRIMARY, "Start-VMInitialReplication -VMName VM01 -DestinationPath D:\\Export")
    assert vm_status(lab, PRIMARY)[1:] == ("InitialReplicationInProgress", "Warning", "Primary")
    assert vm_status(lab, REPLICA)[1] == "WaitingForInitialReplication"
    vm_id = lab.ok(PRIMARY, "(Get-VM -Name VM01).Id")
    exported = lab.directory / PRIMARY / "D" / "Export" / f"VM01_{vm_id}"
    assert sorted(p.name for p in exported.iterdir()) == ["VM01.vhdx"]
    shutil.copytree(exported, lab.directory / REPLICA / "D" / "Media" / exported.name)  # the shipped disk
    lab.ok(REPLICA, f"Import-VMInitialReplication -VMName VM01 -Path D:\\Media\\{exported.name}")
    assert vm_status(lab, REPLICA)[1] == "Replicating"
    lab.advance(60)  # the primary notices the import on its next check
    assert vm_status(lab, PRIMARY)[1:] == ("Replicating", "Normal", "Primary")
    assert lab.ok(REPLICA, DISK_HASH) == lab.ok(PRIMARY, DISK_HASH)


def test_scheduled_initial_replication(lab: Lab) -> None:
    """-InitialReplicationStartTime two hours ahead: nothing moves until the clock gets there; > 7 days refused."""
    assert enable(lab).status == 0
    too_late = lab.ps(PRIMARY, "Start-VMInitialReplication -VMName VM01 -InitialReplicationStartTime "
                               "(Get-Date).AddDays(8)")
    assert_error(too_late, "0x80070057", f"InvalidParameter,{FQID}.StartVMInitialReplication", "within 7 days")
    lab.ok(PRIMARY, "Start-VMInitialReplication -VMName VM01 -InitialReplicationStartTime (Get-Date).AddHours(2)")
    lab.advance(3600)
    assert vm_status(lab, PRIMARY)[1] == "ReadyForInitialReplication"
    assert vm_status(lab, REPLICA)[1] == "WaitingForInitialReplication"
    lab.advance(3600 + 60)
    assert vm_status(lab, PRIMARY)[1:] == ("Replicating", "Normal", "Primary")
    assert vm_status(lab, REPLICA)[1] == "Replicating"


def test_resynchronize_now_and_scheduled(lab: Lab) -> None:
    """Resume -Resynchronize compares and sends at once (events 29242/29244); with a start time it waits for it."""
    assert enable(lab).status == 0
    lab.ok(PRIMARY, "Start-VMInitialReplication -VMName VM01")
    lab.ok(PRIMARY, "Resume-VMReplication -VMName VM01 -Resynchronize")
    assert vm_status(lab, PRIMARY)[1] == "Replicating"
    assert_event(lab, PRIMARY, {RESYNC_STARTED}, "VM01")
    assert_event(lab, PRIMARY, {RESYNC_COMPLETED}, "VM01")
    lab.ok(PRIMARY, "Suspend-VMReplication -VMName VM01")
    lab.ok(PRIMARY, "Resume-VMReplication -VMName VM01 -Resynchronize -ResynchronizeStartTime (Get-Date).AddHours(1)")
    assert vm_status(lab, PRIMARY)[1:3] == ("WaitingForStartResynchronize", "Critical")
    lab.advance(3600 + 60)
    assert vm_status(lab, PRIMARY)[1] == "Replicating"
    on_replica = lab.ps(REPLICA, "Resume-VMReplication -VMName VM01 -Resynchronize")
    assert_error(on_replica, "0x8007139F", f"InvalidOperation,{FQID}.ResumeVMReplication",
                 "not in a valid replication state")


def test_set_vm_replication_certificate_and_frequency(lab: Lab) -> None:
    """Set-VMReplication: a new certificate is used from the next cycle; frequency 30 valid, 60 refused."""
    assert enable(lab).status == 0
    lab.ok(PRIMARY, "Start-VMInitialReplication -VMName VM01")
    new_tp = lab.ok(PRIMARY, "(New-SelfSignedCertificate -DnsName 'hyper-v-prim.test.net' -CertStoreLocation "
                             "Cert:\\LocalMachine\\My -TestRoot).Thumbprint")
    lab.ok(PRIMARY, f"Set-VMReplication -VMName VM01 -CertificateThumbprint '{new_tp}' -ReplicationFrequencySec 30")
    assert _settings(lab, PRIMARY)["CertificateThumbprint"] == new_tp
    lab.ok(PRIMARY, f"Remove-Item -Path Cert:\\LocalMachine\\My\\{lab.thumbprints[PRIMARY]}")
    lab.advance(300)
    assert vm_status(lab, PRIMARY)[1:3] == ("Replicating", "Normal"), "cycles authenticate with the new certificate"
    assert _settings(lab, REPLICA)["ReplicationFrequencySec"] == 30
    refused = lab.ps(PRIMARY, "Set-VMReplication -VMName VM01 -ReplicationFrequencySec 60")
    assert_error(refused, "0x80070057", f"InvalidParameter,{FQID}.SetVMReplication", "60 seconds is not valid")
    missing = lab.ps(PRIMARY, f"Set-VMReplication -VMName VM01 -CertificateThumbprint '{'AB' * 20}'")
    assert_error(missing, "0x80092004", f"InvalidParameter,{FQID}.SetVMReplication", "was not found")


def test_unplanned_failover_complete_and_remove(lab: Lab) -> None:
    """Unplanned failover to the latest point, Complete-VMFailover drops the points; Remove-VMReplication per side."""
    assert enable(lab, extra="-RecoveryHistory 2").status == 0
    lab.ok(PRIMARY, "Start-VMInitialReplication -VMName VM01")
    lab.advance(2 * 3600 + 60)
    points = "@(Get-VMSnapshot -VMName VM01 -SnapshotType Replica).Count"
    assert int(lab.ok(REPLICA, points)) == 2
    lab.ok(REPLICA, "Start-VMFailover -VMName VM01 -Confirm:$false")
    assert vm_status(lab, REPLICA)[1] == "FailedOverWaitingCompletion"
    lab.ok(REPLICA, "Complete-VMFailover -VMName VM01 -Confirm:$false")
    assert vm_status(lab, REPLICA)[1] == "FailedOver"
    assert int(lab.ok(REPLICA, points)) == 0
    again = lab.ps(REPLICA, "Complete-VMFailover -VMName VM01 -Confirm:$false")
    assert_error(again, "0x8007139F", f"InvalidOperation,{FQID}.CompleteVMFailover", "not in a valid replication state")
    lab.ok(PRIMARY, "Remove-VMReplication -VMName VM01")
    assert vm_status(lab, PRIMARY)[1:] == ("Disabled", "NotApplicable", "None")
    assert vm_status(lab, REPLICA)[1] == "FailedOver", "removing on the primary leaves the replica side alone"
    lab.ok(REPLICA, "Remove-VMReplication -VMName VM01")
    assert "VM01" in vm_names(lab, REPLICA), "the replica VM stays"
    assert vm_status(lab, REPLICA)[1:] == ("Disabled", "NotApplicable", "None")
    gone = lab.ps(PRIMARY, "Get-VMReplication -VMName VM01")
    assert "Replication is not enabled for virtual machine 'VM01'" in gone.err, gone.err


def test_background_initial_replication_is_observable(lab: Lab) -> None:
    """With the lab's background mode and a slow link, the VM shows InitialReplicationInProgress while the copy
    runs (as on Windows), then Replicating with identical disks; the cmdlet itself returns at once."""
    lab.control(PRIMARY, "replication/guest/write", {"vm": "VM01", "offset": 0,
                                                     "data_base64": base64.b64encode(os.urandom(1536 * 1024)).decode()})
    lab.control(PRIMARY, "replication/initial-replication/background", {"enabled": True})
    lab.control(PRIMARY, "replication/network/rate", {"bytes_per_second": 512 * 1024})
    assert enable(lab).status == 0
    lab.ok(PRIMARY, "Start-VMInitialReplication -VMName VM01")
    assert vm_status(lab, PRIMARY)[1:] == ("InitialReplicationInProgress", "Warning", "Primary")
    assert vm_status(lab, REPLICA)[1] == "WaitingForInitialReplication"
    deadline = time.monotonic() + 60
    while vm_status(lab, PRIMARY)[1] == "InitialReplicationInProgress" and time.monotonic() < deadline:
        time.sleep(0.5)
    assert vm_status(lab, PRIMARY)[1:] == ("Replicating", "Normal", "Primary")
    assert vm_status(lab, REPLICA)[1] == "Replicating"
    assert lab.ok(REPLICA, DISK_HASH) == lab.ok(PRIMARY, DISK_HASH)


def test_wildcard_enables_every_vm_it_can(lab: Lab) -> None:
    """`Enable-VMReplication *` (the doc's example): VM02's checkpoint refuses it alone, the others are enabled;
    `Start-VMInitialReplication *` then starts every pending one and `Resume-VMReplication *` the paused ones
    (the docs' examples), while a VM named explicitly is still refused."""
    result = lab.ps(PRIMARY, f"Enable-VMReplication * '{REPLICA_FQDN}' 443 Certificate "
                             f"-CertificateThumbprint '{lab.thumbprints[PRIMARY]}'")
    assert result.status == 1, "VM02's refusal is reported"
    assert "VM02" in result.err and "checkpoints" in result.err, result.err
    assert sorted(vm_names(lab, REPLICA)) == ["VM01", "VM03"]
    lab.ok(PRIMARY, "Start-VMInitialReplication *")
    states = lab.ok(PRIMARY, "@(Get-VMReplication | ForEach-Object { $_.VMName + '=' + $_.ReplicationState }) "
                             "-join ','")
    assert sorted(states.split(",")) == ["VM01=Replicating", "VM03=Replicating"]
    lab.ok(PRIMARY, "Suspend-VMReplication -VMName VM01")
    lab.ok(PRIMARY, "Resume-VMReplication *")  # resumes the paused one, leaves the rest alone
    assert vm_status(lab, PRIMARY)[1] == "Replicating"
    single = lab.ps(PRIMARY, "Start-VMInitialReplication -VMName VM02")
    assert_error(single, "0x80070490", f"InvalidOperation,{FQID}.StartVMInitialReplication",
                 "Replication is not enabled for virtual machine 'VM02'")


def test_set_vm_replication_schedules_initial_replication(lab: Lab) -> None:
    """Set-VMReplication -InitialReplicationStartTime on a VM waiting for its copy schedules it; later it is refused."""
    assert enable(lab).status == 0
    lab.ok(PRIMARY, "Set-VMReplication -VMName VM01 -InitialReplicationStartTime (Get-Date).AddMinutes(30)")
    lab.advance(600)
    assert vm_status(lab, PRIMARY)[1] == "ReadyForInitialReplication"
    lab.advance(1260)
    assert vm_status(lab, PRIMARY)[1:3] == ("Replicating", "Normal")
    late = lab.ps(PRIMARY, "Set-VMReplication -VMName VM01 -InitialReplicationStartTime (Get-Date).AddMinutes(30)")
    assert_error(late, "0x8007139F", f"InvalidOperation,{FQID}.SetVMReplication", "not in a valid replication state")


def test_kerberos_authentication_fails_in_a_workgroup(lab: Lab) -> None:
    """-AuthenticationType Kerberos (port 80) between workgroup hosts: Hyper-V's documented 0x80090303, event 29210."""
    result = lab.ps(PRIMARY, f"Enable-VMReplication -VMName VM01 -ReplicaServerName '{REPLICA_FQDN}' "
                             "-ReplicaServerPort 80 -AuthenticationType Kerberos")
    assert_error(result, "0x80090303", f"KerberosAuthenticationFailed,{FQID}.EnableVMReplication",
                 "using Kerberos authentication")
    assert_event(lab, PRIMARY, {29210}, "(0x80090303)")
    assert "VM01" not in vm_names(lab, REPLICA)
