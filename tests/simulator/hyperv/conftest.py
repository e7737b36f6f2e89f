"""Fixtures for Hyper-V tests: hosts with only the Hyper-V section seeded, independent of other subsystems."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from simulator.core.host import Host
from simulator.services import hyperv
from simulator.services.replication import api as replication_api
from tests.conftest import DEFAULT_TOPOLOGY
from tests.simulator.hyperv.certutil import add_host_certificate
from tests.simulator.hyperv.fake_channel import FakeLab
from tests.simulator.hyperv.helpers import call


def make_hv_host(state_dir: Path, topology: dict[str, Any] | None = None) -> Host:
    """A host whose state holds only what Hyper-V needs (no other subsystem's initial state)."""
    topo = dict(DEFAULT_TOPOLOGY if topology is None else topology)
    state_dir.mkdir(parents=True, exist_ok=True)
    state = {
        "format": 1,
        "info": {"name": topo.get("name", "Hyper-v-prim"), "os_version": str(topo.get("os", "2016")),
                 "address": "127.0.0.1", "virtual_address": topo.get("address")},
        "clock": {"offset_seconds": 0.0, "rate": 1.0, "rate_since": None},
        "events": [],
    }
    host = Host(state_dir=state_dir, state=state)
    for letter in host.drives:
        (state_dir / letter).mkdir(parents=True, exist_ok=True)
    with host.transaction():
        hyperv.initial_state(host, topo)
    return host


@pytest.fixture(name="hv_host")
def _hv_host(tmp_path: Path) -> Host:
    """The default topology's host (VM01 running, one 64 MiB disk), Hyper-V section only."""
    return make_hv_host(tmp_path / "host")


PRIMARY_FQDN = "hyper-v-prim.test.net"
REPLICA_FQDN = "hyper-v-repl.test.net"


@dataclass
class Pair:
    """A primary and a replica host joined by the in-process channel double."""

    primary: Host
    replica: Host
    lab: FakeLab
    primary_thumbprint: str
    replica_thumbprint: str

    def enable(self, vm: str = "VM01", **extra: Any) -> None:
        """Enable-VMReplication with the recipe's certificate parameters."""
        self.enable_with(self.primary_thumbprint, vm, **extra)

    def enable_with(self, thumbprint: str, vm: str = "VM01", **extra: Any) -> None:
        """Enable-VMReplication with a given primary certificate."""
        call(self.primary, "Enable-VMReplication", VMName=[vm], ReplicaServerName=REPLICA_FQDN,
             ReplicaServerPort=443, AuthenticationType="Certificate", CertificateThumbprint=thumbprint, **extra)


def configure_replica_server(host: Host, thumbprint: str, primary_fqdn: str) -> None:
    """Set-VMReplicationServer + New-VMReplicationAuthorizationEntry as the recipe does."""
    call(host, "Set-VMReplicationServer", ReplicationEnabled=True, AllowedAuthenticationType="Certificate",
         CertificateThumbprint=thumbprint, CertificateAuthenticationPort=443, ReplicationAllowedFromAnyServer=False)
    call(host, "New-VMReplicationAuthorizationEntry", AllowedPrimaryServer=primary_fqdn,
         ReplicaStorageLocation="D:\\Replica", TrustGroup="lab")


@pytest.fixture(name="pair")
def _pair(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Pair:
    """Two hosts, both replica servers authorizing each other (so reverse works), VM01 on the primary."""
    lab = FakeLab()
    monkeypatch.setattr(replication_api, "open_channel", lab.open_channel)
    primary = lab.add(make_hv_host(tmp_path / "prim"), PRIMARY_FQDN)
    replica = lab.add(make_hv_host(tmp_path / "repl", {"name": "Hyper-v-repl", "vms": []}), REPLICA_FQDN)
    primary_tp = add_host_certificate(primary, PRIMARY_FQDN)
    replica_tp = add_host_certificate(replica, REPLICA_FQDN)
    configure_replica_server(replica, replica_tp, PRIMARY_FQDN)
    configure_replica_server(primary, primary_tp, REPLICA_FQDN)
    return Pair(primary, replica, lab, primary_tp, replica_tp)
