"""Output cmdlets: Write-Output, Write-Host, Write-Error, Write-Warning, Write-Verbose, Out-Null, Out-String.

They move objects between PowerShell's streams; the interpreter decides where each stream ends up.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from simulator.core.errors import SimError
from simulator.ps.api import Invocation, Param, cmdlet
from simulator.ps.flow import HostText
from simulator.ps.formatting import format_objects
from simulator.ps.values import to_str


@cmdlet(
    "Write-Output",
    Param("InputObject", "object[]", position=0, mandatory=True, from_pipeline=True),
    Param("NoEnumerate", "switch"),
    summary="Send objects down the pipeline.",
    not_modelled="nothing",
)
def write_output(inv: Invocation) -> Iterable[Any]:
    """Write-Output: each object (arrays unrolled unless -NoEnumerate). Not modelled: nothing."""
    values = inv.get("InputObject") or []
    if inv.get("NoEnumerate"):
        return [values]
    return list(values)


@cmdlet(
    "Write-Host",
    Param("Object", "object", position=0, from_pipeline=True),
    Param("NoNewline", "switch"),
    Param("Separator", "object"),
    Param("ForegroundColor", "string"),
    Param("BackgroundColor", "string"),
    summary="Write text to the console (stdout).",
    not_modelled="colours are accepted and ignored",
)
def write_host(inv: Invocation) -> Iterable[Any]:
    """Write-Host: text straight to stdout, never formatted. Not modelled: colours (ignored when redirected)."""

    value = inv.get("Object")
    separator = to_str(inv.get("Separator", " "))
    text = separator.join(to_str(v) for v in value) if isinstance(value, list) else to_str(value)
    interpreter = getattr(inv.session, "interpreter", None)
    if interpreter is not None and interpreter.top_output is not None:
        interpreter.top_output.append(HostText(text))  # the host, not the pipeline: `$x = Write-Host` is empty
        return []
    return [HostText(text)]


@cmdlet(
    "Write-Error",
    Param("Message", "string", position=0, from_pipeline=True),
    Param("Exception", "object"),
    Param("ErrorId", "string"),
    Param("Category", "string"),
    Param("TargetObject", "object"),
    Param("ErrorRecord", "object"),
    summary="Write a non-terminating error.",
    not_modelled="-CategoryActivity, -RecommendedAction",
)
def write_error(inv: Invocation) -> None:
    """Write-Error: a non-terminating error record. Not modelled: -CategoryActivity, -RecommendedAction.

    ASSUMPTION: the error view names the command "Write-Error" with the usual position lines; at the top
    level of ``-Command`` scripts 5.1 may show the script text instead.
    """
    record = inv.get("ErrorRecord")
    if record is not None and hasattr(record, "error"):
        inv.write_error(record.error)
        return
    message = inv.get("Message")
    exception = inv.get("Exception")
    if message is None and exception is not None:
        message = to_str(getattr(exception, "get", lambda _n: exception)("Message"))
    error_id = inv.get("ErrorId") or "Microsoft.PowerShell.Commands.WriteErrorException"
    inv.write_error(
        SimError(
            message or "",
            error_id,
            inv.get("Category") or "NotSpecified",
            exception_type="Microsoft.PowerShell.Commands.WriteErrorException",
            target=None if inv.get("TargetObject") is None else to_str(inv.get("TargetObject")),
        )
    )


@cmdlet(
    "Write-Warning",
    Param("Message", "string", position=0, mandatory=True, from_pipeline=True),
    summary="Write to the warning stream.",
    not_modelled="nothing",
)
def write_warning(inv: Invocation) -> None:
    """Write-Warning: text on the warning stream. Not modelled: nothing."""
    inv.session.write_warning(inv.get("Message"))


@cmdlet(
    "Write-Verbose",
    Param("Message", "string", position=0, mandatory=True, from_pipeline=True),
    summary="Write to the verbose stream.",
    not_modelled="nothing",
)
def write_verbose(inv: Invocation) -> None:
    """Write-Verbose: shown only with -Verbose or $VerbosePreference='Continue'. Not modelled: nothing."""
    writer = getattr(inv.session, "write_verbose", None)
    if writer is not None:
        writer(inv.get("Message"))


@cmdlet(
    "Write-Debug",
    Param("Message", "string", position=0, mandatory=True, from_pipeline=True),
    summary="Write to the debug stream (discarded).",
    not_modelled="the debug stream is never shown",
)
def write_debug(inv: Invocation) -> None:
    """Write-Debug: discarded ($DebugPreference is SilentlyContinue). Not modelled: showing debug output."""
    return


@cmdlet(
    "Write-Progress",
    Param("Activity", "string", position=0),
    Param("Status", "string", position=1),
    Param("PercentComplete", "int"),
    Param("Id", "int"),
    Param("Completed", "switch"),
    Param("CurrentOperation", "string"),
    summary="Progress records (discarded).",
    not_modelled="progress CLIXML records on stderr",
)
def write_progress(inv: Invocation) -> None:
    """Write-Progress: accepted and discarded. Not modelled: the progress records 5.1 writes on stderr."""
    return


@cmdlet(
    "Out-Null",
    Param("InputObject", "object", from_pipeline=True),
    collects_input=True,
    summary="Discard the pipeline.",
    not_modelled="nothing",
)
def out_null(inv: Invocation) -> None:
    """Out-Null: discards its input. Not modelled: nothing."""
    return


@cmdlet(
    "Out-String",
    Param("InputObject", "object", from_pipeline=True),
    Param("Stream", "switch"),
    Param("Width", "int"),
    collects_input=True,
    summary="Format objects as text.",
    not_modelled="re-laying out tables for -Width (longer lines are cut instead)",
)
def out_string(inv: Invocation) -> Iterable[Any]:
    """Out-String: the formatted text of the input (one string, or lines with -Stream).

    Not modelled: -Width re-laying out tables (ASSUMPTION: lines longer than -Width are cut to it, as
    PowerShell cuts a table's last column).
    """

    objects = inv.input_objects or ([inv.get("InputObject")] if inv.has("InputObject") else [])
    text = format_objects(objects)
    width = inv.get("Width") if inv.has("Width") else None
    if width is not None and width > 0 and text:
        text = "".join(line[:width].rstrip() + "\r\n" for line in text.split("\r\n")[:-1])
    if inv.get("Stream"):
        return text.rstrip("\r\n").split("\r\n") if text else []
    return [text]


@cmdlet(
    "Out-Default",
    Param("InputObject", "object", from_pipeline=True),
    collects_input=True,
    summary="Send objects to the default output.",
    not_modelled="nothing",
)
def out_default(inv: Invocation) -> Iterable[Any]:
    """Out-Default / Out-Host: objects go to stdout. Not modelled: nothing."""
    return list(inv.input_objects)


@cmdlet(
    "Out-Host",
    Param("InputObject", "object", from_pipeline=True),
    Param("Paging", "switch"),
    collects_input=True,
    summary="Send objects to the host.",
    not_modelled="-Paging",
)
def out_host(inv: Invocation) -> Iterable[Any]:
    """Out-Host: objects go to stdout. Not modelled: -Paging."""
    return list(inv.input_objects)
