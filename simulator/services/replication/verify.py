"""The certificate checks each side of a replication connection makes, as Hyper-V makes them.

TLS itself (``ssl`` in channel/listener) only proves that the peer holds the private key of the
certificate it presents; every Windows rule is checked here, against the *checking* host's stores
and simulated clock, and each failure maps to the Windows code (winerrors). Pure functions: the
caller gathers the stores and the policy (hostview) and hands them in.

Order, as CertVerifyCertificateChainPolicy reports the first problem: chain to a trusted root,
validity period, revocation, usage (EKU), then the name.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from simulator.services.replication import winerrors
from simulator.services.replication.winerrors import Failure

log = logging.getLogger(__name__)

MAX_CHAIN_LENGTH = 8
REQUIRED_USAGES = (ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH)


def thumbprint(cert: x509.Certificate) -> str:
    """Windows' thumbprint: upper-case hex SHA-1 of the DER encoding."""
    return cert.fingerprint(hashes.SHA1()).hex().upper()  # noqa: S303 - the thumbprint is SHA-1 by definition


@dataclass
class TrustPolicy:
    """What the checking host brings to the check.

    Attributes:
        roots: its ``LocalMachine\\Root`` store.
        intermediates: its ``LocalMachine\\CA`` store.
        now: its simulated clock.
        check_revocation: False when ``DisableCertRevocationCheck`` = 1 on the checking host.
        is_revoked / has_reachable_crl: the lab's revocation model (helper D's store).
    """

    roots: Sequence[x509.Certificate]
    intermediates: Sequence[x509.Certificate]
    now: dt.datetime
    check_revocation: bool = True
    is_revoked: Callable[[x509.Certificate], bool] = field(default=lambda _cert: False)
    has_reachable_crl: Callable[[x509.Certificate], bool] = field(default=lambda _cert: False)


class CertificateCheckError(Exception):
    """A check failed; ``failure`` names the Windows code."""

    def __init__(self, failure: Failure, detail: str) -> None:
        super().__init__(detail)
        self.failure = failure
        self.detail = detail


def issued_by(cert: x509.Certificate, issuer: x509.Certificate) -> bool:
    """Whether ``issuer`` signed ``cert`` (name and signature)."""
    if cert.issuer != issuer.subject:
        return False
    try:
        cert.verify_directly_issued_by(issuer)
    except (InvalidSignature, ValueError, TypeError):
        return False
    return True


def build_chain(leaf: x509.Certificate, extra: Iterable[x509.Certificate],
                policy: TrustPolicy) -> list[x509.Certificate]:
    """Chain ``leaf`` to a root in ``policy.roots``, using ``extra`` (sent by the peer) and the CA store.

    Raises:
        CertificateCheckError: UNTRUSTED_ROOT when the chain ends in a self-signed certificate that is not
            in Root; CHAINING when no issuer can be found at all.
    """
    roots = {thumbprint(r): r for r in policy.roots}
    pool = [c for c in [*extra, *policy.intermediates] if thumbprint(c) not in roots]
    chain = [leaf]
    current = leaf
    for _ in range(MAX_CHAIN_LENGTH):
        if thumbprint(current) in roots:
            return chain
        anchor = next((r for r in roots.values() if issued_by(current, r)), None)
        if anchor is not None:
            chain.append(anchor)
            return chain
        if issued_by(current, current):
            raise CertificateCheckError(
                winerrors.UNTRUSTED_ROOT,
                f"root '{current.subject.rfc4514_string()}' is not in the Trusted Root Certification Authorities store",
            )
        issuer = next((c for c in pool if issued_by(current, c) and c not in chain), None)
        if issuer is None:
            raise CertificateCheckError(
                winerrors.CHAINING, f"no issuer '{current.issuer.rfc4514_string()}' found for the chain"
            )
        chain.append(issuer)
        current = issuer
    raise CertificateCheckError(winerrors.CHAINING, "certificate chain too long")


def _check_validity(chain: Sequence[x509.Certificate], now: dt.datetime) -> None:
    for cert in chain:
        if not cert.not_valid_before_utc <= now <= cert.not_valid_after_utc:
            raise CertificateCheckError(
                winerrors.EXPIRED,
                f"'{cert.subject.rfc4514_string()}' is valid from {cert.not_valid_before_utc:%Y-%m-%d %H:%M:%S} "
                f"to {cert.not_valid_after_utc:%Y-%m-%d %H:%M:%S} UTC; the time is {now:%Y-%m-%d %H:%M:%S} UTC",
            )


def _has_cdp(cert: x509.Certificate) -> bool:
    try:
        cert.extensions.get_extension_for_class(x509.CRLDistributionPoints)
    except x509.ExtensionNotFound:
        return False
    return True


def _check_revocation(chain: Sequence[x509.Certificate], policy: TrustPolicy) -> None:
    if not policy.check_revocation:
        return
    # ASSUMPTION: the anchor (last, trusted by being in Root) is not revocation-checked; every issued
    # certificate is, and an unreachable CRL is reported (offline) before a revocation it would list.
    for cert in chain[:-1] if len(chain) > 1 else chain:
        if not policy.has_reachable_crl(cert):
            if not _has_cdp(cert):
                raise CertificateCheckError(
                    winerrors.NO_REVOCATION_CHECK,
                    f"'{cert.subject.rfc4514_string()}' has no CRL distribution point",
                )
            raise CertificateCheckError(
                winerrors.REVOCATION_OFFLINE,
                f"the CRL distribution point of '{cert.subject.rfc4514_string()}' cannot be reached",
            )
        if policy.is_revoked(cert):
            raise CertificateCheckError(
                winerrors.REVOKED, f"'{cert.subject.rfc4514_string()}' serial {cert.serial_number:X} is revoked"
            )


def _check_usage(leaf: x509.Certificate) -> None:
    try:
        usages = set(leaf.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value)
    except x509.ExtensionNotFound:
        # ASSUMPTION: Hyper-V requires both EKUs to be listed; a certificate without the EKU extension
        # (valid for "all purposes" to CryptoAPI) is refused like one missing them.
        usages = set()
    if ExtendedKeyUsageOID.ANY_EXTENDED_KEY_USAGE in usages:
        return
    missing = [oid.dotted_string for oid in REQUIRED_USAGES if oid not in usages]
    if missing:
        raise CertificateCheckError(winerrors.WRONG_USAGE, f"missing enhanced key usage {', '.join(missing)}")


def certificate_names(cert: x509.Certificate) -> list[str]:
    """Subject CN first, then every SAN DNS name (no duplicates, original case)."""
    names: list[str] = []
    for attr in cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME):
        names.append(str(attr.value))
    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        names.extend(san.get_values_for_type(x509.DNSName))
    except x509.ExtensionNotFound:
        pass
    seen: set[str] = set()
    unique = []
    for name in names:
        if name.lower() not in seen:
            seen.add(name.lower())
            unique.append(name)
    return unique


def name_matches(pattern: str, name: str) -> bool:
    """DNS name match, case-insensitive; ``*`` allowed as the whole first label, matching one label."""
    pattern = pattern.rstrip(".").lower()
    name = name.rstrip(".").lower()
    if pattern == name:
        return True
    if pattern.startswith("*."):
        head, _, rest = name.partition(".")
        return bool(head) and rest == pattern[2:]
    return False


def _ip_matches(leaf: x509.Certificate, expected: str) -> bool:
    """A server dialled by IP address matches a SAN IPAddress entry (never a DNS name)."""
    try:
        address = ipaddress.ip_address(expected)
    except ValueError:
        return False
    try:
        san = leaf.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return False
    return address in san.get_values_for_type(x509.IPAddress)


def _check_name(leaf: x509.Certificate, expected_name: str) -> None:
    # ASSUMPTION: the Subject CN and every SAN DNS name count (fact sheet §3), wildcards as the first label.
    names = certificate_names(leaf)
    if _ip_matches(leaf, expected_name):
        return
    if not any(name_matches(n, expected_name) for n in names):
        raise CertificateCheckError(
            winerrors.CN_NO_MATCH, f"'{expected_name}' is not among the certificate's names {names}"
        )


def check_peer(presented: Sequence[x509.Certificate], policy: TrustPolicy,
               expected_name: str | None = None) -> list[x509.Certificate]:
    """Run every check on the peer's certificate (``presented[0]``, then what it sent to help chaining).

    ``expected_name`` is the name that was dialled (the primary checking the replica); the replica
    checking the primary passes None (it authorizes by name afterwards instead).

    Returns the verified chain (leaf first). Raises CertificateCheckError with the first failure.
    """
    if not presented:
        raise CertificateCheckError(winerrors.NO_CERTIFICATE, "the peer presented no certificate")
    leaf = presented[0]
    chain = build_chain(leaf, presented[1:], policy)
    _check_validity(chain, policy.now)
    _check_revocation(chain, policy)
    _check_usage(leaf)
    if expected_name is not None:
        _check_name(leaf, expected_name)
    log.debug("peer certificate %s passed every check", thumbprint(leaf))
    return chain
