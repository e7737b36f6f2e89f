"""Text encodings of Windows PowerShell 5.1's FileSystem provider (Get-/Set-/Add-Content -Encoding).

5.1 differs from PowerShell 7 here, and scripts depend on it: Set-Content writes the ANSI code page
(1252) by default, ``-Encoding UTF8`` writes a byte-order mark, ``Unicode`` is UTF-16LE with a BOM, and
Get-Content detects a BOM (and drops it) before falling back to ANSI.
"""

from __future__ import annotations

import codecs
import re

from simulator.core.errors import SimError

# -Encoding values of 5.1 (FileSystemCmdletProviderEncoding), canonical spelling.
ENCODING_NAMES = (
    "Unknown", "String", "Unicode", "Byte", "BigEndianUnicode", "UTF8", "UTF7", "UTF32", "Ascii", "Default",
    "Oem", "BigEndianUTF32",
)

# name -> (python codec, byte-order mark written at the start of a new file)
_CODECS: dict[str, tuple[str, bytes]] = {
    "default": ("cp1252", b""),
    "ascii": ("ascii", b""),
    "oem": ("cp437", b""),
    "utf8": ("utf-8", codecs.BOM_UTF8),
    "utf7": ("utf-7", b""),
    "unicode": ("utf-16-le", codecs.BOM_UTF16_LE),
    "string": ("utf-16-le", codecs.BOM_UTF16_LE),
    "unknown": ("utf-16-le", codecs.BOM_UTF16_LE),
    "bigendianunicode": ("utf-16-be", codecs.BOM_UTF16_BE),
    "utf32": ("utf-32-le", codecs.BOM_UTF32_LE),
    "bigendianutf32": ("utf-32-be", codecs.BOM_UTF32_BE),
}

# Checked longest first: the UTF-32LE mark starts with the UTF-16LE one.
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le", "utf32"),
    (codecs.BOM_UTF32_BE, "utf-32-be", "bigendianutf32"),
    (codecs.BOM_UTF8, "utf-8", "utf8"),
    (codecs.BOM_UTF16_LE, "utf-16-le", "unicode"),
    (codecs.BOM_UTF16_BE, "utf-16-be", "bigendianunicode"),
)


def _ansi_passthrough(error: UnicodeError) -> tuple[str, int]:
    """Windows maps the five bytes cp1252 leaves undefined to the C1 control characters."""
    if not isinstance(error, UnicodeDecodeError):
        raise error
    return error.object[error.start : error.end].decode("latin-1"), error.end


codecs.register_error("hvrepl-ansi", _ansi_passthrough)


def canonical(name: str | None) -> str | None:
    """The canonical -Encoding name, or None when not given.

    Raises:
        SimError: for a name 5.1 does not accept (the binder's ValidateSet-style message).
    """
    if name is None:
        return None
    for known in ENCODING_NAMES:
        if known.lower() == str(name).lower():
            return known
    raise SimError(
        f"Cannot bind parameter 'Encoding'. Cannot convert value \"{name}\" to type "
        '"Microsoft.PowerShell.Commands.FileSystemCmdletProviderEncoding". Error: "Unable to match the '
        f'identifier name {name} to a valid enumerator name. Specify one of the following enumerator names and '
        f'try again:{chr(13)}{chr(10)}{", ".join(ENCODING_NAMES)}"',
        "CannotConvertArgumentNoMessage,Microsoft.PowerShell.Commands.SetContentCommand",
        "InvalidArgument",
        exception_type="System.Management.Automation.ParameterBindingException",
        terminating=True,
    )


def bom_encoding(data: bytes) -> str | None:
    """The -Encoding name whose byte-order mark ``data`` starts with, or None."""
    for bom, _, name in _BOMS:
        if data.startswith(bom):
            return name
    return None


def encode(text: str, encoding: str | None, *, with_bom: bool) -> bytes:
    """``text`` as bytes in a 5.1 -Encoding (None = Default, the ANSI code page).

    Characters the code page lacks become ``?``, as .NET's encoders do.
    """
    codec, bom = _CODECS[(encoding or "Default").lower()]
    body = text.encode(codec, errors="replace")
    return (bom if with_bom else b"") + body


def decode(data: bytes, encoding: str | None) -> str:
    """Text of a file: a byte-order mark wins (and is dropped), else ``encoding`` (None = ANSI)."""
    for bom, codec, _ in _BOMS:
        if data.startswith(bom):
            return data[len(bom) :].decode(codec, errors="replace")
    codec, _ = _CODECS[(encoding or "Default").lower()]
    if codec == "cp1252":
        return data.decode(codec, errors="hvrepl-ansi")
    return data.decode(codec, errors="replace")


_LINE_BREAK = re.compile(r"\r\n|\r|\n")


def split_lines(text: str) -> list[str]:
    """Lines as StreamReader.ReadLine gives them: CRLF, CR or LF end a line; no empty last line."""
    if not text:
        return []
    lines = _LINE_BREAK.split(text)
    if lines and lines[-1] == "":
        lines.pop()
    return lines
