"""The FileSystem provider: drive paths (``C:\\…``) mapped onto the host's drive folders.

Windows file names are case-insensitive, so every path is resolved against the existing entries
case-insensitively (the item keeps its stored casing). Every write goes through
:func:`~simulator.core.host.atomic_write_bytes`, so a kill -9 never leaves a torn file, and is checked
against the drive's virtual capacity. Timestamps follow the simulated clock.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import shutil
from pathlib import Path
from typing import Any

from simulator.core.errors import NotModelledError, SimError, prompt_refused
from simulator.core.host import Host, atomic_write_bytes
from simulator.ps.api import Invocation, Provider, register_provider
from simulator.ps.objects import PSEnum, PSObject
from simulator.services.filesystem import errors
from simulator.services.filesystem.capacity import free_bytes
from simulator.services.filesystem.encoding import bom_encoding, canonical, decode, encode, split_lines
from simulator.services.filesystem.items import item_object, leaf_of, parent_of, pspath
from simulator.services.filesystem.paths import command_class

_ILLEGAL = re.compile(r'[<>"|:*?\x00-\x1f]')


def _stamp(host: Host, real: Path) -> None:
    """Set the file's times to the simulated clock."""
    now = host.clock.now().timestamp()
    os.utime(real, (now, now))


def text_of(value: Any) -> str:
    """How Set-Content turns one value into text (its ToString)."""
    if isinstance(value, bool):
        return "True" if value else "False"
    if isinstance(value, PSObject):
        return value.text()
    if isinstance(value, PSEnum):
        return value.name
    if isinstance(value, dt.datetime):
        return value.strftime("%m/%d/%Y %I:%M:%S %p").lstrip("0").replace("/0", "/")
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dict):
        return "System.Collections.Hashtable"
    return str(value)


def flatten(values: Any) -> list[Any]:
    """Values as PowerShell enumerates them into a cmdlet (arrays unrolled, bytes kept whole)."""
    if values is None:
        return []
    if isinstance(values, list | tuple):
        out: list[Any] = []
        for value in values:
            out.extend(flatten(value) if isinstance(value, list | tuple) else [value])
        return out
    return [values]


def _to_bytes(values: list[Any], cls: str) -> bytes:
    out = bytearray()
    for value in values:
        if isinstance(value, bytes | bytearray):
            out += value
            continue
        try:
            number = int(value)
        except (TypeError, ValueError):
            number = -1
        if not 0 <= number <= 255:
            raise SimError(
                f'Cannot convert value "{text_of(value)}" to type "System.Byte". Error: "Input string was not in '
                'a correct format."',
                f"InvalidCastFromStringToInteger,{cls}",
                "InvalidArgument",
                hresult=0x80004002,
                exception_type="System.Management.Automation.PSInvalidCastException",
            )
        out.append(number)
    return bytes(out)


class FileSystemProvider(Provider):
    """``C:\\`` and the host's other drive letters."""

    name = "FileSystem"
    prefixes = tuple(f"{letter}:" for letter in "abcdefghijklmnopqrstuvwxyz")

    # ------------------------------------------------------------------------------ paths
    def normalise(self, path: str) -> str:
        """``c:/a//b/`` -> ``C:\\a\\b``; ``C:`` -> ``C:\\``."""
        drive, _, rest = path.partition(":")
        parts = [p for p in re.split(r"[\\/]+", rest) if p not in {"", "."}]
        return f"{drive.upper()}:\\" + "\\".join(parts)

    def locate(self, inv: Invocation, path: str, default_command: str) -> tuple[str, Path]:
        """The path with the stored casing of its existing parts, and its real file.

        Raises:
            SimError: DriveNotFound for a drive the host lacks; a NotModelled error for UNC paths.
        """
        if path.startswith("\\\\"):
            raise NotModelledError(f"UNC path {path}")
        letter = path[0].upper()
        if letter not in inv.host.drives:
            raise errors.drive_not_found(command_class(inv, default_command), letter)
        parts = [p for p in path[3:].split("\\") if p]
        if any(p == ".." or _ILLEGAL.search(p) for p in parts):
            raise errors.invalid_path(command_class(inv, default_command), path)
        real = inv.host.state_dir / letter
        stored: list[str] = []
        for index, part in enumerate(parts):
            entry = part
            if not (real / part).exists() and real.is_dir():
                lowered = part.lower()
                match = next((e for e in os.listdir(real) if e.lower() == lowered), None)
                if match is None:
                    stored.extend(parts[index:])
                    real = real.joinpath(*parts[index:])
                    break
                entry = match
            stored.append(entry)
            real = real / entry
        return f"{letter}:\\" + "\\".join(stored), real

    def _existing(self, inv: Invocation, path: str, default_command: str) -> tuple[str, Path]:
        windows, real = self.locate(inv, path, default_command)
        if not real.exists():
            raise errors.not_found(command_class(inv, default_command), path)
        return windows, real

    # ------------------------------------------------------------------------------ items
    def get_item(self, inv: Invocation, path: str) -> list[Any]:
        """Get-Item."""
        windows, real = self._existing(inv, path, "Get-Item")
        return [item_object(windows, real)]

    def get_child_items(self, inv: Invocation, path: str, recurse: bool) -> list[Any]:
        """Get-ChildItem: folders first, then files, each by name; -Recurse descends after each level."""
        windows, real = self._existing(inv, path, "Get-ChildItem")
        if not real.is_dir():
            return [item_object(windows, real)]
        return self._list(windows, real, recurse)

    def _list(self, windows: str, real: Path, recurse: bool) -> list[Any]:
        entries = sorted(os.listdir(real), key=str.lower)
        folders = [e for e in entries if (real / e).is_dir()]
        files = [e for e in entries if not (real / e).is_dir()]
        base = windows.rstrip("\\")
        out = [item_object(f"{base}\\{e}", real / e, listed=True) for e in folders + files]
        if recurse:
            for folder in folders:
                out.extend(self._list(f"{base}\\{folder}", real / folder, True))
        return out

    def exists(self, inv: Invocation, path: str) -> bool:
        """Test-Path (a missing drive is simply False)."""
        try:
            return self.locate(inv, path, "Test-Path")[1].exists()
        except SimError:
            return False

    def is_container(self, inv: Invocation, path: str) -> bool:
        """Whether the path is an existing folder (Test-Path -PathType Container)."""
        try:
            return self.locate(inv, path, "Test-Path")[1].is_dir()
        except SimError:
            return False

    def new_item(self, inv: Invocation, path: str, item_type: str | None, value: Any, force: bool) -> Any:
        """New-Item -ItemType File (the default) or Directory."""
        cls = command_class(inv, "New-Item")
        kind = (item_type or "File").lower()
        if kind not in {"file", "directory"}:
            raise NotModelledError(f"New-Item -ItemType {item_type} on the FileSystem provider")
        windows, real = self.locate(inv, path, "New-Item")
        if kind == "directory":
            if real.exists():
                if real.is_dir() and force:
                    return item_object(windows, real)
                raise errors.directory_exists(cls, windows)
            real.mkdir(parents=True)
            _stamp(inv.host, real)
            return item_object(windows, real)
        if real.is_dir():
            raise errors.directory_exists(cls, windows)
        if real.exists() and not force:
            raise errors.file_exists(cls, windows)
        if not real.parent.is_dir():
            if not force:
                raise errors.part_not_found(cls, windows, "NewItemIOError")
            real.parent.mkdir(parents=True)
        # ASSUMPTION: New-Item -Value writes the text as Set-Content -NoNewline would (ANSI, no line break).
        data = b"" if value is None else encode("".join(text_of(v) for v in flatten(value)), None, with_bom=False)
        self._write(inv, windows, real, data, cls)
        return item_object(windows, real)

    def remove_item(self, inv: Invocation, path: str, recurse: bool, force: bool) -> None:
        """Remove-Item of a file, or of a folder (non-empty only with -Recurse)."""
        windows, real = self._existing(inv, path, "Remove-Item")
        if parent_of(windows) is None:
            raise NotModelledError(f"Remove-Item of the drive root {windows}")
        if real.is_dir():
            if any(real.iterdir()) and not recurse:
                raise prompt_refused(command_class(inv, "Remove-Item"), windows,
                                     f"The item at {windows} has children and the Recurse parameter was not "
                                     "specified.")
            shutil.rmtree(real)
        else:
            real.unlink()

    def copy_item(self, inv: Invocation, path: str, destination: str) -> Any:
        """Copy-Item of a file, or of a folder (its contents only with -Recurse, as on Windows)."""
        cls = command_class(inv, "Copy-Item")
        source_windows, source = self._existing(inv, path, "Copy-Item")
        target_windows, target = self.locate(inv, destination, "Copy-Item")
        if target.is_dir():
            target_windows = f"{target_windows.rstrip(chr(92))}\\{leaf_of(source_windows)}"
            target = target / source.name
        if not target.parent.is_dir():
            raise errors.part_not_found(cls, target_windows, "CopyDirectoryInfoItemIOError")
        if source.is_dir():
            self._copy_tree(inv, source, target, bool(inv.get("Recurse")), cls, target_windows)
        else:
            self._write(inv, target_windows, target, source.read_bytes(), cls)
        return item_object(target_windows, target)

    def _copy_tree(self, inv: Invocation, source: Path, target: Path, recurse: bool, cls: str, windows: str) -> None:
        target.mkdir(exist_ok=True)
        _stamp(inv.host, target)
        if not recurse:
            return
        for entry in sorted(source.iterdir()):
            child_windows = f"{windows}\\{entry.name}"
            if entry.is_dir():
                self._copy_tree(inv, entry, target / entry.name, True, cls, child_windows)
            else:
                self._write(inv, child_windows, target / entry.name, entry.read_bytes(), cls)

    def move_item(self, inv: Invocation, path: str, destination: str) -> Any:
        """Move-Item (rename, or move into an existing folder); across drives it copies then deletes."""
        cls = command_class(inv, "Move-Item")
        source_windows, source = self._existing(inv, path, "Move-Item")
        target_windows, target = self.locate(inv, destination, "Move-Item")
        if target.is_dir() and target != source:
            target_windows = f"{target_windows.rstrip(chr(92))}\\{leaf_of(source_windows)}"
            target = target / source.name
        if not target.parent.is_dir():
            raise errors.part_not_found(cls, target_windows, "MoveFileInfoItemIOError")
        if target.exists() and target != source:
            if not inv.get("Force") or target.is_dir():
                raise errors.destination_exists(cls, target_windows)
            target.unlink()
        if source_windows[0] != target_windows[0] and source.is_file():
            self._write(inv, target_windows, target, source.read_bytes(), cls)
            source.unlink()
        else:
            os.replace(source, target)
        return item_object(target_windows, target)

    # ------------------------------------------------------------------------------ content
    def get_content(self, inv: Invocation, path: str, raw: bool, encoding: str | None) -> list[Any]:
        """Lines (BOM dropped), one string with -Raw, or bytes with -Encoding Byte."""
        cls = command_class(inv, "Get-Content")
        windows, real = self._existing(inv, path, "Get-Content")
        if real.is_dir():
            raise errors.access_denied(cls, windows, "GetContentReaderUnauthorizedAccessError")
        data = real.read_bytes()
        if canonical(encoding) == "Byte":
            if raw:
                return [data] if data else []
            return list(data)
        text = decode(data, canonical(encoding))
        if raw:
            return [text] if text else []
        return list(split_lines(text))

    def set_content(self, inv: Invocation, path: str, value: list[Any], encoding: str | None,
                    append: bool, no_newline: bool) -> None:
        """Set-Content / Add-Content: each value then CRLF (none with -NoNewline), in 5.1's encodings."""
        cls = command_class(inv, "Add-Content" if append else "Set-Content")
        windows, real = self.locate(inv, path, "Set-Content")
        if real.is_dir():
            raise errors.access_denied(cls, windows, "GetContentWriterUnauthorizedAccessError")
        if not real.parent.is_dir():
            raise errors.part_not_found(cls, windows, "GetContentWriterDirectoryNotFoundError")
        existing = real.read_bytes() if append and real.exists() else b""
        chosen = canonical(encoding)
        values = [v for v in flatten(value) if v is not None]
        if chosen == "Byte":
            data = _to_bytes(values, cls)
        else:
            if chosen is None and existing:
                # ASSUMPTION: Add-Content without -Encoding keeps the encoding of a file that has a BOM.
                chosen = bom_encoding(existing)
            separator = "" if no_newline else "\r\n"
            text = "".join(text_of(v) + separator for v in values)
            data = encode(text, chosen, with_bom=not existing)
        self._write(inv, windows, real, existing + data, cls)

    def _write(self, inv: Invocation, windows: str, real: Path, data: bytes, cls: str) -> None:
        old = real.stat().st_size if real.is_file() else 0
        if len(data) - old > free_bytes(inv.host, windows[0]):
            raise errors.disk_full(cls, windows)
        atomic_write_bytes(real, data, mode=0o644)
        _stamp(inv.host, real)

    # ------------------------------------------------------------------------------ properties
    def get_item_property(self, inv: Invocation, path: str, names: list[str] | None) -> list[Any]:
        """Get-ItemProperty: the item itself, or only the named properties with the PS* ones."""
        windows, real = self._existing(inv, path, "Get-ItemProperty")
        item = item_object(windows, real)
        if not names:
            return [item]
        props: dict[str, Any] = {}
        for name in names:
            if not item.has(name):
                raise SimError(
                    f"Property {name} does not exist at path {windows}.",
                    f"System.Management.Automation.PSArgumentException,{command_class(inv, 'Get-ItemProperty')}",
                    "InvalidArgument",
                    target=name,
                    exception_type="System.Management.Automation.PSArgumentException",
                )
            props[name] = item.get(name)
        parent = parent_of(windows)
        props.update(
            {
                "PSPath": pspath(windows),
                "PSParentPath": pspath(parent) if parent else "",
                "PSChildName": leaf_of(windows),
                "PSDrive": item.get("PSDrive"),
                "PSProvider": item.get("PSProvider"),
            }
        )
        return [PSObject("System.Management.Automation.PSCustomObject", props)]


FILESYSTEM = register_provider(FileSystemProvider())
