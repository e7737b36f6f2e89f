""".NET static members scripts use: [Convert], [IO.File], [IO.Path], [Text.Encoding], [guid], [datetime], [math] …

Registered through :func:`simulator.ps.api.static_member` like any subsystem's statics. Files go
through ``host.real_path`` (absolute Windows paths only; .NET resolves relative ones against the
process directory, which is not modelled).
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import math
import uuid
from pathlib import Path, PureWindowsPath
from typing import TYPE_CHECKING, Any

from simulator.core.errors import NotModelledError, SimError
from simulator.ps.api import ENVIRONMENT_SOURCES, static_member
from simulator.ps.errorrecord import signed32
from simulator.ps.objects import PSObject
from simulator.ps.operators import format_operator
from simulator.ps.values import as_list, to_bytes, to_datetime, to_int, to_number, to_str

if TYPE_CHECKING:
    from simulator.core.host import Host

_CODECS = {
    "utf-8": ("System.Text.UTF8Encoding", "utf-8", 65001),
    "oem": ("System.Text.SBCSCodePageEncoding", "cp437", 437),
    "unicode": ("System.Text.UnicodeEncoding", "utf-16-le", 1200),
    "ascii": ("System.Text.ASCIIEncoding", "ascii", 20127),
    "utf-32": ("System.Text.UTF32Encoding", "utf-32-le", 12000),
    "bigendianunicode": ("System.Text.UnicodeEncoding", "utf-16-be", 1201),
    "default": ("System.Text.SBCSCodePageEncoding", "cp1252", 1252),
}


def dotnet_error(member: str, args: int, message: str, exception: str = "System.FormatException") -> SimError:
    """``Exception calling "X" with "N" argument(s): "…"`` (MethodInvocationException)."""
    return SimError(
        f'Exception calling "{member}" with "{args}" argument(s): "{message}"',
        exception.rsplit(".", 1)[-1],
        "NotSpecified",
        exception_type="System.Management.Automation.MethodInvocationException",
        terminating=True,
    )


def encoding_object(kind: str) -> PSObject:
    """A System.Text.Encoding object with GetBytes/GetString."""
    type_name, codec, codepage = _CODECS[kind]

    def get_bytes(text: Any) -> bytes:
        return to_str(text).encode(codec, "replace")

    def get_string(data: Any, *rest: Any) -> str:
        raw = to_bytes(data)
        if rest:
            raw = raw[to_int(rest[0]) : to_int(rest[0]) + to_int(rest[1])]
        return raw.decode(codec, "replace")

    return PSObject(
        [type_name, "System.Text.Encoding"],
        {
            "CodePage": codepage,
            "WebName": {"cp437": "ibm437", "cp1252": "Windows-1252"}.get(codec, codec),
            "EncodingName": type_name.rsplit(".", 1)[-1],
        },
        methods={
            "GetBytes": get_bytes,
            "GetString": get_string,
            "GetPreamble": lambda: b"\xef\xbb\xbf" if kind == "utf-8" else b"",
        },
        hidden={"codec": "utf-8" if kind == "utf-8" else codec},
        to_string=type_name,
    )


for _name, _kind in (
    ("UTF8", "utf-8"),
    ("Unicode", "unicode"),
    ("ASCII", "ascii"),
    ("UTF32", "utf-32"),
    ("BigEndianUnicode", "bigendianunicode"),
    ("Default", "default"),
):
    static_member(("System.Text.Encoding", "Text.Encoding"), _name)(lambda host, _k=_kind: encoding_object(_k))


@static_member(("System.Convert", "Convert"), "ToBase64String")
def convert_to_base64(host: Host, data: Any, *rest: Any) -> str:
    """[Convert]::ToBase64String(bytes)."""
    if data is None:
        raise dotnet_error(
            "ToBase64String",
            1 + len(rest),
            "Value cannot be null.\r\nParameter name: inArray",
            "System.ArgumentNullException",
        )
    return base64.b64encode(to_bytes(data)).decode("ascii")


@static_member(("System.Convert", "Convert"), "FromBase64String")
def convert_from_base64(host: Host, text: Any) -> bytes:
    """[Convert]::FromBase64String(text)."""
    cleaned = "".join(to_str(text).split())
    try:
        return base64.b64decode(cleaned, validate=True)
    except (binascii.Error, ValueError):
        raise dotnet_error(
            "FromBase64String",
            1,
            "The input is not a valid Base-64 string as it contains a non-base "
            "64 character, more than two padding characters, or an illegal character among the "
            "padding characters. ",
        ) from None


@static_member(("System.Convert", "Convert"), "ToInt32")
def convert_to_int32(host: Host, value: Any, base: Any = None) -> int:
    """[Convert]::ToInt32(value[, base])."""
    if base is not None:
        return int(to_str(value), to_int(base))
    return to_int(value)


def _file(host: Host, path: Any, member: str, args: int) -> Path:
    text = to_str(path)
    if not PureWindowsPath(text).drive:
        raise NotModelledError(f"[IO.File]::{member} with a relative path ('{text}')")
    try:
        return host.real_path(text)
    except ValueError as exc:
        raise dotnet_error(member, args, str(exc), "System.IO.DirectoryNotFoundException") from None


def _missing(member: str, args: int, path: Any) -> SimError:
    return dotnet_error(member, args, f"Could not find file '{to_str(path)}'.", "System.IO.FileNotFoundException")


@static_member(("System.IO.File", "IO.File"), "ReadAllBytes")
def file_read_all_bytes(host: Host, path: Any) -> bytes:
    """[IO.File]::ReadAllBytes(path)."""
    real = _file(host, path, "ReadAllBytes", 1)
    if not real.is_file():
        raise _missing("ReadAllBytes", 1, path)
    return real.read_bytes()


@static_member(("System.IO.File", "IO.File"), "ReadAllText")
def file_read_all_text(host: Host, path: Any, *encoding: Any) -> str:
    """[IO.File]::ReadAllText(path) (UTF-8, BOM stripped)."""
    real = _file(host, path, "ReadAllText", 1 + len(encoding))
    if not real.is_file():
        raise _missing("ReadAllText", 1 + len(encoding), path)
    data = real.read_bytes()
    if data.startswith(b"\xff\xfe"):
        return data[2:].decode("utf-16-le", "replace")
    return data.decode("utf-8-sig", "replace")


@static_member(("System.IO.File", "IO.File"), "WriteAllBytes")
def file_write_all_bytes(host: Host, path: Any, data: Any) -> None:
    """[IO.File]::WriteAllBytes(path, bytes)."""
    real = _file(host, path, "WriteAllBytes", 2)
    if not real.parent.is_dir():
        raise dotnet_error(
            "WriteAllBytes",
            2,
            f"Could not find a part of the path '{to_str(path)}'.",
            "System.IO.DirectoryNotFoundException",
        )
    real.write_bytes(to_bytes(data))


@static_member(("System.IO.File", "IO.File"), "WriteAllText")
def file_write_all_text(host: Host, path: Any, text: Any, *encoding: Any) -> None:
    """[IO.File]::WriteAllText(path, text[, encoding]) (UTF-8 without BOM by default)."""
    real = _file(host, path, "WriteAllText", 2 + len(encoding))
    if not real.parent.is_dir():
        raise dotnet_error(
            "WriteAllText",
            2 + len(encoding),
            f"Could not find a part of the path '{to_str(path)}'.",
            "System.IO.DirectoryNotFoundException",
        )
    codec = encoding[0].hidden.get("codec", "utf-8") if encoding and isinstance(encoding[0], PSObject) else "utf-8"
    prefix = b"\xef\xbb\xbf" if encoding and codec == "utf-8" else b""
    real.write_bytes(prefix + to_str(text).encode(codec))


@static_member(("System.IO.File", "IO.File"), "Exists")
def file_exists(host: Host, path: Any) -> bool:
    """[IO.File]::Exists(path)."""
    try:
        return _file(host, path, "Exists", 1).is_file()
    except SimError:
        return False


@static_member(("System.IO.File", "IO.File"), "Delete")
def file_delete(host: Host, path: Any) -> None:
    """[IO.File]::Delete(path) (no error when missing, as .NET)."""
    real = _file(host, path, "Delete", 1)
    if real.is_file():
        real.unlink()


@static_member(("System.IO.Path", "IO.Path"), "Combine")
def path_combine(host: Host, *parts: Any) -> str:
    """[IO.Path]::Combine(a, b, …)."""
    result = ""
    for part in (to_str(p) for p in parts):
        if PureWindowsPath(part).drive or part.startswith("\\"):
            result = part
        elif result and not result.endswith(("\\", "/", ":")):
            result = f"{result}\\{part}"
        else:
            result += part
    return result


@static_member(("System.IO.Path", "IO.Path"), "GetFileName")
def path_get_file_name(host: Host, path: Any) -> str:
    """[IO.Path]::GetFileName(path)."""
    return to_str(path).replace("/", "\\").rsplit("\\", 1)[-1]


@static_member(("System.IO.Path", "IO.Path"), "GetDirectoryName")
def path_get_directory_name(host: Host, path: Any) -> str:
    """[IO.Path]::GetDirectoryName(path)."""
    return to_str(path).replace("/", "\\").rsplit("\\", 1)[0] if "\\" in to_str(path).replace("/", "\\") else ""


@static_member(("System.IO.Path", "IO.Path"), "GetExtension")
def path_get_extension(host: Host, path: Any) -> str:
    """[IO.Path]::GetExtension(path)."""
    name = path_get_file_name(host, path)
    return "." + name.rsplit(".", 1)[1] if "." in name else ""


@static_member(("System.IO.Path", "IO.Path"), "GetTempPath")
def path_get_temp_path(host: Host) -> str:
    """[IO.Path]::GetTempPath()."""
    return "C:\\Windows\\TEMP\\"


@static_member(("System.Guid", "Guid"), "NewGuid")
def guid_new(host: Host) -> uuid.UUID:
    """[guid]::NewGuid()."""
    return uuid.uuid4()


@static_member(("System.Guid", "Guid"), "Empty")
def guid_empty(host: Host) -> uuid.UUID:
    """[guid]::Empty."""
    return uuid.UUID(int=0)


@static_member(("System.DateTime", "DateTime"), "UtcNow")
def datetime_utc_now(host: Host) -> dt.datetime:
    """[datetime]::UtcNow (the host's simulated clock)."""
    return host.clock.now()


@static_member(("System.DateTime", "DateTime"), "Now")
def datetime_now(host: Host) -> dt.datetime:
    """[datetime]::Now (hosts run in UTC)."""
    return host.clock.now()


@static_member(("System.DateTime", "DateTime"), "Today")
def datetime_today(host: Host) -> dt.datetime:
    """[datetime]::Today."""
    return host.clock.now().replace(hour=0, minute=0, second=0, microsecond=0)


@static_member(("System.DateTime", "DateTime"), "Parse")
def datetime_parse(host: Host, text: Any, *rest: Any) -> dt.datetime:
    """[datetime]::Parse(text)."""

    return to_datetime(to_str(text))


@static_member(("System.String", "String"), "IsNullOrEmpty")
def string_is_null_or_empty(host: Host, value: Any) -> bool:
    """[string]::IsNullOrEmpty(value)."""
    return value is None or to_str(value) == ""


@static_member(("System.String", "String"), "IsNullOrWhiteSpace")
def string_is_null_or_whitespace(host: Host, value: Any) -> bool:
    """[string]::IsNullOrWhiteSpace(value)."""
    return value is None or to_str(value).strip() == ""


@static_member(("System.String", "String"), "Join")
def string_join(host: Host, separator: Any, *values: Any) -> str:
    """[string]::Join(sep, values)."""
    items = as_list(values[0]) if len(values) == 1 else list(values)
    return to_str(separator).join(to_str(v) for v in items)


@static_member(("System.String", "String"), "Empty")
def string_empty(host: Host) -> str:
    """[string]::Empty."""
    return ""


@static_member(("System.String", "String"), "Format")
def string_format(host: Host, template: Any, *args: Any) -> str:
    """[string]::Format(template, args…)."""

    return format_operator(template, list(args[0]) if len(args) == 1 and isinstance(args[0], list) else list(args))


@static_member(("System.Math", "Math"), "Round")
def math_round(host: Host, value: Any, digits: Any = 0) -> float:
    """[math]::Round(x[, digits]) (banker's rounding, as .NET)."""
    return float(round(float(to_number(value)), to_int(digits)))


for _fn_name, _fn in (("Floor", math.floor), ("Ceiling", math.ceil), ("Abs", abs), ("Sqrt", math.sqrt)):
    static_member(("System.Math", "Math"), _fn_name)(lambda host, v, _f=_fn: _f(to_number(v)))
static_member(("System.Math", "Math"), "Max")(lambda host, a, b: max(to_number(a), to_number(b)))
static_member(("System.Math", "Math"), "Min")(lambda host, a, b: min(to_number(a), to_number(b)))
static_member(("System.Math", "Math"), "Pow")(lambda host, a, b: float(to_number(a)) ** float(to_number(b)))
static_member(("System.Int32", "Int32", "int"), "MaxValue")(lambda host: 2**31 - 1)
static_member(("System.Int32", "Int32", "int"), "MinValue")(lambda host: -(2**31))
static_member(("System.Int64", "Int64", "long"), "MaxValue")(lambda host: 2**63 - 1)
static_member(("System.Int32", "Int32", "int"), "Parse")(lambda host, v: to_int(to_str(v)))
static_member(("System.Environment", "Environment"), "NewLine")(lambda host: "\r\n")
static_member(("System.Environment", "Environment"), "OSVersion")(
    lambda host: PSObject(
        "System.OperatingSystem",
        {
            "Platform": "Win32NT",
            "Version": {"2016": "10.0.14393.0", "2019": "10.0.17763.0", "2022": "10.0.20348.0"}.get(
                host.os_version, "10.0.14393.0"
            ),
        },
        to_string="Microsoft Windows NT 10.0.14393.0",
    )
)


@static_member(("System.Environment", "Environment"), "MachineName")
def environment_machine_name(host: Host) -> str:
    """[Environment]::MachineName: COMPUTERNAME as the identity subsystem reports it (else the topology name)."""
    name = str(host.info.get("name", ""))
    for source in ENVIRONMENT_SOURCES:
        name = source(host).get("COMPUTERNAME", name)
    return name.upper()


EXCEPTION_TYPES = {
    "System.Exception": 0x80131500,
    "System.InvalidOperationException": 0x80131509,
    "System.ArgumentException": 0x80070057,
    "System.NotSupportedException": 0x80131515,
    "System.Management.Automation.RuntimeException": 0x80131501,
}


def exception_object(type_name: str, message: Any = None) -> PSObject:
    """A .NET exception object, for ``throw [System.InvalidOperationException]::new('…')``."""
    text = to_str(message) if message is not None else f"Exception of type '{type_name}' was thrown."
    return PSObject(
        [type_name, "System.Exception", "System.Object"],
        {"Message": text, "HResult": signed32(EXCEPTION_TYPES[type_name]), "InnerException": None, "Data": {}},
        to_string=f"{type_name}: {text}",
    )


for _type in EXCEPTION_TYPES:
    _short = _type.removeprefix("System.")
    static_member((_type, _short), "new")(lambda host, *args, _t=_type: exception_object(_t, *args[:1]))
