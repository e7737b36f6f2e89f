"""The FileSystem provider's errors, with the texts, FullyQualifiedErrorIds and HRESULTs of Windows.

Each builder takes the .NET command class (``Microsoft.PowerShell.Commands.GetContentCommand``) because
PowerShell suffixes every FullyQualifiedErrorId with the cmdlet that failed.
"""

from __future__ import annotations

from simulator.core.errors import SimError

_IO = "System.IO.IOException"


def not_found(command_class: str, path: str) -> SimError:
    """``Cannot find path 'C:\\x' because it does not exist.``"""
    return SimError(
        f"Cannot find path '{path}' because it does not exist.",
        f"PathNotFound,{command_class}",
        "ObjectNotFound",
        hresult=0x80131501,
        target=path,
        exception_type="System.Management.Automation.ItemNotFoundException",
    )


def drive_not_found(command_class: str, letter: str) -> SimError:
    """``Cannot find drive. A drive with the name 'Q' does not exist.``"""
    return SimError(
        f"Cannot find drive. A drive with the name '{letter}' does not exist.",
        f"DriveNotFound,{command_class}",
        "ObjectNotFound",
        hresult=0x80131501,
        target=letter,
        exception_type="System.Management.Automation.DriveNotFoundException",
    )


def part_not_found(command_class: str, path: str, error_id: str) -> SimError:
    """``Could not find a part of the path 'C:\\no\\x.txt'.`` (the parent folder is missing)."""
    return SimError(
        f"Could not find a part of the path '{path}'.",
        f"{error_id},{command_class}",
        "ObjectNotFound",
        hresult=0x80070003,
        target=path,
        exception_type="System.IO.DirectoryNotFoundException",
    )


def file_exists(command_class: str, path: str) -> SimError:
    """New-Item on an existing file without -Force."""
    return SimError(
        f"The file '{path}' already exists.",
        f"NewItemIOError,{command_class}",
        "WriteError",
        hresult=0x80070050,
        target=path,
        exception_type=_IO,
    )


def directory_exists(command_class: str, path: str) -> SimError:
    """New-Item -ItemType Directory on an existing folder without -Force."""
    return SimError(
        f"An item with the specified name {path} already exists.",
        f"DirectoryExist,{command_class}",
        "ResourceExists",
        hresult=0x800700B7,
        target=path,
        exception_type=_IO,
    )


def access_denied(command_class: str, path: str, error_id: str) -> SimError:
    """Reading or writing content of a folder: ``Access to the path 'C:\\x' is denied.``"""
    return SimError(
        f"Access to the path '{path}' is denied.",
        f"{error_id},{command_class}",
        "PermissionDenied",
        hresult=0x80070005,
        target=path,
        exception_type="System.UnauthorizedAccessException",
    )


def disk_full(command_class: str, path: str) -> SimError:
    """The drive's simulated capacity would be exceeded (ERROR_DISK_FULL)."""
    # ASSUMPTION: the error id part (Windows uses the provider's IOError id of the operation).
    return SimError(
        "There is not enough space on the disk.",
        f"GetContentWriterIOError,{command_class}",
        "WriteError",
        hresult=0x80070070,
        target=path,
        exception_type=_IO,
    )


def destination_exists(command_class: str, path: str) -> SimError:
    """Move-Item onto an existing item without -Force."""
    return SimError(
        "Cannot create a file when that file already exists.",
        f"MoveFileInfoItemIOError,{command_class}",
        "WriteError",
        hresult=0x800700B7,
        target=path,
        exception_type=_IO,
    )


def invalid_path(command_class: str, path: str) -> SimError:
    """Characters Windows refuses in a file name."""
    return SimError(
        "Illegal characters in path.",
        f"ItemExistsArgumentError,{command_class}",
        "InvalidArgument",
        hresult=0x80070057,
        target=path,
        exception_type="System.ArgumentException",
    )
