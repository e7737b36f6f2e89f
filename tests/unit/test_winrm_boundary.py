"""The WinRM transport's boundary without a server: third-party errors mapped to hvrepl's, long scripts refused.

Added after mutation spot-checks: mapping pywinrm's operation timeout to a plain TransportError (no longer
retryable), or loosening the 8,191-character command-line guard, left the suite green.
"""

from __future__ import annotations

import socket

import pytest
import requests
from winrm import exceptions as winrm_errors

from hvrepl.errors import (
    AuthenticationError,
    ConnectError,
    HvreplError,
    OperationTimeout,
    ReadTimeout,
    TimeoutError,
    TransportError,
    WSManFault,
)
from hvrepl.inventory import Connection
from hvrepl.secrets import Secret
from hvrepl.transport.winrm import WinRMTransport, map_winrm_exceptions

CMD_LINE_LIMIT = 8191  # cmd.exe (fact sheet); written out here, not imported from the code under test
PREFIX = "powershell.exe -NoProfile -NonInteractive -ExecutionPolicy Bypass -EncodedCommand "

FAULT = winrm_errors.WSManFaultError(500, "Bad HTTP response returned from server. Code 500", "<xml/>",
                                     "The request for the Windows Remote Shell with ShellId failed",
                                     wsman_fault_code=2150858843)


@pytest.mark.parametrize(("raised", "expected", "words"), [
    (winrm_errors.InvalidCredentialsError("the specified credentials were rejected by the server"),
     AuthenticationError, "rejected (HTTP 401)"),
    (winrm_errors.WinRMOperationTimeoutError(), OperationTimeout, "operation timed out"),
    (FAULT, WSManFault, "WS-Management fault 2150858843"),
    (winrm_errors.WinRMTransportError("http", 500, "Internal Server Error"), TransportError, "WinRM HTTP error"),
    (requests.exceptions.SSLError("certificate verify failed"), ConnectError, "TLS handshake failed"),
    (requests.exceptions.ReadTimeout("read timed out"), ReadTimeout, "no answer in time"),
    (requests.exceptions.ConnectionError("refused"), ConnectError, "cannot connect"),
])
def test_third_party_errors_become_hvrepl_errors(raised: Exception, expected: type[HvreplError], words: str) -> None:
    with pytest.raises(HvreplError) as info, map_winrm_exceptions("Hyper-v-prim"):
        raise raised
    assert type(info.value) is expected
    assert str(info.value).startswith("Hyper-v-prim: ")
    assert words in str(info.value)
    assert info.value.__cause__ is raised


def test_timeouts_are_the_retryable_kind_and_a_fault_keeps_its_code() -> None:
    """OperationTimeout and ReadTimeout are TimeoutErrors (retryable); an auth failure is not."""
    assert issubclass(OperationTimeout, TimeoutError) and issubclass(ReadTimeout, TimeoutError)
    assert not issubclass(AuthenticationError, TimeoutError)
    with pytest.raises(WSManFault) as info, map_winrm_exceptions("h"):
        raise FAULT
    assert info.value.code == 2150858843


def closed_loopback_url() -> str:
    """An https URL on a loopback port nothing listens on (bound to port 0, then released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"https://127.0.0.1:{port}/wsman"


def transport() -> WinRMTransport:
    return WinRMTransport(Connection(name="Hyper-v-prim", url=closed_loopback_url(), auth="basic",
                                     username="Administrator", password=Secret("Unused-1")))


def script_for_command_line(length: int) -> str:
    """An ASCII script whose -EncodedCommand line is ``length`` characters (base64 of 2 bytes a character)."""
    count = next(n for n in range(length) if len(PREFIX) + 4 * -(-2 * n // 3) == length)
    return "#" * count


def test_a_script_over_the_command_line_limit_is_refused_before_anything_is_sent() -> None:
    # 82 characters of prefix + a multiple of 4: 8190 is the longest line that fits, 8194 the shortest that does not
    longest, too_long = 8190, 8194
    assert longest <= CMD_LINE_LIMIT < too_long
    with pytest.raises(ValueError, match="too long for one command line"):
        transport().run_ps(script_for_command_line(too_long))
    with pytest.raises(TransportError):  # within the limit: it gets as far as dialling (nothing listens)
        transport().run_ps(script_for_command_line(longest))
