"""PowerShell operators: arithmetic, comparison (case-insensitive by default), -like/-match/-replace/-split, -f.

The left operand decides the comparison type, and an array on the left filters instead of comparing,
as in PowerShell 5.1.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from simulator.core.errors import NotModelledError, SimError
from simulator.ps.dates import format_datetime
from simulator.ps.objects import PSEnum, PSHashtable
from simulator.ps.values import (
    TypeRef,
    as_list,
    cast,
    format_double,
    is_type,
    to_bool,
    to_datetime,
    to_number,
    to_str,
)


def runtime_error(message: str, fqid: str, category: str = "InvalidOperation") -> SimError:
    """A RuntimeException as the engine raises it for operator failures."""
    return SimError(
        message, fqid, category, exception_type="System.Management.Automation.RuntimeException", terminating=True
    )


# ------------------------------------------------------------------------------ arithmetic
def add(left: Any, right: Any) -> Any:
    """``+``: numbers add, strings concatenate, arrays append, hashtables merge."""
    if left is None:
        return right if not isinstance(right, list) else list(right)
    if isinstance(left, str):
        return left + to_str(right)
    if isinstance(left, list | tuple):
        return [*left, *(right if isinstance(right, list | tuple) else [right])]
    if isinstance(left, PSHashtable):
        merged = PSHashtable(left)
        for key, value in (right or {}).items():
            if key in merged:
                raise runtime_error(
                    f"Item has already been added. Key in dictionary: '{key}'  Key being added: '{key}'",
                    "System.ArgumentException",
                    "NotSpecified",
                )
            merged[key] = value
        return merged
    if isinstance(left, dt.datetime) and isinstance(right, dt.timedelta):
        return dt.datetime.combine(left.date(), left.time(), tzinfo=left.tzinfo) + right
    if isinstance(left, dt.timedelta) and isinstance(right, dt.timedelta):
        return left + right
    return _numeric(left, right, lambda a, b: a + b)


def _numeric(left: Any, right: Any, op: Any) -> Any:
    a = to_number(left, "System.Double")
    b = to_number(right, "System.Double")
    result = op(a, b)
    if isinstance(result, int) and not -(2**63) <= result < 2**63:
        return float(result)
    return result


def subtract(left: Any, right: Any) -> Any:
    """``-``."""
    if isinstance(left, dt.datetime) and isinstance(right, dt.datetime):
        return left - right
    if isinstance(left, dt.datetime) and isinstance(right, dt.timedelta):
        return dt.datetime.combine(left.date(), left.time(), tzinfo=left.tzinfo) - right
    if isinstance(left, list | tuple | str) and not isinstance(left, str):
        raise runtime_error(
            "Method invocation failed because [System.Object[]] does not contain a method named 'op_Subtraction'.",
            "MethodNotFound",
        )
    return _numeric(left, right, lambda a, b: a - b)


def multiply(left: Any, right: Any) -> Any:
    """``*``: strings and arrays repeat."""
    if isinstance(left, str):
        return left * int(to_number(right))
    if isinstance(left, list | tuple):
        return list(left) * int(to_number(right))
    return _numeric(left, right, lambda a, b: a * b)


def divide(left: Any, right: Any) -> Any:
    """``/``: integer result when exact, else a double."""
    a = to_number(left, "System.Double")
    b = to_number(right, "System.Double")
    if b == 0:
        raise runtime_error("Attempted to divide by zero.", "RuntimeException", "NotSpecified")
    if isinstance(a, int) and isinstance(b, int) and a % b == 0:
        return a // b
    return a / b


def modulo(left: Any, right: Any) -> Any:
    """``%`` (sign of the dividend, as .NET)."""
    a = to_number(left)
    b = to_number(right)
    if b == 0:
        raise runtime_error("Attempted to divide by zero.", "RuntimeException", "NotSpecified")
    result = abs(a) % abs(b)
    return -result if a < 0 else result


ARITHMETIC = {"+": add, "-": subtract, "*": multiply, "/": divide, "%": modulo}


# ------------------------------------------------------------------------------ comparison
def _coerce_right(left: Any, right: Any) -> Any:
    """Convert the right operand to the left operand's type, as PowerShell compares."""
    if isinstance(left, bool):
        return to_bool(right)
    if isinstance(left, int | float) and not isinstance(left, bool):
        try:
            return to_number(right)
        except SimError:
            return None
    if isinstance(left, str):
        return to_str(right)
    if isinstance(left, dt.datetime) and isinstance(right, str):
        return to_datetime(right)
    return right


def equals(left: Any, right: Any, case_sensitive: bool = False) -> bool:
    """``-eq`` on scalars."""
    if left is None or right is None:
        return left is None and right is None
    if isinstance(left, PSEnum):
        if isinstance(right, str):
            return left.name.lower() == right.lower() if not case_sensitive else left.name == right
        return left == right
    if isinstance(left, str):
        other = to_str(right) if not isinstance(right, PSEnum) else right.name
        return left == other if case_sensitive else left.lower() == other.lower()
    coerced = _coerce_right(left, right)
    if coerced is None and right is not None and isinstance(left, int | float):
        return False
    try:
        return bool(left == coerced)
    except TypeError:
        return False


def compare(left: Any, right: Any, case_sensitive: bool = False) -> int:
    """Ordering used by -lt/-gt and Sort-Object: negative, zero or positive."""
    if left is None and right is None:
        return 0
    if left is None:
        return -1
    if right is None:
        return 1
    if isinstance(left, PSEnum):
        left = left.value
        right = right.value if isinstance(right, PSEnum) else right
    if isinstance(left, str):
        a, b = left, to_str(right)
        if not case_sensitive:
            a, b = a.lower(), b.lower()
        return (a > b) - (a < b)
    coerced = _coerce_right(left, right)
    if coerced is None:
        a2, b2 = to_str(left).lower(), to_str(right).lower()
        return (a2 > b2) - (a2 < b2)
    try:
        return (left > coerced) - (left < coerced)
    except TypeError:
        a3, b3 = to_str(left).lower(), to_str(coerced).lower()
        return (a3 > b3) - (a3 < b3)


def wildcard_regex(pattern: str) -> str:
    """Translate a PowerShell wildcard (``* ? [a-z]``, backtick escapes) to an anchored regex."""
    out = []
    i = 0
    while i < len(pattern):
        ch = pattern[i]
        if ch == "`" and i + 1 < len(pattern):
            out.append(re.escape(pattern[i + 1]))
            i += 2
            continue
        if ch == "*":
            out.append(".*")
        elif ch == "?":
            out.append(".")
        elif ch == "[":
            end = pattern.find("]", i + 1)
            if end == -1:
                out.append(re.escape(ch))
            else:
                out.append("[" + pattern[i + 1 : end].replace("\\", "\\\\") + "]")
                i = end
        else:
            out.append(re.escape(ch))
        i += 1
    return "^" + "".join(out) + "$"


def like(value: Any, pattern: Any, case_sensitive: bool = False) -> bool:
    """``-like``."""
    flags = re.S if case_sensitive else re.S | re.I
    return re.match(wildcard_regex(to_str(pattern)), to_str(value), flags) is not None


def dotnet_regex(pattern: str) -> str:
    """A .NET regular expression in Python's dialect (named groups ``(?<n>…)``)."""
    return re.sub(r"\(\?<([A-Za-z_]\w*)>", r"(?P<\1>", pattern)


def compile_regex(pattern: Any, case_sensitive: bool = False) -> re.Pattern[str]:
    """Compile, reporting an invalid pattern as PowerShell does."""
    text = to_str(pattern)
    try:
        return re.compile(dotnet_regex(text), 0 if case_sensitive else re.I)
    except re.error as exc:
        raise runtime_error(
            f"The regular expression pattern {text} is not valid.", "InvalidRegularExpression", "InvalidOperation"
        ) from exc


def match_groups(match: re.Match[str]) -> PSHashtable:
    """``$matches`` for a successful -match."""
    table = PSHashtable()
    table[0] = match.group(0)
    for index, group in enumerate(match.groups(), start=1):
        if group is not None:
            table[index] = group
    for name, group in match.groupdict().items():
        if group is not None:
            table[name] = group
    return table


def replace(value: Any, pattern: Any, replacement: Any, case_sensitive: bool = False) -> str:
    """``-replace`` (regex; ``$1``/``${name}`` in the replacement)."""
    regex = compile_regex(pattern, case_sensitive)
    text = to_str(replacement)
    python_repl = re.sub(
        r"\$\{(\w+)\}|\$(\d+)|\$\$",
        lambda m: "$" if m.group(0) == "$$" else f"\\g<{m.group(1) or m.group(2)}>",
        text.replace("\\", "\\\\"),
    )
    return regex.sub(python_repl, to_str(value))


def split(value: Any, pattern: Any, case_sensitive: bool = False) -> list[str]:
    """``-split`` (regex)."""
    parts: list[str] = []
    for item in as_list(value):
        parts.extend(compile_regex(pattern, case_sensitive).split(to_str(item)))
    return parts


def unary_split(value: Any) -> list[str]:
    """``-split $x``: split on whitespace, dropping empties."""
    return [p for item in as_list(value) for p in to_str(item).strip().split()]


def join(value: Any, separator: Any) -> str:
    """``-join``."""
    return to_str(separator).join(to_str(v) for v in as_list(value))


def contains(collection: Any, item: Any, case_sensitive: bool = False) -> bool:
    """``-contains``."""
    return any(equals(element, item, case_sensitive) for element in as_list(collection))


def _scalar_compare(op: str, left: Any, right: Any, case_sensitive: bool) -> bool:
    if op == "eq":
        return equals(left, right, case_sensitive)
    if op == "ne":
        return not equals(left, right, case_sensitive)
    if op in {"gt", "ge", "lt", "le"}:
        if left is None or right is None:
            order = compare(left, right, case_sensitive)
        else:
            order = compare(left, right, case_sensitive)
        return {"gt": order > 0, "ge": order >= 0, "lt": order < 0, "le": order <= 0}[op]
    if op == "like":
        return like(left, right, case_sensitive)
    if op == "notlike":
        return not like(left, right, case_sensitive)
    raise NotModelledError(f"the -{op} operator")


FILTERING = {"eq", "ne", "gt", "ge", "lt", "le", "like", "notlike", "match", "notmatch"}


def comparison(op_text: str, left: Any, right: Any, variables: dict[str, Any]) -> Any:
    """Evaluate ``left -op right``; ``variables`` receives ``matches`` after -match."""
    op = op_text.lower().lstrip("-")
    case_sensitive = False
    if op[0] in "ci" and op[1:] in FILTERING | {"contains", "notcontains", "in", "notin", "replace", "split"}:
        case_sensitive = op[0] == "c"
        op = op[1:]
    if op in {"match", "notmatch"}:
        regex = compile_regex(right, case_sensitive)
        if isinstance(left, list | tuple):
            hits = [v for v in left if regex.search(to_str(v))]
            return hits if op == "match" else [v for v in left if v not in hits]
        found = regex.search(to_str(left))
        if found and op == "match":
            variables["matches"] = match_groups(found)
        return bool(found) if op == "match" else not found
    if op in FILTERING:
        if isinstance(left, list | tuple):
            return [v for v in left if _scalar_compare(op, v, right, case_sensitive)]
        return _scalar_compare(op, left, right, case_sensitive)
    if op == "contains":
        return contains(left, right, case_sensitive)
    if op == "notcontains":
        return not contains(left, right, case_sensitive)
    if op == "in":
        return contains(right, left, case_sensitive)
    if op == "notin":
        return not contains(right, left, case_sensitive)
    if op in {"is", "isnot"}:
        name = right.name if isinstance(right, TypeRef) else to_str(right)
        result = is_type(left, name)
        return result if op == "is" else not result
    if op == "as":
        name = right.name if isinstance(right, TypeRef) else to_str(right)
        try:
            return cast(left, name)
        except SimError:
            return None
    if op == "replace":
        pair = as_list(right)
        pattern = pair[0] if pair else ""
        replacement = pair[1] if len(pair) > 1 else ""
        if isinstance(left, list | tuple):
            return [replace(v, pattern, replacement, case_sensitive) for v in left]
        return replace(left, pattern, replacement, case_sensitive)
    if op == "split":
        if isinstance(right, list | tuple) and len(right) == 2:
            limit = int(to_number(right[1]))
            regex = compile_regex(right[0], case_sensitive)
            return [p for item in as_list(left) for p in regex.split(to_str(item), maxsplit=max(0, limit - 1))]
        return split(left, right, case_sensitive)
    if op == "join":
        return join(left, right)
    raise NotModelledError(f"the -{op} operator")


# ------------------------------------------------------------------------------ -f
def _format_number(value: Any, spec: str) -> str:
    kind = spec[:1].upper()
    digits = int(spec[1:]) if spec[1:].isdigit() else None
    if kind == "N":
        return f"{float(to_number(value)):,.{2 if digits is None else digits}f}"
    if kind == "F":
        return f"{float(to_number(value)):.{2 if digits is None else digits}f}"
    if kind == "D":
        return str(int(to_number(value))).zfill(digits or 0)
    if kind == "X":
        number = int(to_number(value))
        if number < 0:
            number &= 0xFFFFFFFF if number >= -(2**31) else 0xFFFFFFFFFFFFFFFF  # .NET prints two's complement
        text = f"{number:X}" if spec[0] == "X" else f"{number:x}"
        return text.zfill(digits or 0)
    if kind == "P":
        return f"{float(to_number(value)) * 100:,.{2 if digits is None else digits}f} %"
    if re.fullmatch(r"[0#,.]+", spec):
        decimals = len(spec.split(".", 1)[1]) if "." in spec else 0
        grouping = "," if "," in spec.split(".", 1)[0] else ""
        return f"{float(to_number(value)):{grouping}.{decimals}f}"
    raise NotModelledError(f"the .NET format string '{spec}'")


def format_value(value: Any, spec: str) -> str:
    """One ``{i:spec}`` item of a .NET composite format."""
    if not spec:
        return to_str(value) if not isinstance(value, float) else format_double(value)
    if isinstance(value, dt.datetime):
        return format_datetime(value, spec)
    return _format_number(value, spec)


def format_operator(template: Any, args: Any) -> str:
    """``"{0} {1:N2}" -f $a, $b``."""
    items = as_list(args)
    text = to_str(template)

    def item(match: re.Match[str]) -> str:
        if match.group(0) in {"{{", "}}"}:
            return match.group(0)[0]
        index = int(match.group(1))
        if index >= len(items):
            raise runtime_error(
                "Error formatting a string: Index (zero based) must be greater than or equal to "
                "zero and less than the size of the argument list..",
                "FormatError",
            )
        formatted = format_value(items[index], match.group(3) or "")
        width = int(match.group(2)) if match.group(2) else 0
        return formatted.rjust(width) if width > 0 else formatted.ljust(-width)

    return re.sub(r"\{\{|\}\}|\{(\d+)(?:,\s*(-?\d+))?(?::([^}]*))?\}", item, text)
