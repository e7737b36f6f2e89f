"""Cmdlet sessions and redirections: what a cmdlet handler sees of the interpreter, and ``2>&1``/``>$null``.

Split from :mod:`simulator.ps.commands` so that module stays about dispatch and binding.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from tree_sitter import Node

from simulator.core.errors import NotModelledError, SimError
from simulator.ps.values import to_str

if TYPE_CHECKING:
    from simulator.ps.interpreter import Interpreter

log = logging.getLogger(__name__)


@dataclass
class ScriptParam:
    """One ``param(...)`` entry of a function or script block."""

    name: str
    type_name: str | None
    default: Node | None
    mandatory: bool
    validations: list[tuple[str, Any]] = field(default_factory=list)  # ("set", [...]), ("range", (lo, hi)) …


@dataclass
class Redirection:
    """``2>&1``, ``2>$null``, ``>$null`` …"""

    stream: str  # '1', '2', '3', '*' …
    target: str  # '&1', '$null', or a file path


class RedirectionScope:
    """Applies ``2>&1``, ``2>$null``, ``>$null`` and ``3>$null`` around a command or pipeline."""

    def __init__(self, interp: Interpreter, redirects: list[Redirection]) -> None:
        self.interp = interp
        self.redirects = redirects
        self.merged: list[Any] | None = None
        self.pushed = False
        self.drop_output = False
        self.saved_warnings: list[str] | None = None

    def __enter__(self) -> Any:
        interp = self.interp
        for redirect in self.redirects:
            target = redirect.target.lower()
            if redirect.stream not in {"1", "2", "3", "4", "*"}:
                raise NotModelledError(f"redirection of stream {redirect.stream}")
            if target not in {"&1", "$null"}:
                raise NotModelledError(f"redirection to a file ({redirect.stream}>{redirect.target})")
            if redirect.stream in {"2", "*"} and not self.pushed:
                self.merged = [] if target == "&1" else None
                interp.error_sinks.append(self.merged)
                self.pushed = True
            if redirect.stream in {"1", "*"} and target == "$null":
                self.drop_output = True
            if redirect.stream in {"3", "*"} and target == "$null":
                self.saved_warnings = list(interp.streams.warnings)
        return self.finish

    def finish(self, result: list[Any]) -> list[Any]:
        """The output after redirection (merged errors first, nothing for ``>$null``)."""
        if self.merged:
            result = [*self.merged, *result]
        return [] if self.drop_output else result

    def __exit__(self, *exc: object) -> None:
        if self.pushed:
            self.interp.error_sinks.pop()
        if self.saved_warnings is not None:
            self.interp.streams.warnings[:] = self.saved_warnings


class CmdletSession:
    """The :class:`simulator.ps.api.Session` a cmdlet handler talks to."""

    def __init__(
        self,
        interp: Interpreter,
        action: str,
        node: Node,
        command: str,
        error_variable: list[Any] | None,
        common: dict[str, Any],
    ) -> None:
        self.interpreter = interp
        self.action = action
        self.node = node
        self.command = command
        self.error_variable = error_variable
        self.common = common

    def write_error(self, error: SimError) -> None:
        """A non-terminating error from the handler."""
        self.interpreter.write_error_record(
            self.interpreter.record(error, self.node, self.command), self.action, self.error_variable
        )

    def write_warning(self, text: str) -> None:
        """Warning stream (honours -WarningAction and $WarningPreference)."""
        action = str(self.common.get("WarningAction") or self.interpreter.get_variable("WarningPreference"))
        if action.lower() == "stop":
            raise SimError(
                f'The running command stopped because the preference variable "WarningPreference" or '
                f"common parameter is set to Stop: {text}",
                "ActionPreferenceStop",
                "OperationStopped",
                exception_type="System.Management.Automation.ActionPreferenceStopException",
                terminating=True,
            )
        if action.lower() not in {"silentlycontinue", "ignore"}:
            self.interpreter.streams.warnings.append(text)

    def write_verbose(self, text: str) -> None:
        """Verbose stream (shown with -Verbose or $VerbosePreference = 'Continue')."""
        wanted = self.common.get("Verbose")
        if wanted is None:
            wanted = to_str(self.interpreter.get_variable("VerbosePreference")).lower() == "continue"
        if wanted:
            self.interpreter.streams.verbose.append(text)

    def invoke(self, block: Any, dollar_underscore: Any = None, args: list[Any] | None = None) -> list[Any]:
        """Run a script block with ``$_`` (in the caller's scope, as ForEach-Object does)."""
        return self.interpreter.invoke_block(block, dollar_underscore, args or [], new_scope=False)

    def reading_file(self, path: str) -> None:
        """Get-Content holds ``path`` open until the pipeline it runs in ends: PowerShell streams the lines
        to the next stage while the file is open, so a later stage cannot rewrite it."""
        if self.interpreter.pipeline_open_files:
            self.interpreter.pipeline_open_files[-1].add(path.lower())

    def file_open_for_reading(self, path: str) -> bool:
        """Whether an earlier stage of the running pipeline still holds ``path`` open."""
        open_files = self.interpreter.pipeline_open_files
        return bool(open_files) and path.lower() in open_files[-1]

    @property
    def location(self) -> str:
        """Current location."""
        return self.interpreter.location

    @property
    def host(self) -> Any:
        """The simulated host."""
        return self.interpreter.host
