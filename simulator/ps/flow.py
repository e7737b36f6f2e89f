"""Control-flow signals (break, continue, return, exit), terminating errors, and the script's output streams.

Shared by the interpreter's mixins, so they live apart from :mod:`simulator.ps.interpreter`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from simulator.ps.errorrecord import ErrorRecord
from simulator.ps.values import ScriptBlock


class Flow(Exception):  # noqa: N818 - control flow, not an error
    """Base of break/continue/return/exit."""


class BreakFlow(Flow):
    """``break``."""


class ContinueFlow(Flow):
    """``continue``."""


class ReturnFlow(Flow):
    """``return``."""


@dataclass
class ExitFlow(Flow):
    """``exit N``."""

    code: int


class PSRuntimeError(Exception):
    """A terminating error travelling up to a catch (or ending the script)."""

    def __init__(self, record: ErrorRecord, script_terminating: bool) -> None:
        super().__init__(record.error.message)
        self.record = record
        self.script_terminating = script_terminating


@dataclass
class HostText:
    """Write-Host text in the output stream (printed as is, never formatted)."""

    text: str


@dataclass
class Function:
    """A ``function`` definition."""

    name: str
    block: ScriptBlock


@dataclass
class Streams:
    """Where errors, warnings and verbose text go while a script runs."""

    errors: list[ErrorRecord] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    verbose: list[str] = field(default_factory=list)
    module_progress: bool = False
