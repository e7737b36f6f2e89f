"""FileInfo / DirectoryInfo objects as the FileSystem provider emits them (with the PS* note properties).

A script reads ``$item.FullName``, ``.Length``, ``.LastWriteTime``, ``.PSIsContainer`` or pipes the item
on by its ``PSPath``; these builders give each property the value and type Windows PowerShell 5.1 does.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from simulator.ps.objects import PSEnum, PSObject

PROVIDER_NAME = "Microsoft.PowerShell.Core\\FileSystem"
FILE_TYPE = "System.IO.FileInfo"
DIRECTORY_TYPE = "System.IO.DirectoryInfo"
_ARCHIVE = PSEnum("System.IO.FileAttributes", "Archive", 32)
_DIRECTORY = PSEnum("System.IO.FileAttributes", "Directory", 16)
_TABLE = ("Mode", "LastWriteTime", "Length", "Name")


def pspath(windows_path: str) -> str:
    """``C:\\x`` -> ``Microsoft.PowerShell.Core\\FileSystem::C:\\x``."""
    return f"{PROVIDER_NAME}::{windows_path}"


def parent_of(windows_path: str) -> str | None:
    """The parent folder (``C:\\a\\b`` -> ``C:\\a``, ``C:\\a`` -> ``C:\\``); None for a root."""
    stripped = windows_path.rstrip("\\")
    if stripped.endswith(":"):
        return None
    head = stripped.rpartition("\\")[0]
    return head + "\\" if head.endswith(":") else head


def leaf_of(windows_path: str) -> str:
    """The last segment (``C:\\a\\b.txt`` -> ``b.txt``; a root gives ``C:\\``)."""
    stripped = windows_path.rstrip("\\")
    return windows_path if stripped.endswith(":") else stripped.rpartition("\\")[2]


def _drive_object(letter: str) -> PSObject:
    return PSObject(
        "System.Management.Automation.PSDriveInfo",
        {"Name": letter, "Root": f"{letter}:\\", "Provider": PROVIDER_NAME, "Description": ""},
        to_string=letter,
    )


def _provider_object() -> PSObject:
    return PSObject(
        "System.Management.Automation.ProviderInfo",
        {"Name": "FileSystem", "ModuleName": "Microsoft.PowerShell.Core", "PSSnapIn": "Microsoft.PowerShell.Core"},
        to_string=PROVIDER_NAME,
    )


def _times(stat_mtime: float) -> dict[str, dt.datetime]:
    written = dt.datetime.fromtimestamp(stat_mtime, tz=dt.UTC)
    # ASSUMPTION: the simulator keeps one timestamp per file (the last write, on the simulated clock);
    # creation and access times report the same instant.
    return {
        "CreationTime": written,
        "CreationTimeUtc": written,
        "LastAccessTime": written,
        "LastAccessTimeUtc": written,
        "LastWriteTime": written,
        "LastWriteTimeUtc": written,
    }


def shallow_directory(windows_path: str) -> PSObject:
    """A DirectoryInfo with only its names (used for ``.Directory``, ``.Parent`` and ``.Root``)."""
    return PSObject(
        [DIRECTORY_TYPE, "System.IO.FileSystemInfo", "System.MarshalByRefObject", "System.Object"],
        {"Name": leaf_of(windows_path), "FullName": windows_path},
        to_string=leaf_of(windows_path),
    )


def _common(windows_path: str, container: bool) -> dict[str, Any]:
    parent = parent_of(windows_path)
    letter = windows_path[0].upper()
    return {
        "PSPath": pspath(windows_path),
        "PSParentPath": pspath(parent) if parent is not None else "",
        "PSChildName": leaf_of(windows_path),
        "PSDrive": _drive_object(letter),
        "PSProvider": _provider_object(),
        "PSIsContainer": container,
        "Mode": "d-----" if container else "-a----",
    }


def _split_name(name: str) -> tuple[str, str]:
    stem, dot, ext = name.rpartition(".")
    if not dot or not stem:
        return name, ""
    return stem, "." + ext


def file_object(windows_path: str, real: Path, *, listed: bool = False) -> PSObject:
    """The FileInfo for an existing file.

    ``listed``: the object comes from a folder listing; 5.1's (.NET Framework's) ToString() of such an
    object is the bare name, while Get-Item's objects give the full path — scripts that pass ``"$_"`` on
    as a path break on Windows for exactly this reason, so the simulator keeps the difference.
    """
    stat = real.stat()
    name = leaf_of(windows_path)
    base, extension = _split_name(name)
    parent = parent_of(windows_path) or windows_path
    props = _common(windows_path, False)
    props.update(
        {
            "BaseName": base,
            "Target": [],
            "LinkType": None,
            "Name": name,
            "Length": stat.st_size,
            "DirectoryName": parent,
            "Directory": shallow_directory(parent),
            "IsReadOnly": False,
            "Exists": True,
            "FullName": windows_path,
            "Extension": extension,
            **_times(stat.st_mtime),
            "Attributes": _ARCHIVE,
        }
    )
    return PSObject(
        [FILE_TYPE, "System.IO.FileSystemInfo", "System.MarshalByRefObject", "System.Object"],
        props,
        to_string=name if listed else windows_path,
        default_display=_TABLE,
        hidden={"real_path": str(real)},
    )


def directory_object(windows_path: str, real: Path, *, listed: bool = False) -> PSObject:
    """The DirectoryInfo for an existing folder (a drive root too); ``listed`` as for :func:`file_object`."""
    stat = real.stat()
    name = leaf_of(windows_path)
    parent = parent_of(windows_path)
    props = _common(windows_path, True)
    props.update(
        {
            "BaseName": name,
            "Target": [],
            "LinkType": None,
            "Name": name,
            "Parent": shallow_directory(parent) if parent is not None else None,
            "Exists": True,
            "Root": shallow_directory(f"{windows_path[0].upper()}:\\"),
            "FullName": windows_path,
            "Extension": _split_name(name)[1],
            **_times(stat.st_mtime),
            "Attributes": _DIRECTORY,
        }
    )
    return PSObject(
        [DIRECTORY_TYPE, "System.IO.FileSystemInfo", "System.MarshalByRefObject", "System.Object"],
        props,
        to_string=name if listed else windows_path,
        default_display=_TABLE,
        hidden={"real_path": str(real)},
    )


def item_object(windows_path: str, real: Path, *, listed: bool = False) -> PSObject:
    """FileInfo or DirectoryInfo, whichever ``real`` is."""
    if real.is_dir():
        return directory_object(windows_path, real, listed=listed)
    return file_object(windows_path, real, listed=listed)
