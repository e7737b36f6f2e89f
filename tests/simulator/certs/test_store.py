"""The certificate-store API other subsystems rely on: add/find/list, replication usability, revocation."""

from __future__ import annotations

import datetime as dt

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from simulator.core.host import Host
from simulator.services.certs import store


def _cert(
    name: str, ekus: list[x509.ObjectIdentifier] | None, cdp: str | None = None, days: int = 30
) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = dt.datetime.now(dt.UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=10))
        .not_valid_after(now + dt.timedelta(days=days))
    )
    if ekus is not None:
        builder = builder.add_extension(x509.ExtendedKeyUsage(ekus), critical=False)
    if cdp is not None:
        point = x509.DistributionPoint([x509.UniformResourceIdentifier(cdp)], None, None, None)
        builder = builder.add_extension(x509.CRLDistributionPoints([point]), critical=False)
    return builder.sign(key, hashes.SHA256()), key


BOTH = [ExtendedKeyUsageOID.CLIENT_AUTH, ExtendedKeyUsageOID.SERVER_AUTH]


def test_added_certificate_is_found_by_thumbprint_in_any_case(sim_host: Host) -> None:
    cert, key = _cert("hyper-v-prim.test.net", BOTH)
    added = store.add_certificate(sim_host, cert, key, friendly_name="prim", exportable=True)
    expected_tp = cert.fingerprint(hashes.SHA1()).hex().upper()
    assert added.thumbprint == expected_tp
    found = store.find_certificate(sim_host, expected_tp.lower())
    assert found is not None
    assert found.certificate == cert
    assert found.has_private_key
    assert found.friendly_name == "prim"
    assert store.find_certificate(sim_host, expected_tp, store="Root") is None
    assert [e.thumbprint for e in store.list_certificates(sim_host, "my")] == [expected_tp]
    assert "private_key" not in repr(found)


def test_state_survives_reopening_the_host(sim_host: Host) -> None:
    cert, key = _cert("a.test.net", BOTH)
    store.add_certificate(sim_host, cert, key)
    reopened = Host.open(sim_host.state_dir)
    entry = store.find_certificate(reopened, store.thumbprint_of(cert))
    assert entry is not None
    assert entry.certificate == cert
    assert entry.has_private_key
    assert [e.thumbprint for e in store.list_certificates(reopened, "My")] == [store.thumbprint_of(cert)]


def test_adding_same_certificate_twice_replaces_it_and_keeps_the_key(sim_host: Host) -> None:
    cert, key = _cert("a.test.net", BOTH)
    store.add_certificate(sim_host, cert, key, exportable=True)
    store.add_certificate(sim_host, cert)  # e.g. the .cer of the same certificate imported again
    entries = store.list_certificates(sim_host, "My")
    assert len(entries) == 1
    assert entries[0].has_private_key


def test_usable_for_replication_lists_each_problem(sim_host: Host) -> None:
    good, key = _cert("a.test.net", BOTH)
    assert store.usable_for_replication(store.add_certificate(sim_host, good, key)) == []
    server_only, key2 = _cert("b.test.net", [ExtendedKeyUsageOID.SERVER_AUTH])
    problems = store.usable_for_replication(store.add_certificate(sim_host, server_only, key2))
    assert len(problems) == 1
    assert "Client Authentication" in problems[0]
    no_key, _ = _cert("c.test.net", BOTH)
    problems = store.usable_for_replication(store.add_certificate(sim_host, no_key))
    assert problems == ["the certificate has no associated private key"]
    later = dt.datetime.now(dt.UTC) + dt.timedelta(days=31)
    found = store.find_certificate(sim_host, store.thumbprint_of(good))
    assert found is not None
    assert store.usable_for_replication(found, later) == ["the certificate has expired"]


def test_revocation_by_serial_ignores_case_and_leading_zeros(sim_host: Host) -> None:
    cert, _ = _cert("a.test.net", BOTH)
    assert not store.is_revoked(sim_host, cert)
    store.revoke(sim_host, "00" + format(cert.serial_number, "x"))
    assert store.is_revoked(sim_host, cert)
    other, _ = _cert("b.test.net", BOTH)
    assert not store.is_revoked(sim_host, other)


def test_only_lab_crl_distribution_points_are_reachable() -> None:
    assert not store.has_reachable_crl(_cert("a", BOTH)[0])
    assert store.has_reachable_crl(_cert("a", BOTH, cdp="http://crl.lab/ca.crl")[0])
    assert not store.has_reachable_crl(_cert("a", BOTH, cdp="http://crl.contoso.com/ca.crl")[0])


def test_move_certificate_between_stores(sim_host: Host) -> None:
    cert, _ = _cert("CertReq Test Root", None)
    store.add_certificate(sim_host, cert, store="CA")
    source, destination = ("LocalMachine", "CA"), ("LocalMachine", "Root")
    moved = store.move_certificate(sim_host, store.thumbprint_of(cert), source, destination)
    assert moved.store == "Root"
    assert store.list_certificates(sim_host, "CA") == []
    assert store.remove_certificate(sim_host, moved.thumbprint, "Root")
    assert not store.remove_certificate(sim_host, moved.thumbprint, "Root")
