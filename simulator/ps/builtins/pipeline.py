"""Pipeline cmdlets: Where-Object, ForEach-Object, Select-Object, Sort-Object, Measure-Object, Group-Object.

They take every pipeline object at once (``collects_input``) and run script blocks through the
session, in the caller's scope as PowerShell does.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from typing import Any

from simulator.core.errors import NotModelledError, SimError
from simulator.ps.api import Invocation, Param, cmdlet
from simulator.ps.members import call_method, get_member
from simulator.ps.objects import PSObject
from simulator.ps.operators import compare, comparison, like
from simulator.ps.values import ScriptBlock, to_bool, to_number, to_str

_WHERE_OPERATORS = (
    "EQ",
    "NE",
    "GT",
    "GE",
    "LT",
    "LE",
    "Like",
    "NotLike",
    "Match",
    "NotMatch",
    "Contains",
    "NotContains",
    "In",
    "NotIn",
    "Is",
    "IsNot",
    "CEQ",
    "CNE",
    "CLike",
    "CNotLike",
    "CMatch",
    "CNotMatch",
    "CContains",
    "CIn",
)


def _items(inv: Invocation) -> list[Any]:
    if inv.input_objects:
        return list(inv.input_objects)
    if inv.has("InputObject"):
        value = inv.get("InputObject")
        return [value]
    return []


def _single(values: list[Any]) -> Any:
    return None if not values else values[0] if len(values) == 1 else values


def property_value(obj: Any, name: str) -> Any:
    """A property as Select-Object/Sort-Object read it (hashtable keys are not properties)."""
    if isinstance(obj, dict) and not isinstance(obj, PSObject):
        return {"count": len(obj), "keys": list(obj.keys()), "values": list(obj.values())}.get(name.lower())
    return get_member(obj, name)


@cmdlet(
    "Where-Object",
    Param("FilterScript", "object", position=0, aliases=("Property",)),
    Param("Value", "object", position=1),
    Param("InputObject", "object", from_pipeline=True),
    *(Param(op, "switch") for op in _WHERE_OPERATORS),
    collects_input=True,
    summary="Filter pipeline objects.",
    not_modelled="-CNE-style variants beyond those listed",
)
def where_object(inv: Invocation) -> Iterable[Any]:
    """Where-Object with a script block or the simplified ``Where-Object Name -eq X``. Not modelled: nothing else."""
    condition = inv.get("FilterScript")
    operators = [op for op in _WHERE_OPERATORS if inv.get(op)]
    results = []
    for item in _items(inv):
        if isinstance(condition, ScriptBlock):
            keep = to_bool(_single(inv.session.invoke(condition, item)))
        else:
            value = property_value(item, to_str(condition))
            if not operators:
                keep = to_bool(value)
            else:
                keep = to_bool(comparison("-" + operators[0], value, inv.get("Value"), {}))
        if keep:
            results.append(item)
    return results


@cmdlet(
    "ForEach-Object",
    Param("Process", "object[]", position=0, aliases=("MemberName",)),
    Param("Begin", "scriptblock"),
    Param("End", "scriptblock"),
    Param("ArgumentList", "object[]", aliases=("Args",)),
    Param("InputObject", "object", from_pipeline=True),
    collects_input=True,
    summary="Run a script block (or read a member) for each object.",
    not_modelled="-RemainingScripts, -Parallel (7.0)",
)
def foreach_object(inv: Invocation) -> Iterable[Any]:
    """ForEach-Object with -Begin/-Process/-End blocks or a member name. Not modelled: -RemainingScripts."""
    process = inv.get("Process") or []
    results: list[Any] = []
    if inv.get("Begin") is not None:
        results += inv.session.invoke(inv.get("Begin"))
    for item in _items(inv):
        for step in process:
            if isinstance(step, ScriptBlock):
                results += inv.session.invoke(step, item)
            else:
                name = to_str(step)
                if (isinstance(item, PSObject) and name.lower() in item.methods) or (
                    not isinstance(item, PSObject | dict) and inv.get("ArgumentList") is not None
                ):
                    results.append(call_method(item, name, list(inv.get("ArgumentList") or [])))
                    continue
                value = get_member(item, name)
                if isinstance(value, list):
                    results.extend(value)
                elif value is not None:
                    results.append(value)
    if inv.get("End") is not None:
        results += inv.session.invoke(inv.get("End"))
    return results


def calculated_property(spec: dict[str, Any]) -> tuple[str, Any]:
    """A calculated property ``@{Name/Label = …; Expression = …}``: its name and expression."""
    name = None
    expression = None
    for key, value in spec.items():
        lowered = str(key).lower()
        if "name".startswith(lowered) or "label".startswith(lowered):
            name = to_str(value)
        elif "expression".startswith(lowered):
            expression = value
        elif lowered in {"formatstring", "width", "alignment", "ascending", "descending"}:
            continue
        else:
            raise SimError(
                f'The "{key}" key is not valid.',
                "IllegalKey",
                "InvalidArgument",
                terminating=True,
                exception_type="System.NotSupportedException",
            )
    if expression is None:
        raise SimError(
            'The "Expression" key is missing.',
            "DictionaryKeyMissing",
            "InvalidArgument",
            terminating=True,
            exception_type="System.NotSupportedException",
        )
    if name is None:
        name = expression.text.strip() if isinstance(expression, ScriptBlock) else to_str(expression)
    return name, expression


def evaluate_property(inv: Invocation, item: Any, expression: Any) -> Any:
    """The value of a property name or script block for ``item`` ($_ bound to it)."""
    if isinstance(expression, ScriptBlock):
        return _single(inv.session.invoke(expression, item))
    return property_value(item, to_str(expression))


def _property_names(item: Any, pattern: str) -> list[str]:
    if "*" not in pattern and "?" not in pattern:
        return [pattern]
    names = item.names() if isinstance(item, PSObject) else []
    return [n for n in names if like(n, pattern)]


def _type_name(item: Any) -> str:
    if isinstance(item, PSObject):
        return item.type_name
    from simulator.ps.values import type_name_of  # noqa: PLC0415 - tiny helper

    return type_name_of(item)


@cmdlet(
    "Select-Object",
    Param("Property", "object[]", position=0),
    Param("ExpandProperty", "string"),
    Param("ExcludeProperty", "string[]"),
    Param("First", "int"),
    Param("Last", "int"),
    Param("Skip", "int"),
    Param("Unique", "switch"),
    Param("Index", "int[]"),
    Param("InputObject", "object", from_pipeline=True),
    collects_input=True,
    summary="Pick properties or objects.",
    not_modelled="-Wait, -SkipLast",
)
def select_object(inv: Invocation) -> Iterable[Any]:
    """Select-Object: properties (calculated too), -ExpandProperty, -First/-Last/-Skip/-Unique. Not modelled: -Wait."""
    items = _items(inv)
    if inv.has("Skip"):
        items = items[inv.get("Skip") :]
    if inv.has("Index"):
        items = [items[i] for i in inv.get("Index") if -len(items) <= i < len(items)]
    if inv.has("First") or inv.has("Last"):
        head = items[: inv.get("First")] if inv.has("First") else []
        tail = items[-inv.get("Last") :] if inv.has("Last") and inv.get("Last") > 0 else []
        items = head + tail if inv.has("First") and inv.has("Last") else (head if inv.has("First") else tail)
    properties = inv.get("Property")
    excluded = {p.lower() for p in inv.get("ExcludeProperty") or []}
    results: list[Any] = []
    for item in items:
        if properties:
            selected = PSObject([f"Selected.{_type_name(item)}", "System.Management.Automation.PSCustomObject"])
            for spec in properties:
                if isinstance(spec, dict):
                    name, expression = calculated_property(spec)
                    selected.set(name, evaluate_property(inv, item, expression))
                    continue
                for name in _property_names(item, to_str(spec)):
                    if name.lower() not in excluded:
                        actual = name
                        if isinstance(item, PSObject) and item.has(name):
                            actual = next(n for n in item.names() if n.lower() == name.lower())
                        selected.set(actual, property_value(item, name))
            if inv.has("ExpandProperty"):
                raise NotModelledError("Select-Object -Property together with -ExpandProperty")
            results.append(selected)
        elif inv.has("ExpandProperty"):
            name = inv.get("ExpandProperty")
            if (isinstance(item, PSObject) and not item.has(name)) or (
                not isinstance(item, PSObject) and property_value(item, name) is None
            ):
                inv.write_error(
                    SimError(
                        f'Property "{name}" cannot be found.',
                        "ExpandPropertyNotFound,Microsoft.PowerShell.Commands.SelectObjectCommand",
                        "InvalidArgument",
                        exception_type="System.Management.Automation.PSArgumentException",
                        target=to_str(item),
                    )
                )
                continue
            value = property_value(item, name)
            if isinstance(value, list):
                results.extend(value)
            else:
                results.append(value)
        else:
            results.append(item)
    if inv.get("Unique"):
        unique: list[Any] = []
        seen: list[str] = []
        for item in results:
            key = _unique_key(item)
            if key not in seen:
                seen.append(key)
                unique.append(item)
        results = unique
    return results


def _unique_key(item: Any) -> str:
    if isinstance(item, PSObject):
        return "|".join(f"{k}={to_str(v)}" for k, v in item.props.items())
    return to_str(item)


@cmdlet(
    "Sort-Object",
    Param("Property", "object[]", position=0),
    Param("Descending", "switch"),
    Param("Unique", "switch"),
    Param("CaseSensitive", "switch"),
    Param("InputObject", "object", from_pipeline=True),
    collects_input=True,
    summary="Sort objects.",
    not_modelled="-Culture, -Top/-Bottom (7.0)",
)
def sort_object(inv: Invocation) -> Iterable[Any]:
    """Sort-Object by properties, script blocks or hashtables with Expression/Descending. Not modelled: -Culture."""
    items = _items(inv)
    keys: list[tuple[Any, bool]] = []
    for spec in inv.get("Property") or []:
        if isinstance(spec, dict):
            expression = next((v for k, v in spec.items() if "expression".startswith(str(k).lower())), None)
            descending = any(to_bool(v) for k, v in spec.items() if str(k).lower() == "descending")
            keys.append((expression, descending))
        else:
            keys.append((spec, bool(inv.get("Descending"))))
    case = bool(inv.get("CaseSensitive"))

    def key_values(item: Any) -> list[Any]:
        return [evaluate_property(inv, item, expr) for expr, _desc in keys] if keys else [item]

    decorated = [(key_values(item), item) for item in items]

    def order(a: tuple[list[Any], Any], b: tuple[list[Any], Any]) -> int:
        for index, (left, right) in enumerate(zip(a[0], b[0], strict=True)):
            result = compare(left, right, case)
            descending = keys[index][1] if keys else bool(inv.get("Descending"))
            if result:
                return -result if descending else result
        return 0

    decorated.sort(key=functools.cmp_to_key(order))
    results = [item for _k, item in decorated]
    if inv.get("Unique"):
        unique: list[Any] = []
        for item in results:
            if not any(compare(_unique_key(item), _unique_key(u), case) == 0 for u in unique):
                unique.append(item)
        results = unique
    return results


@cmdlet(
    "Measure-Object",
    Param("Property", "string[]", position=0),
    Param("Sum", "switch"),
    Param("Average", "switch"),
    Param("Maximum", "switch"),
    Param("Minimum", "switch"),
    Param("Line", "switch"),
    Param("Word", "switch"),
    Param("Character", "switch"),
    Param("InputObject", "object", from_pipeline=True),
    collects_input=True,
    summary="Count objects, sum/average/min/max a property.",
    not_modelled="-IgnoreWhiteSpace",
)
def measure_object(inv: Invocation) -> Iterable[Any]:
    """Measure-Object: Count plus -Sum/-Average/-Maximum/-Minimum of a property. Not modelled: text statistics."""
    if inv.get("Line") or inv.get("Word") or inv.get("Character"):
        raise NotModelledError("Measure-Object -Line/-Word/-Character")
    items = [i for i in _items(inv) if i is not None]
    names = inv.get("Property") or [None]
    results = []
    for name in names:
        values = [property_value(i, name) if name else i for i in items]
        numbers = (
            [to_number(v) for v in values if v is not None]
            if any(inv.get(k) for k in ("Sum", "Average", "Maximum", "Minimum"))
            else []
        )
        results.append(
            PSObject(
                "Microsoft.PowerShell.Commands.GenericMeasureInfo",
                {
                    "Count": len(values),
                    "Average": (sum(numbers) / len(numbers) if numbers else None) if inv.get("Average") else None,
                    "Sum": sum(numbers) if inv.get("Sum") else None,
                    "Maximum": max(numbers) if inv.get("Maximum") and numbers else None,
                    "Minimum": min(numbers) if inv.get("Minimum") and numbers else None,
                    "Property": name,
                },
            )
        )
    return results


@cmdlet(
    "Group-Object",
    Param("Property", "object[]", position=0),
    Param("NoElement", "switch"),
    Param("AsHashTable", "switch"),
    Param("AsString", "switch"),
    Param("InputObject", "object", from_pipeline=True),
    collects_input=True,
    summary="Group objects by property values.",
    not_modelled="-Culture, -CaseSensitive",
)
def group_object(inv: Invocation) -> Iterable[Any]:
    """Group-Object by properties (case-insensitive). Not modelled: -Culture, -CaseSensitive."""
    groups: dict[str, list[Any]] = {}
    labels: dict[str, str] = {}
    for item in _items(inv):
        values = [evaluate_property(inv, item, p) for p in inv.get("Property") or []] or [item]
        label = ", ".join(to_str(v) for v in values)
        groups.setdefault(label.lower(), []).append(item)
        labels.setdefault(label.lower(), label)
    if inv.get("AsHashTable"):
        from simulator.ps.objects import PSHashtable  # noqa: PLC0415 - local

        table = PSHashtable()
        for key, members in groups.items():
            table[labels[key]] = members
        return [table]
    results = []
    for key, members in groups.items():
        props: dict[str, Any] = {"Count": len(members), "Name": labels[key]}
        if not inv.get("NoElement"):
            props["Group"] = members
        results.append(PSObject("Microsoft.PowerShell.Commands.GroupInfo", props))
    return results
