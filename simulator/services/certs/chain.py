"""Chain building and the CryptoAPI-style checks behind ``Test-Certificate``.

:func:`build_chain` walks issuers through the host's stores (My, CA, Root of the location and of
LocalMachine); :func:`check_certificate` returns the first failure as (HRESULT, message) the way
``CertGetCertificateChain`` + ``CertVerifyCertificateChainPolicy`` would report it. The replication
transport does its own checks (it also needs the peer's intermediates), but may reuse these.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING

from cryptography import x509

from simulator.services.certs import store

if TYPE_CHECKING:
    from simulator.core.host import Host

MAX_DEPTH = 8


@dataclass(frozen=True)
class ChainFailure:
    """Why a chain is not acceptable: the HRESULT and the text Windows gives for it."""

    hresult: int
    symbol: str
    message: str

    def text(self) -> str:
        """``<message> 0x800b0109 (-2146762487 CERT_E_UNTRUSTEDROOT)``, as the PKI cmdlets print it."""
        return f"{self.message} 0x{self.hresult:08x} ({self.hresult - (1 << 32)} {self.symbol})"


UNTRUSTED_ROOT = ChainFailure(0x800B0109, "CERT_E_UNTRUSTEDROOT", "A certificate chain processed, but terminated in "
                              "a root certificate which is not trusted by the trust provider.")
CHAINING = ChainFailure(0x800B010A, "CERT_E_CHAINING",
                        "A certificate chain could not be built to a trusted root authority.")
EXPIRED = ChainFailure(0x800B0101, "CERT_E_EXPIRED", "A required certificate is not within its validity period "
                       "when verifying against the current system clock or the timestamp in the signed file.")
WRONG_USAGE = ChainFailure(0x800B0110, "CERT_E_WRONG_USAGE", "The certificate is not valid for the requested usage.")
CN_NO_MATCH = ChainFailure(0x800B010F, "CERT_E_CN_NO_MATCH", "The certificate's CN name does not match the passed "
                           "value.")
REVOKED = ChainFailure(0x80092010, "CRYPT_E_REVOKED", "The certificate is revoked.")
NO_REVOCATION_CHECK = ChainFailure(0x80092012, "CRYPT_E_NO_REVOCATION_CHECK",
                                   "The revocation function was unable to check revocation for the certificate.")
REVOCATION_OFFLINE = ChainFailure(0x80092013, "CRYPT_E_REVOCATION_OFFLINE", "The revocation function was unable "
                                  "to check revocation because the revocation server was offline.")


def signed_by(child: x509.Certificate, parent: x509.Certificate) -> bool:
    """Whether ``parent`` issued ``child`` (name match and a valid signature)."""
    if child.issuer != parent.subject:
        return False
    try:
        child.verify_directly_issued_by(parent)
    except Exception:  # any failure (key type, signature) means "not this issuer"
        return False
    return True


def _candidates(host: Host, location: str) -> list[x509.Certificate]:
    locations = [location] if location == "LocalMachine" else [location, "LocalMachine"]
    return [e.certificate for loc in locations for name in ("CA", "Root", "My")
            for e in store.list_certificates(host, name, loc)]


def build_chain(host: Host, cert: x509.Certificate, location: str = "LocalMachine",
                extra: tuple[x509.Certificate, ...] = ()) -> list[x509.Certificate]:
    """``[cert, issuer, …]`` as far as the host's stores (plus ``extra``) reach."""
    candidates = [*extra, *_candidates(host, location)]
    chain = [cert]
    while len(chain) < MAX_DEPTH and chain[-1].issuer != chain[-1].subject:
        parent = next((c for c in candidates if signed_by(chain[-1], c) and c not in chain), None)
        if parent is None:
            break
        chain.append(parent)
    return chain


def _trusted(host: Host, root: x509.Certificate, location: str) -> bool:
    thumbprint = store.thumbprint_of(root)
    return any(store.find_certificate(host, thumbprint, "Root", loc) is not None
               for loc in {location, "LocalMachine"})


def _name_matches(cert: x509.Certificate, dns_name: str) -> bool:
    from simulator.services.certs.issue import common_name  # noqa: PLC0415 - keeps this module light

    wanted = dns_name.lower().rstrip(".")
    for name in store.dns_names(cert) or [common_name(cert.subject)]:
        pattern = name.lower()
        if pattern == wanted:
            return True
        if pattern.startswith("*.") and "." in wanted and wanted.split(".", 1)[1] == pattern[2:]:
            return True
    return False


def check_certificate(
    host: Host,
    cert: x509.Certificate,
    *,
    now: dt.datetime,
    location: str = "LocalMachine",
    allow_untrusted_root: bool = False,
    check_revocation: bool = True,
    ekus: tuple[x509.ObjectIdentifier, ...] = (),
    dns_name: str | None = None,
) -> ChainFailure | None:
    """The first failure of ``cert`` on this host (chain, time, usage, name, revocation), or None."""
    chain = build_chain(host, cert, location)
    top = chain[-1]
    if top.issuer != top.subject:
        return CHAINING
    if not _trusted(host, top, location) and not allow_untrusted_root:
        return UNTRUSTED_ROOT
    if any(not (c.not_valid_before_utc <= now <= c.not_valid_after_utc) for c in chain):
        return EXPIRED
    usages = store.enhanced_key_usages(cert)
    if usages is not None and any(oid not in usages for oid in ekus):
        return WRONG_USAGE
    if dns_name is not None and not _name_matches(cert, dns_name):
        return CN_NO_MATCH
    if check_revocation:
        for member in chain[:-1]:  # a root is not checked for revocation
            if store.is_revoked(host, member):
                return REVOKED
            if not store.has_reachable_crl(member):
                has_cdp = any(isinstance(e.value, x509.CRLDistributionPoints) for e in member.extensions)
                return REVOCATION_OFFLINE if has_cdp else NO_REVOCATION_CHECK
    return None
