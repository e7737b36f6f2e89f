"""PFX and CER round trips between two hosts, Server 2016's PFX limits, and the Export/Import errors."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.serialization import pkcs12

from simulator.core.errors import ParameterBindingError, SimError
from simulator.core.host import Host
from simulator.ps.objects import SecureString
from simulator.services.certs import store
from tests.conftest import DEFAULT_TOPOLOGY, make_host

from .helpers import call

MY = "Cert:\\LocalMachine\\My"
PASSWORD = SecureString("P@ssw0rd-1234")


def _replica(tmp_path: Path, os_version: str = "2016") -> Host:
    return make_host(
        tmp_path / f"replica-{os_version}",
        {**DEFAULT_TOPOLOGY, "name": "Hyper-v-repl", "os": os_version, "address": "192.168.101.213"},
    )


def _make(host: Host, name: str = "hyper-v-repl.test.net", **extra: Any) -> str:
    (obj,) = call(host, "New-SelfSignedCertificate", DnsName=[name], CertStoreLocation=MY, TestRoot=True, **extra)
    return str(obj.get("Thumbprint"))


def _copy(source: Host, target: Host, windows_path: str) -> None:
    target.real_path(windows_path).write_bytes(source.real_path(windows_path).read_bytes())


def test_pfx_moves_certificate_with_key_to_the_replica(sim_host: Host, tmp_path: Path) -> None:
    tp = _make(sim_host)
    (info,) = call(sim_host, "Export-PfxCertificate", Cert=f"{MY}\\{tp}", FilePath="C:\\repl.pfx", Password=PASSWORD)
    assert info.get("FullName") == "C:\\repl.pfx"
    assert info.get("Length") == sim_host.real_path("C:\\repl.pfx").stat().st_size > 0
    replica = _replica(tmp_path)
    _copy(sim_host, replica, "C:\\repl.pfx")
    (imported,) = call(
        replica, "Import-PfxCertificate", FilePath="C:\\repl.pfx", CertStoreLocation=MY, Password=PASSWORD
    )
    assert imported.get("Thumbprint") == tp
    assert imported.get("HasPrivateKey") is True
    entry = store.find_certificate(replica, tp)
    assert entry is not None
    assert not entry.exportable  # Import-PfxCertificate without -Exportable
    assert store.usable_for_replication(entry) == []
    # BuildChain (the default) carried the test root along; it lands in CA, never in Root.
    assert [e.certificate.subject for e in store.list_certificates(replica, "CA")] == [
        store.list_certificates(sim_host, "CA")[0].certificate.subject
    ]
    assert store.list_certificates(replica, "Root") == []


def test_exported_pfx_is_3des_sha1_and_end_entity_only_when_asked(sim_host: Host) -> None:
    tp = _make(sim_host)
    call(
        sim_host,
        "Export-PfxCertificate",
        Cert=f"{MY}\\{tp}",
        FilePath="C:\\a.pfx",
        Password=PASSWORD,
        ChainOption="EndEntityCertOnly",
    )
    data = sim_host.real_path("C:\\a.pfx").read_bytes()
    assert b"\x06\x09\x2a\x86\x48\x86\xf7\x0d\x01\x05\x0d" not in data  # no PBES2
    assert b"\x06\x0a\x2a\x86\x48\x86\xf7\x0d\x01\x0c\x01\x03" in data  # pbeWithSHAAnd3-KeyTripleDES-CBC
    loaded = pkcs12.load_pkcs12(data, PASSWORD.reveal().encode())
    assert loaded.key is not None
    assert loaded.additional_certs == []


def test_aes256_pfx_is_refused_on_2016_and_accepted_on_2019(sim_host: Host, tmp_path: Path) -> None:
    source_2019 = make_host(tmp_path / "src2019", {**DEFAULT_TOPOLOGY, "os": "2019"})
    tp = _make(source_2019)
    call(
        source_2019,
        "Export-PfxCertificate",
        Cert=f"{MY}\\{tp}",
        FilePath="C:\\aes.pfx",
        Password=PASSWORD,
        CryptoAlgorithmOption="AES256_SHA256",
    )
    old, new = _replica(tmp_path, "2016"), _replica(tmp_path, "2019")
    for host in (old, new):
        _copy(source_2019, host, "C:\\aes.pfx")
    with pytest.raises(SimError) as info:
        call(old, "Import-PfxCertificate", FilePath="C:\\aes.pfx", CertStoreLocation=MY, Password=PASSWORD)
    assert info.value.message == "The specified network password is not correct."
    assert info.value.hresult == 0x80070056
    assert store.list_certificates(old, "My") == []
    (imported,) = call(new, "Import-PfxCertificate", FilePath="C:\\aes.pfx", CertStoreLocation=MY, Password=PASSWORD)
    assert imported.get("Thumbprint") == tp


def test_crypto_algorithm_option_does_not_exist_on_2016(sim_host: Host) -> None:
    tp = _make(sim_host)
    with pytest.raises(ParameterBindingError) as info:
        call(
            sim_host,
            "Export-PfxCertificate",
            Cert=f"{MY}\\{tp}",
            FilePath="C:\\x.pfx",
            Password=PASSWORD,
            CryptoAlgorithmOption="TripleDES_SHA1",
        )
    assert info.value.message == "A parameter cannot be found that matches parameter name 'CryptoAlgorithmOption'."
    assert not sim_host.real_path("C:\\x.pfx").exists()


def test_wrong_password_and_non_exportable_key(sim_host: Host, tmp_path: Path) -> None:
    tp = _make(sim_host)
    call(sim_host, "Export-PfxCertificate", Cert=f"{MY}\\{tp}", FilePath="C:\\p.pfx", Password=PASSWORD)
    replica = _replica(tmp_path)
    _copy(sim_host, replica, "C:\\p.pfx")
    with pytest.raises(SimError) as info:
        call(replica, "Import-PfxCertificate", FilePath="C:\\p.pfx", CertStoreLocation=MY, Password=SecureString("x"))
    assert info.value.hresult == 0x80070056
    locked = _make(sim_host, "locked.test.net", KeyExportPolicy=["NonExportable"])
    with pytest.raises(SimError) as info:
        call(sim_host, "Export-PfxCertificate", Cert=f"{MY}\\{locked}", FilePath="C:\\l.pfx", Password=PASSWORD)
    assert info.value.message == "Cannot export non-exportable private key."
    assert info.value.hresult_hex == "0x8009000B"
    assert not sim_host.real_path("C:\\l.pfx").exists()


def test_no_clobber_and_missing_file(sim_host: Host) -> None:
    tp = _make(sim_host)
    sim_host.real_path("C:\\exists.pfx").write_bytes(b"old")
    with pytest.raises(SimError) as clobber:
        call(
            sim_host,
            "Export-PfxCertificate",
            Cert=f"{MY}\\{tp}",
            FilePath="C:\\exists.pfx",
            Password=PASSWORD,
            NoClobber=True,
        )
    assert sim_host.real_path("C:\\exists.pfx").read_bytes() == b"old"
    assert (clobber.value.exception_type, clobber.value.category) == ("System.IO.IOException", "ResourceExists")
    assert "'C:\\exists.pfx' already exists" in clobber.value.message
    with pytest.raises(SimError) as info:
        call(sim_host, "Import-PfxCertificate", FilePath="C:\\missing.pfx", CertStoreLocation=MY, Password=PASSWORD)
    assert info.value.exception_type == "System.IO.FileNotFoundException"


def test_root_exported_as_cer_imports_into_the_replica_root(sim_host: Host, tmp_path: Path) -> None:
    _make(sim_host)
    (root,) = store.list_certificates(sim_host, "CA")
    call(sim_host, "Export-Certificate", Cert=f"Cert:\\LocalMachine\\CA\\{root.thumbprint}", FilePath="C:\\root.cer")
    assert sim_host.real_path("C:\\root.cer").read_bytes()[:1] == b"\x30"  # DER SEQUENCE
    replica = _replica(tmp_path)
    _copy(sim_host, replica, "C:\\root.cer")
    (imported,) = call(
        replica, "Import-Certificate", FilePath="C:\\root.cer", CertStoreLocation="Cert:\\LocalMachine\\Root"
    )
    assert imported.get("Thumbprint") == root.thumbprint
    assert imported.get("HasPrivateKey") is False
    assert [e.thumbprint for e in store.list_certificates(replica, "Root")] == [root.thumbprint]


def test_p7b_export_holds_every_certificate(sim_host: Host) -> None:
    first, second = _make(sim_host, "a.test.net"), _make(sim_host, "b.test.net")
    certs = [f"{MY}\\{first}", f"{MY}\\{second}"]
    call(sim_host, "Export-Certificate", Cert=certs, FilePath="C:\\all.p7b", Type="P7B")
    store.remove_certificate(sim_host, first)
    store.remove_certificate(sim_host, second)
    imported = call(sim_host, "Import-Certificate", FilePath="C:\\all.p7b", CertStoreLocation=MY)
    assert sorted(i.get("Thumbprint") for i in imported) == sorted([first, second])
    assert all(i.get("HasPrivateKey") is False for i in imported)


def test_get_pfx_data_lists_end_entity_and_chain(sim_host: Host) -> None:
    tp = _make(sim_host)
    call(sim_host, "Export-PfxCertificate", Cert=f"{MY}\\{tp}", FilePath="C:\\d.pfx", Password=PASSWORD)
    (data,) = call(sim_host, "Get-PfxData", FilePath="C:\\d.pfx", Password=PASSWORD)
    (leaf,) = data.get("EndEntityCertificates")
    assert leaf.get("Thumbprint") == tp
    assert leaf.get("HasPrivateKey") is True
    assert leaf.get("PSPath") is None
    assert [c.get("Subject") for c in data.get("OtherCertificates")] == [
        "CN=CertReq Test Root, OU=For Test Purposes Only"
    ]
