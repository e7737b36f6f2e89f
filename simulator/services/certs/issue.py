"""Making certificates the way New-SelfSignedCertificate does: keys, names, extensions, the test root.

Pure functions over ``cryptography`` objects (no PowerShell here): :func:`parse_subject` reads a
Windows X.500 string, :func:`issue` builds and signs a certificate from a :class:`CertRequest`, and
:func:`test_root` gives this machine's "CertReq Test Root" key pair, generated once and kept in the
host state.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import os
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID, ObjectIdentifier

from simulator.services.certs import store

if TYPE_CHECKING:
    from simulator.core.host import Host

# Windows' short attribute names, in both directions (Subject strings show these).
NAME_ATTRIBUTES: dict[str, ObjectIdentifier] = {
    "CN": NameOID.COMMON_NAME,
    "OU": NameOID.ORGANIZATIONAL_UNIT_NAME,
    "O": NameOID.ORGANIZATION_NAME,
    "L": NameOID.LOCALITY_NAME,
    "S": NameOID.STATE_OR_PROVINCE_NAME,
    "ST": NameOID.STATE_OR_PROVINCE_NAME,
    "C": NameOID.COUNTRY_NAME,
    "E": NameOID.EMAIL_ADDRESS,
    "DC": NameOID.DOMAIN_COMPONENT,
}
_SHORT_NAMES = {oid: short for short, oid in NAME_ATTRIBUTES.items() if short != "ST"}

# CertEnroll's refusal of a malformed subject (CRYPT_E_INVALID_X500_STRING).
INVALID_X500 = ("CertEnroll::CX500DistinguishedName::Encode: The string contains an invalid X500 name attribute key, "
                "oid, value or delimiter. 0x80092023 (-2146885597 CRYPT_E_INVALID_X500_STRING)")
# ASSUMPTION: CertEnroll's refusal of a malformed alternative name or extension value.
INVALID_PARAMETER = ("CertEnroll::CX509Extension::Initialize: The parameter is incorrect. 0x80070057 "
                     "(WIN32: 87 ERROR_INVALID_PARAMETER)")
TEST_ROOT_SUBJECT = "CN=CertReq Test Root, OU=For Test Purposes Only"

# SHA-1 signatures are refused by ``cryptography``; the cmdlet reports them as not modelled.
HASHES: dict[str, type[hashes.SHA256 | hashes.SHA384 | hashes.SHA512]] = {
    "SHA256": hashes.SHA256, "SHA384": hashes.SHA384, "SHA512": hashes.SHA512,
}
CURVES: dict[str, type[ec.EllipticCurve]] = {
    "ECDSA_NISTP256": ec.SECP256R1, "ECDSA_NISTP384": ec.SECP384R1, "ECDSA_NISTP521": ec.SECP521R1,
}
KEY_USAGE_FLAGS = (
    "DigitalSignature", "NonRepudiation", "KeyEncipherment", "DataEncipherment", "KeyAgreement",
    "CertSign", "CRLSign", "EncipherOnly", "DecipherOnly",
)


class RequestError(ValueError):
    """A request New-SelfSignedCertificate would refuse; the message is shown to the script."""


@dataclass
class CertRequest:
    """Everything one certificate is made from.

    ``key_usage`` None omits the KeyUsage extension; ``ekus`` None omits the EKU extension;
    ``ca`` None omits Basic Constraints; ``crl_urls`` empty omits the CRL distribution points
    (New-SelfSignedCertificate never adds them); ``critical`` lists the dotted OIDs of EKU/SAN
    extensions to mark critical (``{critical}`` in -TextExtension). Key Usage and Basic
    Constraints are always critical.
    """

    subject: x509.Name
    not_before: dt.datetime
    not_after: dt.datetime
    dns_names: list[str] = field(default_factory=list)
    ip_addresses: list[str] = field(default_factory=list)
    key_algorithm: str = "RSA"
    key_length: int = 2048
    hash_algorithm: str = "SHA256"
    key_usage: list[str] | None = None
    ekus: list[ObjectIdentifier] | None = None
    ca: bool | None = None
    path_length: int | None = None
    serial: int | None = None
    crl_urls: list[str] = field(default_factory=list)
    critical: set[str] = field(default_factory=set)


def parse_subject(text: str) -> x509.Name:
    """A Windows X.500 string (``CN=a, OU=b``; a bare value means ``CN=value``) as an x509 Name.

    Windows lists the most specific attribute first, the reverse of the encoded order.
    """
    if "=" not in text:
        text = f"CN={text}"
    parts: list[str] = []
    current, quoted = "", False
    for char in text:
        if char == '"':
            quoted = not quoted
        elif char in ",;" and not quoted:
            parts.append(current)
            current = ""
            continue
        current += char
    parts.append(current)
    attributes: list[x509.NameAttribute] = []
    for part in parts:
        key, sep, value = part.strip().partition("=")
        oid = NAME_ATTRIBUTES.get(key.strip().upper())
        try:
            if not sep or oid is None:
                raise ValueError(key)
            attributes.append(x509.NameAttribute(oid, value.strip().strip('"')))
        except ValueError as exc:
            raise RequestError(INVALID_X500) from exc
    return x509.Name(list(reversed(attributes)))


def format_name(name: x509.Name) -> str:
    """An x509 Name the way Windows shows it: ``CN=CertReq Test Root, OU=For Test Purposes Only``."""
    shown = []
    for attribute in reversed(list(name)):
        short = _SHORT_NAMES.get(attribute.oid, attribute.oid.dotted_string)
        value = str(attribute.value)
        if any(c in value for c in ',+="<>#;'):
            value = '"' + value.replace('"', '""') + '"'
        shown.append(f"{short}={value}")
    return ", ".join(shown)


def common_name(name: x509.Name) -> str:
    """The first CN of a name ('' when none)."""
    values = name.get_attributes_for_oid(NameOID.COMMON_NAME)
    return str(values[0].value) if values else ""


def new_key(algorithm: str, length: int) -> store.PrivateKey:
    """A fresh key: RSA of ``length`` bits or an ECDSA NIST curve (``ECDSA_nistP256`` …)."""
    if algorithm.upper() == "RSA":
        if length < 512 or length > 16384 or length % 8:
            msg = f"The key length {length} is not supported by the RSA key storage provider."
            raise RequestError(msg)
        return rsa.generate_private_key(public_exponent=65537, key_size=length)
    curve = CURVES.get(algorithm.upper())
    if curve is None:
        msg = f"The key algorithm '{algorithm}' is not supported."
        raise RequestError(msg)
    return ec.generate_private_key(curve())


def random_serial() -> int:
    """A positive 16-byte serial number, as New-SelfSignedCertificate makes by default."""
    return int.from_bytes(os.urandom(16), "big") >> 1 or 1


def _key_usage(flags: list[str]) -> x509.KeyUsage:
    given = {f.lower() for f in flags}
    has = {flag: flag.lower() in given for flag in KEY_USAGE_FLAGS}
    agreement = has["KeyAgreement"]
    return x509.KeyUsage(
        digital_signature=has["DigitalSignature"], content_commitment=has["NonRepudiation"],
        key_encipherment=has["KeyEncipherment"], data_encipherment=has["DataEncipherment"],
        key_agreement=agreement, key_cert_sign=has["CertSign"], crl_sign=has["CRLSign"],
        encipher_only=agreement and has["EncipherOnly"], decipher_only=agreement and has["DecipherOnly"],
    )


def _dns_name(name: str) -> x509.DNSName:
    """A SAN DNS name; Unicode names are stored as their Punycode (A-label) form, as CertEnroll does."""
    try:
        return x509.DNSName(name)
    except ValueError:
        pass
    try:
        return x509.DNSName(name.encode("idna").decode("ascii"))
    except (UnicodeError, ValueError) as exc:
        raise RequestError(INVALID_PARAMETER) from exc


def general_names(request: CertRequest) -> list[x509.GeneralName]:
    """The SAN entries of a request, or RequestError for a name CertEnroll would refuse."""
    names: list[x509.GeneralName] = [_dns_name(n) for n in request.dns_names]
    try:
        names += [x509.IPAddress(ipaddress.ip_address(a)) for a in request.ip_addresses]
    except ValueError as exc:
        raise RequestError(INVALID_PARAMETER) from exc
    return names


def check_request(request: CertRequest) -> None:
    """Refuse, before anything is created, a request :func:`issue` could not sign."""
    if request.not_after <= request.not_before:
        msg = "The NotAfter date must be later than the NotBefore date."
        raise RequestError(msg)
    if request.hash_algorithm.upper() not in HASHES:
        msg = f"The hash algorithm '{request.hash_algorithm}' is not supported."
        raise RequestError(msg)
    if request.serial is not None and not 0 < request.serial < 1 << 159:
        msg = f"The serial number {request.serial:X} is not valid."
        raise RequestError(msg)
    general_names(request)


def issue(
    request: CertRequest,
    signer: tuple[x509.Certificate, store.PrivateKey] | None = None,
    key: store.PrivateKey | None = None,
) -> tuple[x509.Certificate, store.PrivateKey]:
    """Build and sign a certificate; self-signed when ``signer`` is None. Returns (cert, its key)."""
    check_request(request)
    key = key or new_key(request.key_algorithm, request.key_length)
    issuer_name, signing_key = (request.subject, key) if signer is None else (signer[0].subject, signer[1])
    builder = (
        x509.CertificateBuilder()
        .subject_name(request.subject)
        .issuer_name(issuer_name)
        .public_key(key.public_key())
        .serial_number(request.serial or random_serial())
        .not_valid_before(request.not_before)
        .not_valid_after(request.not_after)
    )
    if request.key_usage is not None and request.key_usage:
        builder = builder.add_extension(_key_usage(request.key_usage), critical=True)
    if request.ekus is not None:
        builder = builder.add_extension(x509.ExtendedKeyUsage(request.ekus), critical="2.5.29.37" in request.critical)
    names = general_names(request)
    if names:
        san_critical = "2.5.29.17" in request.critical
        builder = builder.add_extension(x509.SubjectAlternativeName(names), critical=san_critical)
    if request.ca is not None:
        builder = builder.add_extension(x509.BasicConstraints(request.ca, request.path_length), critical=True)
    if request.crl_urls:
        points = [x509.DistributionPoint([x509.UniformResourceIdentifier(url)], None, None, None)
                  for url in request.crl_urls]
        builder = builder.add_extension(x509.CRLDistributionPoints(points), critical=False)
    builder = builder.add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
    if signer is not None:
        builder = builder.add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(signer[1].public_key()), critical=False
        )
    return builder.sign(signing_key, HASHES[request.hash_algorithm.upper()]()), key


def machine_test_root(host: Host) -> tuple[x509.Certificate, store.PrivateKey]:
    """This machine's "CertReq Test Root" (certificate, key), created on first use and kept.

    ASSUMPTION (fact sheet §10.9): Windows' built-in test root is modelled as one key pair per
    machine, so every -TestRoot certificate made on a host chains to the same root, and a peer
    trusts them only once that root is imported there.
    """
    section = host.state.setdefault("certs", store.empty_state())
    saved = section.get("test_root")
    if saved:
        cert = store.load_certificate(saved["cert_pem"])
        key = store.load_private_key(saved["key_pem"])
        return cert, key
    now = host.clock.now()
    request = CertRequest(
        subject=parse_subject(TEST_ROOT_SUBJECT),
        not_before=now - dt.timedelta(minutes=10),
        not_after=now + dt.timedelta(days=365 * 20),
        key_usage=["DigitalSignature", "CertSign", "CRLSign"],
        ca=True,
    )
    cert, key = issue(request)
    with host.transaction():
        section["test_root"] = {"cert_pem": store.certificate_pem(cert), "key_pem": store.key_pem(key)}
    return cert, key
