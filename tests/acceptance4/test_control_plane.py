"""Issue 4, the control plane on served hosts: authenticated, apart from /wsman, and each fault seen through pywinrm.

The lab's own helpers (lab.control) carry the bearer token; here requests are also made without it, or
with it against /wsman, to show the two doors are separate.
"""

from __future__ import annotations

import ssl
from typing import Any

import httpx
import pytest

from tests.acceptance4.checks import assert_error, enable, vmms_events
from tests.acceptance4.lab import PRIMARY, REPLICA, REPLICA_FQDN, Lab

pytestmark = pytest.mark.slow  # a two-process lab behind every test

TEST_FQID = "Microsoft.HyperV.PowerShell.Commands.TestVMReplicationConnection"


def _raw(lab: Lab, host: str, method: str, url: str, headers: dict[str, str], body: Any = None) -> httpx.Response:
    info = lab.hosts[host].info
    return httpx.request(method, url, json=body, headers=headers, timeout=60,
                         verify=ssl.create_default_context(cafile=info["ca_bundle"]))


def _test_connection(lab: Lab) -> Any:
    return lab.ps(PRIMARY, f"Test-VMReplicationConnection '{REPLICA_FQDN}' 443 Certificate "
                           f"'{lab.thumbprints[PRIMARY]}'")


def test_control_plane_needs_its_token_and_wsman_does_not_take_it(lab: Lab) -> None:
    """No token or a wrong one: 401 and no fault injected; the control token opens nothing on /wsman."""
    info = lab.hosts[PRIMARY].info
    cut = f"{info['control_url'].rstrip('/')}/replication/network/cut"
    for headers in ({}, {"Authorization": "Bearer not-the-token"}):
        assert _raw(lab, PRIMARY, "POST", cut, headers, {"peer": "*"}).status_code == 401
    assert _test_connection(lab).status == 0, "nothing was cut"
    wsman = _raw(lab, PRIMARY, "POST", info["winrm"]["https_url"],
                 {"Authorization": f"Bearer {info['control_token']}", "Content-Type": "application/soap+xml"}, None)
    assert wsman.status_code == 401
    assert "/_sim" in info["control_url"] and "/wsman" in info["winrm"]["https_url"]


def test_host_down_and_up(lab: Lab) -> None:
    """Replication on the replica down: the primary cannot connect (0x00002EFD); back up: it connects again."""
    lab.control(REPLICA, "replication/host/down", {"down": True})
    assert_error(_test_connection(lab), "0x00002EFD", f"ERROR_WINHTTP_CANNOT_CONNECT,{TEST_FQID}",
                 "A connection with the server could not be established")
    lab.control(REPLICA, "replication/host/down", {"down": False})
    assert _test_connection(lab).status == 0


def test_event_log_on_the_control_plane_matches_get_winevent(lab: Lab) -> None:
    """The control plane's event records are the ones Get-WinEvent shows over WinRM (same ids and texts)."""
    assert enable(lab).status == 0
    over_winrm = {(e["Id"], e["Message"]) for e in vmms_events(lab, PRIMARY)}
    over_control = {(e["id"], e["message"]) for e in lab.events(PRIMARY)}
    assert over_winrm and over_winrm == over_control


def test_snapshot_and_restore_through_the_control_plane(lab: Lab) -> None:
    """A snapshot taken with VM01 replicating comes back after later changes (state and disk files)."""
    assert enable(lab).status == 0
    lab.ok(PRIMARY, "Start-VMInitialReplication -VMName VM01")
    disk_hash = "(Get-FileHash -Path (Get-VMHardDiskDrive -VMName VM01).Path).Hash"
    before = lab.ok(PRIMARY, disk_hash)
    for host in (PRIMARY, REPLICA):
        lab.control(host, "snapshot", {"name": "replicating"})
    lab.control(PRIMARY, "replication/guest/write", {"vm": "VM01", "offset": 0, "data_base64": "bGF0ZXI="})
    lab.ok(PRIMARY, "Remove-VMReplication -VMName VM01")
    lab.ok(REPLICA, "Remove-VMReplication -VMName VM01")
    assert lab.ok(PRIMARY, disk_hash) != before
    for host in (PRIMARY, REPLICA):
        lab.control(host, "restore", {"name": "replicating"})
    assert lab.ok(PRIMARY, "(Get-VMReplication -VMName VM01).ReplicationState.ToString()") == "Replicating"
    assert lab.ok(REPLICA, "(Get-VMReplication -VMName VM01).ReplicationMode.ToString()") == "Replica"
    assert lab.ok(PRIMARY, disk_hash) == before
