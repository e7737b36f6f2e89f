"""Run one PowerShell script on a simulated host, as ``powershell -encodedcommand`` would over WinRS.

The whole script runs inside ``host.transaction()``: statements that ran before a failure keep their
effect, as on Windows. The result carries the formatted stdout, the CLIXML stderr and the exit code
(0; 1 after an uncaught terminating error or when ``$?`` is false at the end; N for ``exit N``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from simulator.core.errors import SimError
from simulator.ps.errorrecord import ErrorRecord, Position, clixml
from simulator.ps.formatting import format_objects
from simulator.ps.parser import ScriptSyntaxError, parse

if TYPE_CHECKING:
    from simulator.core.host import Host

log = logging.getLogger(__name__)


@dataclass
class ScriptResult:
    """What powershell.exe gives back: stdout text (CRLF), stderr CLIXML, exit code, output encoding."""

    stdout: str
    stderr: str
    exit_code: int
    output_encoding: str = "oem"


def _load() -> None:
    from simulator import services  # noqa: PLC0415 - services import the ps contract; load lazily
    from simulator.ps import builtins  # noqa: F401, PLC0415 - registers the core cmdlets and .NET statics

    services.load_all()


def parse_error_result(script: str, failure: ScriptSyntaxError) -> ScriptResult:
    """The output of a script that does not parse: one ParseException record, exit code 1."""
    error = SimError(
        failure.message,
        failure.fqid,
        "ParserError",
        exception_type="System.Management.Automation.ParseException",
        terminating=True,
    )
    record = ErrorRecord(error, Position.at(script, failure.offset, failure.length), parse_error=True)
    return ScriptResult("", clixml([record], []), 1)


StdinSource = str | bytes | Callable[[], str | bytes] | None


def _fatal(interp: Any, message: str, fqid: str) -> None:
    """Report an error that ended the script outside PowerShell's own error model."""
    from simulator.ps.interpreter import PSRuntimeError  # noqa: PLC0415 - loaded after the services

    error = SimError(
        message,
        fqid,
        "InvalidOperation",
        terminating=True,
        exception_type="System.Management.Automation.RuntimeException",
    )
    interp.report(PSRuntimeError(ErrorRecord(error), True))


def run_script(
    host: Host, script: str, *, env: dict[str, str] | None = None, stdin: StdinSource = None
) -> ScriptResult:
    """Parse and run ``script`` on ``host``; never raises for anything the script does.

    Args:
        host: the simulated host.
        script: the PowerShell text (as decoded from ``-EncodedCommand``).
        env: the calling shell's environment (``$env:``), overriding the defaults.
        stdin: what the script reads through ``$input`` (text, or a function reading it only when
            the script asks, since reading WinRS stdin waits for the client to close it).
    """
    _load()
    from simulator.ps.interpreter import ExitFlow, Flow, Interpreter, PSRuntimeError  # noqa: PLC0415 - after _load

    try:
        source = parse(script)
    except ScriptSyntaxError as failure:
        return parse_error_result(script, failure)
    interp = Interpreter(host, source)
    if env:
        interp.environment.update(env)
    if callable(stdin) and source.reads_input():
        # Reading WinRS stdin waits until the client closes it. Wait here, before the host lock is
        # taken: a client killed before it sent End must not stall every other shell of the host (on
        # Windows only that one powershell.exe waits, until WinRM closes the idle shell).
        stdin = stdin()
    interp.stdin = stdin
    out: list[Any] = []
    exit_code: int | None = None
    with host.transaction():
        try:
            interp.run_program(out)
        except ExitFlow as flow:
            exit_code = flow.code
        except PSRuntimeError as failure:
            interp.report(failure)
            exit_code = 1
        except Flow:
            pass  # break/continue/return outside a loop end the script quietly, as in PowerShell
        except SimError as error:
            interp.report(PSRuntimeError(ErrorRecord(error), True))
            exit_code = 1
        except RecursionError:
            _fatal(interp, "The script failed due to call depth overflow.", "CallDepthOverflow")
            exit_code = 1
        except Exception as error:  # a simulator bug must surface as a PowerShell error, not a traceback
            log.exception("internal error while running a script")
            _fatal(interp, f"internal simulator error: {type(error).__name__}", "SimulatorInternalError")
            exit_code = 1
    if exit_code is None:
        # Fact sheet §11: powershell.exe exits 1 when $? of the last statement is false (a statement-
        # terminating error earlier in the script does not count once a later statement succeeds).
        exit_code = 0 if interp.last_ok else 1
    stdout = format_objects(out)
    streams = interp.streams
    stderr = clixml(streams.errors, streams.warnings, streams.verbose, streams.module_progress)
    return ScriptResult(stdout, stderr, exit_code, interp.output_encoding)
