"""The WinRM HTTPS listener's self-signed certificate and the host's generated secrets.

Kept in the state folder (``winrm/``, ``secrets.json``, mode 0600) so a restarted host presents the
same certificate and accepts the same password. The certificate is re-issued only when the names
it must cover (computer name, FQDN, bound address) change.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import json
import secrets
import string
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from simulator.core.host import atomic_write_bytes

SECRETS_FILE = "secrets.json"
_ALPHABET = string.ascii_letters + string.digits


def load_or_create_secrets(state_dir: Path) -> dict[str, str]:
    """``{"password": …, "control_token": …}``, generated on first start and kept afterwards."""
    path = state_dir / SECRETS_FILE
    if path.exists():
        data: dict[str, str] = json.loads(path.read_text(encoding="utf-8"))
        if data.get("password") and data.get("control_token"):
            return data
    # Windows complexity rules: upper, lower, digit; ':' never (the NTLM account file is ':'-separated).
    password = "Sim-" + "".join(secrets.choice(_ALPHABET) for _ in range(20)) + "9a"
    data = {"password": password, "control_token": secrets.token_urlsafe(32)}
    atomic_write_bytes(path, json.dumps(data).encode(), mode=0o600)
    return data


def ensure_listener_certificate(folder: Path, names: list[str], addresses: list[str]) -> tuple[Path, Path]:
    """(certificate PEM, key PEM) covering ``names`` and ``addresses``; re-issued when they change."""
    cert_path, key_path, meta_path = folder / "listener.pem", folder / "listener.key", folder / "listener.json"
    wanted = {"names": sorted(set(names)), "addresses": sorted(set(addresses))}
    if (cert_path.exists() and key_path.exists() and meta_path.exists()
            and json.loads(meta_path.read_text(encoding="utf-8")) == wanted):
        return cert_path, key_path
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, names[0])])
    now = dt.datetime.now(dt.UTC)
    alt_names: list[x509.GeneralName] = [x509.DNSName(n) for n in wanted["names"]]
    alt_names += [x509.IPAddress(ipaddress.ip_address(a)) for a in wanted["addresses"]]
    public = key.public_key()
    certificate = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(public)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=3650))
        .add_extension(x509.SubjectAlternativeName(alt_names), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(x509.KeyUsage(digital_signature=True, key_encipherment=False, content_commitment=False,
                                     data_encipherment=False, key_agreement=False, key_cert_sign=True,
                                     crl_sign=False, encipher_only=False, decipher_only=False), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(public), critical=False)
        .sign(key, hashes.SHA256())
    )
    atomic_write_bytes(key_path, key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                   serialization.NoEncryption()), mode=0o600)
    atomic_write_bytes(cert_path, certificate.public_bytes(serialization.Encoding.PEM), mode=0o644)
    atomic_write_bytes(meta_path, json.dumps(wanted).encode(), mode=0o644)
    return cert_path, key_path
