"""Member access and method calls on values: ``$s.Trim()``, ``$a.Count``, ``$o.Prop``, ``$h.Key``, ``$d.AddDays(1)``.

PowerShell's member enumeration (``(Get-ChildItem).Thumbprint`` reads the property of every
item) lives here too. Unknown methods fail loudly (NotModelledError), unknown properties give $null
as in PowerShell.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable
from typing import Any

from simulator.core.errors import NotModelledError, SimError
from simulator.ps.dates import default_text, format_datetime, plain
from simulator.ps.objects import NotedString, PSEnum, PSHashtable, PSObject, SecureString
from simulator.ps.operators import format_value
from simulator.ps.values import (
    ArrayList,
    ScriptBlock,
    TypeRef,
    as_list,
    format_timespan,
    to_int,
    to_str,
    type_name_of,
)


def type_info(name: str) -> PSObject:
    """What ``.GetType()`` returns: a RuntimeType with Name and FullName."""
    return PSObject(
        "System.RuntimeType",
        {"Name": name.rsplit(".", 1)[-1], "FullName": name, "Namespace": name.rsplit(".", 1)[0] if "." in name else ""},
        to_string=name,
    )


def method_error(value: Any, name: str) -> SimError:
    """An unknown method: PowerShell's MethodNotFound for custom objects, NotModelledError for .NET types.

    A real .NET type has many methods the simulator does not implement; calling one must fail loudly
    as a gap, not pretend the method does not exist.
    """
    type_name = type_name_of(value)
    if not type_name.endswith(("PSCustomObject", "Hashtable", "OrderedDictionary")) or name.lower() in {
        "add",
        "remove",
        "containskey",
        "clear",
        "clone",
        "getenumerator",
        "tostring",
        "gettype",
        "equals",
    }:
        return NotModelledError(f"the method [{type_name}].{name}()")
    return SimError(
        f"Method invocation failed because [{type_name_of(value)}] does not contain a method named '{name}'.",
        "MethodNotFound",
        "InvalidOperation",
        exception_type="System.Management.Automation.RuntimeException",
        terminating=True,
    )


def argument_error(message: str) -> SimError:
    """A .NET exception raised by a method (MethodInvocationException in the ErrorRecord)."""
    return SimError(
        message,
        "ArgumentException",
        "NotSpecified",
        exception_type="System.Management.Automation.MethodInvocationException",
        terminating=True,
    )


# --------------------------------------------------------------------------------- properties
def get_member(value: Any, name: str) -> Any:
    """``$value.name`` (member enumeration for arrays; every scalar has Count 1, $null has Count 0)."""
    found = _get_member(value, name)
    if found is None and name.lower() in {"count", "length"} and not isinstance(value, list | tuple | dict | str):
        return 0 if value is None else 1
    if found is None and name.lower() == "count" and isinstance(value, str):
        return 1
    return found


def _get_member(value: Any, name: str) -> Any:
    lowered = name.lower()
    if isinstance(value, list | tuple):
        if lowered in {"count", "length"}:
            return len(value)
        if lowered in {"rank"}:
            return 1
        results = [get_member(item, name) for item in value if item is not None]
        flat: list[Any] = []
        for item in results:
            if isinstance(item, list):
                flat.extend(item)
            elif item is not None:
                flat.append(item)
        return None if not flat else flat if len(flat) != 1 else flat[0]
    if value is None:
        return None
    if isinstance(value, PSObject):
        if value.has(name):
            return value.get(name)
        if lowered == "psobject":
            return PSObject(
                "System.Management.Automation.PSObject",
                {
                    "TypeNames": list(value.type_names),
                    "Properties": [
                        PSObject("System.Management.Automation.PSNoteProperty", {"Name": k, "Value": v}, to_string=k)
                        for k, v in value.props.items()
                    ],
                },
            )
        return None
    if isinstance(value, dict):
        if name in value:
            return value[name]
        if lowered == "count":
            return len(value)
        if lowered == "keys":
            return list(value.keys())
        if lowered == "values":
            return list(value.values())
        return None
    if isinstance(value, str):
        if lowered == "length":
            return len(value)
        if isinstance(value, NotedString):  # Get-Content's PSPath, ReadCount …
            return next((v for k, v in value.notes.items() if k.lower() == lowered), None)
        return None
    if isinstance(value, bytes | bytearray):
        return len(value) if lowered in {"length", "count"} else None
    if isinstance(value, dt.datetime):
        return _datetime_member(value, lowered)
    if isinstance(value, dt.timedelta):
        return _timespan_member(value, lowered)
    if isinstance(value, PSEnum):
        return {"value__": value.value}.get(lowered)
    if isinstance(value, SecureString):
        return len(value.reveal()) if lowered == "length" else None
    if isinstance(value, int | float) and lowered in {"count", "length"}:
        return 1
    if isinstance(value, uuid.UUID) and lowered == "guid":
        return str(value)
    return None


def _datetime_member(value: dt.datetime, name: str) -> Any:
    table: dict[str, Callable[[], Any]] = {
        "year": lambda: value.year,
        "month": lambda: value.month,
        "day": lambda: value.day,
        "hour": lambda: value.hour,
        "minute": lambda: value.minute,
        "second": lambda: value.second,
        "millisecond": lambda: value.microsecond // 1000,
        "date": lambda: value.replace(hour=0, minute=0, second=0, microsecond=0),
        "dayofweek": lambda: PSEnum("System.DayOfWeek", value.strftime("%A"), (value.weekday() + 1) % 7),
        "dayofyear": lambda: value.timetuple().tm_yday,
        "ticks": lambda: int((value - dt.datetime(1, 1, 1, tzinfo=value.tzinfo)).total_seconds() * 10_000_000),
        "kind": lambda: PSEnum("System.DateTimeKind", "Utc", 1),
    }
    getter = table.get(name)
    return getter() if getter else None


def _timespan_member(value: dt.timedelta, name: str) -> Any:
    total = value.total_seconds()
    table: dict[str, Any] = {
        "days": int(total // 86400),
        "hours": int(total % 86400 // 3600),
        "minutes": int(total % 3600 // 60),
        "seconds": int(total % 60),
        "milliseconds": int(value.microseconds // 1000),
        "totaldays": total / 86400,
        "totalhours": total / 3600,
        "totalminutes": total / 60,
        "totalseconds": total,
        "totalmilliseconds": total * 1000,
        "ticks": int(total * 10_000_000),
    }
    return table.get(name)


def set_member(target: Any, name: str, value: Any) -> None:
    """``$target.name = value``."""
    if isinstance(target, PSObject):
        if not target.has(name) and target.type_name != "System.Management.Automation.PSCustomObject":
            raise SimError(
                f"The property '{name}' cannot be found on this object. Verify that the property exists "
                "and can be set.",
                "PropertyNotFound",
                "InvalidOperation",
                exception_type="System.Management.Automation.RuntimeException",
                terminating=True,
            )
        target.set(name, value)
        return
    if isinstance(target, dict):
        target[name] = value
        return
    raise SimError(
        f"The property '{name}' cannot be found on this object. Verify that the property exists and can be set.",
        "PropertyNotFound",
        "InvalidOperation",
        exception_type="System.Management.Automation.RuntimeException",
        terminating=True,
    )


# --------------------------------------------------------------------------------- methods
def _string_method(text: str, original: str, args: list[Any]) -> Any:
    name = original.lower()
    strs = [to_str(a) for a in args]
    ignore_case = any(
        isinstance(a, PSEnum) or (isinstance(a, str) and a.lower().endswith("ignorecase")) for a in args[1:]
    )
    if name in {"tolower", "tolowerinvariant"}:
        return text.lower()
    if name in {"toupper", "toupperinvariant"}:
        return text.upper()
    if name in {"trim", "trimstart", "trimend"}:
        chars = "".join(strs) if strs else None
        return {"trim": text.strip, "trimstart": text.lstrip, "trimend": text.rstrip}[name](chars)
    if name == "split":
        if not args:
            return text.split()
        seps = [c for s in strs for c in s] if len(strs) == 1 and len(strs[0]) > 0 else strs
        if len(strs) == 1:
            parts = [text]
            for sep in seps:
                parts = [p for part in parts for p in part.split(sep)]
            return parts
        return text.split(strs[0])
    if name == "replace":
        return text.replace(strs[0], strs[1] if len(strs) > 1 else "")
    if name in {"startswith", "endswith", "contains", "equals"}:
        a, b = (text.lower(), strs[0].lower()) if ignore_case else (text, strs[0])
        return {
            "startswith": a.startswith,
            "endswith": a.endswith,
            "contains": lambda x: x in a,
            "equals": lambda x: a == x,
        }[name](b)
    if name == "substring":
        start = to_int(args[0])
        if start > len(text) or (len(args) > 1 and start + to_int(args[1]) > len(text)):
            raise argument_error(
                f'Exception calling "Substring" with "{len(args)}" argument(s): "startIndex cannot be larger '
                'than length of string.\r\nParameter name: startIndex"'
            )
        return text[start : start + to_int(args[1])] if len(args) > 1 else text[start:]
    if name in {"indexof", "lastindexof"}:
        haystack, needle = (text.lower(), strs[0].lower()) if ignore_case else (text, strs[0])
        return haystack.find(needle) if name == "indexof" else haystack.rfind(needle)
    if name in {"padleft", "padright"}:
        fill = strs[1] if len(strs) > 1 else " "
        width = to_int(args[0])
        return text.rjust(width, fill) if name == "padleft" else text.ljust(width, fill)
    if name == "tostring":
        return text
    if name == "tochararray":
        return list(text)
    if name == "gethashcode":
        return hash(text) & 0x7FFFFFFF
    if name == "insert":
        index = to_int(args[0])
        return text[:index] + strs[1] + text[index:]
    if name == "remove":
        index = to_int(args[0])
        return text[:index] + (text[index + to_int(args[1]) :] if len(args) > 1 else "")
    if name == "normalize":
        return text
    raise method_error(text, original)


def _datetime_method(value: dt.datetime, original: str, args: list[Any]) -> Any:
    name = original.lower()
    value = plain(value)
    if name == "tostring":
        return format_datetime(value, to_str(args[0])) if args else default_text(value)
    adders = {
        "adddays": "days",
        "addhours": "hours",
        "addminutes": "minutes",
        "addseconds": "seconds",
        "addmilliseconds": "milliseconds",
    }
    if name in adders:
        return value + dt.timedelta(**{adders[name]: float(args[0])})
    if name == "addyears":
        return value.replace(year=value.year + to_int(args[0]))
    if name == "addmonths":
        months = value.month - 1 + to_int(args[0])
        return value.replace(year=value.year + months // 12, month=months % 12 + 1)
    if name in {"touniversaltime", "tolocaltime"}:
        return value.astimezone(dt.UTC)
    if name == "subtract":
        return value - args[0]
    if name in {"tofiletime", "tofiletimeutc"}:
        return int((value - dt.datetime(1601, 1, 1, tzinfo=dt.UTC)).total_seconds() * 10_000_000)
    raise method_error(value, original)


def call_method(value: Any, name: str, args: list[Any], invoke_block: Callable[..., list[Any]] | None = None) -> Any:
    """``$value.Name(args)``."""
    lowered = name.lower()
    if lowered == "gettype" and not args:
        return type_info(type_name_of(value))
    if value is None:
        raise SimError(
            "You cannot call a method on a null-valued expression.",
            "InvokeMethodOnNull",
            "InvalidOperation",
            exception_type="System.Management.Automation.RuntimeException",
            terminating=True,
        )
    if isinstance(value, PSObject):
        method = value.methods.get(lowered)
        if method is not None:
            return method(*args)
        if lowered == "tostring" and not args:
            return value.text()
        if value.has(name) and isinstance(value.get(name), ScriptBlock) and invoke_block is not None:
            return invoke_block(value.get(name), value, args)
        raise method_error(value, name)
    if isinstance(value, str):
        return _string_method(value, name, args)
    if isinstance(value, dt.datetime):
        return _datetime_method(value, name, args)
    if isinstance(value, list):
        if lowered in {"add", "remove", "clear", "insert", "removeat", "addrange"} and not isinstance(value, ArrayList):
            raise argument_error(
                f'Exception calling "{name}" with "{len(args)}" argument(s): "Collection was of a fixed size."'
            )
        if lowered == "add":
            value.append(args[0])
            return len(value) - 1
        if lowered == "addrange":
            value.extend(as_list(args[0]))
            return None
        if lowered == "insert":
            value.insert(to_int(args[0]), args[1])
            return None
        if lowered == "removeat":
            del value[to_int(args[0])]
            return None
        if lowered == "contains":
            return args[0] in value
        if lowered == "remove":
            if args[0] in value:
                value.remove(args[0])
            return None
        if lowered == "clear":
            value.clear()
            return None
        if lowered == "indexof":
            return value.index(args[0]) if args[0] in value else -1
        if lowered == "toarray":
            return list(value)
        if lowered == "tostring":
            return type_name_of(value)
        if lowered in {"where", "foreach"} and invoke_block is not None:
            block = args[0]
            if lowered == "where":
                return [item for item in value if any(invoke_block(block, item, []))]
            return [out for item in value for out in invoke_block(block, item, [])]
        raise method_error(value, name)
    if isinstance(value, dict):
        if lowered in {"containskey", "contains"}:
            return args[0] in value
        if lowered == "containsvalue":
            return args[0] in value.values()
        if lowered == "add":
            if args[0] in value:
                raise argument_error(
                    f'Exception calling "Add" with "2" argument(s): "Item has already been added. '
                    f"Key in dictionary: '{args[0]}'  Key being added: '{args[0]}'\""
                )
            value[args[0]] = args[1]
            return None
        if lowered == "remove":
            value.pop(args[0], None) if not isinstance(value, PSHashtable) else (
                value.__delitem__(args[0]) if args[0] in value else None
            )
            return None
        if lowered == "clone":
            return PSHashtable(value)
        if lowered == "getenumerator":
            return [
                PSObject("System.Collections.DictionaryEntry", {"Name": k, "Key": k, "Value": v}, to_string=to_str(k))
                for k, v in value.items()
            ]
        if lowered == "tostring":
            return to_str(value)
        raise method_error(value, name)
    if lowered == "tostring":
        if isinstance(value, int | float) and not isinstance(value, bool) and args:
            return format_value(value, to_str(args[0]))
        if isinstance(value, dt.timedelta):
            return format_timespan(value)
        return to_str(value)
    if lowered == "equals" and args:
        return value == args[0]
    if isinstance(value, bytes | bytearray) and lowered == "clone":
        return bytes(value)
    if isinstance(value, ScriptBlock) and lowered in {"invoke", "invokereturnasis"} and invoke_block is not None:
        return invoke_block(value, None, args)
    if isinstance(value, SecureString) and lowered in {"makereadonly", "dispose"}:
        return None
    if isinstance(value, TypeRef):
        raise NotModelledError(f"the method {value.name}.{name}() on a type value")
    raise method_error(value, name)
