"""How registry values look to PowerShell, and how PowerShell values become registry data.

PowerShell sees REG_DWORD as a signed Int32 and REG_QWORD as a signed Int64, REG_EXPAND_SZ already
expanded, REG_MULTI_SZ as string[] and REG_BINARY as byte[]. Writing goes the other way, with
``-Type``/``-PropertyType`` names (``DWord``, ``String`` …) or, without one, the kind the existing
value has, or the kind .NET's ``RegistryKey.SetValue`` infers from the object's type.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from simulator.core.errors import SimError
from simulator.ps import api
from simulator.ps.objects import PSEnum, PSObject, enum_factory
from simulator.services.registry.model import decode_data

if TYPE_CHECKING:
    from simulator.core.host import Host

# Microsoft.Win32.RegistryValueKind
VALUE_KIND = enum_factory(
    "Microsoft.Win32.RegistryValueKind",
    {"Unknown": 0, "String": 1, "ExpandString": 2, "Binary": 3, "DWord": 4, "MultiString": 7, "QWord": 11,
     "None": -1},
)
KIND_TO_TYPE = {"String": "REG_SZ", "ExpandString": "REG_EXPAND_SZ", "Binary": "REG_BINARY", "DWord": "REG_DWORD",
                "MultiString": "REG_MULTI_SZ", "QWord": "REG_QWORD", "None": "REG_NONE"}
TYPE_TO_KIND = {v: k for k, v in KIND_TO_TYPE.items()}

# Environment values used to expand REG_EXPAND_SZ when no environment source overrides them.
BASE_ENVIRONMENT = {"SystemRoot": r"C:\Windows", "windir": r"C:\Windows", "SystemDrive": "C:",
                    "ProgramFiles": r"C:\Program Files", "ProgramData": r"C:\ProgramData"}
_PERCENT_VAR = re.compile(r"%([^%]+)%")


def expand(host: Host, text: str) -> str:
    """Expand ``%VAR%`` as ExpandEnvironmentStrings does (unknown names stay as written)."""
    env = {k.lower(): v for k, v in BASE_ENVIRONMENT.items()}
    for source in api.ENVIRONMENT_SOURCES:
        env.update({k.lower(): v for k, v in source(host).items()})
    return _PERCENT_VAR.sub(lambda m: env.get(m.group(1).lower(), m.group(0)), text)


def ps_value(host: Host, value: dict[str, Any]) -> Any:
    """The value as PowerShell shows it (Get-ItemProperty, GetValue)."""
    data = decode_data(value)
    if value["type"] == "REG_DWORD":
        return data - (1 << 32) if data >= 1 << 31 else data
    if value["type"] == "REG_QWORD":
        return data - (1 << 64) if data >= 1 << 63 else data
    if value["type"] == "REG_EXPAND_SZ":
        return expand(host, data)
    return data


def kind(value_type: str) -> PSEnum:
    """The RegistryValueKind of a stored type."""
    return VALUE_KIND(TYPE_TO_KIND[value_type])


def _conversion_error(value: Any, target: str) -> SimError:
    # ASSUMPTION: the conversion failure is reported like PowerShell's argument conversion error.
    return SimError(
        f'Cannot convert value "{value}" to type "{target}". Error: "Input string was not in a correct format."',
        "System.Management.Automation.PSInvalidCastException",
        "InvalidArgument",
        exception_type="System.Management.Automation.PSInvalidCastException",
    )


def _as_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "True" if value else "False"
    if isinstance(value, PSObject):
        return value.text()
    if isinstance(value, list):
        return " ".join(_as_text(v) for v in value)
    return str(value)


def _as_integer(value: Any, bits: int, target: str) -> int:
    if isinstance(value, list) and len(value) == 1:
        value = value[0]
    if value is None:
        return 0
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        number = value
    elif isinstance(value, float) and value.is_integer():
        number = int(value)
    else:
        text = _as_text(value).strip()
        try:
            number = int(text, 16) if text.lower().startswith("0x") else int(text, 10)
        except ValueError:
            raise _conversion_error(value, target) from None
    # Negative numbers are stored as their two's complement, as .NET does for Int32/Int64.
    if not -(1 << (bits - 1)) <= number < (1 << bits):
        raise _conversion_error(value, target)
    return number & ((1 << bits) - 1)


def _as_bytes(value: Any) -> bytes:
    if isinstance(value, bytes):
        return value
    if isinstance(value, list) and all(isinstance(v, int) and 0 <= v <= 255 for v in value):
        return bytes(value)
    if isinstance(value, int) and 0 <= value <= 255:
        return bytes([value])
    raise _conversion_error(value, "System.Byte[]")


CONVERTERS: dict[str, Callable[[Any], Any]] = {
    "REG_SZ": _as_text,
    "REG_EXPAND_SZ": _as_text,
    "REG_DWORD": lambda v: _as_integer(v, 32, "System.Int32"),
    "REG_QWORD": lambda v: _as_integer(v, 64, "System.Int64"),
    "REG_MULTI_SZ": lambda v: [_as_text(i) for i in v] if isinstance(v, list) else [_as_text(v)],
    "REG_BINARY": _as_bytes,
    "REG_NONE": _as_bytes,
}


def type_from_kind_name(kind_name: str) -> str | None:
    """``DWord`` -> ``REG_DWORD``; ``Unknown`` -> None (infer). Case-insensitive.

    Raises:
        SimError: for a name RegistryValueKind does not have.
    """
    for name, value_type in KIND_TO_TYPE.items():
        if name.lower() == kind_name.lower():
            return value_type
    if kind_name.lower() == "unknown":
        return None
    raise SimError(
        f'Cannot bind parameter \'Type\'. Cannot convert value "{kind_name}" to type '
        '"Microsoft.Win32.RegistryValueKind". Error: "Unable to match the identifier name '
        f"{kind_name} to a valid enumerator name. Specify one of the following enumerator names and try again:"
        ' String, ExpandString, Binary, DWord, MultiString, QWord, Unknown, None"',
        "CannotConvertArgumentNoMessage",
        "InvalidArgument",
        exception_type="System.Management.Automation.ParameterBindingException",
        terminating=True,
    )


def inferred_type(value: Any) -> str:
    """The type ``RegistryKey.SetValue`` picks for a value written without a kind."""
    if isinstance(value, bool):
        return "REG_SZ"
    if isinstance(value, int):
        return "REG_DWORD" if -(1 << 31) <= value < (1 << 31) else "REG_QWORD"
    if isinstance(value, bytes):
        return "REG_BINARY"
    if isinstance(value, list) and value and all(isinstance(v, str) for v in value):
        return "REG_MULTI_SZ"
    return "REG_SZ"


def to_registry_data(value_type: str, value: Any) -> Any:
    """Convert a PowerShell value to the data stored for ``value_type`` (raises SimError if it cannot)."""
    return CONVERTERS[value_type](value)
