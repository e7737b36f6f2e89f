"""Out-Default: how objects reaching the end of a script are printed (strings as is, objects as tables or lists).

A simplified Windows PowerShell 5.1 formatter: up to four properties give a table with a header and
dashes, more give a ``Name : Value`` list; objects carrying a labelled default view
(``hidden["table_view"]``, from format.ps1xml) always give that table; consecutive objects of one
type share one table. Format-Table/Format-List reuse :func:`table_lines` and :func:`list_lines`. Scripts
that need exact data print JSON, which this module leaves untouched.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
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


def table_view(obj: Any) -> list[tuple[str, Callable[[Any], Any]]] | None:
    """The labelled default table view an object carries (``hidden["table_view"]``), as (label, getter)."""
    if not isinstance(obj, PSObject):
        return None
    view = obj.hidden.get("table_view")
    if not view:
        return None
    columns: list[tuple[str, Callable[[Any], Any]]] = []
    for entry in view:
        label, prop = entry[0], entry[1]
        shaping = entry[2] if len(entry) > 2 else None
        columns.append((label, _getter(prop, shaping)))
    return columns


def _getter(prop: str, shaping: int | dict[str, str] | None = None) -> Callable[[Any], Any]:
    """A column getter; ``shaping`` is a divisor (bytes -> MB) or a map of abbreviated renderings."""
    def get(obj: Any) -> Any:
        value = obj.get(prop) if isinstance(obj, PSObject) else obj.get(prop) if isinstance(obj, dict) else None
        if isinstance(shaping, dict):
            # format.ps1xml script blocks that abbreviate an enum (AuthType "Kerb", "Cert").
            return shaping.get(str(value), value)
        if shaping and isinstance(value, int | float) and not isinstance(value, bool):
            # ASSUMPTION: format.ps1xml divides bytes by 1MB in a script block ($_.X / 1MB): a double.
            return value / shaping
        return value

    return get


def default_columns(first: Any) -> list[tuple[str, Callable[[Any], Any]]]:
    """The columns Out-Default shows for objects like ``first``: its table view, else its display properties."""
    view = table_view(first)
    if view is not None:
        return view
    return [(name, _getter(name)) for name in _display_props(first)]


def _table(objects: list[PSObject | dict[str, Any]]) -> list[str]:
    first = objects[0]
    if isinstance(first, PSObject):
        # ASSUMPTION: Hyper-V's format.ps1xml views left-align every column (as Get-VM shows on Windows).
        return table_lines(objects, default_columns(first), align_numbers=table_view(first) is None)
    rows = [[k, v] for obj in objects if isinstance(obj, dict) for k, v in obj.items()]
    return table_lines(rows, [("Name", lambda r: r[0]), ("Value", lambda r: r[1])], min_first_width=30)


def table_lines(
    objects: list[Any],
    columns: list[tuple[str, Callable[[Any], Any]]],
    *,
    hide_headers: bool = False,
    min_first_width: int = 0,
    align_numbers: bool = True,
) -> list[str]:
    """A table of ``objects`` under ``columns`` (label, getter): blank line, headings, dashes, rows, 2 blanks.

    Numeric columns are right-aligned (unless ``align_numbers`` is false); every column is as wide as its widest cell.
    """
    names = [label for label, _ in columns]
    raw = [[get(obj) for _, get in columns] for obj in objects]
    rows = [[_cell(v) for v in row] for row in raw]
    numeric = [
        align_numbers
        and any(r[i] is not None for r in raw)
        and all(isinstance(r[i], int | float) and not isinstance(r[i], bool) for r in raw if r[i] is not None)
        for i in range(len(names))
    ]
    widths = [max(len(n), *(len(r[i]) for r in rows)) if rows else len(n) for i, n in enumerate(names)]
    if widths and rows:
        widths[0] = max(widths[0], min_first_width)

    def row_text(cells: list[str]) -> str:
        return " ".join(
            c.rjust(w) if numeric[i] else c.ljust(w) for i, (c, w) in enumerate(zip(cells, widths, strict=True))
        ).rstrip()

    lines = [""] if hide_headers else ["", row_text(names), row_text(["-" * len(n) for n in names])]
    lines += [row_text(r) for r in rows]
    lines += ["", ""]
    return lines


def _list(objects: list[PSObject]) -> list[str]:
    return list_lines(objects, _display_props)


def list_lines(objects: list[Any], names_of: Callable[[Any], list[str]]) -> list[str]:
    """``Name : Value`` blocks, one per object, separated by blank lines (Format-List's layout)."""
    lines: list[str] = [""]
    for obj in objects:
        names = names_of(obj)
        width = max((len(n) for n in names), default=0)
        values = [obj.get(n) if isinstance(obj, PSObject | dict) else None for n in names]
        lines += [f"{n.ljust(width)} : {_cell(v)}" for n, v in zip(names, values, strict=True)]
        lines.append("")
    lines.append("")
    return lines


def display_properties(obj: Any) -> list[str]:
    """The properties Out-Default / Format-List show by default (the default display set, else all)."""
    if isinstance(obj, PSObject):
        return _display_props(obj)
    if isinstance(obj, dict):
        return [to_str(k) for k in obj]
    return []


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
        if isinstance(group[0], dict) or table_view(group[0]) is not None or len(_display_props(group[0])) <= 4:
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
