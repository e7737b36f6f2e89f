"""WinRM message encryption over HTTP: the ``multipart/encrypted`` framing around NTLM-sealed SOAP.

Both clients encrypt every request after the NTLM handshake when they talk plain HTTP; the server
must decrypt with the connection's context and seal its reply (faults too) the same way.
"""

from __future__ import annotations

import re
import struct
from typing import Any

PROTOCOL = "application/HTTP-SPNEGO-session-encrypted"
BOUNDARY = b"--Encrypted Boundary"
CONTENT_TYPE = f'multipart/encrypted;protocol="{PROTOCOL}";boundary="Encrypted Boundary"'
_LENGTH = re.compile(rb"Length=(\d+)")


class EncryptionError(ValueError):
    """The encrypted body is malformed or does not decrypt."""


def is_encrypted(content_type: str) -> bool:
    """Whether a request body uses WinRM message encryption."""
    return content_type.lower().startswith("multipart/encrypted") and PROTOCOL.lower() in content_type.lower()


def decrypt(context: Any, body: bytes) -> bytes:
    """The SOAP bytes of an encrypted request (``context``: the connection's NTLM/SPNEGO context)."""
    # framing: BOUNDARY header-part BOUNDARY octet-stream-part BOUNDARY-- ; the sealed bytes are
    # binary, so only the first two boundaries and the last one are searched for.
    first = body.find(BOUNDARY)
    second = body.find(BOUNDARY, first + len(BOUNDARY)) if first >= 0 else -1
    last = body.rfind(BOUNDARY + b"--")
    if first < 0 or second < 0 or last <= second:
        raise EncryptionError("not a WinRM encrypted body")
    length_match = _LENGTH.search(body[first:second])
    marker = b"application/octet-stream\r\n"
    at = body.find(marker, second, last)
    if length_match is None or at < 0:
        raise EncryptionError("missing Length or octet-stream part")
    blob = body[at + len(marker) : last]
    if len(blob) < 4:
        raise EncryptionError("truncated encrypted part")
    signature_length = struct.unpack("<I", blob[:4])[0]
    if signature_length > len(blob) - 4:
        raise EncryptionError("bad signature length")
    signature = blob[4 : 4 + signature_length]
    sealed = blob[4 + signature_length :]
    try:
        plain: bytes = context.unwrap_winrm(signature, sealed)
    except Exception as error:
        raise EncryptionError(f"the message does not decrypt ({type(error).__name__})") from None
    if len(plain) != int(length_match.group(1)):
        raise EncryptionError("decrypted length does not match Length")
    return plain


def encrypt(context: Any, plain: bytes) -> bytes:
    """Seal a reply with the connection's context, framed as WinRM expects."""
    wrapped = context.wrap_winrm(plain)
    return (
        BOUNDARY + b"\r\n"
        b"\tContent-Type: " + PROTOCOL.encode() + b"\r\n"
        b"\tOriginalContent: type=application/soap+xml;charset=UTF-8;Length=" + str(len(plain)).encode() + b"\r\n"
        + BOUNDARY + b"\r\n"
        b"\tContent-Type: application/octet-stream\r\n"
        + struct.pack("<I", len(wrapped.header)) + wrapped.header + wrapped.data
        + BOUNDARY + b"--\r\n"
    )
