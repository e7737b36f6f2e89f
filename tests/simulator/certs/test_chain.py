"""Test-Certificate and the chain checks: untrusted test root, revocation, expiry, usage and name."""

from __future__ import annotations

import datetime as dt

from cryptography.x509.oid import ExtendedKeyUsageOID

from simulator.core.host import Host
from simulator.services.certs import chain, issue, store
from simulator.services.certs.provider import PROVIDER

from .helpers import FakeSession, call, invocation

MY = "Cert:\\LocalMachine\\My"


def _testroot_cert(host: Host) -> str:
    (obj,) = call(
        host, "New-SelfSignedCertificate", DnsName=["hyper-v-prim.test.net"], CertStoreLocation=MY, TestRoot=True
    )
    return str(obj.get("Thumbprint"))


def _trust_test_root(host: Host) -> None:
    (root,) = store.list_certificates(host, "CA")
    store.move_certificate(host, root.thumbprint, ("LocalMachine", "CA"), ("LocalMachine", "Root"))


def test_test_root_left_in_ca_is_untrusted(sim_host: Host) -> None:
    tp = _testroot_cert(sim_host)
    session = FakeSession()
    assert call(sim_host, "Test-Certificate", session=session, Cert=f"{MY}\\{tp}") == [False]
    (error,) = session.errors
    assert error.hresult == 0x800B0109
    assert error.message.endswith("0x800b0109 (-2146762487 CERT_E_UNTRUSTEDROOT)")
    assert "CERT_TRUST_IS_UNTRUSTED_ROOT" in session.warnings[0]


def test_trusted_test_root_still_fails_revocation_until_allowed(sim_host: Host) -> None:
    tp = _testroot_cert(sim_host)
    _trust_test_root(sim_host)
    session = FakeSession()
    assert call(sim_host, "Test-Certificate", session=session, Cert=f"{MY}\\{tp}") == [False]
    assert session.errors[0].hresult == 0x80092012
    entry = store.find_certificate(sim_host, tp)
    assert entry is not None
    now = sim_host.clock.now()
    assert chain.check_certificate(sim_host, entry.certificate, now=now, check_revocation=False) is None
    failure = chain.check_certificate(
        sim_host, entry.certificate, now=now, check_revocation=False, dns_name="hyper-v-repl.test.net"
    )
    assert failure == chain.CN_NO_MATCH
    later = now + dt.timedelta(days=400)
    assert chain.check_certificate(sim_host, entry.certificate, now=later, check_revocation=False) == chain.EXPIRED


def test_lab_ca_with_reachable_crl_passes_until_revoked(sim_host: Host) -> None:
    now = sim_host.clock.now()
    ca_request = issue.CertRequest(
        subject=issue.parse_subject("CN=Lab CA"),
        not_before=now - dt.timedelta(hours=1),
        not_after=now + dt.timedelta(days=3650),
        key_algorithm="ECDSA_nistP256",
        ca=True,
        key_usage=["CertSign", "CRLSign"],
    )
    ca_cert, ca_key = issue.issue(ca_request)
    store.add_certificate(sim_host, ca_cert, store="Root")
    leaf_request = issue.CertRequest(
        subject=issue.parse_subject("h.test.net"),
        not_before=now - dt.timedelta(hours=1),
        not_after=now + dt.timedelta(days=30),
        dns_names=["h.test.net"],
        key_algorithm="ECDSA_nistP256",
        crl_urls=["http://crl.lab/lab-ca.crl"],
        ekus=[ExtendedKeyUsageOID.CLIENT_AUTH, ExtendedKeyUsageOID.SERVER_AUTH],
    )
    leaf, key = issue.issue(leaf_request, (ca_cert, ca_key))
    entry = store.add_certificate(sim_host, leaf, key)
    assert call(
        sim_host, "Test-Certificate", Cert=f"{MY}\\{entry.thumbprint}", DNSName="h.test.net", EKU=["1.3.6.1.5.5.7.3.2"]
    ) == [True]
    (obj,) = PROVIDER.get_item(invocation(sim_host), f"{MY}\\{entry.thumbprint}")
    assert obj.methods["verify"]() is True
    store.revoke(sim_host, format(leaf.serial_number, "x"))
    assert obj.methods["verify"]() is False
    session = FakeSession()
    assert call(sim_host, "Test-Certificate", session=session, Cert=f"{MY}\\{entry.thumbprint}") == [False]
    assert session.errors[0].hresult == 0x80092010


def test_missing_issuer_is_a_partial_chain_and_usage_is_checked(sim_host: Host) -> None:
    tp = _testroot_cert(sim_host)
    entry = store.find_certificate(sim_host, tp)
    assert entry is not None
    now = sim_host.clock.now()
    (root,) = store.list_certificates(sim_host, "CA")
    store.remove_certificate(sim_host, root.thumbprint, "CA")
    assert chain.check_certificate(sim_host, entry.certificate, now=now) == chain.CHAINING
    store.add_certificate(sim_host, root.certificate, store="Root")
    code_signing = (ExtendedKeyUsageOID.CODE_SIGNING,)
    result = chain.check_certificate(sim_host, entry.certificate, now=now, ekus=code_signing, check_revocation=False)
    assert result == chain.WRONG_USAGE
