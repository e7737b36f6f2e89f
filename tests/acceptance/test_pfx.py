"""Issue 2: ``--os 2019`` imports an AES-256 PFX that ``--os 2016`` refuses, both through WinRM.

Server 2016 cannot import PFX files protected with AES-256/SHA-256 (PBES2) and says "The specified
network password is not correct." (fact sheet, New-SelfSignedCertificate/PFX section); 3DES/SHA-1 works on both.
"""

from __future__ import annotations

import datetime
import secrets

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import (
    BestAvailableEncryption,
    KeySerializationEncryption,
    PrivateFormat,
    pkcs12,
)
from cryptography.x509.oid import NameOID

from simulator.launcher import RunningHost
from tests.acceptance.support import Remote, error_text, push

PFX_PATH = r"C:\Windows\Temp\replica.pfx"


def make_pfx(password: str, aes: bool) -> tuple[bytes, str]:
    """A PFX holding a fresh key and certificate: AES-256/SHA-256 (PBES2) or legacy 3DES/SHA-1; its thumbprint."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Hyper-v-repl.test.net")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=365)).sign(key, hashes.SHA256()))
    encryption: KeySerializationEncryption
    if aes:
        encryption = BestAvailableEncryption(password.encode())  # PBES2 with AES-256-CBC and HMAC-SHA256
    else:
        encryption = (PrivateFormat.PKCS12.encryption_builder().kdf_rounds(2000)
                      .key_cert_algorithm(pkcs12.PBES.PBESv1SHA1And3KeyTripleDESCBC).hmac_hash(hashes.SHA1())
                      .build(password.encode()))
    data = pkcs12.serialize_key_and_certificates(b"replica", key, cert, None, encryption)
    return data, cert.fingerprint(hashes.SHA1()).hex().upper()


def import_pfx(remote: Remote, password: str) -> tuple[int, str, str]:
    """Import-PfxCertificate into LocalMachine\\My; (exit code, stdout, error text)."""
    # two lines: the error's position message echoes only the Import line, never the password
    done = remote.ps(f"$pw = ConvertTo-SecureString -String '{password}' -AsPlainText -Force\n"
                     f"Import-PfxCertificate -FilePath '{PFX_PATH}' -CertStoreLocation Cert:\\LocalMachine\\My "
                     "-Password $pw | Select-Object -ExpandProperty Thumbprint")
    return done.code, done.stdout.strip(), error_text(done.stderr)


@pytest.mark.parametrize("mode", [("pywinrm", "basic", True), ("pypsrp", "ntlm", False)], ids=["pywinrm", "pypsrp"])
def test_aes_pfx_imports_on_2019_only(host: RunningHost, peer_host: RunningHost, mode: tuple[str, str, bool]) -> None:
    password = secrets.token_urlsafe(12)
    data, thumbprint = make_pfx(password, aes=True)
    on_2016, on_2019 = Remote(host, *mode), Remote(peer_host, *mode)
    assert peer_host.info["os"] == "2019" and host.info["os"] == "2016"
    for remote in (on_2016, on_2019):
        push(remote, PFX_PATH, data)

    code, _, error = import_pfx(on_2016, password)
    assert code == 1
    assert "The specified network password is not correct." in error
    assert "FullyQualifiedErrorId : System.Security.Cryptography.CryptographicException" in error
    assert password not in error
    assert on_2016.ok(f"Test-Path Cert:\\LocalMachine\\My\\{thumbprint}").strip() == "False"

    code, shown, error = import_pfx(on_2019, password)
    assert (code, shown) == (0, thumbprint), error
    assert on_2019.ok(f"(Get-Item Cert:\\LocalMachine\\My\\{thumbprint}).HasPrivateKey").strip() == "True"


def test_legacy_pfx_imports_on_2016(host: RunningHost) -> None:
    password = secrets.token_urlsafe(12)
    data, thumbprint = make_pfx(password, aes=False)
    remote = Remote(host, "pywinrm", "ntlm", False)
    push(remote, PFX_PATH, data)
    code, shown, error = import_pfx(remote, password)
    assert (code, shown) == (0, thumbprint), error
    code, _, error = import_pfx(remote, password + "x")
    assert code == 1 and "The specified network password is not correct." in error
