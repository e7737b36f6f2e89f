"""The simulated ``cmd.exe /c``: split a command line the way cmd.exe does and run its commands.

WinRS runs every command line through ``cmd.exe /c`` (``WINRS_SKIP_CMD_SHELL=FALSE``). This module
expands ``%VAR%``, splits on ``|``, ``&&``, ``||`` and ``&`` outside double quotes (``^`` escapes),
handles ``>``, ``>>``, ``2>``, ``2>&1`` and ``<`` redirections, splits arguments with the C
runtime's rules, and dispatches to the built-ins (:mod:`simulator.cmd.builtins`) or to the console
commands registered in :data:`simulator.cmd.api.CMD_COMMANDS`.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from simulator.core.host import Host

log = logging.getLogger(__name__)

MAX_COMMAND_LINE = 8191
TOO_LONG = "The command line is too long.\r\n"
_OPERATORS = ("&&", "||", "&", "|")
_REDIRECT = re.compile(r"^(?P<fd>[12]?)(?P<op>>>|>|<)(?P<dup>&[12])?")


@dataclass
class ShellContext:
    """What one ``cmd /c`` run sees: host, environment, code page, stdin, cancellation."""

    host: Host
    env: dict[str, str]
    codepage: int = 437
    read_stdin: Callable[[], bytes] = lambda: b""
    cancelled: threading.Event = field(default_factory=threading.Event)
    working_directory: str = "C:\\Users\\Administrator"

    @property
    def encoding(self) -> str:
        """Python codec of the console code page."""
        return "utf-8" if self.codepage == 65001 else f"cp{self.codepage}"


@dataclass
class Outcome:
    """Raw bytes the process wrote and its exit code."""

    stdout: bytes = b""
    stderr: bytes = b""
    exit_code: int = 0


class ExitRequested(Exception):  # noqa: N818 - control flow, not an error
    """``exit`` / ``exit /b N`` stops the rest of the command line."""

    def __init__(self, code: int) -> None:
        super().__init__(code)
        self.code = code


@dataclass
class Simple:
    """One command with its redirections, before argument splitting."""

    text: str
    stdout_file: tuple[str, bool] | None = None  # (path, append)
    stderr_file: tuple[str, bool] | None = None
    stderr_to_stdout: bool = False
    stdin_file: str | None = None


def expand_variables(line: str, env: dict[str, str]) -> str:
    """Replace ``%NAME%`` with its value (case-insensitive); unknown names stay, as in ``cmd /c``."""
    lowered = {k.lower(): v for k, v in env.items()}

    def substitute(match: re.Match[str]) -> str:
        value = lowered.get(match.group(1).lower())
        return match.group(0) if value is None else value

    return re.sub(r"%([^%\s=][^%=]*)%", substitute, line)


def split_operators(line: str) -> list[tuple[str, str]]:
    """Split into ``(operator_before, command_text)`` pairs; the first operator is ``""``."""
    parts: list[tuple[str, str]] = []
    current: list[str] = []
    pending = ""
    in_quotes = False
    i = 0
    while i < len(line):
        ch = line[i]
        if ch == '"':
            in_quotes = not in_quotes
        elif ch == "^" and not in_quotes and i + 1 < len(line):
            current.append(line[i + 1])
            i += 2
            continue
        elif not in_quotes and ch in "&|":
            op = next(o for o in _OPERATORS if line.startswith(o, i))
            parts.append((pending, "".join(current)))
            pending, current = op, []
            i += len(op)
            continue
        current.append(ch)
        i += 1
    parts.append((pending, "".join(current)))
    return parts


def parse_redirections(text: str) -> Simple:
    """Pull ``>``, ``>>``, ``2>``, ``2>&1`` and ``<`` out of one command's text."""
    simple = Simple(text="")
    kept: list[str] = []
    in_quotes = False
    i = 0
    while i < len(text):
        ch = text[i]
        if ch == '"':
            in_quotes = not in_quotes
        if not in_quotes and (ch in "<>" or (ch in "12" and text[i + 1 : i + 2] == ">")):
            match = _REDIRECT.match(text[i:])
            if match:
                i += match.end()
                op, dup = match.group("op"), match.group("dup")
                fd = match.group("fd") or ("0" if op == "<" else "1")
                if dup:
                    if fd == "2" and dup == "&1":
                        simple.stderr_to_stdout = True
                    continue
                target, i = _read_word(text, i)
                if op == "<":
                    simple.stdin_file = target
                elif fd == "2":
                    simple.stderr_file = (target, op == ">>")
                else:
                    simple.stdout_file = (target, op == ">>")
                continue
        kept.append(ch)
        i += 1
    simple.text = "".join(kept)
    return simple


def _read_word(text: str, i: int) -> tuple[str, int]:
    while i < len(text) and text[i] in " \t":
        i += 1
    if i < len(text) and text[i] == '"':
        end = text.find('"', i + 1)
        end = len(text) if end < 0 else end
        return text[i + 1 : end], end + 1
    start = i
    while i < len(text) and text[i] not in " \t<>":
        i += 1
    return text[start:i], i


def split_argv(args: str) -> list[str]:
    """Split arguments as the Microsoft C runtime does (quotes group, ``\\"`` is a literal quote)."""
    argv: list[str] = []
    current: list[str] = []
    have_arg = False
    in_quotes = False
    i = 0
    while i < len(args):
        ch = args[i]
        if ch == "\\":
            run = len(args[i:]) - len(args[i:].lstrip("\\"))
            if args[i + run : i + run + 1] == '"':
                current.append("\\" * (run // 2))
                if run % 2:
                    current.append('"')
                    i += run + 1
                else:
                    i += run
                have_arg = True
                continue
            current.append("\\" * run)
            i += run
            have_arg = True
            continue
        if ch == '"':
            if in_quotes and args[i + 1 : i + 2] == '"':
                current.append('"')
                i += 2
                continue
            in_quotes = not in_quotes
            have_arg = True
        elif ch in " \t" and not in_quotes:
            if have_arg:
                argv.append("".join(current))
                current, have_arg = [], False
        else:
            current.append(ch)
            have_arg = True
        i += 1
    if have_arg:
        argv.append("".join(current))
    return argv


def split_command_name(text: str) -> tuple[str, str]:
    """``(name, raw_args)``: the program name (unquoted) and the rest of the text as written."""
    stripped = text.lstrip(" \t@")
    if stripped.startswith('"'):
        end = stripped.find('"', 1)
        end = len(stripped) if end < 0 else end
        return stripped[1:end], stripped[end + 1 :].lstrip(" \t")
    match = re.match(r"[^\s/]+|/", stripped)
    if not match:
        return "", ""
    name = match.group(0)
    # cmd.exe ends a built-in name at '.', '/' or '(' too: "echo." and "ver/?" work.
    if name.lower().startswith("echo") and len(name) > 4 and name[4] in ".(:;,+=":
        return "echo", stripped[4:]
    rest = stripped[len(name) :]
    return name, rest[1:] if rest[:1] in (" ", "\t") else rest
