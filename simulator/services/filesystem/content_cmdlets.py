"""The generic content and property cmdlets (Get-/Set-/Add-Content, *-ItemProperty, Get-PSDrive).

Like the item cmdlets they dispatch on the path to the provider; the FileSystem provider implements
content, the Registry provider properties, and a provider that lacks an operation refuses it loudly.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from typing import Any

from simulator.core.errors import NotModelledError, SimError
from simulator.ps.api import Invocation, Param, Provider, cmdlet
from simulator.ps.objects import NotedString, PSObject
from simulator.services.filesystem.capacity import capacity_bytes, free_bytes
from simulator.services.filesystem.dispatch import run_each
from simulator.services.filesystem.encoding import ENCODING_NAMES
from simulator.services.filesystem.errors import not_found
from simulator.services.filesystem.items import PROVIDER_NAME
from simulator.services.filesystem.paths import command_class, like


def _path_params() -> tuple[Param, ...]:
    return (
        Param("Path", "string[]", position=0, from_pipeline_by_property=True),
        Param("LiteralPath", "string[]", aliases=("PSPath",), from_pipeline_by_property=True),
    )


@cmdlet(
    "Get-Content",
    *_path_params(),
    Param("Raw", "switch"),
    Param("Encoding", "string", validate_set=ENCODING_NAMES),
    Param("TotalCount", "int", aliases=("First", "Head")),
    Param("Tail", "int", aliases=("Last",)),
    summary="Lines of each file (BOM dropped), -Raw as one string, -Encoding Byte as bytes; -TotalCount, -Tail.",
    not_modelled="-ReadCount, -Delimiter, -Wait, -Stream, -Filter/-Include/-Exclude, -Credential.",
    aliases=("gc", "cat", "type"),
    area="items",
)
def get_content(inv: Invocation) -> Iterable[Any]:
    """Get-Content: lines (or bytes) in 5.1's encodings; -TotalCount/-Tail count lines (or bytes).

    Not modelled: -ReadCount, -Delimiter, -Wait, alternate data streams, filters, -Credential.
    """
    raw, encoding = bool(inv.get("Raw")), inv.get("Encoding")

    def one(provider: Provider, path: str) -> list[Any]:
        values = provider.get_content(inv, path, raw, encoding)
        if provider.name == "FileSystem":
            reading = getattr(inv.session, "reading_file", None)
            if reading is not None:
                reading(path)
            values = _with_line_notes(values, path)
        if inv.has("TotalCount") and not raw:
            count = int(inv.get("TotalCount"))
            values = values[:count] if count >= 0 else values
        if inv.has("Tail") and not raw:
            count = int(inv.get("Tail"))
            values = values[-count:] if count > 0 else []
        return values

    return run_each(inv, "Get-Content", one)


def _with_line_notes(values: list[Any], path: str) -> list[Any]:
    """Attach the note properties 5.1 puts on every line Get-Content emits (PSPath …, ReadCount = line number)."""
    # ASSUMPTION: -Raw's single string carries them too, with ReadCount 1; the PSDrive/PSProvider objects hold
    # the properties Get-PSDrive shows (their other members are not modelled).
    windows = path.rstrip("\\")
    parent, _, child = windows.rpartition("\\")
    parent = parent + "\\" if parent.endswith(":") else parent  # C:\hosts -> C:\ as the parent
    letter = windows[:1].upper()
    notes: dict[str, Any] = {
        "PSPath": f"{PROVIDER_NAME}::{windows}",
        "PSParentPath": f"{PROVIDER_NAME}::{parent}",
        "PSChildName": child,
        "PSDrive": _drive_info(letter, PROVIDER_NAME, f"{letter}:\\", None, None),
        "PSProvider": PSObject("System.Management.Automation.ProviderInfo",
                               {"Name": "FileSystem", "PSSnapIn": "Microsoft.PowerShell.Core",
                                "ImplementingType": "Microsoft.PowerShell.Commands.FileSystemProvider"},
                               to_string=PROVIDER_NAME),
    }
    return [NotedString.with_notes(v, {**notes, "ReadCount": number}) if isinstance(v, str) else v
            for number, v in enumerate(values, start=1)]


_HASHES = {"SHA1": "sha1", "SHA256": "sha256", "SHA384": "sha384", "SHA512": "sha512", "MD5": "md5"}


@cmdlet(
    "Get-FileHash",
    *_path_params(),
    Param("Algorithm", "string", position=1,
          validate_set=("SHA1", "SHA256", "SHA384", "SHA512", "MACTripleDES", "MD5", "RIPEMD160")),
    summary="Hash of each file (SHA256 by default) as an upper-case hex string.",
    not_modelled="-InputStream, -Algorithm MACTripleDES/RIPEMD160.",
    area="items",
)
def get_file_hash(inv: Invocation) -> Iterable[Any]:
    """Get-FileHash: reads the file's bytes through the provider and hashes them.

    Not modelled: -InputStream, the MACTripleDES and RIPEMD160 algorithms.
    """
    algorithm = str(inv.get("Algorithm", "SHA256"))
    if algorithm not in _HASHES:
        raise NotModelledError(f"Get-FileHash -Algorithm {algorithm}")

    def one(provider: Provider, path: str) -> PSObject:
        chunks = provider.get_content(inv, path, True, "Byte")
        digest = hashlib.new(_HASHES[algorithm], b"".join(chunks)).hexdigest().upper()
        return PSObject(
            "Microsoft.Powershell.Utility.FileHash",
            {"Algorithm": algorithm, "Hash": digest, "Path": path},
            default_display=("Algorithm", "Hash", "Path"),
        )

    return run_each(inv, "Get-FileHash", one)


def _write_content(inv: Invocation, command: str, append: bool) -> list[Any]:
    if inv.input_objects:
        values = list(inv.input_objects)
    elif inv.has("Value"):
        values = inv.get("Value")
    else:
        values = [] if inv.input is None else [inv.input]
    encoding, no_newline = inv.get("Encoding"), bool(inv.get("NoNewline"))

    def one(provider: Provider, path: str) -> Any:
        still_read = getattr(inv.session, "file_open_for_reading", None)
        if provider.name == "FileSystem" and still_read is not None and still_read(path):
            # `Get-Content f | Set-Content f`: the file is still open for reading when the first line arrives.
            # ASSUMPTION: reported once per file (Windows may repeat it for each piped line).
            raise SimError(
                f"The process cannot access the file '{path}' because it is being used by another process.",
                f"GetContentWriterIOError,{command_class(inv, command)}",
                "WriteError",
                exception_type="System.IO.IOException",
                target=path,
                hresult=0x80070020,
            )
        provider.set_content(inv, path, values if isinstance(values, list) else [values], encoding, append,
                             no_newline)
        return values if inv.get("PassThru") else None

    return run_each(inv, command, one)


_WRITE_PARAMS = (
    *_path_params(),
    Param("Value", "object[]", position=1, from_pipeline=True, from_pipeline_by_property=True),
    Param("Encoding", "string", validate_set=ENCODING_NAMES),
    Param("NoNewline", "switch"),
    Param("Force", "switch"),
    Param("PassThru", "switch"),
)


@cmdlet(
    "Set-Content",
    *_WRITE_PARAMS,
    summary="Replace each file's content: values joined by CRLF, ANSI by default, -Encoding UTF8 with BOM.",
    not_modelled="-Stream, -Filter/-Include/-Exclude, -Credential, -WhatIf.",
    mutates=True,
    collects_input=True,
    aliases=("sc",),
    area="items",
)
def set_content(inv: Invocation) -> Iterable[Any]:
    """Set-Content: write atomically through the provider (piped values are collected first).

    Not modelled: alternate data streams, filters, -Credential, -WhatIf.
    """
    return _write_content(inv, "Set-Content", append=False)


@cmdlet(
    "Add-Content",
    *_WRITE_PARAMS,
    summary="Append values to each file (CRLF after each; the file's BOM encoding is kept).",
    not_modelled="-Stream, -Filter/-Include/-Exclude, -Credential, -WhatIf.",
    mutates=True,
    collects_input=True,
    aliases=("ac",),
    area="items",
)
def add_content(inv: Invocation) -> Iterable[Any]:
    """Add-Content: append atomically through the provider.

    Not modelled: alternate data streams, filters, -Credential, -WhatIf.
    """
    return _write_content(inv, "Add-Content", append=True)


@cmdlet(
    "Clear-Content",
    *_path_params(),
    Param("Force", "switch"),
    summary="Empty each existing file (0 bytes).",
    not_modelled="-Stream, -Filter/-Include/-Exclude, -Credential, -WhatIf.",
    mutates=True,
    aliases=("clc",),
    area="items",
)
def clear_content(inv: Invocation) -> Iterable[Any]:
    """Clear-Content: truncate each file through the provider; a missing file is an error.

    Not modelled: alternate data streams, filters, -Credential, -WhatIf.
    """
    cls = command_class(inv, "Clear-Content")

    def one(provider: Provider, path: str) -> None:
        if not provider.exists(inv, path):
            raise not_found(cls, path)
        provider.set_content(inv, path, [], None, False, True)

    run_each(inv, "Clear-Content", one)
    return []


@cmdlet(
    "Get-ItemProperty",
    *_path_params(),
    Param("Name", "string[]", position=1),
    summary="Properties (registry values) of each item, optionally only -Name.",
    not_modelled="-Filter, -Include, -Exclude, -Credential.",
    aliases=("gp",),
    area="items",
)
def get_item_property(inv: Invocation) -> Iterable[Any]:
    """Get-ItemProperty through the provider.

    Not modelled: filters, -Credential.
    """
    names = inv.get("Name")
    return run_each(inv, "Get-ItemProperty", lambda provider, path: provider.get_item_property(inv, path, names))


@cmdlet(
    "Get-ItemPropertyValue",
    *_path_params(),
    Param("Name", "string[]", position=1, mandatory=True),
    summary="The values of the named properties of each item.",
    not_modelled="-Filter, -Include, -Exclude, -Credential.",
    aliases=("gpv",),
    area="items",
)
def get_item_property_value(inv: Invocation) -> Iterable[Any]:
    """Get-ItemPropertyValue: the provider's Get-ItemProperty, reduced to the values.

    Not modelled: filters, -Credential.
    """
    names = [str(n) for n in inv.get("Name")]

    def one(provider: Provider, path: str) -> list[Any]:
        values: list[Any] = []
        for obj in provider.get_item_property(inv, path, names):
            values.extend(obj.get(name) if isinstance(obj, PSObject) else obj for name in names)
        return values

    return run_each(inv, "Get-ItemPropertyValue", one)


def _set_property(inv: Invocation, command: str, create: bool) -> list[Any]:
    name, value = str(inv.get("Name")), inv.get("Value")
    kind = inv.get("PropertyType") if create else inv.get("Type")
    force = bool(inv.get("Force"))
    results = run_each(inv, command, lambda p, path: p.set_item_property(inv, path, name, value, kind, create, force))
    return results if create or inv.get("PassThru") else []


@cmdlet(
    "Set-ItemProperty",
    *_path_params(),
    Param("Name", "string", position=1, mandatory=True, from_pipeline_by_property=True),
    Param("Value", "object", position=2, from_pipeline=True, from_pipeline_by_property=True),
    Param("Type", "string", aliases=("PropertyType",)),
    Param("Force", "switch"),
    Param("PassThru", "switch"),
    summary="Set a property (registry value; created when missing) of each item.",
    not_modelled="-InputObject, -Filter/-Include/-Exclude, -Credential; file attributes on the FileSystem provider.",
    mutates=True,
    aliases=("sp",),
    area="items",
)
def set_item_property(inv: Invocation) -> Iterable[Any]:
    """Set-ItemProperty through the provider; -Type is the registry provider's value kind.

    Not modelled: -InputObject, filters, -Credential, file attributes.
    """
    return _set_property(inv, "Set-ItemProperty", create=False)


@cmdlet(
    "New-ItemProperty",
    *_path_params(),
    Param("Name", "string", position=1, mandatory=True, from_pipeline_by_property=True),
    Param("PropertyType", "string", aliases=("Type",), from_pipeline_by_property=True),
    Param("Value", "object", from_pipeline_by_property=True),
    Param("Force", "switch"),
    summary="Create a property (registry value) of each item; -Force overwrites.",
    not_modelled="-Filter/-Include/-Exclude, -Credential.",
    mutates=True,
    area="items",
)
def new_item_property(inv: Invocation) -> Iterable[Any]:
    """New-ItemProperty through the provider (it returns the new property object).

    Not modelled: filters, -Credential.
    """
    return _set_property(inv, "New-ItemProperty", create=True)


@cmdlet(
    "Remove-ItemProperty",
    *_path_params(),
    Param("Name", "string[]", position=1, mandatory=True, from_pipeline_by_property=True),
    Param("Force", "switch"),
    summary="Delete properties (registry values) of each item.",
    not_modelled="-Filter/-Include/-Exclude, -Credential.",
    mutates=True,
    aliases=("rp",),
    area="items",
)
def remove_item_property(inv: Invocation) -> Iterable[Any]:
    """Remove-ItemProperty through the provider, one call per name.

    Not modelled: filters, -Credential.
    """
    names = [str(n) for n in inv.get("Name")]

    def one(provider: Provider, path: str) -> None:
        for name in names:
            provider.remove_item_property(inv, path, name)

    run_each(inv, "Remove-ItemProperty", one)
    return []


# Drives other than the host's disks, as Get-PSDrive lists them on Server 2016.
_OTHER_DRIVES = (
    ("Alias", "Alias", ""),
    ("Cert", "Microsoft.PowerShell.Security\\Certificate", "\\"),
    ("Env", "Environment", ""),
    ("Function", "Function", ""),
    ("HKCU", "Microsoft.PowerShell.Core\\Registry", "HKEY_CURRENT_USER"),
    ("HKLM", "Microsoft.PowerShell.Core\\Registry", "HKEY_LOCAL_MACHINE"),
    ("Variable", "Variable", ""),
    ("WSMan", "WSMan", ""),
)


def _drive_info(name: str, provider: str, root: str, used: int | None, free: int | None) -> PSObject:
    return PSObject(
        "System.Management.Automation.PSDriveInfo",
        {"Name": name, "Used": used, "Free": free, "Provider": provider, "Root": root, "CurrentLocation": "",
         "Description": ""},
        to_string=name,
        default_display=("Name", "Used", "Free", "Provider", "Root", "CurrentLocation"),
    )


@cmdlet(
    "Get-PSDrive",
    Param("Name", "string[]", position=0),
    Param("PSProvider", "string[]"),
    summary="The host's drives (disks with Used/Free from the virtual capacity) and the provider drives.",
    not_modelled="-Scope, -LiteralName, -UseTransaction; New-PSDrive/Remove-PSDrive.",
    aliases=("gdr",),
    area="items",
)
def get_ps_drive(inv: Invocation) -> Iterable[Any]:
    """Get-PSDrive: disks report Used/Free in bytes from the simulated capacity.

    Not modelled: scopes, -LiteralName, creating or removing drives.
    """
    drives: list[PSObject] = []
    for letter in inv.host.drives:
        free = free_bytes(inv.host, letter)
        drives.append(_drive_info(letter, PROVIDER_NAME, f"{letter}:\\", capacity_bytes(inv.host, letter) - free, free))
    drives += [_drive_info(n, p, r, None, None) for n, p, r in _OTHER_DRIVES]
    drives.sort(key=lambda d: str(d.get("Name")).lower())
    if inv.has("PSProvider"):
        wanted = [str(p) for p in inv.get("PSProvider")]
        drives = [d for d in drives if any(like(str(d.get("Provider")).rsplit("\\", 1)[-1], w) for w in wanted)]
    if not inv.has("Name"):
        return drives
    out: list[Any] = []
    for pattern in (str(n) for n in inv.get("Name")):
        matched = [d for d in drives if like(str(d.get("Name")), pattern)]
        if not matched and not any(c in pattern for c in "*?["):
            inv.write_error(
                SimError(
                    f"Cannot find drive. A drive with the name '{pattern}' does not exist.",
                    "GetDriveNoMatchingDrive,Microsoft.PowerShell.Commands.GetPSDriveCommand",
                    "ObjectNotFound",
                    target=pattern,
                    exception_type="System.Management.Automation.DriveNotFoundException",
                )
            )
        out.extend(matched)
    return out
