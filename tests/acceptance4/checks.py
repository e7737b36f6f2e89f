"""Shared pywinrm scripts and assertions of the acceptance tests: enable, replication state, events, errors."""

from __future__ import annotations

import json
from typing import Any

from tests.acceptance4.lab import PRIMARY, REPLICA_FQDN, VMMS_LOG, Lab, PsResult


def enable(lab: Lab, vm: str = "VM01", *, host: str = PRIMARY, server: str = REPLICA_FQDN,
           thumbprint: str | None = None, extra: str = "") -> PsResult:
    """Enable-VMReplication with certificate authentication on port 443, through pywinrm."""
    tp = thumbprint or lab.thumbprints[host]
    return lab.ps(host, f"Enable-VMReplication -VMName {vm} -ReplicaServerName '{server}' -ReplicaServerPort 443 "
                        f"-AuthenticationType Certificate -CertificateThumbprint '{tp}' {extra}")


def replication(lab: Lab, host: str, vm: str = "VM01") -> dict[str, Any]:
    """State, health and mode of one VM's replication as Get-VMReplication shows them (strings)."""
    out = lab.ok(host, f"Get-VMReplication -VMName '{vm}' | Select-Object VMName, "
                       "@{n='State';e={$_.ReplicationState.ToString()}}, "
                       "@{n='Health';e={$_.ReplicationHealth.ToString()}}, "
                       "@{n='Mode';e={$_.ReplicationMode.ToString()}}, PrimaryServerName, ReplicaServerName "
                       "| ConvertTo-Json")
    found: dict[str, Any] = json.loads(out)
    return found


def vm_names(lab: Lab, host: str) -> list[str]:
    """Names of the host's VMs (Get-VM)."""
    out = lab.ok(host, "@(Get-VM | ForEach-Object { $_.Name }) -join ';'")
    return [n for n in out.split(";") if n]


def vmms_events(lab: Lab, host: str) -> list[dict[str, Any]]:
    """The host's Hyper-V-VMMS-Admin events read with Get-WinEvent through pywinrm (none -> [])."""
    result = lab.ps(host, f"@(Get-WinEvent -LogName {VMMS_LOG} -ErrorAction SilentlyContinue | Select-Object Id, "
                          "LevelDisplayName, Message) | ConvertTo-Json")
    if not result.out:  # no events: Get-WinEvent wrote NoMatchingEventsFound (silenced)
        return []
    parsed = json.loads(result.out)
    return parsed if isinstance(parsed, list) else [parsed]


def assert_error(result: PsResult, hresult: str, fqid: str, text: str) -> None:
    """The script failed with this HRESULT (written as Hyper-V does, in the message), error id and text."""
    assert result.status == 1, result
    assert f"({hresult})" in result.err, result.err
    assert f"FullyQualifiedErrorId : {fqid}" in result.err, result.err
    assert text in result.err, result.err
    after_code = result.err.split(f"({hresult})", 1)[1].split("At line", 1)[0]
    assert after_code.strip() == ".", f"the Windows message ends with its HRESULT: {result.err}"


def assert_event(lab: Lab, host: str, event_ids: set[int], needle: str) -> dict[str, Any]:
    """A Hyper-V-VMMS-Admin event with one of these ids whose message has ``needle`` exists on ``host``."""
    events = vmms_events(lab, host)
    matching = [e for e in events if e["Id"] in event_ids and needle in e["Message"]]
    assert matching, f"no event {sorted(event_ids)} with {needle!r} on {host}: {events}"
    return matching[0]


def vm_status(lab: Lab, host: str, vm: str = "VM01") -> tuple[str, str, str, str]:
    """(VM state, ReplicationState, ReplicationHealth, ReplicationMode) from Get-VM, as strings."""
    out = lab.ok(host, f"$v = Get-VM -Name '{vm}'; @($v.State.ToString(), $v.ReplicationState.ToString(), "
                       "$v.ReplicationHealth.ToString(), $v.ReplicationMode.ToString()) -join ';'")
    state, rep_state, health, mode = out.split(";")
    return state, rep_state, health, mode
