"""The Cert: provider: listing, Get-Item, Test-Path, Remove-Item, Move-Item CA → Root, Copy-Item refused."""

from __future__ import annotations

import pytest

from simulator.core.errors import SimError
from simulator.core.host import Host
from simulator.ps import api
from simulator.services.certs import store
from simulator.services.certs.provider import PROVIDER, split_path

from .helpers import call, invocation

MY = "Cert:\\LocalMachine\\My"


def _testroot_cert(host: Host) -> str:
    (obj,) = call(
        host, "New-SelfSignedCertificate", DnsName=["hyper-v-prim.test.net"], CertStoreLocation=MY, TestRoot=True
    )
    return str(obj.get("Thumbprint"))


@pytest.mark.parametrize(
    "path",
    [
        "Cert:\\LocalMachine\\My",
        "cert:/localmachine/my",
        "Microsoft.PowerShell.Security\\Certificate::LocalMachine\\My",
        "CERT:\\LOCALMACHINE\\MY\\",
    ],
)
def test_every_spelling_of_a_store_path_resolves_to_this_provider(path: str) -> None:
    provider, canonical = api.resolve_provider(path)
    assert provider is PROVIDER
    assert canonical == "Cert:\\LocalMachine\\My"


def test_thumbprints_are_upper_cased_in_paths() -> None:
    assert split_path("cert:\\currentuser\\root\\ab12cd") == ["CurrentUser", "Root", "AB12CD"]


def test_get_child_item_of_a_store_lists_its_certificates(sim_host: Host) -> None:
    tp = _testroot_cert(sim_host)
    inv = invocation(sim_host)
    items = PROVIDER.get_child_items(inv, "Cert:\\LocalMachine\\My", recurse=False)
    assert [i.get("Thumbprint") for i in items] == [tp]
    assert items[0].default_display == ["Thumbprint", "Subject"]
    stores = PROVIDER.get_child_items(inv, "Cert:\\LocalMachine", recurse=False)
    assert {"My", "CA", "Root"} <= {s.get("Name") for s in stores}
    everything = PROVIDER.get_child_items(inv, "Cert:\\LocalMachine", recurse=True)
    thumbprints = [i.get("Thumbprint") for i in everything if i.has("Thumbprint")]
    assert len(thumbprints) == 2  # the host certificate in My and the test root in CA
    assert PROVIDER.get_child_items(inv, f"{MY}\\{tp}", recurse=False)[0].get("Thumbprint") == tp


def test_get_item_test_path_and_wildcards(sim_host: Host) -> None:
    tp = _testroot_cert(sim_host)
    inv = invocation(sim_host)
    assert PROVIDER.exists(inv, f"{MY}\\{tp.lower()}")
    assert not PROVIDER.exists(inv, f"{MY}\\{'0' * 40}")
    assert not PROVIDER.exists(inv, "Cert:\\LocalMachine\\NoSuchStore")
    (item,) = PROVIDER.get_item(inv, f"{MY}\\{tp[:6]}*")
    assert item.get("Thumbprint") == tp
    with pytest.raises(SimError) as info:
        PROVIDER.get_item(inv, f"{MY}\\{'0' * 40}")
    assert info.value.fully_qualified_error_id == "PathNotFound,Microsoft.PowerShell.Commands.GetItemCommand"
    assert info.value.message == f"Cannot find path '{MY}\\{'0' * 40}' because it does not exist."


def test_move_test_root_from_ca_to_root(sim_host: Host) -> None:
    _testroot_cert(sim_host)
    inv = invocation(sim_host)
    (root,) = store.list_certificates(sim_host, "CA")
    moved = PROVIDER.move_item(inv, f"Cert:\\LocalMachine\\CA\\{root.thumbprint}", "Cert:\\LocalMachine\\Root")
    assert moved[0].get("PSParentPath").endswith("LocalMachine\\Root")
    assert store.list_certificates(sim_host, "CA") == []
    assert [e.thumbprint for e in store.list_certificates(sim_host, "Root")] == [root.thumbprint]
    with pytest.raises(SimError) as across:
        PROVIDER.move_item(inv, f"Cert:\\LocalMachine\\Root\\{root.thumbprint}", "Cert:\\CurrentUser\\Root")
    assert across.value.fully_qualified_error_id == (
        "MoveItemDestinationLocationInvalid,Microsoft.PowerShell.Commands.MoveItemCommand")
    assert len(store.list_certificates(sim_host, "Root")) == 1


def test_copy_item_is_not_supported_by_the_certificate_provider(sim_host: Host) -> None:
    tp = _testroot_cert(sim_host)
    with pytest.raises(SimError) as info:
        PROVIDER.copy_item(invocation(sim_host), f"{MY}\\{tp}", "Cert:\\LocalMachine\\Root")
    assert info.value.fully_qualified_error_id == "NotSupported,Microsoft.PowerShell.Commands.CopyItemCommand"
    assert store.list_certificates(sim_host, "Root") == []


def test_remove_item_deletes_the_certificate(sim_host: Host) -> None:
    tp = _testroot_cert(sim_host)
    PROVIDER.remove_item(invocation(sim_host), f"{MY}\\{tp}", recurse=False, force=False)
    assert store.find_certificate(sim_host, tp) is None
    with pytest.raises(SimError) as missing:
        PROVIDER.remove_item(invocation(sim_host), f"{MY}\\{tp}", recurse=False, force=False)
    assert (missing.value.message, missing.value.fully_qualified_error_id) == (
        f"Cannot find path '{MY}\\{tp}' because it does not exist.",
        "PathNotFound,Microsoft.PowerShell.Commands.RemoveItemCommand")
