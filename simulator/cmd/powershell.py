"""The ``powershell.exe`` console command: read its command-line flags, run the script, encode output.

``run_ps`` sends ``powershell -encodedcommand <base64 UTF-16LE>``; other clients add ``-NoProfile``,
``-NonInteractive``, ``-ExecutionPolicy`` or use ``-Command``. Flags match as powershell.exe 5.1
matches them (case-insensitive, unique prefixes down to a minimum). The script runs in the
interpreter of :mod:`simulator.ps.runner`; its text output is encoded in the console code page, or
in UTF-8 once the script switched ``[Console]::OutputEncoding``.
"""

from __future__ import annotations

import base64
import binascii
import importlib
import importlib.util
import inspect
import logging
from dataclasses import dataclass

from simulator.cmd import api
from simulator.cmd.cmdline import Outcome, ShellContext
from simulator.core.errors import NotModelledError

log = logging.getLogger(__name__)

# ASSUMPTION: powershell.exe reports command-line errors with exit code 0xFFFD0000 (-196608).
BAD_ARGUMENTS_EXIT = 0xFFFD0000
# (full name, shortest accepted prefix, alternative spellings)
_FLAGS = (
    ("command", "c", ()),
    ("encodedcommand", "e", ("ec",)),
    ("executionpolicy", "ex", ("ep",)),
    ("file", "f", ()),
    ("inputformat", "i", ("if",)),
    ("outputformat", "o", ("of",)),
    ("noprofile", "nop", ()),
    ("noninteractive", "noni", ()),
    ("nologo", "nol", ()),
    ("noexit", "noe", ()),
    ("windowstyle", "w", ()),
    ("sta", "s", ()),
    ("mta", "m", ()),
    ("version", "v", ()),
)


@dataclass
class Invocation:
    """What powershell.exe was asked to do."""

    script: str | None = None
    read_stdin: bool = False
    execution_policy: str | None = None


class UsageError(Exception):
    """powershell.exe refused its command line (message printed on stderr)."""


def match_flag(word: str) -> str | None:
    """The full flag name for ``-word`` / ``/word``, or None."""
    key = word.lstrip("-/").lower()
    for full, shortest, alternatives in _FLAGS:
        if key in alternatives or (full.startswith(key) and len(key) >= len(shortest)):
            return full
    return None


def parse_arguments(argv: list[str]) -> Invocation:
    """Interpret powershell.exe's arguments (after the program name)."""
    result = Invocation()
    i = 0
    while i < len(argv):
        word = argv[i]
        flag = match_flag(word) if word[:1] in "-/" and word != "-" else None
        if word == "-":
            result.read_stdin = True
            i += 1
            continue
        if flag is None:
            # powershell.exe 5.1: the first non-flag argument starts the command text
            result.script = " ".join(argv[i:])
            break
        value = argv[i + 1] if i + 1 < len(argv) else None
        if flag == "command":
            rest = argv[i + 1 :]
            if rest == ["-"]:
                result.read_stdin = True
            else:
                result.script = " ".join(rest)
            break
        if flag == "encodedcommand":
            if value is None:
                raise UsageError("Cannot process the command because of a missing parameter. "
                                 "A command must follow -Command.")
            try:
                result.script = base64.b64decode(value, validate=True).decode("utf-16-le")
            except (binascii.Error, UnicodeDecodeError, ValueError):
                raise UsageError("Cannot process the command because the value specified with -EncodedCommand "
                                 "is not properly encoded. The value must be Base64 encoded.") from None
            i += 2
            continue
        if flag in ("inputformat", "outputformat"):
            if value is None or value.lower() != "text":
                raise NotModelledError(f"powershell.exe -{flag} {value} (only Text)")
            i += 2
            continue
        if flag in ("executionpolicy", "windowstyle", "version"):
            if value is None:
                raise UsageError(f"Missing argument for parameter -{flag}.")
            if flag == "executionpolicy":
                result.execution_policy = value
            i += 2
            continue
        if flag in ("file", "noexit"):
            raise NotModelledError(f"powershell.exe -{flag}")
        i += 1  # -NoProfile, -NonInteractive, -NoLogo, -Sta, -Mta: no effect on a non-interactive run
    return result


def run(context: ShellContext, call: api.CmdCall) -> Outcome:
    """Run powershell.exe with ``call.argv`` and return its raw output."""
    try:
        invocation = parse_arguments(call.argv)
    except UsageError as error:
        return Outcome(stderr=f"{error}\r\n".encode(context.encoding), exit_code=BAD_ARGUMENTS_EXIT)
    if invocation.read_stdin:
        invocation.script = context.read_stdin().decode(context.encoding, errors="replace")
    if invocation.script is None:
        raise NotModelledError("an interactive powershell.exe (no -Command or -EncodedCommand)")
    if importlib.util.find_spec("simulator.ps.runner") is None:
        raise NotModelledError("PowerShell scripts (the interpreter simulator.ps.runner is not installed)")
    runner = importlib.import_module("simulator.ps.runner")
    accepted = inspect.signature(runner.run_script).parameters
    extra: dict[str, object] = {}
    if "env" in accepted:  # the shell's variables for $env:
        extra["env"] = dict(context.env)
    if "stdin" in accepted and not invocation.read_stdin:  # $input: a pipe, else WinRS stdin, read only if used
        piped = call.stdin
        extra["stdin"] = piped if piped else lambda: context.read_stdin().decode(context.encoding, errors="replace")
    result = runner.run_script(context.host, invocation.script, **extra)
    out_encoding = "utf-8" if str(result.output_encoding).lower() in ("utf-8", "utf8") else context.encoding
    return Outcome(
        result.stdout.encode(out_encoding, errors="replace"),
        result.stderr.encode(out_encoding, errors="replace"),
        int(result.exit_code) & 0xFFFFFFFF,
    )


@api.cmd_command("powershell", summary="Windows PowerShell 5.1: -EncodedCommand, -Command, -NoProfile, "
                 "-NonInteractive, -ExecutionPolicy, -InputFormat/-OutputFormat Text, script on stdin ('-').",
                 not_modelled="-File, -NoExit, -InputFormat/-OutputFormat Xml, -PSConsoleFile, interactive use")
def powershell(call: api.CmdCall) -> api.CmdResult:
    """Dispatch entry used outside the cmd layer; the cmd layer calls :func:`run` for raw bytes.

    Not modelled: -File, -NoExit, Xml formats, interactive use.
    """
    from simulator.cmd.execute import current_context  # noqa: PLC0415 - execute imports this module lazily

    context = current_context()
    outcome = run(context, call)
    return api.CmdResult(outcome.stdout.decode(context.encoding, errors="replace"),
                         outcome.stderr.decode(context.encoding, errors="replace"), outcome.exit_code)
