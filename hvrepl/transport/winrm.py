"""WinRM transport over pywinrm's ``Protocol``: one shell per host session, reused for every script.

Every pywinrm/requests exception is translated into an ``hvrepl.errors`` class in
:func:`map_winrm_exceptions`; none escapes this module. Server certificates are verified unless the
connection says otherwise (the inventory loader warns loudly when it does).
"""

from __future__ import annotations

import contextlib
import logging
import re
from collections.abc import Iterator
from typing import Self

import requests
from winrm import exceptions as winrm_errors
from winrm.protocol import Protocol

from hvrepl.errors import (
    AuthenticationError,
    ConnectError,
    OperationTimeout,
    ReadTimeout,
    TransportError,
    WSManFault,
)
from hvrepl.inventory import Connection
from hvrepl.powershell import MAX_COMMAND_LINE, encode_command
from hvrepl.transport.base import PSResult

log = logging.getLogger(__name__)

POWERSHELL_ARGS = ("-NoProfile", "-NonInteractive", "-ExecutionPolicy", "Bypass", "-EncodedCommand")
CLIXML_STRING = re.compile(r"<S S=\"Error\">(.*?)</S>", re.DOTALL)


@contextlib.contextmanager
def map_winrm_exceptions(host: str) -> Iterator[None]:
    """Translate third-party exceptions into the most specific hvrepl error, chained with ``from``."""
    try:
        yield
    except winrm_errors.InvalidCredentialsError as exc:
        raise AuthenticationError(f"{host}: the WinRM credentials were rejected (HTTP 401)", host=host) from exc
    except winrm_errors.WinRMOperationTimeoutError as exc:
        raise OperationTimeout(f"{host}: WinRM operation timed out", host=host) from exc
    except winrm_errors.WSManFaultError as exc:
        raise WSManFault(f"{host}: WS-Management fault {exc.wsman_fault_code or exc.code}: {exc.reason}",
                         code=exc.wsman_fault_code, reason=exc.reason, host=host) from exc
    except winrm_errors.WinRMTransportError as exc:
        raise TransportError(f"{host}: WinRM HTTP error: {exc}", host=host) from exc
    except winrm_errors.WinRMError as exc:
        raise TransportError(f"{host}: WinRM error: {exc}", host=host) from exc
    except requests.exceptions.SSLError as exc:
        raise ConnectError(f"{host}: TLS handshake failed (is the server certificate trusted? give ca_bundle): "
                           f"{exc}", host=host) from exc
    except requests.exceptions.Timeout as exc:
        raise ReadTimeout(f"{host}: no answer in time", host=host) from exc
    except requests.exceptions.ConnectionError as exc:
        raise ConnectError(f"{host}: cannot connect: {exc}", host=host) from exc
    except requests.exceptions.RequestException as exc:
        raise TransportError(f"{host}: HTTP error: {exc}", host=host) from exc


def clean_stderr(raw: bytes) -> str:
    """Decode stderr; from CLIXML keep only the error strings (progress records are noise)."""
    text = raw.decode("utf-8", errors="replace")
    if not text.startswith("#< CLIXML"):
        return text
    parts = [m.replace("_x000D__x000A_", "\n") for m in CLIXML_STRING.findall(text)]
    return "".join(parts).strip()


class _CountingProtocol(Protocol):
    """pywinrm Protocol that counts every WS-Management request it sends."""

    requests_sent = 0

    def send_message(self, message: str) -> bytes:
        self.requests_sent += 1
        return super().send_message(message)


class WinRMTransport:
    """A WinRM session to one host with one cmd shell reused across scripts."""

    def __init__(self, connection: Connection, *, operation_timeout: int = 20, read_timeout: int = 30) -> None:
        if read_timeout <= operation_timeout:
            raise ValueError("read_timeout must exceed operation_timeout")
        self.host = connection.name
        scheme_https = connection.url.lower().startswith("https://")
        transport = "ntlm" if connection.auth == "ntlm" else ("ssl" if scheme_https else "basic")
        self._protocol = _CountingProtocol(
            endpoint=connection.url, transport=transport,  # type: ignore[arg-type]  # literal chosen above
            username=connection.username, password=connection.password.reveal(),
            server_cert_validation="validate" if connection.verify else "ignore",
            ca_trust_path=connection.ca_bundle,  # type: ignore[arg-type]  # None (default store) works in pywinrm
            operation_timeout_sec=operation_timeout, read_timeout_sec=read_timeout)
        self._shell_id: str | None = None

    @property
    def requests(self) -> int:
        """WS-Management requests sent by this session."""
        return self._protocol.requests_sent

    def _shell(self) -> str:
        if self._shell_id is None:
            with map_winrm_exceptions(self.host):
                self._shell_id = self._protocol.open_shell(codepage=65001)
        return self._shell_id

    def run_ps(self, script: str, *, stdin: str | None = None) -> PSResult:
        """Run a wrapped script; send ``stdin`` (then close it) when given."""
        encoded = encode_command(script)
        length = len("powershell.exe " + " ".join(POWERSHELL_ARGS)) + 1 + len(encoded)
        if length > MAX_COMMAND_LINE:
            raise ValueError(f"script too long for one command line ({length} > {MAX_COMMAND_LINE}): split it")
        shell = self._shell()
        with map_winrm_exceptions(self.host):
            # As Ansible's winrm plugin does: console-mode stdin only when nothing is piped in.
            command_id = self._protocol.run_command(shell, "powershell.exe", [*POWERSHELL_ARGS, encoded],
                                                    console_mode_stdin=stdin is None)
            try:
                if stdin is not None:
                    self._protocol.send_command_input(shell, command_id, stdin.encode("utf-8"), end=True)
                stdout, stderr, code = self._protocol.get_command_output(shell, command_id)
            finally:
                self._protocol.cleanup_command(shell, command_id)
        log.debug("%s: script ran, exit code %s, %d bytes out", self.host, code, len(stdout))
        return PSResult(stdout.decode("utf-8", errors="replace"), clean_stderr(stderr), code)

    def close(self) -> None:
        """Delete the shell (best effort: a dead host must not hide the real error)."""
        if self._shell_id is None:
            return
        shell, self._shell_id = self._shell_id, None
        try:
            with map_winrm_exceptions(self.host):
                self._protocol.close_shell(shell)
        except TransportError as exc:
            # Nothing is lost: the host drops an idle shell itself (a host powered off has none left).
            log.info("%s: could not close the WinRM shell cleanly: %s", self.host, exc)

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
