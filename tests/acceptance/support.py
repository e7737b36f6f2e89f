"""Clients for the acceptance tests: the same calls through unmodified pywinrm and pypsrp, per auth mode.

Issue 2 must hold for every client a user may point at a host: pywinrm and pypsrp, each over Basic on
HTTPS, NTLM on HTTP with message encryption and NTLM on HTTPS. :class:`Remote` hides only *which* library
sends the command line; what comes back (stdout, stderr, exit code) is what that library returned.
"""

from __future__ import annotations

import base64
import logging
import re
from dataclasses import dataclass
from typing import Any
from xml.etree import ElementTree

import requests
import winrm
from pypsrp.client import Client

from simulator.launcher import RunningHost

log = logging.getLogger(__name__)

CLIXML_NS = "http://schemas.microsoft.com/powershell/2004/04"

# (library, auth, tls): every combination issue 2 names
CLIENT_MODES = [
    ("pywinrm", "basic", True),
    ("pywinrm", "ntlm", False),
    ("pywinrm", "ntlm", True),
    ("pypsrp", "basic", True),
    ("pypsrp", "ntlm", False),
    ("pypsrp", "ntlm", True),
]
MODE_IDS = [f"{lib}-{auth}-{'https' if tls else 'http'}" for lib, auth, tls in CLIENT_MODES]


@dataclass
class Result:
    """What a client library handed back for one command line."""

    stdout: str
    stderr: str
    code: int


class Remote:
    """Run cmd.exe lines and PowerShell scripts on one host through one client library and auth mode."""

    def __init__(self, host: RunningHost, library: str, auth: str, tls: bool) -> None:
        self.host, self.library, self.auth, self.tls = host, library, auth, tls
        winrm_info = host.info["winrm"]
        user, password = host.info["username"], host.info["password"]
        if library == "pywinrm":
            url = winrm_info["https_url"] if tls else winrm_info["http_url"]
            transport = "ssl" if auth == "basic" else "ntlm"
            self._session: Any = winrm.Session(url, auth=(user, password), transport=transport,
                                               ca_trust_path=host.info["ca_bundle"])
        else:
            port = winrm_info["https_port" if tls else "http_port"]
            self._client = Client(host.info["address"], port=port, ssl=tls, auth=auth, username=user,
                                  password=password, cert_validation=host.info["ca_bundle"])

    def __repr__(self) -> str:
        return f"Remote({self.host.info['name']}, {self.library}, {self.auth}, tls={self.tls})"

    def cmd(self, line: str) -> Result:
        """One cmd.exe command line."""
        if self.library == "pywinrm":
            command, *args = line.split(" ", 1)
            done = self._session.run_cmd(command, args)
            return Result(done.std_out.decode("cp437"), done.std_err.decode("cp437"), done.status_code)
        stdout, stderr, code = self._client.execute_cmd(line)
        return Result(stdout, stderr, code)

    def ps(self, script: str) -> Result:
        """One PowerShell script: pywinrm's run_ps, or ``powershell -EncodedCommand`` through pypsrp's WinRS."""
        if self.library == "pywinrm":
            done = self._session.run_ps(script)
            return Result(done.std_out.decode("cp437"), done.std_err.decode("cp437"), done.status_code)
        encoded = base64.b64encode(script.encode("utf-16-le")).decode("ascii")
        stdout, stderr, code = self._client.execute_cmd(f"powershell -EncodedCommand {encoded}")
        return Result(stdout, stderr, code)

    def ok(self, script: str) -> str:
        """Run a script that must succeed; its stdout."""
        done = self.ps(script)
        failure = f"{script[:300]!r} failed ({done.code}): {error_text(done.stderr)[:2000]}"
        assert done.code == 0 and not error_records(done.stderr), failure
        return done.stdout


CHUNK = 2400  # base64 characters per command: the script stays under run_ps's 3,061 characters


def push(remote: Remote, path: str, data: bytes) -> None:
    """Write ``data`` into the file at ``path`` through WinRM: base64 text in chunks, then decoded at once."""
    text = base64.b64encode(data).decode("ascii")
    part = path + ".part"
    for offset in range(0, len(text), CHUNK):
        verb = "Set-Content" if offset == 0 else "Add-Content"
        remote.ok(f"{verb} -Path '{part}' -Value '{text[offset:offset + CHUNK]}'")
    remote.ok(f"$b64 = (Get-Content -Path '{part}' -Raw) -replace '\\s', ''; "
              f"[IO.File]::WriteAllBytes('{path}', [Convert]::FromBase64String($b64)); Remove-Item '{part}'")


def pull(remote: Remote, path: str) -> bytes:
    """The bytes of the file at ``path``, read through WinRM as base64."""
    return base64.b64decode(remote.ok(f"[Convert]::ToBase64String([IO.File]::ReadAllBytes('{path}'))").strip())


def error_records(stderr: str) -> bool:
    """Whether stderr holds an error: plain text, or a CLIXML stream with an ``S="Error"`` record.

    A 5.1 host also writes progress records (``Preparing modules for first use.``) as CLIXML on stderr;
    those are not errors.
    """
    text = stderr.strip()
    if not text.startswith("#< CLIXML"):
        return bool(text)
    return 'S="Error"' in text


def error_text(stderr: str) -> str:
    """The text of the error records in stderr: CLIXML ``S="Error"`` strings decoded, or stderr as it is."""
    text = stderr.strip()
    if not text.startswith("#< CLIXML"):
        return stderr
    root = ElementTree.fromstring(text.split("\n", 1)[1])
    parts = [node.text or "" for node in root.iter(f"{{{CLIXML_NS}}}S") if node.get("S") == "Error"]
    return re.sub(r"_x([0-9A-Fa-f]{4})_", lambda m: chr(int(m.group(1), 16)), "".join(parts))


def control(host: RunningHost, method: str, path: str, **kwargs: Any) -> Any:
    """Call the host's control plane /_sim/… with its bearer token; the JSON answer."""
    headers = {"Authorization": f"Bearer {host.info['control_token']}"}
    response = requests.request(method, host.info["control_url"] + path, headers=headers,
                                verify=host.info["ca_bundle"], timeout=60, **kwargs)
    response.raise_for_status()
    return response.json()


def state_of(host: RunningHost) -> dict[str, Any]:
    """The host's state tree (secrets masked), without the parts that move on their own (clock, shells)."""
    state: dict[str, Any] = control(host, "GET", "/state")
    return state
