"""The simulated cmd.exe: splitting, quoting, redirections, built-ins and powershell.exe flags (in process)."""

from __future__ import annotations

import base64

import pytest
from hypothesis import given
from hypothesis import strategies as st

from simulator.cmd.cmdline import ShellContext, parse_redirections, split_argv, split_command_name, split_operators
from simulator.cmd.execute import run_command_line
from simulator.cmd.powershell import match_flag, parse_arguments
from simulator.core.errors import NotModelledError
from simulator.core.host import Host


def run(host: Host, line: str, **env: str) -> tuple[str, str, int]:
    outcome = run_command_line(ShellContext(host, {"COMPUTERNAME": "HYPER-V-PRIM", **env}), line)
    return outcome.stdout.decode("cp437"), outcome.stderr.decode("cp437"), outcome.exit_code


def test_operators_outside_quotes_only() -> None:
    assert split_operators('echo "a & b" & echo c && echo d || echo e | more') == [
        ("", 'echo "a & b" '), ("&", " echo c "), ("&&", " echo d "), ("||", " echo e "), ("|", " more")]
    assert split_operators("echo a^&b") == [("", "echo a&b")]


@pytest.mark.parametrize(
    ("text", "argv"),
    [
        (r'"C:\Program Files\x" /v', [r"C:\Program Files\x", "/v"]),
        (r'a\\"b c"', [r"a\b c"]),
        (r'a\"b', ['a"b']),
        ('""', [""]),
        ('name="a b" other', ["name=a b", "other"]),
        ("  spaced   out  ", ["spaced", "out"]),
    ],
)
def test_arguments_split_like_the_c_runtime(text: str, argv: list[str]) -> None:
    assert split_argv(text) == argv


def test_command_name_and_redirections() -> None:
    assert split_command_name('"C:\\Windows\\reg.exe" add X') == ("C:\\Windows\\reg.exe", "add X")
    assert split_command_name("echo.") == ("echo", ".")
    simple = parse_redirections('echo "a > b" > C:\\out.txt 2>&1')
    assert simple.text.strip() == 'echo "a > b"'
    assert (simple.stdout_file, simple.stderr_to_stdout) == (("C:\\out.txt", False), True)
    assert parse_redirections("type x 2>> err.log").stderr_file == ("err.log", True)


def test_echo_variables_and_conditional_operators(sim_host: Host) -> None:
    assert run(sim_host, "echo %COMPUTERNAME% %UNDEFINED%") == ("HYPER-V-PRIM %UNDEFINED%\r\n", "", 0)
    assert run(sim_host, "echo.") == ("\r\n", "", 0)
    assert run(sim_host, "echo") == ("ECHO is on.\r\n", "", 0)
    assert run(sim_host, "nosuch && echo skipped || echo fallback")[0] == "fallback\r\n"
    assert run(sim_host, "echo one & exit /b 7 & echo never") == ("one \r\n", "", 7)
    assert run(sim_host, "cmd.exe /c echo nested")[0] == "nested\r\n"


def test_redirection_writes_the_drive(sim_host: Host) -> None:
    assert run(sim_host, r"echo first> C:\Windows\Temp\f.txt & echo second>> C:\Windows\Temp\f.txt") == ("", "", 0)
    # as in cmd.exe, the space before '&' belongs to the first echo
    assert sim_host.real_path(r"C:\Windows\Temp\f.txt").read_bytes() == b"first \r\nsecond\r\n"
    assert run(sim_host, r"type C:\Windows\Temp\f.txt") == ("first \r\nsecond\r\n", "", 0)
    assert run(sim_host, r"echo x > C:\No\Such\Dir\f.txt") == ("", "The system cannot find the path specified.\r\n", 1)
    assert run(sim_host, r"type C:\missing.txt") == ("", "The system cannot find the file specified.\r\n", 1)
    assert run(sim_host, r"nosuch 2> nul") == ("", "", 1)


def test_pipe_feeds_the_next_command(sim_host: Host) -> None:
    assert run(sim_host, "echo piped | more") == ("piped \r\n", "", 0)


def test_set_ver_and_unknown_command(sim_host: Host) -> None:
    assert run(sim_host, "set GREETING=hi & set GREE") == ("GREETING=hi\r\n", "", 0)
    assert run(sim_host, "set NOPE")[1:] == ("Environment variable NOPE not defined\r\n", 1)
    assert run(sim_host, "ver")[0] == "\r\nMicrosoft Windows [Version 10.0.14393]\r\n"
    out, err, code = run(sim_host, "Frob /x")
    assert (out, code) == ("", 1)
    assert err == "'Frob' is not recognized as an internal or external command,\r\noperable program or batch file.\r\n"


def test_command_line_limit(sim_host: Host) -> None:
    assert run(sim_host, "echo " + "a" * 8186)[2] == 0
    assert run(sim_host, "echo " + "a" * 8187) == ("", "The command line is too long.\r\n", 1)


def test_powershell_flags() -> None:
    script = "Get-Date; 'é'"
    encoded = base64.b64encode(script.encode("utf-16-le")).decode()
    for flag in ("-EncodedCommand", "-encodedcommand", "-enc", "-e", "-ec", "/EncodedCommand"):
        assert parse_arguments(["-NoProfile", "-NonInteractive", flag, encoded]).script == script
    assert parse_arguments(["-ExecutionPolicy", "Bypass", "-Command", "Get-Item", "x"]).script == "Get-Item x"
    assert parse_arguments(["-c", "-"]).read_stdin
    assert parse_arguments(["-InputFormat", "Text", "-OutputFormat", "text", "Get-Date"]).script == "Get-Date"
    assert match_flag("-no") is None  # ambiguous below the shortest accepted prefix
    assert match_flag("-nop") == "noprofile"
    with pytest.raises(NotModelledError, match=r"^not modelled.*powershell\.exe -file"):
        parse_arguments(["-File", "x.ps1"])
    with pytest.raises(NotModelledError, match=r"^not modelled.*powershell\.exe -outputformat Xml"):
        parse_arguments(["-OutputFormat", "Xml", "-c", "x"])


@given(st.lists(st.text(alphabet=st.characters(exclude_characters='"\x00', exclude_categories=["Cs"]),
                        min_size=1, max_size=12).filter(lambda s: s.strip() == s and " " not in s and "\t" not in s),
                min_size=1, max_size=6))
def test_quoted_arguments_round_trip(args: list[str]) -> None:
    """Quoting each argument (no embedded quotes) always splits back to the same list."""
    line = " ".join(f'"{a}"' if not a.endswith("\\") else f'"{a}\\"' for a in args)
    assert split_argv(line) == args
