"""The generic item cmdlets (Get-Item, Get-ChildItem, Test-Path, New-/Remove-/Copy-/Move-Item, Resolve-Path).

Registered once for every provider: each call is dispatched on its path to the FileSystem, Registry
or Certificate provider (see :mod:`simulator.services.filesystem.dispatch`).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from simulator.core.errors import ParameterBindingError, SimError
from simulator.ps.api import Invocation, Param, Provider, cmdlet
from simulator.ps.objects import PSObject
from simulator.services.filesystem.dispatch import expand, requested_paths, resolve, run_each
from simulator.services.filesystem.paths import child_name, command_class, has_wildcards, item_path, like
from simulator.services.filesystem.provider import FileSystemProvider


def _path_params(position: int = 0) -> tuple[Param, ...]:
    return (
        Param("Path", "string[]", position=position, from_pipeline=True, from_pipeline_by_property=True),
        Param("LiteralPath", "string[]", aliases=("PSPath",), from_pipeline_by_property=True),
    )


def _is_container(item: Any) -> bool:
    return bool(isinstance(item, PSObject) and item.get("PSIsContainer"))


@cmdlet(
    "Get-Item",
    *_path_params(),
    Param("Force", "switch"),
    summary="The item at each path (wildcards expand).",
    not_modelled="-Filter, -Include, -Exclude, -Stream, -Credential.",
    aliases=("gi",),
    area="items",
)
def get_item(inv: Invocation) -> Iterable[Any]:
    """Get-Item: one object per path through the path's provider.

    Not modelled: -Filter, -Include, -Exclude, alternate data streams, -Credential.
    """
    return run_each(inv, "Get-Item", lambda provider, path: provider.get_item(inv, path))


@cmdlet(
    "Get-ChildItem",
    *_path_params(),
    Param("Filter", "string", position=1),
    Param("Include", "string[]"),
    Param("Exclude", "string[]"),
    Param("Recurse", "switch", aliases=("s",)),
    Param("Force", "switch"),
    Param("Name", "switch"),
    Param("Directory", "switch", aliases=("ad", "d")),
    Param("File", "switch", aliases=("af",)),
    summary="Children of each path (-Recurse, -Filter, -Include, -Exclude, -Name, -File, -Directory).",
    not_modelled="-Depth, -Attributes, -Hidden, -ReadOnly, -System, -FollowSymlink, hidden/system files.",
    aliases=("gci", "dir", "ls"),
    area="items",
)
def get_child_item(inv: Invocation) -> Iterable[Any]:
    """Get-ChildItem: list containers (a leaf lists itself); a wildcard path lists the matches.

    As in 5.1, -Include only takes effect with -Recurse or a wildcard path.
    Not modelled: -Depth, -Attributes and the hidden/system/read-only attribute switches.
    """
    recurse = bool(inv.get("Recurse"))
    explicit = requested_paths(inv, ".")
    wildcard = any(not literal and has_wildcards(path) for path, literal in explicit)

    def list_one(provider: Provider, path: str) -> list[Any]:
        if wildcard:
            items = provider.get_item(inv, path)
            if recurse and items and _is_container(items[0]):
                items = items + provider.get_child_items(inv, path, True)
        else:
            items = provider.get_child_items(inv, path, recurse)
        return [_shown(item, path) for item in items if _keep(inv, item, recurse or wildcard)]

    def _shown(item: Any, base: str) -> Any:
        if not inv.get("Name"):
            return item
        full = item_path(item) or child_name(item)
        prefix = base.rstrip("\\") + "\\"
        return full[len(prefix):] if full.lower().startswith(prefix.lower()) else child_name(item)

    return run_each(inv, "Get-ChildItem", list_one, default_path=".")


def _keep(inv: Invocation, item: Any, include_applies: bool) -> bool:
    name = child_name(item)
    if inv.get("Filter") and not like(name, str(inv.get("Filter"))):
        return False
    includes = [str(p) for p in inv.get("Include") or []]
    if includes and (not include_applies or not any(like(name, p) for p in includes)):
        return False
    if any(like(name, str(p)) for p in inv.get("Exclude") or []):
        return False
    if inv.get("Directory") and not _is_container(item):
        return False
    return not (inv.get("File") and _is_container(item))


@cmdlet(
    "Test-Path",
    *_path_params(),
    Param("PathType", "string", validate_set=("Any", "Container", "Leaf")),
    Param("IsValid", "switch"),
    summary="Whether each path exists (-PathType Leaf/Container); never an error for a missing path.",
    not_modelled="-Filter, -Include, -Exclude, -NewerThan, -OlderThan, -Credential.",
    area="items",
)
def test_path(inv: Invocation) -> Iterable[Any]:
    """Test-Path: one bool per path; wildcards are true when anything matches.

    Not modelled: -Filter/-Include/-Exclude, -NewerThan/-OlderThan, -Credential.
    """
    inv.name = inv.name or "Test-Path"
    kind = str(inv.get("PathType", "Any"))
    answers: list[bool] = []
    for path, literal in requested_paths(inv):
        if inv.get("IsValid"):
            answers.append(True)
            continue
        try:
            targets = expand(inv, path, literal, "Test-Path")
            answers.append(any(_test_one(inv, provider, target, kind) for provider, target in targets))
        except SimError:
            answers.append(False)
    return answers


def _test_one(inv: Invocation, provider: Provider, path: str, kind: str) -> bool:
    if not provider.exists(inv, path):
        return False
    if kind == "Any":
        return True
    if isinstance(provider, FileSystemProvider):
        container = provider.is_container(inv, path)
    else:
        items = provider.get_item(inv, path)
        container = bool(items) and _is_container(items[0])
    return container == (kind == "Container")


@cmdlet(
    "New-Item",
    Param("Path", "string[]", position=0, from_pipeline_by_property=True),
    Param("Name", "string", from_pipeline_by_property=True),
    Param("ItemType", "string", aliases=("Type",), from_pipeline_by_property=True),
    Param("Value", "object", from_pipeline=True, from_pipeline_by_property=True),
    Param("Force", "switch"),
    summary="Create a file (default), folder, registry key … at each path (-Name joins the path).",
    not_modelled="-ItemType SymbolicLink/Junction/HardLink, -Credential.",
    mutates=True,
    aliases=("ni",),
    area="items",
)
def new_item(inv: Invocation) -> Iterable[Any]:
    """New-Item: create through the provider; -Force overwrites a file / returns an existing folder.

    Not modelled: links and junctions, -Credential.
    """
    inv.name = inv.name or "New-Item"
    name = inv.get("Name")
    paths = [str(p) for p in inv.get("Path") or ["."]]
    out: list[Any] = []
    for path in paths:
        full = f"{path.rstrip(chr(92))}\\{name}" if name else path
        try:
            provider, target = resolve(inv, full, "New-Item")
            out.append(provider.new_item(inv, target, inv.get("ItemType"), inv.get("Value"), bool(inv.get("Force"))))
        except SimError as exc:
            if exc.terminating:
                raise
            inv.write_error(exc)
    return out


@cmdlet(
    "Remove-Item",
    *_path_params(),
    Param("Recurse", "switch"),
    Param("Force", "switch"),
    Param("DeleteKey", "switch"),  # the Certificate provider's dynamic parameter
    summary="Delete each item (wildcards expand; piped items by PSPath); folders with children need -Recurse; "
            "on Cert: paths -DeleteKey also deletes the private key.",
    not_modelled="-Filter, -Include, -Exclude, -Stream, -Credential; the confirmation prompt (a non-empty "
    "folder or key without -Recurse fails as in a NonInteractive session).",
    mutates=True,
    aliases=("ri", "rm", "rmdir", "del", "erase", "rd"),
    area="items",
)
def remove_item(inv: Invocation) -> Iterable[Any]:
    """Remove-Item: delete through the provider.

    Not modelled: -Filter/-Include/-Exclude, streams, -Credential, the confirmation prompt.
    """
    recurse, force = bool(inv.get("Recurse")), bool(inv.get("Force"))

    def one(provider: Provider, path: str) -> None:
        if inv.has("DeleteKey") and provider.name != "Certificate":  # a dynamic parameter of Cert: only
            raise ParameterBindingError("A parameter cannot be found that matches parameter name 'DeleteKey'.",
                                        f"NamedParameterNotFound,{command_class(inv, 'Remove-Item')}",
                                        "InvalidArgument")
        provider.remove_item(inv, path, recurse, force)

    run_each(inv, "Remove-Item", one)
    return []


def _same_provider_error(inv: Invocation) -> SimError:
    return SimError(
        "Source and destination path did not resolve to the same provider.",
        f"CopyItemSourceAndDestinationNotSameProvider,{command_class(inv, 'Copy-Item')}",
        "InvalidArgument",
        exception_type="System.Management.Automation.PSArgumentException",
    )


def _transfer(inv: Invocation, default_command: str, move: bool) -> list[Any]:
    destination = inv.get("Destination")
    inv.name = inv.name or default_command
    target_provider, target = resolve(inv, str(destination) if destination else ".", default_command)

    def one(provider: Provider, path: str) -> Any:
        if type(provider) is not type(target_provider):
            raise _same_provider_error(inv)
        if move:
            return provider.move_item(inv, path, target)
        return provider.copy_item(inv, path, target)

    results = run_each(inv, default_command, one)
    return results if inv.get("PassThru") else []


@cmdlet(
    "Copy-Item",
    *_path_params(),
    Param("Destination", "string", position=1, from_pipeline_by_property=True),
    Param("Recurse", "switch"),
    Param("Force", "switch"),
    Param("PassThru", "switch"),
    summary="Copy each item to -Destination (folders' contents only with -Recurse).",
    not_modelled="-Container:$false, -Filter, -Include, -Exclude, -FromSession/-ToSession, -Credential.",
    mutates=True,
    aliases=("cpi", "cp", "copy"),
    area="items",
)
def copy_item(inv: Invocation) -> Iterable[Any]:
    """Copy-Item within one provider; across providers Windows' "not same provider" error.

    Not modelled: -Container:$false, filters, PowerShell-session copies, -Credential.
    """
    return _transfer(inv, "Copy-Item", move=False)


@cmdlet(
    "Move-Item",
    *_path_params(),
    Param("Destination", "string", position=1, from_pipeline_by_property=True),
    Param("Force", "switch"),
    Param("PassThru", "switch"),
    summary="Move or rename each item to -Destination (into it when it is an existing container).",
    not_modelled="-Filter, -Include, -Exclude, -Credential.",
    mutates=True,
    aliases=("mi", "mv", "move"),
    area="items",
)
def move_item(inv: Invocation) -> Iterable[Any]:
    """Move-Item within one provider (e.g. a certificate from CA to Root).

    Not modelled: filters, -Credential.
    """
    return _transfer(inv, "Move-Item", move=True)


@cmdlet(
    "Rename-Item",
    Param("Path", "string", position=0, from_pipeline=True, from_pipeline_by_property=True),
    Param("LiteralPath", "string", aliases=("PSPath",), from_pipeline_by_property=True),
    Param("NewName", "string", position=1, mandatory=True, from_pipeline_by_property=True),
    Param("Force", "switch"),
    Param("PassThru", "switch"),
    summary="Rename an item in place (-NewName is a name, not a path).",
    not_modelled="-Credential, -WhatIf; renaming onto an existing name is refused as on Windows.",
    mutates=True,
    aliases=("rni", "ren"),
    area="items",
)
def rename_item(inv: Invocation) -> Iterable[Any]:
    """Rename-Item: a Move-Item within the same container, refusing paths and existing names.

    Not modelled: -Credential, -WhatIf.
    """
    cls = command_class(inv, "Rename-Item")
    new_name = str(inv.get("NewName"))

    def one(provider: Provider, path: str) -> Any:
        parent, _, _ = path.rstrip("\\").rpartition("\\")
        if "\\" in new_name.strip("\\") or (":" in new_name):
            raise SimError(
                "Cannot rename the specified target, because it represents a path or device name.",
                f"Argument,{cls}",
                "InvalidArgument",
                target=new_name,
                exception_type="System.Management.Automation.PSArgumentException",
            )
        target = f"{parent}\\{new_name.strip(chr(92))}"
        if provider.exists(inv, target) and target.lower() != path.lower():
            raise SimError(
                "Cannot create a file when that file already exists.",
                f"RenameItemIOError,{cls}",
                "WriteError",
                hresult=0x800700B7,
                target=path,
                exception_type="System.IO.IOException",
            )
        return provider.move_item(inv, path, provider.normalise(target))

    results = run_each(inv, "Rename-Item", one)
    return results if inv.get("PassThru") else []


_PROVIDER_ROOTS = {"hklm:": "HKEY_LOCAL_MACHINE", "hkcu:": "HKEY_CURRENT_USER", "cert:": ""}
_PROVIDER_NAMES = {
    "FileSystem": "Microsoft.PowerShell.Core\\FileSystem",
    "Registry": "Microsoft.PowerShell.Core\\Registry",
    "Certificate": "Microsoft.PowerShell.Security\\Certificate",
}


def path_info(provider: Provider, path: str) -> PSObject:
    """A ``System.Management.Automation.PathInfo`` (what Resolve-Path and Get-Location return)."""
    drive, _, rest = path.partition(":")
    root = _PROVIDER_ROOTS.get(f"{drive.lower()}:")
    provider_path = path if root is None else f"{root}{rest}"
    return PSObject(
        "System.Management.Automation.PathInfo",
        {
            "Drive": drive,
            "Provider": _PROVIDER_NAMES.get(provider.name, provider.name),
            "ProviderPath": provider_path,
            "Path": path,
        },
        to_string=path,
        default_display=("Path",),
    )


@cmdlet(
    "Resolve-Path",
    *_path_params(),
    Param("Relative", "switch"),
    summary="The full path of each existing item (wildcards expand).",
    not_modelled="-Credential.",
    aliases=("rvpa",),
    area="items",
)
def resolve_path(inv: Invocation) -> Iterable[Any]:
    """Resolve-Path: PathInfo objects, or relative strings with -Relative; missing paths are errors.

    Not modelled: -Credential.
    """
    inv.name = inv.name or "Resolve-Path"
    cls = command_class(inv, "Resolve-Path")
    location = str(getattr(inv.session, "location", "") or "").rstrip("\\")

    def one(provider: Provider, path: str) -> Any:
        if not provider.exists(inv, path):
            raise SimError(
                f"Cannot find path '{path}' because it does not exist.",
                f"PathNotFound,{cls}",
                "ObjectNotFound",
                target=path,
                exception_type="System.Management.Automation.ItemNotFoundException",
            )
        if isinstance(provider, FileSystemProvider):
            path = provider.locate(inv, path, "Resolve-Path")[0]
        if inv.get("Relative"):
            return "." + path[len(location):] if location and path.lower().startswith(location.lower() + "\\") else path
        return path_info(provider, path)

    return run_each(inv, "Resolve-Path", one)
