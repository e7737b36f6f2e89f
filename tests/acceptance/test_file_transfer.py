"""Issue 2: a file moves between two started hosts over WinRM only, byte for byte (SHA-256 compared).

Read on one host as base64 (``[Convert]::ToBase64String([IO.File]::ReadAllBytes(…))``), written on the
other in chunks of base64 text that stay under the ~3,000-character run_ps limit, then decoded with
``[IO.File]::WriteAllBytes`` + ``[Convert]::FromBase64String`` — the way the engine moves a PFX.
"""

from __future__ import annotations

import hashlib
import os

import pytest

from simulator.launcher import RunningHost
from tests.acceptance.support import Remote, pull, push


@pytest.mark.parametrize(("source_mode", "target_mode"), [
    (("pywinrm", "basic", True), ("pypsrp", "ntlm", False)),
    (("pypsrp", "basic", True), ("pywinrm", "ntlm", False)),
], ids=["pywinrm-to-pypsrp", "pypsrp-to-pywinrm"])
def test_random_file_moves_between_hosts(host: RunningHost, peer_host: RunningHost,
                                         source_mode: tuple[str, str, bool],
                                         target_mode: tuple[str, str, bool]) -> None:
    data = os.urandom(12_000 + int.from_bytes(os.urandom(1), "big") * 16)  # several chunks, odd sizes
    source, target = Remote(host, *source_mode), Remote(peer_host, *target_mode)
    push(source, r"C:\Users\Public\original.bin", data)  # put the random bytes on the first host
    moved = pull(source, r"C:\Users\Public\original.bin")
    target.ok(r"New-Item -ItemType Directory -Path D:\Incoming -Force | Out-Null")
    push(target, r"D:\Incoming\copy.bin", moved)
    want = hashlib.sha256(data).hexdigest().upper()
    assert target.ok(r"(Get-FileHash -Path D:\Incoming\copy.bin -Algorithm SHA256).Hash").strip() == want
    assert hashlib.sha256(pull(target, r"D:\Incoming\copy.bin")).hexdigest().upper() == want
    assert target.ok(r"(Get-Item D:\Incoming\copy.bin).Length").strip() == str(len(data))
    assert target.ok(r"Test-Path D:\Incoming\copy.bin.part").strip() == "False"


def test_public_folders_exist(remote: Remote) -> None:
    """C:\\Users\\Public and its Documents/Downloads exist on every Windows host (a common place for transfers)."""
    assert remote.ok(r"Test-Path C:\Users\Public\Documents -PathType Container; "
                     r"Test-Path C:\Users\Public\Downloads -PathType Container").split() == ["True", "True"]
