"""Authorization entries: the §1.3 rules and the authorize() seam used by the transport."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from simulator.core.errors import SimError
from simulator.core.host import Host
from simulator.services.hyperv import authorize
from simulator.services.hyperv.authorization import name_matches
from simulator.services.hyperv.state import section
from tests.simulator.hyperv.helpers import call

NEW = "New-VMReplicationAuthorizationEntry"


def enable_server(host: Host, *, any_server: bool = False) -> None:
    with host.transaction():
        server = section(host)["server"]
        server.update(enabled=True, auth_type="Certificate", allow_any_server=any_server,
                      default_storage="D:\\Replica")


def test_authorize_exact_and_wildcard(hv_host: Host) -> None:
    enable_server(hv_host)
    call(hv_host, NEW, AllowedPrimaryServer="*.test.net", ReplicaStorageLocation="D:\\Wild", TrustGroup="wild")
    call(hv_host, NEW, AllowedPrimaryServer="hyper-v-prim.test.net", ReplicaStorageLocation="D:\\Prim",
         TrustGroup="prim")
    assert authorize(hv_host, ["hyper-v-prim.test.net"]) == ("prim", "D:\\Prim")
    assert authorize(hv_host, ["HOST2.Test.Net"]) == ("wild", "D:\\Wild")
    assert authorize(hv_host, ["a.b.test.net"]) == ("wild", "D:\\Wild")
    assert authorize(hv_host, ["test.net"]) is None
    assert authorize(hv_host, ["evil.other.net"]) is None


def test_authorize_refuses_when_not_replica_server(hv_host: Host) -> None:
    with hv_host.transaction():
        section(hv_host)["authorization"].append({"primary": "a.test.net", "storage": "D:\\R", "trust_group": "g"})
    assert authorize(hv_host, ["a.test.net"]) is None


def test_allow_any_server_gives_default_group(hv_host: Host) -> None:
    enable_server(hv_host, any_server=True)
    assert authorize(hv_host, ["whoever.example.org"]) == ("DEFAULT", "D:\\Replica")


def test_new_entry_refused_while_any_server(hv_host: Host) -> None:
    enable_server(hv_host, any_server=True)
    with pytest.raises(SimError, match="any authenticated server") as info:
        call(hv_host, NEW, AllowedPrimaryServer="a.test.net", ReplicaStorageLocation="D:\\R", TrustGroup="g")
    assert info.value.message.endswith("(0x80004005).")


@pytest.mark.parametrize("name", ["hostonly", "a.*.test.net", "advertisement*.test.net", "-bad.test.net", "a..b"])
def test_invalid_primary_names_refused(hv_host: Host, name: str) -> None:
    with pytest.raises(SimError, match="not a valid fully qualified domain name") as info:
        call(hv_host, NEW, AllowedPrimaryServer=name, ReplicaStorageLocation="D:\\R", TrustGroup="g")
    assert info.value.hresult == 0x80070057


def test_duplicate_refused_and_set_remove(hv_host: Host) -> None:
    call(hv_host, NEW, AllowedPrimaryServer="a.test.net", ReplicaStorageLocation="D:\\R", TrustGroup="g")
    with pytest.raises(SimError, match="already exists"):
        call(hv_host, NEW, AllowedPrimaryServer="A.TEST.NET", ReplicaStorageLocation="D:\\R2", TrustGroup="g")
    call(hv_host, "Set-VMReplicationAuthorizationEntry", AllowedPrimaryServer="a.test.net", TrustGroup="h")
    [entry] = call(hv_host, "Get-VMReplicationAuthorizationEntry", TrustGroup="h")
    assert entry.get("AllowedPrimaryServer") == "a.test.net"
    assert entry.get("ReplicaStorageLocation") == "D:\\R"
    call(hv_host, NEW, AllowedPrimaryServer="b.test.net", ReplicaStorageLocation="D:\\R", TrustGroup="h")
    call(hv_host, "Remove-VMReplicationAuthorizationEntry", TrustGroup="h")
    assert call(hv_host, "Get-VMReplicationAuthorizationEntry") == []
    with pytest.raises(SimError, match="No authorization entry"):
        call(hv_host, "Remove-VMReplicationAuthorizationEntry", AllowedPrimaryServer="a.test.net")


def test_storage_must_be_on_an_existing_drive(hv_host: Host) -> None:
    with pytest.raises(SimError, match="not a valid absolute path"):
        call(hv_host, NEW, AllowedPrimaryServer="a.test.net", ReplicaStorageLocation="Q:\\R", TrustGroup="g")


label = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789", min_size=1, max_size=8)


@given(host_label=label, domain=st.lists(label, min_size=1, max_size=3))
def test_wildcard_covers_exactly_the_subdomains(host_label: str, domain: list[str]) -> None:
    suffix = ".".join(domain)
    assert name_matches(f"*.{suffix}", f"{host_label}.{suffix}")
    assert not name_matches(f"*.{suffix}", suffix)
    assert not name_matches(f"*.{suffix}", f"{host_label}.x{suffix}")
