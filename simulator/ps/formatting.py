"""Out-Default: how objects reaching the end of a script are printed (strings as is, objects as tables or lists).

A simplified Windows PowerShell 5.1 formatter: up to four properties give a table with a header and
dashes, more give a ``Name : Value`` list; consecutive objects of one type share one table. Scripts
that need exact data print JSON, which this module leaves untouched.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from simulator.ps.dates import default_text, long_text
from simulator.ps.errorrecord import ErrorRecord
from simulator.ps.flow import HostText
from simulator.ps.objects import PSEnum, PSObject
from simulator.ps.values import format_double, to_str

CRLF = "\r\n"


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list | tuple):
        shown = ", ".join(_cell(v) for v in value[:4])
        return "{" + shown + (", ..." if len(value) > 4 else "") + "}"
    if isinstance(value, dt.datetime):
        return default_text(value)
    if isinstance(value, float):
        return format_double(value)
    if isinstance(value, dict):
        return "System.Collections.Hashtable"
    return to_str(value)


def _is_scalar(value: Any) -> bool:
    return (
        value is None
        or isinstance(value, str | int | float | bool | PSEnum | bytes | dt.timedelta)
        or not isinstance(value, PSObject | dict | dt.datetime | ErrorRecord)
    )


def _display_props(obj: PSObject) -> list[str]:
    return list(obj.default_display) if obj.default_display else obj.names()


def _table(objects: list[PSObject | dict[str, Any]]) -> list[str]:
    first = objects[0]
    names = _display_props(first) if isinstance(first, PSObject) else ["Name", "Value"]
    raw: list[list[Any]] = []
    for obj in objects:
        if isinstance(obj, PSObject):
            raw.append([obj.get(n) for n in names])
        else:
            raw.extend([[k, v] for k, v in obj.items()])
    rows = [[_cell(v) for v in row] for row in raw]
    numeric = [
        any(r[i] is not None for r in raw)
        and all(isinstance(r[i], int | float) and not isinstance(r[i], bool) for r in raw if r[i] is not None)
        for i in range(len(names))
    ]
    widths = [max(len(n), *(len(r[i]) for r in rows)) if rows else len(n) for i, n in enumerate(names)]
    if not isinstance(first, PSObject):
        widths[0] = max(widths[0], 30) if rows else widths[0]

    def row_text(cells: list[str]) -> str:
        return " ".join(
            c.rjust(w) if numeric[i] else c.ljust(w) for i, (c, w) in enumerate(zip(cells, widths, strict=True))
        ).rstrip()

    lines = ["", row_text(names), row_text(["-" * len(n) for n in names])]
    lines += [row_text(r) for r in rows]
    lines += ["", ""]
    return lines


def _list(objects: list[PSObject]) -> list[str]:
    lines: list[str] = [""]
    for obj in objects:
        names = _display_props(obj)
        width = max((len(n) for n in names), default=0)
        lines += [f"{n.ljust(width)} : {_cell(obj.get(n))}" for n in names]
        lines.append("")
    lines.append("")
    return lines


def _flatten(objects: list[Any]) -> list[Any]:
    """Out-Default enumerates collections that reach it (``,@(1, 2)`` prints two lines)."""
    flat: list[Any] = []
    for obj in objects:
        if isinstance(obj, list | tuple):
            flat.extend(_flatten(list(obj)))
        else:
            flat.append(obj)
    return flat


def format_objects(objects: list[Any]) -> str:
    """The text Out-Default prints for these objects, CRLF line ends."""

    lines: list[str] = []
    group: list[Any] = []

    def flush() -> None:
        if not group:
            return
        if isinstance(group[0], dict) or len(_display_props(group[0])) <= 4:
            lines.extend(_table(group))
        else:
            lines.extend(_list(group))
        group.clear()

    for obj in _flatten(objects):
        if isinstance(obj, HostText):
            flush()
            lines.append(obj.text)
            continue
        if isinstance(obj, ErrorRecord):
            flush()
            lines.extend(obj.view_lines())
            continue
        if isinstance(obj, (PSObject, dict)):
            key = obj.type_name if isinstance(obj, PSObject) else "dict"
            if group:
                group_key = group[0].type_name if isinstance(group[0], PSObject) else "dict"
                if group_key != key:
                    flush()
            group.append(obj)
            continue
        flush()
        if obj is None:
            continue
        if isinstance(obj, dt.datetime):
            lines += ["", long_text(obj), ""]
            continue
        if isinstance(obj, bytes | bytearray):
            lines += [str(b) for b in obj]
            continue
        lines.append(_cell(obj) if not isinstance(obj, str) else obj)
    flush()
    if not lines:
        return ""
    return CRLF.join(line.replace("\r\n", "\n").replace("\n", CRLF) for line in lines) + CRLF
