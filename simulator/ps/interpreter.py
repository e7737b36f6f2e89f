"""The interpreter's state and statements: variables and scopes, the error model, control flow.

Expressions live in :mod:`simulator.ps.expressions` and commands/pipelines in
:mod:`simulator.ps.commands`; this class joins them and runs a parsed script.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from tree_sitter import Node

from simulator.core.errors import NotModelledError, SimError
from simulator.ps import api
from simulator.ps.access import AccessMixin
from simulator.ps.commands import CommandMixin
from simulator.ps.errorrecord import ErrorRecord, Position
from simulator.ps.expressions import ExpressionMixin
from simulator.ps.flow import (
    BreakFlow,
    ContinueFlow,
    ExitFlow,
    Flow,
    Function,
    HostText,
    PSRuntimeError,
    ReturnFlow,
    Streams,
)
from simulator.ps.objects import PSHashtable, PSObject
from simulator.ps.parser import Source
from simulator.ps.scriptblocks import ScriptBlockMixin
from simulator.ps.statements import StatementMixin
from simulator.ps.values import ArrayList, ScriptBlock, to_str

if TYPE_CHECKING:
    from simulator.core.host import Host

log = logging.getLogger(__name__)

DEFAULT_ENVIRONMENT = {
    "SystemRoot": "C:\\Windows",
    "windir": "C:\\Windows",
    "TEMP": "C:\\Windows\\TEMP",
    "TMP": "C:\\Windows\\TEMP",
    "USERNAME": "Administrator",
    "USERPROFILE": "C:\\Users\\Administrator",
    "SystemDrive": "C:",
    "ProgramFiles": "C:\\Program Files",
    "ProgramData": "C:\\ProgramData",
    "ComSpec": "C:\\Windows\\system32\\cmd.exe",
    "PSModulePath": "C:\\Windows\\system32\\WindowsPowerShell\\v1.0\\Modules",
    "OS": "Windows_NT",
    "PROCESSOR_ARCHITECTURE": "AMD64",
    "NUMBER_OF_PROCESSORS": "4",
    "PUBLIC": "C:\\Users\\Public",
    "APPDATA": "C:\\Users\\Administrator\\AppData\\Roaming",
    "LOCALAPPDATA": "C:\\Users\\Administrator\\AppData\\Local",
    "HOMEDRIVE": "C:",
    "HOMEPATH": "\\Users\\Administrator",
    "PATH": "C:\\Windows\\system32;C:\\Windows;C:\\Windows\\System32\\Wbem;"
    "C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\",
}
CONSTANTS = {"null": None, "true": True, "false": False}


class Interpreter(ExpressionMixin, AccessMixin, CommandMixin, ScriptBlockMixin, StatementMixin):
    """Runs one script on one host (a fresh instance per ``powershell -encodedcommand``)."""

    def __init__(self, host: Host, source: Source) -> None:
        self.host = host
        self.source: Source = source
        self.scopes: list[dict[str, Any]] = [
            {
                "erroractionpreference": "Continue",
                "warningpreference": "Continue",
                "verbosepreference": "SilentlyContinue",
                "debugpreference": "SilentlyContinue",
                "progresspreference": "Continue",
                "confirmpreference": "High",
                "informationpreference": "SilentlyContinue",
                "ofs": " ",
                "lastexitcode": None,
                "matches": None,
                "home": "C:\\Users\\Administrator",
                "pid": 4242,
                "psscriptroot": "",
                "pscommandpath": "",
                "psversiontable": _version_table(),
                "maximumhistorycount": 4096,
                "shellid": "Microsoft.PowerShell",
            }
        ]
        self.errors: list[ErrorRecord] = ArrayList()  # $Error is an ArrayList ($Error.Clear() works)
        self.functions: dict[str, Function] = {}
        self.streams = Streams()
        self.error_sinks: list[list[Any] | None] = []
        self.last_ok = True
        self.previous_ok = True
        # One flag per running command pipeline: did one of ITS commands write an error? ($? after it)
        self.pipeline_failures: list[bool] = []
        self.try_depth = 0
        self.output_encoding = "oem"
        self.stdin: Any = None
        self.top_output: list[Any] | None = None
        # The output list of each statement being run, innermost last: where output captured by a
        # statement used as a value goes when control flow leaves it early (see eval_statement_value).
        self.statement_outputs: list[list[Any]] = []
        # Per running command pipeline: the files an earlier stage (Get-Content) still holds open.
        self.pipeline_open_files: list[set[str]] = []
        self.stdin_lines: list[str] | None = None
        self.location = "C:\\Users\\Administrator"
        self.environment = dict(DEFAULT_ENVIRONMENT)
        for source_fn in api.ENVIRONMENT_SOURCES:
            self.environment.update(source_fn(host))

    # ------------------------------------------------------------------ variables
    def _split_scope(self, name: str) -> tuple[str | None, str]:
        if ":" in name:
            prefix, rest = name.split(":", 1)
            return prefix.lower(), rest
        return None, name

    def get_variable(self, name: str) -> Any:
        """``$name`` (any case, scope prefixes, ``$env:``)."""
        prefix, bare = self._split_scope(name)
        lowered = bare.lower()
        if prefix == "env":
            for key, value in self.environment.items():
                if key.lower() == lowered:
                    return value
            return None
        if prefix not in {None, "script", "global", "local", "private", "variable"}:
            raise NotModelledError(f"the variable drive or scope '{prefix}:'")
        if lowered in CONSTANTS:
            return CONSTANTS[lowered]
        if lowered == "?":
            return self.previous_ok
        if lowered == "error":
            return self.errors
        if lowered == "pwd":
            return PSObject("System.Management.Automation.PathInfo", {"Path": self.location}, to_string=self.location)
        if lowered == "psitem":
            lowered = "_"
        scopes = [self.scopes[0]] if prefix in {"script", "global"} else reversed(self.scopes)
        for scope in scopes:
            if lowered in scope:
                return scope[lowered]
        if lowered == "input":
            return self.read_input()
        return None

    def read_input(self) -> list[str]:
        """``$input`` at script level: the lines sent on stdin (read once, when first asked for)."""
        if self.stdin_lines is None:
            source = self.stdin() if callable(self.stdin) else self.stdin
            text = source.decode("utf-8", "replace") if isinstance(source, bytes) else (source or "")
            lines = text.replace("\r\n", "\n").split("\n")
            if lines and lines[-1] == "":
                lines.pop()
            self.stdin_lines = lines
        return list(self.stdin_lines)

    def set_variable(self, name: str, value: Any) -> None:
        """``$name = value``."""
        prefix, bare = self._split_scope(name)
        lowered = bare.lower()
        if prefix == "env":
            for key in list(self.environment):
                if key.lower() == lowered:
                    del self.environment[key]
            if value is not None and value != "":
                self.environment[bare] = to_str(value)
            return
        if lowered == "null":
            return  # $null = … discards the value
        if lowered in CONSTANTS or lowered == "?":
            raise SimError(
                f"Cannot overwrite variable {bare} because it is read-only or constant.",
                "VariableNotWritable",
                "WriteError",
                exception_type="System.Management.Automation.SessionStateUnauthorizedAccessException",
                terminating=True,
                target=bare,
            )
        if prefix not in {None, "script", "global", "local", "private", "variable"}:
            raise NotModelledError(f"the variable drive or scope '{prefix}:'")
        if lowered == "psitem":
            lowered = "_"
        if prefix in {"script", "global"}:
            self.scopes[0][lowered] = value
            return
        self.scopes[-1][lowered] = value

    @contextmanager
    def scope(self, variables: dict[str, Any] | None = None) -> Iterator[None]:
        """A child scope (function, ``& { }``)."""
        self.scopes.append({k.lower(): v for k, v in (variables or {}).items()})
        try:
            yield
        finally:
            self.scopes.pop()

    # ------------------------------------------------------------------ errors
    def position_of(self, node: Node | None) -> Position | None:
        """The ``At line:L char:C`` position of a node, in the original script."""
        if node is None:
            return None
        start = self.source.original_offset(self.source.char_offset(node))
        text = self.source.node_text(node)
        return Position.at(self.source.original, start, len(text.split("\n", 1)[0]))

    def record(self, error: SimError, node: Node | None, command: str = "", target_object: Any = None) -> ErrorRecord:
        """An ErrorRecord for a failure at ``node``."""
        return ErrorRecord(error, self.position_of(node), command, target_object)

    def terminate(self, error: SimError, node: Node | None, command: str = "", script: bool = False) -> PSRuntimeError:
        """A terminating error (statement-level unless ``script``)."""
        if isinstance(error, NotModelledError):
            script = True
        return PSRuntimeError(self.record(error, node, command), script)

    def error_action(self, common: dict[str, Any] | None = None) -> str:
        """The effective ErrorAction for a command."""
        if common and "ErrorAction" in common:
            return str(common["ErrorAction"])
        return to_str(self.get_variable("ErrorActionPreference")) or "Continue"

    def mark_failed(self) -> None:
        """A command failed: ``$?`` is false, and so is the ``$?`` of the pipeline it runs in."""
        self.last_ok = False
        if self.pipeline_failures:
            self.pipeline_failures[-1] = True

    def write_error_record(self, record: ErrorRecord, action: str, error_variable: list[Any] | None = None) -> None:
        """Handle a non-terminating error under ``action``."""
        self.mark_failed()
        if action.lower() == "stop":
            raise PSRuntimeError(record, True)
        if error_variable is not None:
            error_variable.append(record)
        if action.lower() == "ignore":
            return
        self.errors.insert(0, record)
        if action.lower() in {"continue", "inquire"}:
            sink = self.error_sinks[-1] if self.error_sinks else self.streams.errors
            if sink is not None:
                sink.append(record)

    def report(self, failure: PSRuntimeError) -> None:
        """An uncaught terminating error: written to the error stream and ``$Error``."""
        self.mark_failed()
        self.errors.insert(0, failure.record)
        sink = self.error_sinks[-1] if self.error_sinks else self.streams.errors
        if sink is not None:
            sink.append(failure.record)

    # ------------------------------------------------------------------ statements
    def run_program(self, out: list[Any]) -> None:
        """Run the whole script, appending output objects to ``out``."""
        self.top_output = out
        root = self.source.tree.root_node
        for child in root.named_children:
            if child.type == "statement_list":
                self.exec_statements(child, out)
            elif child.type == "param_block":
                self.bind_script_params(child, [])
            elif child.type != "comment":
                self.not_modelled_node(child)

    def exec_statements(self, node: Node, out: list[Any]) -> None:
        """Run a statement_list."""
        for statement in node.named_children:
            self.exec_statement(statement, out)

    def exec_block(self, node: Node | None, out: list[Any]) -> None:
        """Run a statement_block (``{ … }`` of if/foreach …)."""
        if node is None:
            return
        for child in node.named_children:
            if child.type == "statement_list":
                self.exec_statements(child, out)

    def exec_statement(self, node: Node, out: list[Any]) -> None:
        """Run one statement; statement-terminating errors stop only it (outside try, without Stop)."""
        kind = node.type
        if kind in {"empty_statement", "comment"}:
            return
        self.statement_outputs.append(out)
        try:
            handler = getattr(self, f"stmt_{kind}", None)
            if handler is None:
                self.not_modelled_node(node)
            else:
                handler(node, out)
        except PSRuntimeError as failure:
            if failure.script_terminating or self.try_depth > 0:
                raise
            if self.error_action().lower() == "stop":
                failure.script_terminating = True
                raise
            self.report(failure)
        except SimError as error:
            wrapped = self.terminate(error, node)
            if wrapped.script_terminating or self.try_depth > 0 or self.error_action().lower() == "stop":
                wrapped.script_terminating = True
                raise wrapped from None
            self.report(wrapped)
        finally:
            self.statement_outputs.pop()

    def not_modelled_node(self, node: Node) -> None:
        """Refuse a construct the interpreter does not implement."""
        names = {
            "class_statement": "the 'class' statement",
            "enum_statement": "the 'enum' statement",
            "trap_statement": "the 'trap' statement",
            "data_statement": "the 'data' statement",
            "parallel_statement": "the 'parallel' statement",
            "sequence_statement": "the 'sequence' statement",
            "inlinescript_statement": "the 'inlinescript' statement",
        }
        raise NotModelledError(names.get(node.type, f"the PowerShell construct '{node.type}'"))

    def stmt_pipeline(self, node: Node, out: list[Any]) -> None:
        """An expression, assignment or command pipeline."""
        self.previous_ok = self.last_ok
        self.last_ok = True
        out.extend(self.eval_pipeline(node))

    def stmt_function_statement(self, node: Node, out: list[Any]) -> None:
        """``function Name { … }``."""
        name_node = next(c for c in node.named_children if c.type == "function_name")
        block = next((c for c in node.named_children if c.type == "script_block"), None)
        params = []
        declared = next((c for c in node.named_children if c.type == "function_parameter_declaration"), None)
        if declared is not None:
            params = self.parse_param_list(declared)
        text = self.source.node_text(node)
        self.functions[self.source.node_text(name_node).lower()] = Function(
            self.source.node_text(name_node), ScriptBlock(block, text, params)
        )


def _version_table() -> PSHashtable:
    table = PSHashtable()
    table["PSVersion"] = PSObject(
        "System.Version", {"Major": 5, "Minor": 1, "Build": 14393, "Revision": 693}, to_string="5.1.14393.693"
    )
    table["PSEdition"] = "Desktop"
    table["CLRVersion"] = PSObject(
        "System.Version", {"Major": 4, "Minor": 0, "Build": 30319, "Revision": 42000}, to_string="4.0.30319.42000"
    )
    table["BuildVersion"] = PSObject(
        "System.Version", {"Major": 10, "Minor": 0, "Build": 14393, "Revision": 693}, to_string="10.0.14393.693"
    )
    table["WSManStackVersion"] = PSObject("System.Version", {"Major": 3, "Minor": 0}, to_string="3.0")
    table["PSRemotingProtocolVersion"] = PSObject("System.Version", {"Major": 2, "Minor": 3}, to_string="2.3")
    table["SerializationVersion"] = PSObject(
        "System.Version", {"Major": 1, "Minor": 1, "Build": 0, "Revision": 1}, to_string="1.1.0.1"
    )
    return table


__all__ = [
    "BreakFlow",
    "ContinueFlow",
    "ExitFlow",
    "Flow",
    "Function",
    "HostText",
    "Interpreter",
    "PSRuntimeError",
    "ReturnFlow",
    "Streams",
]
