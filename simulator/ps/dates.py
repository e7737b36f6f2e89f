""".NET DateTime formatting (``ToString('yyyy-MM-dd')``, ``'o'``, ``'s'``, ``'u'``) and the DateTime object view.

Scripts format dates for JSON and logs; this module gives the same text a Windows host (en-US
culture) would.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from simulator.core.errors import NotModelledError

_TOKEN = re.compile(
    r"yyyy|yy|MMMM|MMM|MM|M|dddd|ddd|dd|d|HH|H|hh|h|mm|m|ss|s|fffffff|ffffff|fff|ff|f|tt|zzz|K|'[^']*'|\"[^\"]*\"|\\.|.",
    re.S,
)


def _local(value: dt.datetime) -> dt.datetime:
    # ASSUMPTION: the simulated hosts run in UTC, so local time equals UTC.
    return value.astimezone(dt.UTC) if value.tzinfo else value


def format_datetime(value: dt.datetime, spec: str) -> str:
    """``$date.ToString(spec)`` with the invariant/en-US names."""
    value = _local(value)
    standard = {
        "o": lambda v: v.strftime("%Y-%m-%dT%H:%M:%S.") + f"{v.microsecond * 10:07d}Z",
        "s": lambda v: v.strftime("%Y-%m-%dT%H:%M:%S"),
        "u": lambda v: v.strftime("%Y-%m-%d %H:%M:%SZ"),
        "d": lambda v: f"{v.month}/{v.day}/{v.year}",
        "g": lambda v: f"{v.month}/{v.day}/{v.year} {_hour12(v)}:{v.minute:02} {_ampm(v)}",
        "G": default_text,
        "t": lambda v: f"{_hour12(v)}:{v.minute:02} {_ampm(v)}",
        "T": lambda v: f"{_hour12(v)}:{v.minute:02}:{v.second:02} {_ampm(v)}",
        "D": lambda v: v.strftime("%A, %B ") + f"{v.day}, {v.year}",
        "F": long_text,
        "R": lambda v: v.strftime("%a, %d %b %Y %H:%M:%S GMT"),
        "r": lambda v: v.strftime("%a, %d %b %Y %H:%M:%S GMT"),
    }
    if len(spec) == 1:
        if spec in {"O"}:
            return standard["o"](value)
        if spec in standard:
            return standard[spec](value)
        raise NotModelledError(f"the DateTime standard format '{spec}'")
    out = []
    for token in _TOKEN.findall(spec):
        out.append(_custom(value, token))
    return "".join(out)


def _hour12(value: dt.datetime) -> int:
    return value.hour % 12 or 12


def _ampm(value: dt.datetime) -> str:
    return "AM" if value.hour < 12 else "PM"


def _custom(v: dt.datetime, token: str) -> str:
    table: dict[str, Any] = {
        "yyyy": f"{v.year:04}",
        "yy": f"{v.year % 100:02}",
        "MMMM": v.strftime("%B"),
        "MMM": v.strftime("%b"),
        "MM": f"{v.month:02}",
        "M": str(v.month),
        "dddd": v.strftime("%A"),
        "ddd": v.strftime("%a"),
        "dd": f"{v.day:02}",
        "d": str(v.day),
        "HH": f"{v.hour:02}",
        "H": str(v.hour),
        "hh": f"{_hour12(v):02}",
        "h": str(_hour12(v)),
        "mm": f"{v.minute:02}",
        "m": str(v.minute),
        "ss": f"{v.second:02}",
        "s": str(v.second),
        "tt": _ampm(v),
        "zzz": "+00:00",
        "K": "Z",
    }
    if token in table:
        return str(table[token])
    if token.startswith("f"):
        return f"{v.microsecond * 10:07d}"[: len(token)]
    if token[:1] in {"'", '"'}:
        return token[1:-1]
    if token.startswith("\\"):
        return token[1:]
    return token


def default_text(value: dt.datetime) -> str:
    """``$date.ToString()`` in en-US: ``11/29/2026 6:55:50 PM``."""
    v = _local(value)
    return f"{v.month}/{v.day}/{v.year} {_hour12(v)}:{v.minute:02}:{v.second:02} {_ampm(v)}"


def long_text(value: dt.datetime) -> str:
    """How Out-Default shows a DateTime: ``Sunday, November 29, 2026 6:55:50 PM``."""
    v = _local(value)
    return f"{v.strftime('%A, %B')} {v.day}, {v.year} {_hour12(v)}:{v.minute:02}:{v.second:02} {_ampm(v)}"


class NotedDateTime(dt.datetime):
    """A DateTime as Get-Date emits it: 5.1 attaches the note properties DisplayHint and DateTime.

    So ``Get-Date | ConvertTo-Json`` gives an object (value, DisplayHint, DateTime), not a string.
    """

    @classmethod
    def of(cls, value: dt.datetime) -> NotedDateTime:
        """Wrap a datetime."""
        return cls(
            value.year,
            value.month,
            value.day,
            value.hour,
            value.minute,
            value.second,
            value.microsecond,
            tzinfo=value.tzinfo,
        )


def plain(value: dt.datetime) -> dt.datetime:
    """The bare DateTime (results of DateTime arithmetic carry no note properties)."""
    return dt.datetime.combine(value.date(), value.time(), tzinfo=value.tzinfo)


def epoch_ms(value: dt.datetime) -> int:
    """Milliseconds since 1970-01-01 UTC (for ``\\/Date(ms)\\/``)."""
    aware = value if value.tzinfo else value.replace(tzinfo=dt.UTC)
    return int((aware - dt.datetime(1970, 1, 1, tzinfo=dt.UTC)).total_seconds() * 1000)
