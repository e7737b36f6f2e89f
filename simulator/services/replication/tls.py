"""TLS contexts for the replication channel: real mutual TLS 1.2+, with the Windows checks left to verify.py.

Python's ``ssl`` has no "accept any client certificate" mode: a server that requests one verifies
it. So the primary announces its certificate chain in a plaintext preamble (certificates are public),
the replica checks it the Windows way (verify.py) and then requires, in the TLS handshake, exactly
that certificate: the leaf is loaded as the only trust anchor with partial-chain trust and without a
time check, so OpenSSL verifies nothing but proof of possession of the private key (CertificateVerify).
The primary connects with CERT_NONE and checks the replica's leaf (``getpeercert(binary_form=True)``)
the Windows way, with the intermediates the replica sends in its hello frame.

Private keys reach OpenSSL through a temporary file, encrypted with a one-time random password and
deleted as soon as it is loaded; they are never logged.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import ssl
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import serialization

# X509_V_FLAG_NO_CHECK_TIME from OpenSSL's x509_vfy.h: validity is checked against the simulated clock.
X509_V_FLAG_NO_CHECK_TIME = 0x200000


def to_pem(cert: x509.Certificate) -> str:
    """PEM text of ``cert``."""
    return cert.public_bytes(serialization.Encoding.PEM).decode("ascii")


def from_pem(text: str) -> x509.Certificate:
    """Parse one PEM certificate."""
    return x509.load_pem_x509_certificate(text.encode("ascii"))


@contextlib.contextmanager
def _key_files(cert: x509.Certificate, private_key: Any) -> Iterator[tuple[str, str, bytes]]:
    password = secrets.token_bytes(24)
    key_pem = private_key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(password),
    )
    with tempfile.TemporaryDirectory(prefix="hvsim-tls-") as folder:
        cert_path = Path(folder) / "cert.pem"
        key_path = Path(folder) / "key.pem"
        for path, data in ((cert_path, cert.public_bytes(serialization.Encoding.PEM)), (key_path, key_pem)):
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
        yield str(cert_path), str(key_path), password


def _base_context(purpose: int) -> ssl.SSLContext:
    ctx = ssl.SSLContext(purpose)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    return ctx


def server_context(cert: x509.Certificate, private_key: Any, client_leaf: x509.Certificate | None) -> ssl.SSLContext:
    """The replica's context; with ``client_leaf`` it demands exactly that client certificate."""
    ctx = _base_context(ssl.PROTOCOL_TLS_SERVER)
    with _key_files(cert, private_key) as (cert_path, key_path, password):
        ctx.load_cert_chain(cert_path, key_path, password=password)
    if client_leaf is None:
        ctx.verify_mode = ssl.CERT_NONE
        return ctx
    ctx.verify_mode = ssl.CERT_REQUIRED
    ctx.load_verify_locations(cadata=to_pem(client_leaf))
    flags = (ctx.verify_flags | ssl.VERIFY_X509_PARTIAL_CHAIN) & ~ssl.VERIFY_X509_STRICT
    ctx.verify_flags = ssl.VerifyFlags(int(flags) | X509_V_FLAG_NO_CHECK_TIME)
    return ctx


def client_context(cert: x509.Certificate, private_key: Any) -> ssl.SSLContext:
    """The primary's context: presents its certificate, verifies nothing itself (verify.py does)."""
    ctx = _base_context(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    with _key_files(cert, private_key) as (cert_path, key_path, password):
        ctx.load_cert_chain(cert_path, key_path, password=password)
    return ctx
