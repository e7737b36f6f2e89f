"""Moves a file to a host over WinRM in command-line-sized pieces and checks its SHA-256 there.

One ``run_ps`` command line must stay under ~3,000 script characters (cmd.exe's 8,191 limit after the
2.67x inflation of -EncodedCommand), so the bytes go as base64 text in chunks appended to a ``.part``
file, then decoded in place and hashed; a mismatch raises.
"""

from __future__ import annotations

import base64
import hashlib
import secrets

from hvrepl.errors import ProtocolError
from hvrepl.session import HostSession, Script

CHUNK_CHARS = 1800
TEMP_FOLDER = "C:\\Windows\\Temp"
TEMP_PATTERN = "hvrepl-*"


def temp_path(suffix: str) -> str:
    """A fresh temporary path on the host, under the pattern the cleanup removes."""
    return f"{TEMP_FOLDER}\\hvrepl-{secrets.token_hex(6)}{suffix}"


def push_file(session: HostSession, path: str, data: bytes) -> None:
    """Write ``data`` to ``path`` on the host; verify by SHA-256."""
    text = base64.b64encode(data).decode("ascii")
    part = path + ".part"
    chunks = [text[i:i + CHUNK_CHARS] for i in range(0, len(text), CHUNK_CHARS)] or [""]
    for index, chunk in enumerate(chunks):
        session.run(Script.build("file_write_chunk", path=part, chunk=chunk, first=index == 0))
    remote = str(session.run(Script.build("file_decode", part=part, path=path))["sha256"]).upper()
    local = hashlib.sha256(data).hexdigest().upper()
    if remote != local:
        raise ProtocolError(f"{session.name}: {path} arrived damaged (SHA-256 {remote} != {local})")


def cleanup_temp(session: HostSession) -> int:
    """Remove hvrepl temporary files left on the host (also those of a killed earlier run)."""
    return int(session.run(Script.build("temp_cleanup", folder=TEMP_FOLDER, pattern=TEMP_PATTERN))["removed"])
