"""Private CA mode: hvrepl makes a CA and the host certificates itself, with ``cryptography``.

Host certificates: RSA 2048, SHA-256, CN and SAN = the host's FQDN, EKU Server + Client Authentication,
chosen validity. They leave this process only as PKCS#12 protected with PBESv1SHA1And3KeyTripleDESCBC
and an HMAC-SHA1 MAC, the only form Windows Server 2016 can import (fact sheet §4.2). The CA's private
key is never written anywhere: it signs the certificates of this run and is dropped, so rotation makes
a new CA whose certificate is added to both Root stores.
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from hvrepl.secrets import Secret

CA_SUBJECT_PREFIX = "hvrepl private CA"


@dataclass(frozen=True)
class IssuedCertificate:
    """A host certificate as PFX bytes (3DES/SHA1) plus its thumbprint."""

    fqdn: str
    thumbprint: str
    pfx: bytes


def thumbprint(cert: x509.Certificate) -> str:
    """Windows thumbprint: upper-case hex SHA-1 of the DER encoding."""
    return cert.fingerprint(hashes.SHA1()).hex().upper()  # noqa: S303 - SHA-1 is what Windows calls a thumbprint


class PrivateCA:
    """A short-lived CA object: issue host certificates, export its certificate as DER."""

    def __init__(self, label: str, validity_days: int, *, now: dt.datetime | None = None) -> None:
        self.now = now or dt.datetime.now(dt.UTC)
        self.validity_days = validity_days
        self._key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME,
                                             f"{CA_SUBJECT_PREFIX} {label} {secrets.token_hex(4)}")])
        self.cert = (
            x509.CertificateBuilder()
            .subject_name(name).issuer_name(name)
            .public_key(self._key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(self.now - dt.timedelta(minutes=10))
            .not_valid_after(self.now + dt.timedelta(days=validity_days + 1))
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(x509.KeyUsage(digital_signature=False, content_commitment=False, key_encipherment=False,
                                         data_encipherment=False, key_agreement=False, key_cert_sign=True,
                                         crl_sign=True, encipher_only=False, decipher_only=False), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(self._key.public_key()), critical=False)
            .sign(self._key, hashes.SHA256())
        )

    @property
    def subject(self) -> str:
        """The CA's subject as Windows shows it (``CN=…``)."""
        return self.cert.subject.rfc4514_string()

    def der(self) -> bytes:
        """The CA certificate, DER (.cer)."""
        return self.cert.public_bytes(serialization.Encoding.DER)

    def issue(self, fqdn: str, password: Secret) -> IssuedCertificate:
        """A host certificate for ``fqdn`` with both EKUs, as a 3DES/SHA1 PFX."""
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        cert = (
            x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, fqdn)]))
            .issuer_name(self.cert.subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(self.now - dt.timedelta(minutes=10))
            .not_valid_after(self.now + dt.timedelta(days=self.validity_days))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName(fqdn)]), critical=False)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH]),
                           critical=False)
            .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=False, key_encipherment=True,
                                         data_encipherment=False, key_agreement=False, key_cert_sign=False,
                                         crl_sign=False, encipher_only=False, decipher_only=False), critical=True)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(self._key.public_key()), critical=False)
            .sign(self._key, hashes.SHA256())
        )
        encryption = (
            serialization.PrivateFormat.PKCS12.encryption_builder()
            .kdf_rounds(2048)
            .key_cert_algorithm(pkcs12.PBES.PBESv1SHA1And3KeyTripleDESCBC)
            .hmac_hash(hashes.SHA1())  # noqa: S303 - Server 2016 only imports SHA1-MAC PFX files
            .build(password.reveal().encode("utf-8"))
        )
        pfx = pkcs12.serialize_key_and_certificates(fqdn.encode("utf-8"), key, cert, None, encryption)
        return IssuedCertificate(fqdn=fqdn, thumbprint=thumbprint(cert), pfx=pfx)
