"""New-SelfSignedCertificate: the recipe's -TestRoot call, EKUs, SANs, validity, signer, store rules."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from cryptography import x509
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from simulator.core.errors import NotModelledError, SimError
from simulator.core.host import Host
from simulator.services.certs import store

from .helpers import call

MY = "Cert:\\LocalMachine\\My"


def _new(host: Host, **args: Any) -> x509.Certificate:
    (obj,) = call(host, "New-SelfSignedCertificate", **args)
    location = obj.get("PSParentPath").split("::")[1].split("\\")[0]
    entry = store.find_certificate(host, obj.get("Thumbprint"), location=location)
    assert entry is not None
    return entry.certificate


def test_recipe_testroot_twice_gives_two_certs_and_one_test_root_in_ca(sim_host: Host) -> None:
    outputs = []
    for _ in range(2):
        outputs += call(
            sim_host,
            "New-SelfSignedCertificate",
            DnsName=["hyper-v-prim.test.net"],
            CertStoreLocation="cert:\\LocalMachine\\My",
            TestRoot=True,
        )
    my = store.list_certificates(sim_host, "My")
    assert len(my) == 2
    assert {o.get("Thumbprint") for o in outputs} == {e.thumbprint for e in my}
    ca = store.list_certificates(sim_host, "CA")
    assert len(ca) == 1
    root = ca[0].certificate
    assert root.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == "CertReq Test Root"
    assert root.subject.get_attributes_for_oid(NameOID.ORGANIZATIONAL_UNIT_NAME)[0].value == "For Test Purposes Only"
    assert not ca[0].has_private_key
    assert store.list_certificates(sim_host, "Root") == []
    for entry in my:
        assert entry.certificate.issuer == root.subject
        entry.certificate.verify_directly_issued_by(root)
        assert entry.has_private_key
        assert entry.exportable
        assert store.usable_for_replication(entry) == []
        assert not store.has_reachable_crl(entry.certificate)
    out = outputs[0]
    assert out.get("Subject") == "CN=hyper-v-prim.test.net"
    assert out.get("Issuer") == "CN=CertReq Test Root, OU=For Test Purposes Only"
    assert out.get("HasPrivateKey") is True
    assert out.get("PSPath") == f"Microsoft.PowerShell.Security\\Certificate::LocalMachine\\My\\{out.get('Thumbprint')}"
    assert [o.text() for o in out.get("EnhancedKeyUsageList")] == [
        "Client Authentication (1.3.6.1.5.5.7.3.2)",
        "Server Authentication (1.3.6.1.5.5.7.3.1)",
    ]


def test_dns_names_first_is_subject_all_are_in_san(sim_host: Host) -> None:
    cert = _new(sim_host, DnsName=["www.fabrikam.com", "www.contoso.com"], CertStoreLocation=MY)
    assert cert.subject.rfc4514_string() == "CN=www.fabrikam.com"
    assert cert.issuer == cert.subject
    san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert san.get_values_for_type(x509.DNSName) == ["www.fabrikam.com", "www.contoso.com"]
    ekus = list(cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value)
    assert ekus == [ExtendedKeyUsageOID.CLIENT_AUTH, ExtendedKeyUsageOID.SERVER_AUTH]


def test_default_validity_is_ten_minutes_back_to_one_year(sim_host: Host) -> None:
    now = sim_host.clock.now()
    cert = _new(sim_host, DnsName=["a.test.net"], CertStoreLocation=MY)
    assert abs(cert.not_valid_before_utc - (now - dt.timedelta(minutes=10))) < dt.timedelta(seconds=5)
    assert dt.timedelta(days=364) < cert.not_valid_after_utc - now <= dt.timedelta(days=366)


def test_text_extensions_and_key_usage_shape_a_ca_and_its_leaf(sim_host: Host) -> None:
    (ca_obj,) = call(
        sim_host,
        "New-SelfSignedCertificate",
        Subject="CN=Lab Root, O=Lab",
        KeyUsage=["CertSign", "CRLSign"],
        TextExtension=["2.5.29.19={text}CA=true&pathlength=0"],
        CertStoreLocation=MY,
        KeyExportPolicy=["NonExportable"],
    )
    assert ca_obj.get("Subject") == "CN=Lab Root, O=Lab"
    ca_entry = store.find_certificate(sim_host, ca_obj.get("Thumbprint"))
    assert ca_entry is not None and not ca_entry.exportable
    constraints = ca_entry.certificate.extensions.get_extension_for_class(x509.BasicConstraints).value
    assert constraints.ca and constraints.path_length == 0
    usage = ca_entry.certificate.extensions.get_extension_for_class(x509.KeyUsage).value
    assert usage.key_cert_sign and usage.crl_sign and not usage.digital_signature
    leaf = _new(
        sim_host,
        DnsName=["b.test.net"],
        Signer=ca_obj,
        CertStoreLocation=MY,
        TextExtension=[
            "2.5.29.37={critical}{text}1.3.6.1.5.5.7.3.1",
            "2.5.29.17={text}DNS=b.test.net&IPAddress=192.168.1.5",
        ],
    )
    assert leaf.extensions.get_extension_for_class(x509.ExtendedKeyUsage).critical
    assert not leaf.extensions.get_extension_for_class(x509.SubjectAlternativeName).critical
    leaf.verify_directly_issued_by(ca_entry.certificate)
    assert list(leaf.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value) == [
        ExtendedKeyUsageOID.SERVER_AUTH
    ]
    san = leaf.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert san.get_values_for_type(x509.DNSName) == ["b.test.net"]
    assert [str(a) for a in san.get_values_for_type(x509.IPAddress)] == ["192.168.1.5"]


def test_signer_given_as_path_must_have_a_key(sim_host: Host) -> None:
    ca = _new(sim_host, Subject="Lab Root", CertStoreLocation=MY)
    tp = store.thumbprint_of(ca)
    leaf = _new(sim_host, DnsName=["c.test.net"], Signer=f"Cert:\\LocalMachine\\My\\{tp}", CertStoreLocation=MY)
    assert leaf.issuer == ca.subject
    store.add_certificate(sim_host, ca, store="Root")
    with pytest.raises(SimError) as info:
        call(
            sim_host,
            "New-SelfSignedCertificate",
            DnsName=["d.test.net"],
            Signer=f"Cert:\\LocalMachine\\Root\\{tp}",
            CertStoreLocation=MY,
        )
    assert info.value.hresult == 0x80090016


def test_only_my_stores_accept_new_certificates(sim_host: Host) -> None:
    with pytest.raises(SimError) as info:
        call(
            sim_host, "New-SelfSignedCertificate", DnsName=["a.test.net"], CertStoreLocation="Cert:\\LocalMachine\\Root"
        )
    assert info.value.message == "A new certificate can only be installed into MY store."
    assert store.list_certificates(sim_host, "Root") == []
    _new(sim_host, DnsName=["u.test.net"], CertStoreLocation="Cert:\\CurrentUser\\My")
    assert len(store.list_certificates(sim_host, "My", "CurrentUser")) == 1
    assert store.list_certificates(sim_host, "My") == []


def test_ecdsa_key_and_custom_type(sim_host: Host) -> None:
    cert = _new(sim_host, DnsName=["e.test.net"], KeyAlgorithm="ECDSA_nistP256", Type="Custom", CertStoreLocation=MY)
    with pytest.raises(x509.ExtensionNotFound):
        cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage)
    assert cert.public_key().key_size == 256  # type: ignore[union-attr]  # an EC key here


def test_clone_cert_is_refused_loudly(sim_host: Host) -> None:
    with pytest.raises(NotModelledError, match=r"^not modelled.*New-SelfSignedCertificate -CloneCert"):
        call(sim_host, "New-SelfSignedCertificate", CloneCert="Cert:\\LocalMachine\\My\\AB", CertStoreLocation=MY)


@pytest.mark.parametrize(
    "bad",
    [
        {"SerialNumber": "-5"},
        {"SerialNumber": "xyz"},
        {"HashAlgorithm": "SHA3"},
        {"KeyLength": 100},
        {"NotAfter": dt.datetime(2000, 1, 1, tzinfo=dt.UTC)},
        {"Subject": "XX=1"},
    ],
)
def test_invalid_requests_fail_cleanly_and_leave_no_test_root(sim_host: Host, bad: dict[str, Any]) -> None:
    with pytest.raises(SimError) as info:
        call(sim_host, "New-SelfSignedCertificate", DnsName=["a.test.net"], CertStoreLocation=MY, TestRoot=True, **bad)
    # The cmdlet's own refusal, not a NotModelledError (which is a SimError too).
    command = "Microsoft.CertificateServices.Commands.NewSelfSignedCertificateCommand"
    assert info.value.fully_qualified_error_id.endswith("," + command)
    assert not isinstance(info.value, NotModelledError)
    assert store.list_certificates(sim_host, "My") == []
    assert store.list_certificates(sim_host, "CA") == []
