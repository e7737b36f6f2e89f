"""cmd.exe built-ins the simulator models (``echo``, ``type``, ``exit``, ``ver``, ``set``), plus ``timeout``, ``more``.

They register in the console-command registry like ``reg`` or ``netsh`` so the coverage list shows
them; they change no host state (redirections, which do, are done by the cmd layer).
"""

from __future__ import annotations

import time

from simulator.cmd.api import CmdCall, CmdResult, cmd_command
from simulator.cmd.cmdline import ExitRequested
from simulator.cmd.execute import current_context, windows_path

BUILTIN_NAMES = frozenset({"echo", "type", "exit", "ver", "set", "timeout", "more"})
WINDOWS_VERSIONS = {"2016": "10.0.14393", "2019": "10.0.17763", "2022": "10.0.20348"}


@cmd_command("echo", summary="Print its arguments (text as written, quotes kept); 'echo.' prints an empty line.",
             not_modelled="'echo on'/'echo off' (no batch files)")
def echo(call: CmdCall) -> CmdResult:
    """``echo text``: the text exactly as written, up to a redirection. Not modelled: echo on/off."""
    text = call.raw_args
    if text and text[0] in ".:;,+=(":
        return CmdResult(stdout=text[1:] + "\r\n")
    if not text.strip():
        return CmdResult(stdout="ECHO is on.\r\n")
    return CmdResult(stdout=text + "\r\n")


@cmd_command("type", summary="Print the content of files.", not_modelled="wildcards, device names")
def type_(call: CmdCall) -> CmdResult:
    """``type FILE...``: file bytes in the console code page. Not modelled: wildcards, devices."""
    if not call.argv:
        return CmdResult(stderr="The syntax of the command is incorrect.\r\n", exit_code=1)
    encoding = current_context().encoding
    out: list[str] = []
    for name in call.argv:
        try:
            path = call.host.real_path(windows_path(name))
            data = path.read_bytes()
        except (OSError, ValueError):
            return CmdResult(stdout="".join(out), stderr="The system cannot find the file specified.\r\n",
                             exit_code=1)
        out.append(data.decode(encoding, errors="replace"))
    return CmdResult(stdout="".join(out))


@cmd_command("exit", summary="End the command line with an exit code ('exit N', 'exit /b N').",
             not_modelled="nothing (no batch files, so /b and plain exit behave the same)")
def exit_(call: CmdCall) -> CmdResult:
    """``exit [/b] [N]``: stop and report N (default 0). Not modelled: batch-file scope of /b."""
    args = [a for a in call.argv if a.lower() != "/b"]
    code = 0
    if args:
        try:
            code = int(args[0], 0) if args[0].lower().startswith("0x") else int(args[0])
        except ValueError:
            code = 0
    raise ExitRequested(code)


@cmd_command("ver", summary="Print the Windows version line.", not_modelled="nothing")
def ver(call: CmdCall) -> CmdResult:
    """``ver``: ``Microsoft Windows [Version 10.0.x]``. Not modelled: the build's update revision."""
    version = WINDOWS_VERSIONS.get(call.host.os_version, WINDOWS_VERSIONS["2016"])
    return CmdResult(stdout=f"\r\nMicrosoft Windows [Version {version}]\r\n")


@cmd_command("set", summary="Show or set environment variables of this command line.",
             not_modelled="/a arithmetic and /p prompts")
def set_(call: CmdCall) -> CmdResult:
    """``set``, ``set PREFIX``, ``set NAME=value``. Not modelled: ``/a``, ``/p``."""
    env = current_context().env
    text = call.raw_args.strip()
    if text.lower().startswith(("/a", "/p")):
        from simulator.core.errors import NotModelledError  # noqa: PLC0415 - only on this path

        raise NotModelledError(f"'set {text[:2]}'")
    if text.startswith('"') and text.endswith('"'):
        text = text[1:-1]
    if "=" in text:
        name, value = text.split("=", 1)
        existing = next((k for k in env if k.lower() == name.lower()), name)
        if value:
            env[existing] = value
        else:
            env.pop(existing, None)
        return CmdResult()
    matches = sorted((k, v) for k, v in env.items() if k.lower().startswith(text.lower()))
    if not matches:
        return CmdResult(stderr=f"Environment variable {text} not defined\r\n", exit_code=1)
    return CmdResult(stdout="".join(f"{k}={v}\r\n" for k, v in matches))


@cmd_command("timeout", summary="Wait N seconds ('timeout /t N [/nobreak]').",
             not_modelled="a key press ending the wait")
def timeout(call: CmdCall) -> CmdResult:
    """``timeout /t N``: sleep N real seconds (ends early if the command is terminated).

    Not modelled: a key press ending the wait, /t -1 (wait forever).
    """
    # ASSUMPTION: under WinRS (WINRS_CONSOLEMODE_STDIN=TRUE) stdin counts as a console, so timeout
    # waits instead of failing with "Input redirection is not supported".
    args = [a.lower() for a in call.argv]
    try:
        seconds = int(args[args.index("/t") + 1]) if "/t" in args else int(args[0])
    except (ValueError, IndexError):
        return CmdResult(stderr="ERROR: Invalid syntax. Default option is not allowed more than '1' time(s).\r\n"
                         "Type \"TIMEOUT /?\" for usage.\r\n", exit_code=1)
    if not 0 <= seconds <= 99999:
        return CmdResult(stderr="ERROR: Invalid value for timeout (/T) specified. Valid range is -1 to 99999.\r\n",
                         exit_code=1)
    cancelled = current_context().cancelled
    deadline = time.monotonic() + seconds
    while not cancelled.is_set() and time.monotonic() < deadline:
        cancelled.wait(min(0.2, max(0.0, deadline - time.monotonic())))
    return CmdResult(stdout=f"\r\nWaiting for {seconds} seconds, press a key to continue ...\r\n")


@cmd_command("more", summary="Copy its input (a pipe, or the WinRS stdin sent with Send) to the output.",
             not_modelled="paging, /E options, file arguments")
def more(call: CmdCall) -> CmdResult:
    """``more`` / ``cmd | more``: input to output (non-interactive: no paging).

    Not modelled: paging, extended options, file arguments.
    """
    if call.argv:
        from simulator.core.errors import NotModelledError  # noqa: PLC0415 - only on this path

        raise NotModelledError("'more' with arguments")
    context = current_context()
    text = call.stdin if call.stdin else context.read_stdin().decode(context.encoding, errors="replace")
    text = text.replace("\r\n", "\n").replace("\n", "\r\n")
    return CmdResult(stdout=text if text.endswith("\r\n") or not text else text + "\r\n")
