"""The contract for console commands run by the simulated cmd.exe (``reg``, ``netsh``, ``find`` …).

A command registers with :func:`cmd_command`; the cmd layer splits the command line the way
cmd.exe does (``|``, ``&&``, ``||``, ``&``, quotes), then calls the handler with a :class:`CmdCall`.
Output text uses CRLF line ends; the cmd layer encodes it in the shell's code page.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from simulator.core.host import Host


@dataclass
class CmdCall:
    """One console command.

    Attributes:
        host: the simulated host.
        argv: arguments after the command name, split and unquoted as the program's C runtime
            would (``"HKLM\\A B"`` -> ``HKLM\\A B``).
        raw_args: the argument text exactly as written (for commands that parse it themselves,
            like ``find "text"`` or ``netsh … name="a b"``).
        stdin: text piped in from the previous command ('' when none).
        codepage: the shell's code page (437 by default, 65001 for UTF-8).
    """

    host: Host
    argv: list[str]
    raw_args: str
    stdin: str = ""
    codepage: int = 437


@dataclass
class CmdResult:
    """What a console command produced."""

    stdout: str = ""
    stderr: str = ""
    exit_code: int = 0


CmdHandler = Callable[[CmdCall], CmdResult]


@dataclass(frozen=True)
class CmdSpec:
    """A registered console command, for dispatch and the coverage list."""

    name: str
    handler: CmdHandler
    summary: str
    not_modelled: str


CMD_COMMANDS: dict[str, CmdSpec] = {}


def cmd_command(name: str, *, summary: str, not_modelled: str) -> Callable[[CmdHandler], CmdHandler]:
    """Register ``handler`` as console command ``name`` (matched case-insensitively, ``.exe`` optional)."""

    def register(handler: CmdHandler) -> CmdHandler:
        key = name.lower()
        if key in CMD_COMMANDS:
            msg = f"console command {name} registered twice"
            raise ValueError(msg)
        CMD_COMMANDS[key] = CmdSpec(name, handler, summary, not_modelled)
        return handler

    return register
