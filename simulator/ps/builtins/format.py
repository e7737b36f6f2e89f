"""Format-Table and Format-List: scripts pipe objects through them to print readable tables and lists.

ASSUMPTION: in Windows PowerShell 5.1 these cmdlets output format objects that only Out-Default /
Out-String can render; here they output the rendered text lines (strings), which print and pass
through Out-String the same way. Piping their output into anything else (ConvertTo-Json, Select-Object)
gives strings here, not format objects.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from simulator.core.errors import NotModelledError
from simulator.ps.api import Invocation, Param, cmdlet
from simulator.ps.builtins.pipeline import calculated_property, evaluate_property
from simulator.ps.formatting import (
    default_columns,
    display_properties,
    format_objects,
    list_lines,
    table_lines,
    table_view,
)
from simulator.ps.objects import PSObject
from simulator.ps.operators import like
from simulator.ps.values import to_str

Column = tuple[str, Callable[[Any], Any]]


def _input(inv: Invocation) -> list[Any]:
    objects = list(inv.input_objects) if inv.input_objects else []
    if not objects and inv.has("InputObject"):
        objects = [inv.get("InputObject")]
    return [o for o in objects if o is not None]


def _matching_names(obj: Any, pattern: str) -> list[str]:
    names = obj.names() if isinstance(obj, PSObject) else [to_str(k) for k in obj] if isinstance(obj, dict) else []
    if "*" not in pattern and "?" not in pattern:
        return [next((n for n in names if n.lower() == pattern.lower()), pattern)]
    return [n for n in names if like(n, pattern)]


def _column(inv: Invocation, label: str, expression: Any) -> Column:
    def value(obj: Any) -> Any:
        return evaluate_property(inv, obj, expression)

    return label, value


def _columns(inv: Invocation, first: Any, specs: list[Any]) -> list[Column]:
    columns: list[Column] = []
    for spec in specs:
        if isinstance(spec, dict):
            columns.append(_column(inv, *calculated_property(spec)))
            continue
        columns += [_column(inv, name, name) for name in _matching_names(first, to_str(spec))]
    return columns


def _split_formattable(objects: list[Any]) -> tuple[list[Any], list[Any]]:
    """Objects with properties (formatted) and the scalars printed as they are, in input order."""
    shaped = [o for o in objects if isinstance(o, PSObject | dict)]
    return shaped, [o for o in objects if not isinstance(o, PSObject | dict)]


def _scalar_lines(scalars: list[Any]) -> list[str]:
    text = format_objects(scalars)
    return text.split("\r\n")[:-1] if text else []


@cmdlet(
    "Format-Table",
    Param("Property", "object[]", position=0),
    Param("AutoSize", "switch"),
    Param("HideTableHeaders", "switch"),
    Param("Wrap", "switch"),
    Param("GroupBy", "object"),
    Param("View", "string"),
    Param("InputObject", "object", from_pipeline=True),
    collects_input=True,
    summary="Format objects as a table (text lines).",
    not_modelled="-GroupBy, -View, -DisplayError/-ShowError, -Expand; columns are always sized to their content",
)
def format_table(inv: Invocation) -> Iterable[str]:
    """Format-Table: a table of the chosen (or default view's) columns, as text lines.

    -AutoSize and -Wrap are accepted; the layout always sizes columns to their content, so no cell is
    cut (ASSUMPTION: matches -AutoSize for the widths scripts print). Not modelled: -GroupBy, -View,
    -Expand, -DisplayError, -ShowError.
    """
    for name in ("GroupBy", "View"):
        if inv.has(name):
            raise NotModelledError(f"Format-Table -{name}")
    shaped, scalars = _split_formattable(_input(inv))
    lines: list[str] = []
    if shaped:
        first = shaped[0]
        specs = inv.get("Property")
        hide = bool(inv.get("HideTableHeaders"))
        if specs:
            lines = table_lines(shaped, _columns(inv, first, list(specs)), hide_headers=hide)
        elif isinstance(first, PSObject):
            view = default_columns(first)
            lines = table_lines(shaped, view, hide_headers=hide, align_numbers=table_view(first) is None)
        else:  # hashtables: one Name/Value row per entry, Name at least 30 wide as Out-Default shows them
            entries = [PSObject(["System.Collections.DictionaryEntry"], {"Name": k, "Value": v})
                       for obj in shaped if isinstance(obj, dict) for k, v in obj.items()]
            columns = _columns(inv, entries[0], ["Name", "Value"]) if entries else []
            lines = table_lines(entries, columns, hide_headers=hide, min_first_width=30) if entries else []
    return lines + _scalar_lines(scalars)


@cmdlet(
    "Format-List",
    Param("Property", "object[]", position=0),
    Param("GroupBy", "object"),
    Param("View", "string"),
    Param("InputObject", "object", from_pipeline=True),
    collects_input=True,
    summary="Format objects as Name : Value lists (text lines).",
    not_modelled="-GroupBy, -View, -Expand, -DisplayError/-ShowError",
)
def format_list(inv: Invocation) -> Iterable[str]:
    """Format-List: ``Name : Value`` lines of the chosen properties (``*`` for all), as text lines.

    Not modelled: -GroupBy, -View, -Expand, -DisplayError, -ShowError.
    """
    for name in ("GroupBy", "View"):
        if inv.has(name):
            raise NotModelledError(f"Format-List -{name}")
    shaped, scalars = _split_formattable(_input(inv))
    specs = inv.get("Property")
    if not shaped:
        return _scalar_lines(scalars)
    if not specs:
        return list_lines(shaped, display_properties) + _scalar_lines(scalars)
    rows: list[PSObject] = []
    for obj in shaped:
        row = PSObject(["Format-List"])
        for label, get in _columns(inv, obj, list(specs)):
            row.set(label, get(obj))
        rows.append(row)
    return list_lines(rows, lambda row: row.names()) + _scalar_lines(scalars)
