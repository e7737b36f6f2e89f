"""Hyper-V cmdlets through the PowerShell runner on a full simulated host (binder rules, JSON, the recipe's lines)."""

from __future__ import annotations

import json

import pytest

from simulator.core.host import Host
from simulator.ps.runner import run_script


def ps(host: Host, script: str) -> tuple[int, str, str]:
    result = run_script(host, script)
    return result.exit_code, result.stdout, result.stderr


def test_get_vm_json_has_enum_integers(sim_host: Host) -> None:
    code, out, _ = ps(sim_host, "Get-VM -Name VM* | Select-Object Name, State, ReplicationState, ReplicationHealth, "
                                "ReplicationMode | ConvertTo-Json")
    assert code == 0
    assert json.loads(out) == {"Name": "VM01", "State": 2, "ReplicationState": 0, "ReplicationHealth": 0,
                               "ReplicationMode": 0}


def test_get_vm_unknown_is_an_error_record(sim_host: Host) -> None:
    code, _, err = ps(sim_host, "Get-VM -Name Nope")
    assert code == 1
    assert 'Hyper-V was unable to find a virtual machine with name "Nope".' in err
    assert "InvalidParameter,Microsoft.HyperV.PowerShell.Commands.GetVM" in err


@pytest.mark.parametrize(("argument", "text"), [
    ("-ReplicationFrequencySec 20", "less than the minimum allowed range of 30"),
    ("-ReplicationFrequencySec 1000", "greater than the maximum allowed range of 900"),
    ("-RecoveryHistory 25", "greater than the maximum allowed range of 24"),
    ("-VSSSnapshotFrequencyHour 13", "greater than the maximum allowed range of 12"),
    ("-VSSSnapshotFrequencyHour 0", "less than the minimum allowed range of 1"),
])
def test_enable_binder_ranges(sim_host: Host, argument: str, text: str) -> None:
    code, _, err = ps(sim_host, f"Enable-VMReplication VM01 repl.test.net 443 Certificate {argument}")
    assert code == 1
    assert text in err and "ParameterArgumentValidationError" in err


def test_recipe_replica_server_lines(sim_host: Host) -> None:
    script = r"""
$c = New-SelfSignedCertificate -DnsName hyper-v-prim.test.net -CertStoreLocation Cert:\LocalMachine\My
Set-VMReplicationServer -ReplicationEnabled $true -AllowedAuthenticationType Certificate `
    -CertificateThumbprint $c.Thumbprint -CertificateAuthenticationPort 443 -ReplicationAllowedFromAnyServer $false
New-VMReplicationAuthorizationEntry -AllowedPrimaryServer hyper-v-repl.test.net -ReplicaStorageLocation D:\Replica `
    -TrustGroup lab | Out-Null
$s = Get-VMReplicationServer
[pscustomobject]@{ Enabled = $s.ReplicationEnabled; Auth = $s.AllowedAuthenticationType.ToString();
  Tp = ($s.CertificateThumbprint -eq $c.Thumbprint); Entries = @($s.AuthorizationEntries).Count } | ConvertTo-Json
"""
    code, out, err = ps(sim_host, script)
    assert code == 0, err
    assert json.loads(out) == {"Enabled": True, "Auth": "Certificate", "Tp": True, "Entries": 1}


def test_get_win_event_filter_hashtable(sim_host: Host) -> None:
    with sim_host.transaction():
        sim_host.write_event("Microsoft-Windows-Hyper-V-VMMS-Admin", 32000, "Error", "failed (0x800B0109).")
        sim_host.write_event("Microsoft-Windows-Hyper-V-VMMS-Admin", 29162, "Information", "enabled")
    code, out, err = ps(sim_host, "Get-WinEvent -FilterHashtable @{LogName='Microsoft-Windows-Hyper-V-VMMS-Admin';"
                                  "Id=32000} | Select-Object Id, LevelDisplayName, Message | ConvertTo-Json")
    assert code == 0, err
    assert json.loads(out) == {"Id": 32000, "LevelDisplayName": "Error", "Message": "failed (0x800B0109)."}


def test_checkpoint_aliases_through_the_binder(sim_host: Host) -> None:
    script = """
Checkpoint-VM -VMName VM01 -CheckpointName parent
Checkpoint-VM VM01 child
$names = @(Get-VMCheckpoint -VMName VM01 | ForEach-Object { $_.Name })
Remove-VMCheckpoint -VMName VM01 -Name parent -IncludeAllChildCheckpoints
[pscustomobject]@{ Before = $names -join ','; After = @(Get-VMSnapshot -VMName VM01).Count } | ConvertTo-Json
"""
    code, out, err = ps(sim_host, script)
    assert code == 0, err
    assert json.loads(out) == {"Before": "parent,child", "After": 0}


def test_authorization_entry_aliases_and_positions(sim_host: Host) -> None:
    script = r"""
New-VMReplicationAuthorizationEntry *.test.net D:\Replica lab | Out-Null
Set-VMReplicationAuthorizationEntry -AllowedPS *.test.net -StorageLoc D:\Other
Get-VMReplicationAuthorizationEntry | Select-Object AllowedPrimaryServer, ReplicaStorageLocation, TrustGroup |
    ConvertTo-Json
"""
    code, out, err = ps(sim_host, script)
    assert code == 0, err
    assert json.loads(out) == {"AllowedPrimaryServer": "*.test.net", "ReplicaStorageLocation": "D:\\Other",
                               "TrustGroup": "lab"}


def test_stop_start_vm_state_in_json(sim_host: Host) -> None:
    code, out, err = ps(sim_host, "Stop-VM VM01 -TurnOff -Force; (Get-VM VM01).State.ToString(); "
                                  "Start-VM -Name VM01; [int](Get-VM VM01).State")
    assert code == 0, err
    assert out.split() == ["Off", "2"]
