"""ConvertTo-Json and ConvertFrom-Json with Windows PowerShell 5.1's semantics (fact sheet §11).

5.1 serialises enums as integers, DateTime as ``"\\/Date(ms)\\/"``, escapes ``< > & '`` as
``\\u003c \\u003e \\u0026 \\u0027``, flattens objects deeper than -Depth (default 2) to their
ToString() text, writes one object as an object and several as an array, and pretty-prints with
its own peculiar indentation (nested values aligned under their key).
"""

from __future__ import annotations

import datetime as dt
import json
import re
import uuid
from collections.abc import Iterable
from typing import Any

from simulator.core.errors import SimError
from simulator.ps.api import Invocation, Param, cmdlet
from simulator.ps.dates import NotedDateTime, epoch_ms, long_text
from simulator.ps.errorrecord import ErrorRecord
from simulator.ps.objects import NotedString, PSEnum, PSHashtable, PSObject, SecureString
from simulator.ps.values import ScriptBlock, format_double, format_timespan, to_str

_ESCAPES = {
    '"': '\\"',
    "\\": "\\\\",
    "\b": "\\b",
    "\f": "\\f",
    "\n": "\\n",
    "\r": "\\r",
    "\t": "\\t",
    "<": "\\u003c",
    ">": "\\u003e",
    "&": "\\u0026",
    "'": "\\u0027",
}


def json_string(text: str) -> str:
    """A JSON string literal as .NET's JavaScriptSerializer writes it."""
    out = []
    for ch in text:
        if ch in _ESCAPES:
            out.append(_ESCAPES[ch])
        elif ord(ch) < 0x20:
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def _timespan(value: dt.timedelta) -> dict[str, Any]:
    total = value.total_seconds()
    ticks = round(total * 10_000_000)
    return {
        "Ticks": ticks,
        "Days": int(total / 86400),
        "Hours": int(total % 86400 // 3600),
        "Milliseconds": int(value.microseconds // 1000),
        "Minutes": int(total % 3600 // 60),
        "Seconds": int(total % 60),
        "TotalDays": total / 86400,
        "TotalHours": total / 3600,
        "TotalMilliseconds": total * 1000,
        "TotalMinutes": total / 60,
        "TotalSeconds": total,
    }


def to_tree(value: Any, depth: int, max_depth: int) -> Any:
    """Reduce a PowerShell value to JSON primitives, applying 5.1's depth rule.

    Objects and collections deeper than ``max_depth`` become their ToString() text.
    """
    if isinstance(value, NotedString):
        if depth > max_depth:
            return str.__str__(value)
        value = value.as_object()
    elif value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return value
    if isinstance(value, PSEnum):
        return value.value
    if isinstance(value, NotedDateTime):
        return {"value": RawJson(f'"\\/Date({epoch_ms(value)})\\/"'), "DisplayHint": 2, "DateTime": long_text(value)}
    if isinstance(value, dt.datetime):
        return RawJson(f'"\\/Date({epoch_ms(value)})\\/"')
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, SecureString):
        value = PSObject("System.Security.SecureString", {"Length": len(value.reveal())})
    if isinstance(value, ScriptBlock):
        return value.text
    if isinstance(value, dt.timedelta):
        value = PSObject("System.TimeSpan", _timespan(value), to_string=format_timespan(value))
    if depth > max_depth:
        if isinstance(value, list | tuple):
            return " ".join(to_str(v) for v in value)
        return to_str(value)
    if isinstance(value, bytes | bytearray):
        return [to_tree(b, depth + 1, max_depth) for b in value]
    if isinstance(value, list | tuple):
        return [to_tree(v, depth + 1, max_depth) for v in value]
    if isinstance(value, ErrorRecord):
        return {k: to_tree(v, depth + 1, max_depth) for k, v in value.props.items() if k != "PipelineIterationInfo"}
    if isinstance(value, PSObject):
        return {k: to_tree(v, depth + 1, max_depth) for k, v in value.props.items()}
    if isinstance(value, dict):
        return {to_str(k): to_tree(v, depth + 1, max_depth) for k, v in value.items()}
    return to_str(value)


class RawJson(str):
    """Already-encoded JSON text (the DateTime form)."""

    __slots__ = ()


def _scalar(value: Any) -> str:
    if isinstance(value, RawJson):
        return str(value)
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        text = format_double(value)
        return text if text not in {"NaN", "Infinity", "-Infinity"} else f'"{text}"'
    return json_string(str(value))


def compact(value: Any) -> str:
    """``-Compress`` output."""
    if isinstance(value, list):
        return "[" + ",".join(compact(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ",".join(f"{json_string(k)}:{compact(v)}" for k, v in value.items()) + "}"
    return _scalar(value)


def pretty(value: Any, column: int = 0) -> str:
    """5.1's indented output: members four spaces right of the bracket that opens them."""
    pad = " " * (column + 4)
    if isinstance(value, list):
        if not value:
            return "[\r\n\r\n" + " " * column + "]"
        items = [pad + pretty(v, column + 4) for v in value]
        return "[\r\n" + ",\r\n".join(items) + "\r\n" + " " * column + "]"
    if isinstance(value, dict):
        if not value:
            return "{\r\n\r\n" + " " * column + "}"
        members = []
        for key, item in value.items():
            head = f"{json_string(key)}:  "
            members.append(pad + head + pretty(item, column + 4 + len(head)))
        return "{\r\n" + ",\r\n".join(members) + "\r\n" + " " * column + "}"
    return _scalar(value)


@cmdlet(
    "ConvertTo-Json",
    Param("InputObject", "object", position=0, mandatory=True, from_pipeline=True),
    Param("Depth", "int", validate_range=(1, 100)),
    Param("Compress", "switch"),
    collects_input=True,
    summary="Serialise objects to JSON (Windows PowerShell 5.1 forms).",
    not_modelled="-EnumsAsStrings, -AsArray, -EscapeHandling (PowerShell 6+ only)",
)
def convertto_json(inv: Invocation) -> Iterable[Any]:
    """ConvertTo-Json as 5.1 writes it. Not modelled: -EnumsAsStrings/-AsArray (they do not exist in 5.1)."""
    max_depth = inv.get("Depth", 2)
    if inv.input_objects:
        objects = list(inv.input_objects)
        value: Any = objects[0] if len(objects) == 1 else objects
    elif inv.has("InputObject"):
        value = inv.get("InputObject")
    else:
        return []
    tree = to_tree(value, 0, max_depth)
    return [compact(tree) if inv.get("Compress") else pretty(tree)]


def from_tree(value: Any) -> Any:
    """JSON values to PowerShell ones (objects become PSCustomObject; 5.1 turns \\/Date()\\/ into DateTime)."""
    if isinstance(value, dict):
        return PSObject("System.Management.Automation.PSCustomObject", {k: from_tree(v) for k, v in value.items()})
    if isinstance(value, list):
        return [from_tree(v) for v in value]
    if isinstance(value, str):
        match = re.fullmatch(r"/Date\((-?\d+)(?:[+-]\d{4})?\)/", value)
        if match:
            return dt.datetime(1970, 1, 1, tzinfo=dt.UTC) + dt.timedelta(milliseconds=int(match.group(1)))
    return value


@cmdlet(
    "ConvertFrom-Json",
    Param("InputObject", "string", position=0, mandatory=True, from_pipeline=True),
    collects_input=True,
    summary="Parse JSON into PSCustomObjects.",
    not_modelled="-AsHashtable, -Depth, -NoEnumerate (PowerShell 6+ only)",
)
def convertfrom_json(inv: Invocation) -> Iterable[Any]:
    """ConvertFrom-Json: a JSON array comes out as one object (5.1 does not enumerate it). Not modelled: 6+ switches."""
    texts = [to_str(t) for t in inv.input_objects] if inv.input_objects else [to_str(inv.get("InputObject"))]
    text = "\n".join(texts)
    try:
        parsed = json.loads(text) if text.strip() else None
    except json.JSONDecodeError as exc:
        raise SimError(
            f"Invalid JSON primitive: {text.strip()[:20]}.",
            "System.ArgumentException,Microsoft.PowerShell.Commands.ConvertFromJsonCommand",
            "NotSpecified",
            terminating=True,
            exception_type="System.ArgumentException",
        ) from exc
    if parsed is None:
        return [] if not text.strip() else [None]
    return [from_tree(parsed)]


def hashtable_from_json(value: Any) -> PSHashtable:
    """Helper for tests and handlers: JSON object text to a PSHashtable."""
    table = PSHashtable()
    for key, item in json.loads(value).items():
        table[key] = item
    return table
