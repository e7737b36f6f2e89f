"""PowerShell's value semantics: how values become strings, booleans and numbers, compare and cast.

Kept apart from the evaluator so that cmdlets (Sort-Object, Where-Object, ConvertTo-Json) and the
output formatter share one definition of "what PowerShell 5.1 would do with this value".
"""

from __future__ import annotations

import datetime as dt
import math
import re
import uuid
from collections.abc import Iterable, Iterator
from typing import Any

from simulator.core.errors import NotModelledError, SimError
from simulator.ps.objects import PSEnum, PSHashtable, PSObject, SecureString

INVARIANT_DATE = "%m/%d/%Y %H:%M:%S"


class ScriptBlock:
    """A ``{ … }`` value: the syntax node plus the text PowerShell shows for it."""

    __slots__ = ("node", "params", "text")

    def __init__(self, node: Any, text: str, params: list[Any] | None = None) -> None:
        self.node = node
        self.text = text
        self.params = params or []

    def __str__(self) -> str:
        return self.text

    def __repr__(self) -> str:
        return f"ScriptBlock({self.text[:30]!r})"


class ArrayList(list[Any]):
    """``System.Collections.ArrayList`` (growable; a plain list is a fixed-size ``object[]``)."""


class TypeRef:
    """A ``[Type]`` literal used as a value (``-is [string]``, ``$x -as [int]``)."""

    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name

    def __str__(self) -> str:
        return self.name


def is_enumerable(value: Any) -> bool:
    """Whether the pipeline unrolls the value (arrays and lists; not strings or hashtables)."""
    return isinstance(value, list | tuple)


def enumerate_value(value: Any) -> Iterator[Any]:
    """The objects a value sends down the pipeline (``$null`` sends one ``$null``)."""
    if is_enumerable(value):
        yield from value
    else:
        yield value


def format_double(value: float) -> str:
    """``[double]`` as .NET's ``ToString()`` gives it (``1.5``, ``3``, ``1E+20``)."""
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    if value == int(value) and abs(value) < 1e15:
        return str(int(value))
    text = repr(value)
    if "e" in text:
        mantissa, exponent = text.split("e")
        sign = "-" if exponent.startswith("-") else "+"
        return f"{mantissa.rstrip('0').rstrip('.')}E{sign}{exponent.lstrip('+-').zfill(2)}"
    return text


def format_timespan(value: dt.timedelta) -> str:
    """``[TimeSpan]`` as ``[d.]hh:mm:ss[.fffffff]``."""
    total = value.total_seconds()
    sign = "-" if total < 0 else ""
    total = abs(total)
    days, rest = divmod(int(total), 86400)
    hours, rest = divmod(rest, 3600)
    minutes, seconds = divmod(rest, 60)
    fraction = round((total - int(total)) * 10_000_000)
    text = f"{sign}{f'{days}.' if days else ''}{hours:02}:{minutes:02}:{seconds:02}"
    return f"{text}.{fraction:07}" if fraction else text


def to_str(value: Any) -> str:
    """A value as PowerShell expands it in a string (``"$x"``) or converts it with ``[string]``."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "True" if value else "False"
    if isinstance(value, str):
        return value if type(value) is str else str.__str__(value)  # [string] drops note properties
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return format_double(value)
    if isinstance(value, PSObject):
        if value.to_string is None and value.type_names[-1].endswith("PSCustomObject"):
            return "@{" + "; ".join(f"{k}={to_str(v)}" for k, v in value.props.items()) + "}"
        return value.text()
    if isinstance(value, PSEnum):
        return value.name
    if isinstance(value, dt.datetime):
        return value.strftime(INVARIANT_DATE)
    if isinstance(value, dt.timedelta):
        return format_timespan(value)
    if isinstance(value, PSHashtable | dict):
        return (
            "System.Collections.Specialized.OrderedDictionary"
            if getattr(value, "ordered", False)
            else ("System.Collections.Hashtable")
        )
    if isinstance(value, bytes | bytearray):
        return " ".join(str(b) for b in value)
    if isinstance(value, list | tuple):
        return " ".join(to_str(v) for v in value)
    if isinstance(value, uuid.UUID):
        return str(value)
    return str(value)


def to_bool(value: Any) -> bool:
    """PowerShell truthiness (``if ($x)``): empty string/array, 0 and $null are false."""
    if value is None:
        return False
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return value != 0
    if isinstance(value, str):
        return value != ""
    if isinstance(value, list | tuple):
        if len(value) == 0:
            return False
        if len(value) == 1:
            return to_bool(value[0])
        return True
    if isinstance(value, PSEnum):
        return value.value != 0
    return True


_NUMBER = re.compile(r"^\s*([+-]?)(0x[0-9a-f]+|\d+\.?\d*(?:e[+-]?\d+)?|\.\d+(?:e[+-]?\d+)?)(kb|mb|gb|tb|pb)?\s*$", re.I)
_MULTIPLIERS = {"kb": 1024, "mb": 1024**2, "gb": 1024**3, "tb": 1024**4, "pb": 1024**5}


def parse_number(text: str) -> int | float | None:
    """A number written as PowerShell accepts it in a string (``"42"``, ``" 0x1F "``, ``"1.5"``, ``"2GB"``)."""
    match = _NUMBER.match(text)
    if not match:
        return None
    sign, body, suffix = match.groups()
    number: int | float
    if body.lower().startswith("0x"):
        number = int(body, 16)
    elif re.fullmatch(r"\d+", body):
        number = int(body)
    else:
        number = float(body)
    if suffix:
        number = number * _MULTIPLIERS[suffix.lower()]
    return -number if sign == "-" else number


def type_name_of(value: Any) -> str:
    """The .NET type name of a value (``$x.GetType().FullName``)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "System.Boolean"
    if isinstance(value, int):
        return "System.Int32" if -(2**31) <= value < 2**31 else "System.Int64"
    if isinstance(value, float):
        return "System.Double"
    if isinstance(value, str):
        return "System.String"
    if isinstance(value, PSObject):
        return value.type_name
    if isinstance(value, PSEnum):
        return value.type_name
    if isinstance(value, dt.datetime):
        return "System.DateTime"
    if isinstance(value, dt.timedelta):
        return "System.TimeSpan"
    if isinstance(value, PSHashtable):
        return (
            "System.Collections.Specialized.OrderedDictionary"
            if getattr(value, "ordered", False)
            else ("System.Collections.Hashtable")
        )
    if isinstance(value, dict):
        return "System.Collections.Hashtable"
    if isinstance(value, bytes | bytearray):
        return "System.Byte[]"
    if isinstance(value, ArrayList):
        return "System.Collections.ArrayList"
    if isinstance(value, list | tuple):
        return "System.Object[]"
    if isinstance(value, SecureString):
        return "System.Security.SecureString"
    if isinstance(value, ScriptBlock):
        return "System.Management.Automation.ScriptBlock"
    if isinstance(value, uuid.UUID):
        return "System.Guid"
    if isinstance(value, TypeRef):
        return "System.RuntimeType"
    return "System.Object"


def invalid_cast(value: Any, target: str, detail: str = "") -> SimError:
    """The RuntimeException PowerShell raises for a failed conversion."""
    shown = to_str(value) if not isinstance(value, list | tuple) else "System.Object[]"
    source = type_name_of(value)
    message = f'Cannot convert value "{shown}" to type "{target}".'
    if detail:
        message += f' Error: "{detail}"'
    elif source != "System.String":
        message = f'Cannot convert the "{shown}" value of type "{source}" to type "{target}".'
    return SimError(
        message,
        "InvalidCastFromStringToInteger" if source == "System.String" else "ConvertToFinalInvalidCastException",
        "InvalidArgument",
        exception_type="System.Management.Automation.RuntimeException",
        terminating=True,
        hresult=0x80131501,
    )


def to_number(value: Any, target: str = "System.Int32") -> int | float:
    """Convert for arithmetic or ``[int]`` (strings parse, $null is 0, bools are 0/1)."""
    if value is None:
        return 0
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int | float):
        return value
    if isinstance(value, PSEnum):
        return value.value
    if isinstance(value, str):
        if value.strip() == "":
            return 0
        number = parse_number(value)
        if number is None:
            raise invalid_cast(value, target, "Input string was not in a correct format.")
        return number
    if isinstance(value, list | tuple) and len(value) == 1:
        return to_number(value[0], target)
    raise invalid_cast(value, target)


def to_int(value: Any, target: str = "System.Int32") -> int:
    """``[int]``: rounds half to even as .NET does."""
    number = to_number(value, target)
    if isinstance(number, float):
        if math.isnan(number) or math.isinf(number):
            raise invalid_cast(value, target)
        return round(number)
    return number


def to_datetime(value: Any) -> dt.datetime:
    """``[datetime]`` from a DateTime, a string (invariant/ISO forms) or ticks."""
    if isinstance(value, dt.datetime):
        return value if value.tzinfo else value.replace(tzinfo=dt.UTC)
    if isinstance(value, str):
        text = value.strip()
        for form in ("%m/%d/%Y %H:%M:%S", "%m/%d/%Y", "%Y-%m-%d %H:%M:%S", "%m/%d/%Y %I:%M:%S %p"):
            try:
                return dt.datetime.strptime(text, form).replace(tzinfo=dt.UTC)
            except ValueError:
                pass
        try:
            parsed = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            raise invalid_cast(value, "System.DateTime", "String was not recognized as a valid DateTime.") from None
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)
    if isinstance(value, int) and not isinstance(value, bool):
        if not 0 <= value <= MAX_DATETIME_TICKS:
            raise invalid_cast(value, "System.DateTime",
                               "Ticks must be between DateTime.MinValue.Ticks and DateTime.MaxValue.Ticks.")
        return dt.datetime(1, 1, 1, tzinfo=dt.UTC) + dt.timedelta(microseconds=value // 10)
    raise invalid_cast(value, "System.DateTime")


MAX_DATETIME_TICKS = 3_155_378_975_999_999_999  # DateTime.MaxValue.Ticks (9999-12-31 23:59:59.9999999)


def to_bytes(value: Any) -> bytes:
    """``[byte[]]`` from bytes, a list of numbers or a single number."""
    if isinstance(value, bytes | bytearray):
        return bytes(value)
    items = list(value) if isinstance(value, list | tuple) else [value]
    out = bytearray()
    for item in items:
        number = to_int(item, "System.Byte")
        if not 0 <= number <= 255:
            raise invalid_cast(item, "System.Byte", "Value was either too large or too small for an unsigned byte.")
        out.append(number)
    return bytes(out)


def as_list(value: Any) -> list[Any]:
    """``@(value)``: a list (``$null`` becomes an empty list)."""
    if value is None:
        return []
    if isinstance(value, list | tuple):
        return list(value)
    return [value]


def _hashtable_to_object(table: dict[str, Any]) -> PSObject:
    return PSObject("System.Management.Automation.PSCustomObject", {str(k): v for k, v in table.items()})


def ordered_table(pairs: Iterable[tuple[str, Any]] = ()) -> PSHashtable:
    """An ``[ordered]@{}`` dictionary (a PSHashtable flagged ordered)."""
    table = OrderedTable()
    for key, value in pairs:
        table[key] = value
    return table


class OrderedTable(PSHashtable):
    """``[ordered]@{}``: same behaviour as a hashtable here, different .NET type."""

    ordered = True


SIMPLE_TYPES = {
    "int": "System.Int32",
    "int32": "System.Int32",
    "system.int32": "System.Int32",
    "long": "System.Int64",
    "int64": "System.Int64",
    "system.int64": "System.Int64",
    "uint32": "System.UInt32",
    "uint64": "System.UInt64",
    "byte": "System.Byte",
    "system.byte": "System.Byte",
    "double": "System.Double",
    "system.double": "System.Double",
    "float": "System.Single",
    "single": "System.Single",
    "decimal": "System.Decimal",
    "string": "System.String",
    "system.string": "System.String",
    "bool": "System.Boolean",
    "boolean": "System.Boolean",
    "system.boolean": "System.Boolean",
    "switch": "System.Management.Automation.SwitchParameter",
    "datetime": "System.DateTime",
    "system.datetime": "System.DateTime",
    "timespan": "System.TimeSpan",
    "system.timespan": "System.TimeSpan",
    "array": "System.Array",
    "object[]": "System.Object[]",
    "system.object[]": "System.Object[]",
    "string[]": "System.String[]",
    "system.string[]": "System.String[]",
    "int[]": "System.Int32[]",
    "byte[]": "System.Byte[]",
    "system.byte[]": "System.Byte[]",
    "hashtable": "System.Collections.Hashtable",
    "system.collections.hashtable": "System.Collections.Hashtable",
    "pscustomobject": "System.Management.Automation.PSCustomObject",
    "psobject": "System.Management.Automation.PSObject",
    "object": "System.Object",
    "system.object": "System.Object",
    "guid": "System.Guid",
    "system.guid": "System.Guid",
    "char": "System.Char",
    "securestring": "System.Security.SecureString",
    "scriptblock": "System.Management.Automation.ScriptBlock",
    "void": "System.Void",
    "ordered": "System.Collections.Specialized.OrderedDictionary",
}


def full_type_name(name: str) -> str:
    """The .NET full name for a type literal (``[int]`` -> ``System.Int32``)."""
    return SIMPLE_TYPES.get(name.lower(), name)


def cast(value: Any, type_name: str) -> Any:
    """``[Type]value``.

    Raises:
        SimError: the conversion fails as in PowerShell.
        NotModelledError: a type the simulator does not know.
    """
    key = type_name.lower().replace(" ", "")
    key = key.removeprefix("system.")
    if key == "byte":
        return to_bytes([value])[0]
    if key in {"int", "int32", "long", "int64", "uint32", "uint64", "int16", "uint16"}:
        return to_int(value, full_type_name(key))
    if key in {"double", "float", "single", "decimal"}:
        return float(to_number(value, full_type_name(key)))
    if key == "string":
        return to_str(value)
    if key in {"bool", "boolean", "switch"}:
        return to_bool(value)
    if key == "datetime":
        return to_datetime(value)
    if key in {"array", "object[]"}:
        return as_list(value)
    if key in {"collections.arraylist", "arraylist"}:
        return ArrayList(as_list(value))
    if key == "string[]":
        return [to_str(v) for v in as_list(value)]
    if key in {"int[]", "int32[]", "long[]"}:
        return [to_int(v) for v in as_list(value)]
    if key == "byte[]":
        return None if value is None else to_bytes(value)
    if key in {"hashtable", "collections.hashtable"}:
        if isinstance(value, dict):
            return value
        raise invalid_cast(value, "System.Collections.Hashtable")
    if key == "ordered":
        if isinstance(value, dict):
            return ordered_table(value.items())
        raise invalid_cast(value, "System.Collections.Specialized.OrderedDictionary")
    if key in {"pscustomobject", "psobject", "management.automation.pscustomobject"}:
        if isinstance(value, dict):
            return _hashtable_to_object(value)
        return value
    if key in {"object", "void"}:
        return value
    if key == "guid":
        try:
            return uuid.UUID(to_str(value))
        except ValueError:
            raise invalid_cast(value, "System.Guid", "Unrecognized Guid format.") from None
    if key == "char":
        text = to_str(value)
        if isinstance(value, int) and not isinstance(value, bool):
            return chr(value)
        if len(text) != 1:
            raise invalid_cast(value, "System.Char", "String must be exactly one character long.")
        return text
    if key == "timespan":
        if isinstance(value, dt.timedelta):
            return value
        return parse_timespan(value)
    if key == "securestring":
        if isinstance(value, SecureString):
            return value
        raise invalid_cast(value, "System.Security.SecureString")
    if key == "scriptblock":
        if isinstance(value, ScriptBlock):
            return value
        raise invalid_cast(value, "System.Management.Automation.ScriptBlock")
    raise NotModelledError(f"the type [{type_name}]")


def parse_timespan(value: Any) -> dt.timedelta:
    """A TimeSpan from ``d.hh:mm:ss``, ``hh:mm:ss`` or ticks."""
    if isinstance(value, int) and not isinstance(value, bool):
        return dt.timedelta(microseconds=value / 10)
    text = to_str(value).strip()
    match = re.fullmatch(r"(-)?(?:(\d+)\.)?(\d{1,2}):(\d{1,2})(?::(\d{1,2})(?:\.(\d{1,7}))?)?", text)
    if not match:
        raise invalid_cast(value, "System.TimeSpan", "String was not recognized as a valid TimeSpan.")
    neg, days, hours, minutes, seconds, fraction = match.groups()
    span = dt.timedelta(
        days=int(days or 0),
        hours=int(hours),
        minutes=int(minutes),
        seconds=int(seconds or 0),
        microseconds=int((fraction or "0").ljust(7, "0")) / 10,
    )
    return -span if neg else span


def is_type(value: Any, type_name: str) -> bool:
    """``$x -is [Type]``."""
    key = full_type_name(type_name).lower()
    actual = type_name_of(value).lower()
    if key in {"system.object", "system.management.automation.psobject"}:
        return value is not None
    if key in {"system.array", "system.object[]"}:
        return isinstance(value, list | tuple)
    if key in {"system.collections.hashtable", "system.collections.idictionary"}:
        return isinstance(value, dict)
    if key == "system.management.automation.pscustomobject":
        return isinstance(value, PSObject) and actual == key
    if key in {"system.int32", "system.int64"} and isinstance(value, int) and not isinstance(value, bool):
        return actual == key
    if isinstance(value, PSObject):
        return any(name.lower() in {key, key.removeprefix("system.")} for name in value.type_names)
    return actual in (key, f"system.{key}")
