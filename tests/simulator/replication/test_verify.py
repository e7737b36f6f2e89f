"""The Windows certificate checks on their own (no sockets): chain, validity, revocation, usage, name."""

from __future__ import annotations

import datetime as dt

import pytest
from cryptography import x509
from cryptography.x509.oid import ExtendedKeyUsageOID
from hypothesis import given
from hypothesis import strategies as st

from simulator.services.replication import winerrors
from simulator.services.replication.verify import (
    CertificateCheckError,
    TrustPolicy,
    certificate_names,
    check_peer,
    name_matches,
)
from tests.simulator.replication.support import Issuer, make_host_cert, make_root

ROOT = make_root()
LEAF, _ = make_host_cert(ROOT, "hyper-v-repl.test.net", sans=("hyper-v-repl.test.net", "*.lab.test.net"))
NOW = dt.datetime.now(dt.UTC)


def _policy(**overrides: object) -> TrustPolicy:
    now = dt.datetime.now(dt.UTC)  # certificates made inside a test start at the real time, not at import
    base: dict[str, object] = {"roots": [ROOT.cert], "intermediates": [], "now": now, "check_revocation": False}
    base.update(overrides)
    return TrustPolicy(**base)  # type: ignore[arg-type]  # test overrides are typed by the caller


def _failure(presented: list[x509.Certificate], policy: TrustPolicy, name: str | None = None) -> winerrors.Failure:
    with pytest.raises(CertificateCheckError) as caught:
        check_peer(presented, policy, name)
    return caught.value.failure


def _intermediate(root: Issuer) -> Issuer:
    from cryptography.hazmat.primitives import hashes  # noqa: PLC0415
    from cryptography.hazmat.primitives.asymmetric import ec  # noqa: PLC0415
    from cryptography.x509.oid import NameOID  # noqa: PLC0415

    key = ec.generate_private_key(ec.SECP256R1())
    cert = (x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Lab Issuing CA")]))
            .issuer_name(root.cert.subject).public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(NOW - dt.timedelta(days=1)).not_valid_after(NOW + dt.timedelta(days=1000))
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .sign(root.key, hashes.SHA256()))
    return Issuer(cert, key)


def test_good_chain_returns_leaf_then_root() -> None:
    """A leaf issued by a trusted root passes; the chain is leaf, root."""
    chain = check_peer([LEAF], _policy(), "hyper-v-repl.test.net")
    assert [c.subject for c in chain] == [LEAF.subject, ROOT.cert.subject]


def test_root_sent_by_peer_but_not_trusted() -> None:
    """The peer sends its root, the checker has it nowhere trusted -> UNTRUSTEDROOT."""
    assert _failure([LEAF, ROOT.cert], _policy(roots=[])) is winerrors.UNTRUSTED_ROOT


def test_root_only_in_ca_store() -> None:
    """The CertReq Test Root mistake: root in CA, not in Root -> UNTRUSTEDROOT."""
    assert _failure([LEAF], _policy(roots=[], intermediates=[ROOT.cert])) is winerrors.UNTRUSTED_ROOT


def test_no_issuer_anywhere() -> None:
    """No issuer at all -> CERT_E_CHAINING."""
    assert _failure([LEAF], _policy(roots=[make_root("Unrelated").cert])) is winerrors.CHAINING


def test_intermediate_from_peer_or_ca_store() -> None:
    """An issuing CA found in what the peer sent, or in the checker's CA store, completes the chain."""
    issuing = _intermediate(ROOT)
    leaf, _ = make_host_cert(issuing, "hyper-v-repl.test.net")
    assert len(check_peer([leaf, issuing.cert], _policy())) == 3
    assert len(check_peer([leaf], _policy(intermediates=[issuing.cert]))) == 3
    assert _failure([leaf], _policy()) is winerrors.CHAINING


def test_self_signed_leaf_trusted_when_in_root() -> None:
    """A self-signed certificate placed in Root is its own anchor."""
    from cryptography.hazmat.primitives import hashes  # noqa: PLC0415
    from cryptography.x509.oid import NameOID  # noqa: PLC0415

    key = ROOT.key
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "self.test.net")])
    cert = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject).public_key(key.public_key())
            .serial_number(1).not_valid_before(NOW - dt.timedelta(days=1)).not_valid_after(NOW + dt.timedelta(days=9))
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH]),
                           critical=False)
            .sign(key, hashes.SHA256()))
    assert check_peer([cert], _policy(roots=[cert]), "self.test.net") == [cert]
    assert _failure([cert], _policy(roots=[])) is winerrors.UNTRUSTED_ROOT


@pytest.mark.parametrize("days", [-1, 366])
def test_outside_validity(days: int) -> None:
    """Before NotBefore or after NotAfter (simulated clock) -> CERT_E_EXPIRED."""
    assert _failure([LEAF], _policy(now=NOW + dt.timedelta(days=days))) is winerrors.EXPIRED


def test_revocation_rules() -> None:
    """Checking on: no CDP -> NO_REVOCATION_CHECK; unreachable CDP -> OFFLINE; reachable -> passes unless revoked."""
    assert _failure([LEAF], _policy(check_revocation=True)) is winerrors.NO_REVOCATION_CHECK
    outside, _ = make_host_cert(ROOT, "hyper-v-repl.test.net", cdp="http://crl.contoso.com/root.crl")
    assert _failure([outside], _policy(check_revocation=True)) is winerrors.REVOCATION_OFFLINE
    reachable = _policy(check_revocation=True, has_reachable_crl=lambda _c: True)
    assert check_peer([LEAF], reachable)
    revoked = _policy(check_revocation=True, has_reachable_crl=lambda _c: True, is_revoked=lambda c: c == LEAF)
    assert _failure([LEAF], revoked) is winerrors.REVOKED
    assert check_peer([LEAF], _policy(check_revocation=False, is_revoked=lambda _c: True))


@pytest.mark.parametrize("ekus", [(ExtendedKeyUsageOID.SERVER_AUTH,), (ExtendedKeyUsageOID.CLIENT_AUTH,), None])
def test_usage_needs_both_ekus(ekus: tuple[x509.ObjectIdentifier, ...] | None) -> None:
    """Only one of the two EKUs, or no EKU extension -> CERT_E_WRONG_USAGE."""
    leaf, _ = make_host_cert(ROOT, "hyper-v-repl.test.net", ekus=ekus)
    assert _failure([leaf], _policy()) is winerrors.WRONG_USAGE


def test_name_checks() -> None:
    """CN, SAN and a first-label wildcard match; anything else -> CERT_E_CN_NO_MATCH."""
    for good in ("hyper-v-repl.test.net", "HYPER-V-REPL.TEST.NET.", "node1.lab.test.net"):
        check_peer([LEAF], _policy(), good)
    for bad in ("hyper-v-prim.test.net", "a.b.lab.test.net", "lab.test.net"):
        assert _failure([LEAF], _policy(), bad) is winerrors.CN_NO_MATCH
    assert certificate_names(LEAF) == ["hyper-v-repl.test.net", "*.lab.test.net"]


def test_certificate_names_match_whatever_their_case() -> None:
    """DNS names are case-insensitive on the certificate's side too (a CN typed in capitals still matches)."""
    upper, _ = make_host_cert(ROOT, "Hyper-V-Repl.Test.Net", sans=("Hyper-V-Repl.Test.Net", "*.LAB.Test.Net"))
    for dialled in ("hyper-v-repl.test.net", "node1.lab.test.net"):
        assert check_peer([upper], _policy(), dialled)[0] == upper
    assert _failure([upper], _policy(), "hyper-v-prim.test.net") is winerrors.CN_NO_MATCH


def test_any_purpose_eku_is_accepted() -> None:
    """anyExtendedKeyUsage (2.5.29.37.0) covers Server and Client Authentication, as in CryptoAPI."""
    leaf, _ = make_host_cert(ROOT, "hyper-v-repl.test.net", ekus=(ExtendedKeyUsageOID.ANY_EXTENDED_KEY_USAGE,))
    assert check_peer([leaf], _policy(), "hyper-v-repl.test.net")[0] == leaf
    other, _ = make_host_cert(ROOT, "hyper-v-repl.test.net", ekus=(ExtendedKeyUsageOID.CODE_SIGNING,))
    assert _failure([other], _policy()) is winerrors.WRONG_USAGE


def test_first_failure_wins() -> None:
    """Chain problems are reported before validity, validity before usage."""
    leaf, _ = make_host_cert(ROOT, "x.test.net", ekus=(ExtendedKeyUsageOID.SERVER_AUTH,), days=1)
    later = NOW + dt.timedelta(days=5)
    assert _failure([leaf], _policy(roots=[], now=later)) is winerrors.CHAINING
    assert _failure([leaf], _policy(now=later)) is winerrors.EXPIRED
    assert _failure([leaf], _policy()) is winerrors.WRONG_USAGE


_label = st.from_regex(r"[a-z0-9]([a-z0-9-]{0,10}[a-z0-9])?", fullmatch=True)


@given(labels=st.lists(_label, min_size=2, max_size=5), other=_label)
def test_wildcard_matches_exactly_one_label(labels: list[str], other: str) -> None:
    """``*.rest`` matches ``x.rest`` for any one label x, never ``rest`` itself nor ``a.x.rest``."""
    rest = ".".join(labels[1:])
    assert name_matches(f"*.{rest}", f"{labels[0]}.{rest}")
    assert name_matches(".".join(labels), ".".join(labels).upper())
    assert not name_matches(f"*.{rest}", rest)
    assert not name_matches(f"*.{rest}", f"{other}.{labels[0]}.{rest}")


def test_dialled_by_ip_address() -> None:
    """Dialled by IP: only a SAN IPAddress entry matches (the DNS names do not)."""
    import ipaddress  # noqa: PLC0415

    from cryptography.hazmat.primitives import hashes  # noqa: PLC0415
    from cryptography.hazmat.primitives.asymmetric import ec  # noqa: PLC0415
    from cryptography.x509.oid import NameOID  # noqa: PLC0415

    key = ec.generate_private_key(ec.SECP256R1())
    cert = (x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "hyper-v-repl.test.net")]))
            .issuer_name(ROOT.cert.subject).public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(NOW - dt.timedelta(days=1)).not_valid_after(NOW + dt.timedelta(days=9))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName("hyper-v-repl.test.net"),
                                                        x509.IPAddress(ipaddress.ip_address("192.168.101.213"))]),
                           critical=False)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH]),
                           critical=False)
            .sign(ROOT.key, hashes.SHA256()))
    check_peer([cert], _policy(), "192.168.101.213")
    assert _failure([cert], _policy(), "192.168.101.209") is winerrors.CN_NO_MATCH
    assert _failure([LEAF], _policy(), "192.168.101.213") is winerrors.CN_NO_MATCH
