"""certutil -addstore / -store / -delstore against the stores."""

from __future__ import annotations

import pytest

from simulator.cmd.api import CMD_COMMANDS, CmdCall, CmdResult
from simulator.core.errors import NotModelledError
from simulator.core.host import Host
from simulator.services.certs import store

from .helpers import call

MY = "Cert:\\LocalMachine\\My"


def certutil(host: Host, *argv: str) -> CmdResult:
    return CMD_COMMANDS["certutil"].handler(CmdCall(host=host, argv=list(argv), raw_args=" ".join(argv)))


def _root_file(host: Host) -> str:
    call(host, "New-SelfSignedCertificate", DnsName=["hyper-v-prim.test.net"], CertStoreLocation=MY, TestRoot=True)
    (root,) = store.list_certificates(host, "CA")
    call(host, "Export-Certificate", Cert=f"Cert:\\LocalMachine\\CA\\{root.thumbprint}", FilePath="C:\\root.cer")
    return root.thumbprint


def test_addstore_puts_a_root_in_the_root_store(sim_host: Host) -> None:
    tp = _root_file(sim_host)
    result = certutil(sim_host, "-addstore", "-f", "Root", "C:\\root.cer")
    assert result.exit_code == 0
    assert 'Certificate "CertReq Test Root" added to store.' in result.stdout
    assert result.stdout.endswith("CertUtil: -addstore command completed successfully.\r\n")
    assert [e.thumbprint for e in store.list_certificates(sim_host, "Root")] == [tp]
    again = certutil(sim_host, "-addstore", "Root", "C:\\root.cer")
    assert again.exit_code == 0
    assert len(store.list_certificates(sim_host, "Root")) == 1


def test_store_listing_reports_encryption_test_only_for_keys(sim_host: Host) -> None:
    _root_file(sim_host)
    (mine,) = store.list_certificates(sim_host, "My")
    listing = certutil(sim_host, "-store", "my").stdout
    assert listing.startswith('my "Personal"\r\n')
    assert f"Cert Hash(sha1): {mine.thumbprint.lower()}" in listing
    assert "Encryption test passed" in listing
    assert "Non-root Certificate" in listing
    ca_listing = certutil(sim_host, "-store", "CA").stdout
    assert "Encryption test passed" not in ca_listing
    assert "Root Certificate" in ca_listing


def test_missing_file_and_delstore(sim_host: Host) -> None:
    missing = certutil(sim_host, "-addstore", "Root", "C:\\nothing.cer")
    assert missing.exit_code == 0x80070002 - (1 << 32)
    assert "ERROR_FILE_NOT_FOUND" in missing.stdout
    tp = _root_file(sim_host)
    certutil(sim_host, "-addstore", "Root", "C:\\root.cer")
    deleted = certutil(sim_host, "-delstore", "Root", tp.lower())
    assert deleted.exit_code == 0
    assert store.list_certificates(sim_host, "Root") == []
    assert certutil(sim_host, "-delstore", "Root", tp).exit_code == 0x80092004 - (1 << 32)


def test_other_verbs_are_not_modelled(sim_host: Host) -> None:
    with pytest.raises(NotModelledError, match=r"^not modelled.*certutil -verify"):
        certutil(sim_host, "-verify", "C:\\root.cer")
