"""Out-File: pipeline output written to a file, UTF-16LE with a BOM by default as in Windows PowerShell 5.1.

Scripts (and ``>`` redirection) use it to save text; the 5.1 default encoding differs from Set-Content's
ANSI default, which is a classic source of files other tools cannot read. Objects are written as the
console would show them.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from simulator.core.errors import SimError
from simulator.ps.api import Invocation, Param, Provider, cmdlet
from simulator.ps.objects import PSEnum, PSObject
from simulator.services.filesystem.dispatch import resolve
from simulator.services.filesystem.paths import command_class
from simulator.services.filesystem.provider import FileSystemProvider, flatten, text_of

OUT_FILE_ENCODINGS = ("Unknown", "String", "Unicode", "BigEndianUnicode", "UTF8", "UTF7", "UTF32", "Ascii",
                      "Default", "Oem")


def _lines(values: list[Any]) -> list[str]:
    """Strings and scalars one per line; objects formatted as Out-Default shows them."""
    lines: list[str] = []
    objects: list[Any] = []

    def flush() -> None:
        if objects:
            from simulator.ps.formatting import format_objects  # noqa: PLC0415 - the interpreter's formatter

            text = format_objects(list(objects))
            lines.extend(text.split("\r\n")[:-1] if text.endswith("\r\n") else text.split("\r\n"))
            objects.clear()

    for value in values:
        if isinstance(value, PSObject | dict) and not isinstance(value, PSEnum):
            objects.append(value)
            continue
        flush()
        lines.append(text_of(value))
    flush()
    return lines


@cmdlet(
    "Out-File",
    Param("FilePath", "string", position=0, aliases=("Path",)),
    Param("LiteralPath", "string", aliases=("PSPath",)),
    Param("Encoding", "string", position=1, validate_set=OUT_FILE_ENCODINGS),
    Param("InputObject", "object", from_pipeline=True),
    Param("Append", "switch"),
    Param("NoClobber", "switch", aliases=("NoOverwrite",)),
    Param("NoNewline", "switch"),
    Param("Force", "switch"),
    summary="Write pipeline output to a file (Unicode = UTF-16LE with BOM by default, -Append, -NoClobber).",
    not_modelled="-Width (lines are not wrapped), -WhatIf.",
    mutates=True,
    collects_input=True,
    area="items",
)
def out_file(inv: Invocation) -> Iterable[Any]:
    """Out-File: the text of every piped object, one line each, in 5.1's default Unicode encoding.

    Not modelled: -Width (no wrapping of long lines), -WhatIf.
    """
    inv.name = inv.name or "Out-File"
    target = inv.get("LiteralPath") or inv.get("FilePath")
    if target is None:
        raise SimError(
            "Cannot process command because of one or more missing mandatory parameters: FilePath.",
            "MissingMandatoryParameter,Microsoft.PowerShell.Commands.OutFileCommand",
            "InvalidArgument",
            exception_type="System.Management.Automation.ParameterBindingException",
            terminating=True,
        )
    values = list(inv.input_objects) if inv.input_objects else flatten(inv.get("InputObject"))
    provider, path = resolve(inv, str(target), "Out-File")
    if not isinstance(provider, FileSystemProvider):
        raise SimError(
            f"Cannot open file because the current provider ({provider.name}) cannot open a file.",
            "ReadWriteFileNotFileSystemProvider,Microsoft.PowerShell.Commands.OutFileCommand",
            "ReadError",
            exception_type="System.Management.Automation.PSInvalidOperationException",
            terminating=True,
        )
    _check_clobber(inv, provider, path)
    encoding = str(inv.get("Encoding", "Unicode"))
    provider.set_content(inv, path, _lines(values), encoding, bool(inv.get("Append")), bool(inv.get("NoNewline")))
    return []


def _check_clobber(inv: Invocation, provider: Provider, path: str) -> None:
    if inv.get("NoClobber") and not inv.get("Append") and provider.exists(inv, path):
        raise SimError(
            f"The file '{path}' already exists.",
            f"NoClobber,{command_class(inv, 'Out-File')}",
            "ResourceExists",
            hresult=0x80070050,
            target=path,
            exception_type="System.IO.IOException",
            terminating=True,
        )
