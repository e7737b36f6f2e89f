"""Run one ``cmd.exe /c`` command line on a simulated host: operators, pipes, redirections, dispatch.

Parsing lives in :mod:`simulator.cmd.cmdline`; this module executes the pieces in order
(``&`` always, ``&&`` after success, ``||`` after failure, ``|`` feeding stdout to the next
command) and returns the raw bytes the process would have written, in the console code page.
The running :class:`~simulator.cmd.cmdline.ShellContext` is available to built-ins through
:func:`current_context` (the console-command contract, ``CmdCall``, has no room for it).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import PureWindowsPath

from simulator.cmd import api
from simulator.cmd.cmdline import (
    MAX_COMMAND_LINE,
    TOO_LONG,
    ExitRequested,
    Outcome,
    ShellContext,
    Simple,
    expand_variables,
    parse_redirections,
    split_argv,
    split_command_name,
    split_operators,
)
from simulator.core.errors import NotModelledError, SimError

log = logging.getLogger(__name__)

WORKING_DIRECTORY = "C:\\Users\\Administrator"
NOT_RECOGNIZED = "'{name}' is not recognized as an internal or external command,\r\noperable program or batch file.\r\n"
# Commands every Windows Server has (cmd.exe built-ins and System32 tools) that the simulator does not
# model: they must fail as "not modelled", never as "not recognized" (which would claim Windows lacks them).
WINDOWS_COMMANDS_NOT_MODELLED = frozenset({
    "assoc", "attrib", "bcdedit", "cacls", "call", "cd", "chdir", "chcp", "cls", "copy", "date",
    "del", "dir", "diskpart", "dism", "erase", "findstr", "for", "fsutil", "goto", "gpupdate", "icacls", "if",
    "md", "mkdir", "mklink", "move", "net", "netstat", "nslookup", "path", "pause", "popd", "pushd", "rd",
    "reagentc", "ren", "rename", "rmdir", "robocopy", "route", "sc", "schtasks", "setx", "sfc", "shift",
    "start", "systeminfo", "taskkill", "tasklist", "time", "title", "tracert", "tree", "vol", "w32tm",
    "wevtutil", "where", "whoami", "winrm", "wmic", "xcopy",
})
_local = threading.local()


def current_context() -> ShellContext:
    """The context of the command line running on this thread."""
    context: ShellContext | None = getattr(_local, "context", None)
    if context is None:
        msg = "no cmd.exe command line is running on this thread"
        raise RuntimeError(msg)
    return context


@contextmanager
def _bound(context: ShellContext) -> Iterator[None]:
    previous = getattr(_local, "context", None)
    _local.context = context
    try:
        yield
    finally:
        _local.context = previous


def windows_path(path: str) -> str:
    """Absolute form of a path relative to the working directory of the running command line."""
    context: ShellContext | None = getattr(_local, "context", None)
    cwd = PureWindowsPath(context.working_directory if context else WORKING_DIRECTORY)
    win = PureWindowsPath(path)
    if win.drive and win.root:
        return str(win)
    if win.root:
        return str(PureWindowsPath(cwd.drive + "\\") / win)
    return str(cwd / win)


def load_commands() -> None:
    """Register the built-ins and every subsystem's console commands (idempotent)."""
    import simulator.cmd.builtins  # noqa: PLC0415 - registers by import
    import simulator.cmd.powershell  # noqa: F401, PLC0415 - same
    from simulator.services import load_all  # noqa: PLC0415 - subsystems import the cmd contract

    load_all()


def run_command_line(context: ShellContext, line: str) -> Outcome:
    """Run ``cmd.exe /c <line>`` and return what it wrote and its exit code."""
    load_commands()
    if len(line) > MAX_COMMAND_LINE:
        return Outcome(stderr=TOO_LONG.encode(context.encoding), exit_code=1)
    line = expand_variables(line, context.env)
    stdout, stderr = bytearray(), bytearray()
    exit_code = 0
    pipe_input: bytes | None = None
    parts = split_operators(line)
    with _bound(context):
        try:
            for index, (operator, text) in enumerate(parts):
                if operator == "&&" and exit_code != 0:
                    continue
                if operator == "||" and exit_code == 0:
                    continue
                piped = index + 1 < len(parts) and parts[index + 1][0] == "|"
                stdin = pipe_input if operator == "|" else None
                result = _run_simple(context, parse_redirections(text), stdin)
                stderr += result.stderr
                exit_code = result.exit_code
                if piped:
                    pipe_input = result.stdout
                else:
                    stdout += result.stdout
                    pipe_input = None
        except ExitRequested as request:
            exit_code = request.code
    return Outcome(bytes(stdout), bytes(stderr), exit_code & 0xFFFFFFFF)


def _run_simple(context: ShellContext, simple: Simple, stdin: bytes | None) -> Outcome:
    name, raw_args = split_command_name(simple.text)
    if not name:
        return Outcome()
    encoding = context.encoding
    if simple.stdin_file is not None:
        try:
            stdin = context.host.real_path(windows_path(simple.stdin_file)).read_bytes()
        except (OSError, ValueError):
            return Outcome(stderr=b"The system cannot find the file specified.\r\n", exit_code=1)
    call = api.CmdCall(
        host=context.host,
        argv=split_argv(raw_args),
        raw_args=raw_args,
        stdin="" if stdin is None else stdin.decode(encoding, errors="replace"),
        codepage=context.codepage,
    )
    outcome = dispatch(context, name, call)
    if simple.stderr_to_stdout:
        outcome = Outcome(outcome.stdout + outcome.stderr, b"", outcome.exit_code)
    for target, data, is_stderr in ((simple.stdout_file, outcome.stdout, False),
                                    (simple.stderr_file, outcome.stderr, True)):
        if target is None:
            continue
        error = _write_redirect(context, target[0], data, append=target[1])
        if error:
            return Outcome(outcome.stdout if is_stderr else b"", error.encode(encoding), 1)
        if is_stderr:
            outcome = Outcome(outcome.stdout, b"", outcome.exit_code)
        else:
            outcome = Outcome(b"", outcome.stderr, outcome.exit_code)
    return outcome


def dispatch(context: ShellContext, name: str, call: api.CmdCall) -> Outcome:
    """Run one console command by name (``.exe`` optional, any case)."""
    from simulator.cmd import powershell  # noqa: PLC0415 - powershell imports this module
    from simulator.cmd.builtins import BUILTIN_NAMES  # noqa: PLC0415 - builtins import this module

    key = name.lower().removesuffix(".exe")
    try:
        if key == "powershell":
            return powershell.run(context, call)
        if key == "cmd":
            return run_cmd_exe(context, call)
        spec = api.CMD_COMMANDS.get(key) or api.CMD_COMMANDS.get(f"{key}.exe")
        if spec is None and key in WINDOWS_COMMANDS_NOT_MODELLED:
            raise NotModelledError(f"console command {key}")
        if spec is None:
            return Outcome(stderr=NOT_RECOGNIZED.format(name=name).encode(context.encoding, errors="replace"),
                           exit_code=1)
        if key in BUILTIN_NAMES:  # read-only, and `timeout` must not hold the host lock while it waits
            result = spec.handler(call)
        else:
            with context.host.transaction():
                result = spec.handler(call)
    except ExitRequested:
        raise
    except SimError as error:
        log.info("console command %s failed: %s", key, error.message)
        return Outcome(stderr=f"{error.message}\r\n".encode(context.encoding, errors="replace"), exit_code=1)
    return Outcome(
        result.stdout.encode(context.encoding, errors="replace"),
        result.stderr.encode(context.encoding, errors="replace"),
        result.exit_code,
    )


def run_cmd_exe(context: ShellContext, call: api.CmdCall) -> Outcome:
    """``cmd.exe /c LINE`` (also ``/s``, ``/q``, ``/d``): run LINE in a nested cmd.exe."""
    rest = call.raw_args.lstrip()
    while rest[:1] == "/" and rest[1:2].lower() in ("s", "q", "d"):
        rest = rest[2:].lstrip()
    if rest[:2].lower() != "/c":
        raise NotModelledError("cmd.exe without /c (interactive or /k)")
    line = rest[2:].lstrip()
    if line.startswith('"') and line.endswith('"') and line.count('"') == 2:
        line = line[1:-1]  # cmd /c "…": the outer quotes go
    nested = ShellContext(context.host, dict(context.env), context.codepage, context.read_stdin, context.cancelled,
                          context.working_directory)
    return run_command_line(nested, line)


def _write_redirect(context: ShellContext, target: str, data: bytes, *, append: bool) -> str | None:
    if target.lower() in ("nul", "nul:"):
        return None
    try:
        path = context.host.real_path(windows_path(target))
    except ValueError:
        return "The system cannot find the path specified.\r\n"
    if not path.parent.is_dir():
        return "The system cannot find the path specified.\r\n"
    if path.is_dir():
        return "Access is denied.\r\n"
    with context.host.transaction(), path.open("ab" if append else "wb") as handle:
        handle.write(data)
        handle.flush()
    return None
