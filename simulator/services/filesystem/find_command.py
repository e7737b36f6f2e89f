"""``find "text"`` of cmd.exe, over piped input or files, as Windows prints it.

The recipe checks the firewall with ``netsh advfirewall firewall show rule name=all dir=in | find "Hyper-V "``,
and scripts test ``%ERRORLEVEL%``: 0 when a line matched, 1 when none did, 2 on a usage error.
"""

from __future__ import annotations

import re

from simulator.cmd.api import CmdCall, CmdResult, cmd_command
from simulator.services.filesystem.encoding import decode, split_lines

CRLF = "\r\n"
# ASSUMPTION: cmd commands run in the WinRS working directory, %USERPROFILE%.
WORKING_DIRECTORY = "C:\\Users\\Administrator"
_TOKEN = re.compile(r'"([^"]*)"?|(\S+)')
_SWITCHES = {"/v", "/c", "/n", "/i", "/off", "/offline"}


def _parse(raw_args: str) -> tuple[set[str], str | None, list[str]] | None:
    """(switches, search string, files), or None for a usage error."""
    switches: set[str] = set()
    needle: str | None = None
    files: list[str] = []
    for match in _TOKEN.finditer(raw_args):
        quoted, bare = match.group(1), match.group(2)
        if bare is not None and bare.startswith("/"):
            if bare.lower() not in _SWITCHES or needle is not None:
                return None
            switches.add(bare.lower())
        elif needle is None:
            if quoted is None:
                return None  # the string must be quoted
            needle = quoted
        else:
            files.append(quoted if quoted is not None else bare)
    return switches, needle, files


def _matching(lines: list[str], needle: str, switches: set[str]) -> list[str]:
    def hit(line: str) -> bool:
        if not needle:
            return False
        if "/i" in switches:
            return needle.lower() in line.lower()
        return needle in line

    invert = "/v" in switches
    numbered = [(n, line) for n, line in enumerate(lines, 1) if hit(line) != invert]
    if "/n" in switches:
        return [f"[{n}]{line}" for n, line in numbered]
    return [line for _, line in numbered]


def _real_path(name: str) -> str:
    if re.match(r"^[A-Za-z]:\\", name):
        return name
    return f"{WORKING_DIRECTORY}\\{name.lstrip(chr(92))}"


@cmd_command(
    "find",
    summary='find "text" over piped input or files, with /I /V /C /N; exit 1 when nothing matched.',
    not_modelled="/OFF[LINE] (accepted, no effect), wildcards in file names.",
)
def find(call: CmdCall) -> CmdResult:
    """find: print matching lines (``---------- NAME`` before each file's lines).

    Not modelled: wildcards in file names; /OFFLINE is accepted without effect.
    """
    parsed = _parse(call.raw_args)
    if parsed is None or parsed[1] is None:
        return CmdResult(stderr=f"FIND: Parameter format not correct{CRLF}", exit_code=2)
    switches, needle, files = parsed
    assert needle is not None  # checked above
    count_only = "/c" in switches
    if not files:
        lines = _matching(split_lines(call.stdin), needle, switches)
        text = f"{len(lines)}{CRLF}" if count_only else "".join(line + CRLF for line in lines)
        return CmdResult(text, exit_code=0 if lines else 1)
    out: list[str] = []
    errors: list[str] = []
    found = False
    for name in files:
        try:
            real = call.host.real_path(_real_path(name))
            data = real.read_bytes()
        except (ValueError, OSError):
            errors.append(f"File not found - {name.upper()}{CRLF}")
            continue
        lines = _matching(split_lines(decode(data, None)), needle, switches)
        found = found or bool(lines)
        if count_only:
            out.append(f"{CRLF}---------- {name.upper()}: {len(lines)}{CRLF}")
        else:
            out.append(f"{CRLF}---------- {name.upper()}{CRLF}" + "".join(line + CRLF for line in lines))
    exit_code = 0 if found else (2 if errors and len(errors) == len(files) else 1)
    return CmdResult("".join(out), "".join(errors), exit_code)
