"""Test certificates for Hyper-V tests, made directly with cryptography into helper D's store."""

from __future__ import annotations

import datetime as dt

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from simulator.core.host import Host
from simulator.services.certs.store import add_certificate


def add_host_certificate(host: Host, fqdn: str, *, usages: tuple[x509.ObjectIdentifier, ...] | None = None,
                         with_key: bool = True) -> str:
    """A self-signed host certificate in LocalMachine\\My; returns its thumbprint."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, fqdn)])
    now = dt.datetime.now(dt.UTC)
    eku = usages if usages is not None else (ExtendedKeyUsageOID.CLIENT_AUTH, ExtendedKeyUsageOID.SERVER_AUTH)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(minutes=10))
            .not_valid_after(now + dt.timedelta(days=365))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName(fqdn)]), critical=False)
            .add_extension(x509.ExtendedKeyUsage(list(eku)), critical=False)
            .sign(key, hashes.SHA256()))
    return add_certificate(host, cert, key if with_key else None).thumbprint
