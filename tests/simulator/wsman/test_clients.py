"""Unmodified pywinrm 0.5 and pypsrp 0.9 WinRS clients against a started simulated host."""

from __future__ import annotations

import base64
import concurrent.futures

import pytest
import winrm
from pypsrp.client import Client
from pypsrp.exceptions import AuthenticationError, WSManFaultError
from pypsrp.shell import Process, WinRS
from pypsrp.wsman import WSMan
from winrm.exceptions import InvalidCredentialsError, WinRMOperationTimeoutError
from winrm.protocol import Protocol

from simulator.launcher import RunningHost
from tests.simulator.wsman.conftest import credentials, http_url, https_url, pywinrm_session

ECHO_LINE = "echo 'x' \"y\" & ver"


@pytest.mark.parametrize(
    ("transport", "extra"),
    [("ssl", {}), ("ntlm", {}), ("ntlm", {"https": True}), ("ntlm", {"https": True, "message_encryption": "always"})],
    ids=["basic-https", "ntlm-http-encrypted", "ntlm-https", "ntlm-https-encrypted"],
)
def test_pywinrm_run_cmd_over_each_transport(running_host: RunningHost, transport: str, extra: dict) -> None:
    session = pywinrm_session(running_host, transport, **extra)
    result = session.run_cmd(ECHO_LINE)
    assert result.status_code == 0
    assert result.std_out.startswith(b"'x' \"y\" \r\n")
    assert b"Microsoft Windows [Version 10.0.14393]" in result.std_out
    assert result.std_err == b""


def test_pywinrm_arguments_and_unknown_command(running_host: RunningHost) -> None:
    session = pywinrm_session(running_host)
    assert session.run_cmd("echo", ["one", "two"]).std_out == b"one two\r\n"
    missing = session.run_cmd("frobnicate", ["/all"])
    assert missing.status_code == 1
    assert missing.std_err.startswith(b"'frobnicate' is not recognized as an internal or external command,\r\n")


@pytest.mark.parametrize("transport", ["ssl", "ntlm"])
def test_pywinrm_run_ps(running_host: RunningHost, transport: str) -> None:
    """run_ps sends 'powershell -encodedcommand …': output, CLIXML errors, exit codes, output encoding."""
    session = pywinrm_session(running_host, transport)
    hello = session.run_ps("Write-Output 'hello from ps'")
    assert (hello.status_code, hello.std_out, hello.std_err) == (0, b"hello from ps\r\n", b"")
    failed = session.run_ps("Write-Error 'boom'")
    assert failed.status_code == 1
    assert failed.std_err.startswith(b"Write-Error : boom")  # pywinrm cleaned the CLIXML
    assert session.run_ps("exit -1").status_code == 4294967295  # unsigned, as real hosts report it
    utf8 = session.run_ps("[Console]::OutputEncoding = [Text.Encoding]::UTF8; 'é'")
    assert utf8.std_out == "é\r\n".encode()


def test_protocol_reuses_one_shell_and_sends_stdin(running_host: RunningHost) -> None:
    protocol = Protocol(https_url(running_host), transport="ssl", username=credentials(running_host)[0],
                        password=credentials(running_host)[1], ca_trust_path=running_host.info["ca_bundle"])
    shell_id = protocol.open_shell(env_vars={"GREETING": "hi there"})
    try:
        outputs = []
        for line in ("echo %GREETING%", "set GREETING", "echo third"):
            command_id = protocol.run_command(shell_id, line)
            outputs.append(protocol.get_command_output(shell_id, command_id))
            protocol.cleanup_command(shell_id, command_id)
        assert [o[0] for o in outputs] == [b"hi there\r\n", b"GREETING=hi there\r\n", b"third\r\n"]
        command_id = protocol.run_command(shell_id, "more")
        payload = "line one\r\n" + "x" * 70000 + "\r\n"
        protocol.send_command_input(shell_id, command_id, payload[:30000])
        protocol.send_command_input(shell_id, command_id, payload[30000:], end=True)
        stdout, stderr, code = protocol.get_command_output(shell_id, command_id)
        assert (stdout.decode(), stderr, code) == (payload, b"", 0)
        protocol.cleanup_command(shell_id, command_id)
    finally:
        protocol.close_shell(shell_id)


def test_large_output_is_split_under_max_envelope(running_host: RunningHost) -> None:
    protocol = Protocol(https_url(running_host), transport="ssl", username=credentials(running_host)[0],
                        password=credentials(running_host)[1], ca_trust_path=running_host.info["ca_bundle"])
    shell_id = protocol.open_shell()
    command_id = protocol.run_command(shell_id, "more")
    payload = "".join(f"{i:08d}\r\n" for i in range(40000))  # 400 KB
    step = 100000  # each Send stays under the 500 KB request limit, as on a real host
    for offset in range(0, len(payload), step):
        protocol.send_command_input(shell_id, command_id, payload[offset : offset + step],
                                    end=offset + step >= len(payload))
    responses = []
    done = False
    while not done:
        raw = protocol.get_command_output_raw(shell_id, command_id)
        responses.append(raw)
        done = raw[3]
    assert len(responses) >= 3  # one envelope never exceeds MaxEnvelopeSize (153600)
    assert b"".join(r[0] for r in responses).decode() == payload
    protocol.close_shell(shell_id)


def test_operation_timeout_fault_then_completion(running_host: RunningHost) -> None:
    protocol = Protocol(https_url(running_host), transport="ssl", username=credentials(running_host)[0],
                        password=credentials(running_host)[1], ca_trust_path=running_host.info["ca_bundle"],
                        operation_timeout_sec=1, read_timeout_sec=4)  # read timeout with slack for slow CI
    shell_id = protocol.open_shell()
    command_id = protocol.run_command(shell_id, "timeout /t 3")
    with pytest.raises(WinRMOperationTimeoutError):
        protocol.get_command_output_raw(shell_id, command_id)
    stdout, _, code = protocol.get_command_output(shell_id, command_id)  # retries the timeout fault
    assert code == 0
    assert b"Waiting for 3 seconds" in stdout
    protocol.close_shell(shell_id)


def test_command_line_limit_8191(running_host: RunningHost) -> None:
    session = pywinrm_session(running_host)
    fits = session.run_cmd("echo " + "a" * (8191 - 5))
    assert fits.status_code == 0
    assert len(fits.std_out) == 8186 + 2
    too_long = session.run_cmd("echo " + "a" * (8192 - 5))
    assert (too_long.status_code, too_long.std_out, too_long.std_err) == (1, b"", b"The command line is too long.\r\n")


def test_run_ps_script_length_boundary(running_host: RunningHost) -> None:
    """3061 script characters fit in one run_ps command line, 3062 do not (reference §6.2)."""
    session = pywinrm_session(running_host)
    assert session.run_ps("#" * 3062).std_err == b"The command line is too long.\r\n"
    assert b"too long" not in session.run_ps("#" * 3061).std_err


def test_unknown_shell_fault(running_host: RunningHost) -> None:
    protocol = Protocol(https_url(running_host), transport="ssl", username=credentials(running_host)[0],
                        password=credentials(running_host)[1], ca_trust_path=running_host.info["ca_bundle"])
    with pytest.raises(winrm.exceptions.WSManFaultError) as caught:
        protocol.run_command("11111111-2222-3333-4444-555555555555", "echo x")
    assert caught.value.wsman_fault_code == 2150858843


def test_wrong_password_is_401(running_host: RunningHost) -> None:
    user = credentials(running_host)[0]
    for transport, url in (("ssl", https_url(running_host)), ("ntlm", http_url(running_host))):
        session = winrm.Session(url, auth=(user, "wrong-password"), transport=transport,
                                ca_trust_path=running_host.info["ca_bundle"])
        with pytest.raises(InvalidCredentialsError):
            session.run_cmd("echo x")


def test_unencrypted_http_is_refused(running_host: RunningHost) -> None:
    """AllowUnencrypted=false: Basic over HTTP and unencrypted SOAP after NTLM both get 401."""
    basic = winrm.Session(http_url(running_host), auth=credentials(running_host), transport="plaintext")
    with pytest.raises(InvalidCredentialsError):
        basic.run_cmd("echo x")
    plain_ntlm = winrm.Session(http_url(running_host), auth=credentials(running_host), transport="ntlm",
                               message_encryption="never")
    with pytest.raises(InvalidCredentialsError):
        plain_ntlm.run_cmd("echo x")


def _pypsrp_client(host: RunningHost, auth: str, ssl: bool, **kwargs: object) -> Client:
    port = host.info["winrm"]["https_port" if ssl else "http_port"]
    return Client(host.info["address"], port=port, ssl=ssl, auth=auth, username=credentials(host)[0],
                  password=credentials(host)[1], cert_validation=host.info["ca_bundle"], **kwargs)


@pytest.mark.parametrize(("auth", "ssl"), [("basic", True), ("ntlm", False), ("negotiate", False), ("ntlm", True),
                                         ("negotiate", True)])
def test_pypsrp_execute_cmd(running_host: RunningHost, auth: str, ssl: bool) -> None:
    stdout, stderr, code = _pypsrp_client(running_host, auth, ssl).execute_cmd("echo pypsrp & nosuch")
    assert (stdout, code) == ("pypsrp \r\n", 1)
    assert "'nosuch' is not recognized" in stderr


def test_pypsrp_wrong_password(running_host: RunningHost) -> None:
    client = Client(running_host.info["address"], port=running_host.info["winrm"]["http_port"], ssl=False,
                    auth="ntlm", username="Administrator", password="nope", cert_validation=False)
    with pytest.raises(AuthenticationError):
        client.execute_cmd("echo x")


def test_pypsrp_winrs_shell_with_stdin_and_timeout(running_host: RunningHost) -> None:
    wsman = WSMan(running_host.info["address"], port=running_host.info["winrm"]["https_port"], ssl=True,
                  auth="basic", username=credentials(running_host)[0], password=credentials(running_host)[1],
                  cert_validation=running_host.info["ca_bundle"], operation_timeout=1)
    with WinRS(wsman, environment={"ABC": "123"}) as shell:
        process = Process(shell, "echo", ["%ABC%"])
        process.invoke()
        assert (process.stdout, process.rc) == (b"123\r\n", 0)
        slow = Process(shell, "timeout", ["/t", "2"])
        slow.invoke()  # survives the OperationTimeout faults in between
        assert slow.rc == 0
        piped = Process(shell, "more")
        piped.begin_invoke()
        piped.send(b"from pypsrp\r\n", end=True)
        piped.end_invoke()
        assert piped.stdout == b"from pypsrp\r\n"
        piped.signal("http://schemas.microsoft.com/wbem/wsman/1/windows/shell/signal/ctrl_c")


def test_pypsrp_psrp_resource_gets_a_fault(running_host: RunningHost) -> None:
    """PSRP (execute_ps) is not modelled: a WS-Man fault, not a hang."""
    with pytest.raises(WSManFaultError):
        _pypsrp_client(running_host, "basic", True).execute_ps("Get-Date")


def test_encoded_command_is_decoded_once(running_host: RunningHost) -> None:
    """powershell -enc with a bad base64 value: powershell.exe's own message, no fault."""
    result = pywinrm_session(running_host).run_cmd("powershell -NoProfile -enc", ["!!notbase64!!"])
    assert result.status_code == 0xFFFD0000
    assert b"-EncodedCommand is not properly encoded" in result.std_err
    good = base64.b64encode("Write-Output 1".encode("utf-16-le")).decode()
    assert pywinrm_session(running_host).run_cmd("powershell.exe -EncodedCommand", [good]).status_code in (0, 1)


def _protocol(host: RunningHost) -> Protocol:
    return Protocol(https_url(host), transport="ssl", username=credentials(host)[0], password=credentials(host)[1],
                    ca_trust_path=host.info["ca_bundle"])


def test_working_directory_applies_to_relative_paths(running_host: RunningHost) -> None:
    protocol = _protocol(running_host)
    shell_id = protocol.open_shell(working_directory="C:\\Windows\\Temp")
    command_id = protocol.run_command(shell_id, "echo relative>rel.txt& type C:\\Windows\\Temp\\rel.txt")
    assert protocol.get_command_output(shell_id, command_id) == (b"relative\r\n", b"", 0)
    protocol.close_shell(shell_id)


def test_idle_shell_expires(running_host: RunningHost) -> None:
    protocol = _protocol(running_host)
    idle_shell = protocol.open_shell(idle_timeout="PT1S")  # pywinrm sends the value as given
    import time  # noqa: PLC0415 - only this test waits

    time.sleep(1.5)
    other = protocol.open_shell()  # opening a shell closes the ones idle past their IdleTimeOut
    with pytest.raises(winrm.exceptions.WSManFaultError) as caught:
        protocol.run_command(idle_shell, "echo late")
    assert caught.value.wsman_fault_code == 2150858843
    protocol.close_shell(other)


@pytest.mark.parametrize(("codepage", "encoded"), [(437, "é".encode("cp437")), (65001, "é".encode())])
def test_output_uses_the_shell_code_page(running_host: RunningHost, codepage: int, encoded: bytes) -> None:
    protocol = _protocol(running_host)
    shell_id = protocol.open_shell(codepage=codepage)
    command_id = protocol.run_command(shell_id, "echo café")
    assert protocol.get_command_output(shell_id, command_id)[0] == b"caf" + encoded + b"\r\n"
    protocol.close_shell(shell_id)


def test_powershell_script_from_stdin(running_host: RunningHost) -> None:
    """The stdin idiom for payloads larger than one command line: 'powershell -' plus Send."""
    protocol = _protocol(running_host)
    shell_id = protocol.open_shell()
    command_id = protocol.run_command(shell_id, "powershell.exe -NoProfile -NonInteractive -")
    payload = "x" * 20000
    protocol.send_command_input(shell_id, command_id, f"$data = '{payload}'\r\n")
    protocol.send_command_input(shell_id, command_id, "Write-Output $data.Length\r\n", end=True)
    assert protocol.get_command_output(shell_id, command_id) == (b"20000\r\n", b"", 0)
    protocol.close_shell(shell_id)


def test_encoded_command_reads_stdin_as_input(running_host: RunningHost) -> None:
    """powershell -EncodedCommand with stdin sent: the lines are $input (how secrets avoid the command line)."""
    protocol = _protocol(running_host)
    shell_id = protocol.open_shell()
    script = "$lines = @($input); Write-Output $lines.Count; Write-Output $lines[1]"
    encoded = base64.b64encode(script.encode("utf-16-le")).decode()
    command_id = protocol.run_command(shell_id, f"powershell -encodedcommand {encoded}")
    protocol.send_command_input(shell_id, command_id, "first\r\nsecret-value\r\n", end=True)
    assert protocol.get_command_output(shell_id, command_id) == (b"2\r\nsecret-value\r\n", b"", 0)
    protocol.close_shell(shell_id)


@pytest.mark.parametrize("launch", ["powershell -encodedcommand {encoded}", "powershell.exe -NoProfile -"])
def test_command_waiting_for_stdin_does_not_stall_other_shells(running_host: RunningHost, launch: str) -> None:
    """A client that died before sending stdin End leaves one process waiting; other shells still work."""
    protocol = _protocol(running_host)
    orphan = protocol.open_shell()
    script = "Set-Content -Path C:\\Windows\\Temp\\orphan.txt -Value @($input)"
    encoded = base64.b64encode(script.encode("utf-16-le")).decode()
    protocol.run_command(orphan, launch.format(encoded=encoded))  # no stdin ever sent
    fast = Protocol(https_url(running_host), transport="ssl", username=credentials(running_host)[0],
                    password=credentials(running_host)[1], ca_trust_path=running_host.info["ca_bundle"],
                    read_timeout_sec=15, operation_timeout_sec=10)
    shell_id = fast.open_shell()
    command_id = fast.run_command(shell_id, "powershell -NoProfile -Command \"Write-Output alive\"")
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        output = pool.submit(fast.get_command_output, shell_id, command_id)
        try:
            assert output.result(timeout=30) == (b"alive\r\n", b"", 0)
        finally:
            protocol.close_shell(orphan)  # ends the waiting process (and, before the fix, the stall)
    fast.close_shell(shell_id)
