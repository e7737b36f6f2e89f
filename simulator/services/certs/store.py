"""The machine's and the user's certificate stores, and the Python API other subsystems read them by.

State lives in ``host.state["certs"]``::

    {"LocalMachine": {"My": {<THUMBPRINT>: record, …}, "CA": {…}, "Root": {…}, …},
     "CurrentUser":  {…same store names…},
     "revoked": [<serial as upper hex, no leading zeros>, …],   # revoked by the control plane
     "test_root": {"cert_pem": …, "key_pem": …} | None}          # this machine's CertReq Test Root

A record is ``{"cert_pem", "key_pem" (None without a private key), "friendly_name", "exportable",
"key_provider"}``. Certificates are real X.509 (``cryptography``); parsed objects are cached by PEM.
Replication TLS (helper G), Set-VMReplicationServer (helper E) and the PKI cmdlets use
:func:`find_certificate`, :func:`list_certificates`, :func:`usable_for_replication`,
:func:`revoke`, :func:`is_revoked` and :func:`has_reachable_crl`.
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID

if TYPE_CHECKING:
    from simulator.core.host import Host

log = logging.getLogger(__name__)

LOCATIONS = ("LocalMachine", "CurrentUser")
STORE_NAMES = ("My", "CA", "Root", "AuthRoot", "TrustedPeople", "TrustedPublisher", "Disallowed")
PrivateKey = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey

# ASSUMPTION (fact sheet §4.1): New-SelfSignedCertificate's default provider is the CNG software KSP.
DEFAULT_KEY_PROVIDER = "Microsoft Software Key Storage Provider"
# ASSUMPTION (brief D): a CRL distribution point under this prefix is reachable inside the lab.
LAB_CRL_PREFIX = "http://crl.lab/"

CLIENT_AUTH = ExtendedKeyUsageOID.CLIENT_AUTH
SERVER_AUTH = ExtendedKeyUsageOID.SERVER_AUTH


@dataclass(frozen=True)
class CertEntry:
    """One certificate in one store, as Windows holds it (certificate, optional key, properties).

    The private key never appears in ``repr``.
    """

    thumbprint: str
    certificate: x509.Certificate
    private_key: PrivateKey | None = field(default=None, repr=False)
    friendly_name: str = ""
    exportable: bool = False
    key_provider: str = ""
    store: str = "My"
    location: str = "LocalMachine"

    @property
    def has_private_key(self) -> bool:
        """Whether a private key is associated (``HasPrivateKey``)."""
        return self.private_key is not None


# ---------------------------------------------------------------------------- names and parsing
def thumbprint_of(cert: x509.Certificate) -> str:
    """Windows' thumbprint: upper-case hex SHA-1 of the DER encoding."""
    return cert.fingerprint(hashes.SHA1()).hex().upper()  # noqa: S303 - Windows thumbprints are SHA-1 by definition


def canonical_location(location: str) -> str | None:
    """``localmachine`` → ``LocalMachine``; None for an unknown location."""
    return next((name for name in LOCATIONS if name.lower() == location.lower()), None)


def canonical_store(store: str) -> str | None:
    """``my`` → ``My``; None for a store the simulator does not have."""
    return next((name for name in STORE_NAMES if name.lower() == store.lower()), None)


@functools.lru_cache(maxsize=2048)
def load_certificate(pem: str) -> x509.Certificate:
    """Parse (and cache) a PEM certificate."""
    return x509.load_pem_x509_certificate(pem.encode("ascii"))


@functools.lru_cache(maxsize=512)
def load_private_key(pem: str) -> PrivateKey:
    key = serialization.load_pem_private_key(pem.encode("ascii"), password=None)
    if not isinstance(key, rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey):
        msg = f"unsupported private key type {type(key).__name__}"
        raise TypeError(msg)
    return key


def certificate_pem(cert: x509.Certificate) -> str:
    """PEM text of a certificate."""
    return cert.public_bytes(serialization.Encoding.PEM).decode("ascii")


def key_pem(key: PrivateKey) -> str:
    """Unencrypted PKCS#8 PEM text of a private key (kept only in host state, never logged)."""
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode("ascii")


# ---------------------------------------------------------------------------- state access
def empty_state() -> dict[str, Any]:
    """The ``certs`` section of a fresh host: every store empty, nothing revoked, no test root yet."""
    section: dict[str, Any] = {loc: {name: {} for name in STORE_NAMES} for loc in LOCATIONS}
    section["revoked"] = []
    section["test_root"] = None
    return section


def _section(host: Host) -> dict[str, Any]:
    section = host.state.get("certs")
    if section is None:
        section = host.state.setdefault("certs", empty_state())
    return section


def _store(host: Host, store: str, location: str) -> dict[str, Any]:
    loc = canonical_location(location)
    name = canonical_store(store)
    if loc is None or name is None:
        msg = f"no certificate store {location}\\{store}"
        raise KeyError(msg)
    stores = _section(host).setdefault(loc, {})
    return stores.setdefault(name, {})


def _entry(thumbprint: str, record: dict[str, Any], store: str, location: str) -> CertEntry:
    key_text = record.get("key_pem")
    return CertEntry(
        thumbprint=thumbprint,
        certificate=load_certificate(record["cert_pem"]),
        private_key=load_private_key(key_text) if key_text else None,
        friendly_name=str(record.get("friendly_name", "")),
        exportable=bool(record.get("exportable", False)),
        key_provider=str(record.get("key_provider", "")),
        store=store,
        location=location,
    )


def find_certificate(
    host: Host, thumbprint: str, store: str = "My", location: str = "LocalMachine"
) -> CertEntry | None:
    """The certificate with that thumbprint (any case, spaces ignored) in one store, or None."""
    try:
        records = _store(host, store, location)
    except KeyError:
        return None
    wanted = thumbprint.replace(" ", "").upper()
    record = records.get(wanted)
    if record is None:
        return None
    return _entry(wanted, record, canonical_store(store) or store, canonical_location(location) or location)


def list_certificates(host: Host, store: str, location: str = "LocalMachine") -> list[CertEntry]:
    """Every certificate of one store, in the order they were added.

    Raises:
        KeyError: for a store or location the simulator does not have.
    """
    records = _store(host, store, location)
    name = canonical_store(store) or store
    loc = canonical_location(location) or location
    return [_entry(tp, record, name, loc) for tp, record in records.items()]


def add_certificate(
    host: Host,
    cert: x509.Certificate,
    private_key: PrivateKey | None = None,
    *,
    store: str = "My",
    location: str = "LocalMachine",
    friendly_name: str = "",
    exportable: bool = False,
    key_provider: str = DEFAULT_KEY_PROVIDER,
) -> CertEntry:
    """Add a certificate to a store; one with the same thumbprint is replaced silently, as Windows does.

    Adding a certificate without a key over one that has a key keeps the existing key (the store
    associates the key with the certificate, and the new copy is the same certificate).
    """
    thumbprint = thumbprint_of(cert)
    with host.transaction():
        records = _store(host, store, location)
        existing = records.get(thumbprint)
        record: dict[str, Any] = {
            "cert_pem": certificate_pem(cert),
            "key_pem": key_pem(private_key) if private_key is not None else None,
            "friendly_name": friendly_name,
            "exportable": exportable,
            "key_provider": key_provider if private_key is not None else "",
        }
        if private_key is None and existing is not None and existing.get("key_pem"):
            record.update(key_pem=existing["key_pem"], exportable=existing.get("exportable", False),
                          key_provider=existing.get("key_provider", ""))
            record["friendly_name"] = friendly_name or existing.get("friendly_name", "")
        records[thumbprint] = record
    log.debug("certificate %s added to %s\\%s", thumbprint, location, store)
    return _entry(thumbprint, record, canonical_store(store) or store, canonical_location(location) or location)


def remove_certificate(host: Host, thumbprint: str, store: str = "My", location: str = "LocalMachine",
                       *, delete_key: bool = True) -> bool:
    """Remove a certificate from a store; returns whether it was there.

    Without ``delete_key`` (Remove-Item without -DeleteKey) its private key stays on the machine, no longer
    reachable through any store: it is kept in the section's ``orphaned_keys``, as the key file Windows
    leaves in its MachineKeys folder.
    """
    with host.transaction():
        records = _store(host, store, location)
        removed = records.pop(thumbprint.replace(" ", "").upper(), None)
        if removed is not None and not delete_key and removed.get("key_pem"):
            _section(host).setdefault("orphaned_keys", {})[thumbprint.replace(" ", "").upper()] = {
                "key_pem": removed["key_pem"], "store": store, "location": location}
    return removed is not None


def orphaned_keys(host: Host) -> list[str]:
    """Thumbprints of certificates removed without their private key (the keys are still on the machine)."""
    return sorted(_section(host).get("orphaned_keys", {}))


def move_certificate(host: Host, thumbprint: str, source: tuple[str, str], destination: tuple[str, str]) -> CertEntry:
    """Move a certificate (with its key and properties) from ``(location, store)`` to another.

    Raises:
        KeyError: when the certificate is not in the source store.
    """
    with host.transaction():
        records = _store(host, source[1], source[0])
        record = records.pop(thumbprint.upper())
        _store(host, destination[1], destination[0])[thumbprint.upper()] = record
    location, store = destination
    return _entry(thumbprint.upper(), record, canonical_store(store) or store, canonical_location(location) or location)


# ---------------------------------------------------------------------------- replication rules
def enhanced_key_usages(cert: x509.Certificate) -> list[x509.ObjectIdentifier] | None:
    """The EKU OIDs of a certificate, or None when it has no EKU extension (valid for every usage)."""
    try:
        return list(cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value)
    except x509.ExtensionNotFound:
        return None


def dns_names(cert: x509.Certificate) -> list[str]:
    """The SAN DNS names of a certificate (empty without a SAN extension)."""
    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return []
    return list(san.get_values_for_type(x509.DNSName))


def usable_for_replication(entry: CertEntry, now: dt.datetime | None = None) -> list[str]:
    """What keeps a certificate from serving Hyper-V Replica (fact sheet §3); empty when usable.

    Checks: private key present, both Client and Server Authentication EKUs, X.509 v3, and (when
    ``now`` is given) the validity period. Trust, name and revocation depend on the peer and are
    checked by the replication transport.
    """
    problems: list[str] = []
    cert = entry.certificate
    if entry.private_key is None:
        problems.append("the certificate has no associated private key")
    usages = enhanced_key_usages(cert)
    # ASSUMPTION: as CryptoAPI, a certificate without an EKU extension is valid for every usage.
    if usages is not None:
        if CLIENT_AUTH not in usages:
            problems.append("the certificate lacks the Client Authentication (1.3.6.1.5.5.7.3.2) enhanced key usage")
        if SERVER_AUTH not in usages:
            problems.append("the certificate lacks the Server Authentication (1.3.6.1.5.5.7.3.1) enhanced key usage")
    if cert.version != x509.Version.v3:
        problems.append("the certificate is not an X.509 version 3 certificate")
    if now is not None:
        if now < cert.not_valid_before_utc:
            problems.append("the certificate is not yet valid")
        elif now > cert.not_valid_after_utc:
            problems.append("the certificate has expired")
    return problems


# ---------------------------------------------------------------------------- revocation
def _serial_key(serial_hex: str) -> str:
    return format(int(serial_hex.replace(" ", ""), 16), "X")


def revoke(host: Host, serial_hex: str) -> str:
    """Mark a serial number (hex, any case, leading zeros ignored) as revoked by its issuer; returns it as kept
    (upper hex, no leading zeros)."""
    key = _serial_key(serial_hex)
    with host.transaction():
        revoked: list[str] = _section(host).setdefault("revoked", [])
        if key not in revoked:
            revoked.append(key)
    return key


def is_revoked(host: Host, cert: x509.Certificate) -> bool:
    """Whether the control plane revoked this certificate's serial number on this host's view."""
    return format(cert.serial_number, "X") in _section(host).get("revoked", [])


def has_reachable_crl(cert: x509.Certificate) -> bool:
    """Whether a revocation check of ``cert`` can reach a CRL inside the lab.

    Certificates made by New-SelfSignedCertificate carry no CRL distribution point, so checking
    them fails ("revocation server offline") unless revocation checking is disabled.
    """
    try:
        points = cert.extensions.get_extension_for_class(x509.CRLDistributionPoints).value
    except x509.ExtensionNotFound:
        return False
    for point in points:
        for name in point.full_name or ():
            if isinstance(name, x509.UniformResourceIdentifier) and name.value.lower().startswith(LAB_CRL_PREFIX):
                return True
    return False
