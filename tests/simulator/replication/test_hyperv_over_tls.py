"""Hyper-V's cmdlets (helper E) over the real transport: connection test, enable, initial replication.

The cmdlet handlers are called with bound arguments; what is tested here is that Hyper-V's calls go
through the listener, mutual TLS and the checks, and that transport failures reach the cmdlet's error
with their HRESULT.
"""

from __future__ import annotations

import hashlib
import importlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from simulator.core.errors import SimError
from simulator.services.hyperv import write_guest_data
from simulator.services.replication import network, winerrors
from tests.simulator.replication.support import REPLICA_FQDN, TOPOLOGIES, Lab, build_lab, run_cmdlet, set_firewall

# Importing registers the cmdlets and the replica-side operations (if the package does not already).
importlib.import_module("simulator.services.hyperv.replication")
importlib.import_module("simulator.services.hyperv.replica_ops")

SUCCESS = "The connection to the specified Replica server with the specified parameters was successful."


@pytest.fixture(name="lab")
def _lab(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Lab]:
    primary: dict[str, Any] = dict(TOPOLOGIES["primary"])
    primary["vms"] = [{"name": "VM01", "generation": 2, "state": "Running", "disks": [{"name": "VM01.vhdx",
                                                                                      "size_mb": 8}]}]
    monkeypatch.setitem(TOPOLOGIES, "primary", primary)
    lab = build_lab(tmp_path)
    yield lab
    lab.stop()


def _test_connection(lab: Lab) -> list[object]:
    return run_cmdlet(lab.primary, "Test-VMReplicationConnection", ReplicaServerName=REPLICA_FQDN,
                      ReplicaServerPort=443, AuthenticationType="Certificate", CertificateThumbprint=lab.primary_tp)


def test_connection_succeeds_over_tls(lab: Lab) -> None:
    """Microsoft's success sentence, after a real handshake with the replica."""
    assert _test_connection(lab) == [SUCCESS]


def test_connection_failure_keeps_hresult(lab: Lab) -> None:
    """The firewall rule off on the replica -> the cmdlet's error carries 0x00002EFD."""
    set_firewall(lab.replica, enabled=False)
    with pytest.raises(SimError) as caught:
        _test_connection(lab)
    assert caught.value.hresult == winerrors.CANNOT_CONNECT.hresult
    assert "(0x00002EFD)" in caught.value.message


def _disk_digest(lab: Lab, host_name: str) -> str:
    host = lab.primary if host_name == "primary" else lab.replica
    vms = host.state["hyperv"]["vms"]
    path = host.real_path(vms[0]["disks"][0]["path"])
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_enable_and_initial_replication_copy_the_disk(lab: Lab) -> None:
    """Enable-VMReplication creates the replica VM; initial replication copies the disk byte for byte."""
    write_guest_data(lab.primary, "VM01", 4096, b"guest data " * 1000)
    run_cmdlet(lab.primary, "Enable-VMReplication", VMName=["VM01"], ReplicaServerName=REPLICA_FQDN,
               ReplicaServerPort=443, AuthenticationType="Certificate", CertificateThumbprint=lab.primary_tp)
    replica_vms = lab.replica.state["hyperv"]["vms"]
    assert [vm["name"] for vm in replica_vms] == ["VM01"]
    run_cmdlet(lab.primary, "Start-VMInitialReplication", VMName=["VM01"])
    assert _disk_digest(lab, "replica") == _disk_digest(lab, "primary")


def test_enable_refused_when_link_cut(lab: Lab) -> None:
    """With the link cut, Enable-VMReplication fails with the transport's code and creates nothing."""
    with lab.primary.transaction():
        network.faults(lab.primary)["cut"] = ["*"]
    with pytest.raises(SimError) as caught:
        run_cmdlet(lab.primary, "Enable-VMReplication", VMName=["VM01"], ReplicaServerName=REPLICA_FQDN,
                   ReplicaServerPort=443, AuthenticationType="Certificate", CertificateThumbprint=lab.primary_tp)
    assert caught.value.hresult == winerrors.CANNOT_CONNECT.hresult
    assert lab.replica.state["hyperv"]["vms"] == []


def test_cycles_resume_after_a_cut(lab: Lab) -> None:
    """Cycles fail while the link is cut and catch up once it is restored: the replica converges."""
    from simulator.services import replication  # noqa: PLC0415 - run_due is the tick's entry point

    run_cmdlet(lab.primary, "Enable-VMReplication", VMName=["VM01"], ReplicaServerName=REPLICA_FQDN,
               ReplicaServerPort=443, AuthenticationType="Certificate", CertificateThumbprint=lab.primary_tp,
               ReplicationFrequencySec=30)
    run_cmdlet(lab.primary, "Start-VMInitialReplication", VMName=["VM01"])
    with lab.primary.transaction():
        network.faults(lab.primary)["cut"] = [REPLICA_FQDN]
    write_guest_data(lab.primary, "VM01", 1 << 20, b"written during the outage " * 100)
    with lab.primary.transaction(rollback=True):
        lab.primary.clock.advance(65)
    replication.run_due(lab.primary)
    assert _disk_digest(lab, "replica") != _disk_digest(lab, "primary")
    assert lab.events(lab.primary, winerrors.EVENT_CONNECT_FAILED)
    with lab.primary.transaction():
        network.faults(lab.primary)["cut"] = []
    with lab.primary.transaction(rollback=True):
        lab.primary.clock.advance(35)
    replication.run_due(lab.primary)
    assert _disk_digest(lab, "replica") == _disk_digest(lab, "primary")
