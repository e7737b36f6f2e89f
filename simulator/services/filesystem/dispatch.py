"""The front end shared by the generic path cmdlets: which paths a call names, and the provider of each.

A cmdlet gets its paths from -Path (wildcards expanded), -LiteralPath (``PSPath`` of piped items binds
there) or the pipeline object itself; each is made absolute, stripped of its provider qualifier and
handed to :func:`simulator.ps.api.resolve_provider`. Errors are per path: a non-terminating error for
one path is written and the next path still runs, as PowerShell does.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from simulator.core.errors import NotModelledError, ParameterBindingError, SimError
from simulator.ps.api import Invocation, Provider, resolve_provider
from simulator.ps.objects import PSObject
from simulator.services.filesystem.errors import drive_not_found
from simulator.services.filesystem.paths import (
    absolute,
    child_name,
    command_class,
    has_wildcards,
    item_path,
    like,
    split_leaf,
)

Target = tuple[Provider, str]


def requested_paths(inv: Invocation, default: str | None = None) -> list[tuple[str, bool]]:
    """(path as given, literal?) for every path the call names; ``default`` when it names none."""
    found: list[tuple[str, bool]] = []
    piped = item_path(inv.input) if isinstance(inv.input, PSObject) else None
    if piped is not None and not inv.has("LiteralPath"):
        # A piped item binds by its PSPath (ByPropertyName to -LiteralPath) before PowerShell would try
        # converting it to a string for -Path; a binder that converted it anyway gave us its Name.
        return [(piped, True)]
    for value in _values(inv.get("LiteralPath")):
        path = item_path(value) if isinstance(value, PSObject) else str(value)
        if path is not None:
            found.append((path, True))
    for value in _values(inv.get("Path")):
        if isinstance(value, PSObject):
            path = item_path(value)
            if path is not None:
                found.append((path, True))
        else:
            found.append((str(value), False))
    if not found and isinstance(inv.input, PSObject):
        path = item_path(inv.input)
        if path is not None:
            found.append((path, True))
    if not found:
        if default is None:
            raise ParameterBindingError(
                "Cannot process command because of one or more missing mandatory parameters: Path.",
                f"MissingMandatoryParameter,{command_class(inv, 'Get-Item')}",
            )
        found.append((default, False))
    return found


def _values(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list | tuple) else [value]


def resolve(inv: Invocation, path: str, default_command: str) -> Target:
    """The provider and canonical path of one absolute-or-relative path (no wildcard expansion)."""
    full = absolute(inv, path)
    try:
        return resolve_provider(full)
    except SimError as exc:
        if exc.fully_qualified_error_id.startswith("DriveNotFound,"):
            raise drive_not_found(command_class(inv, default_command), str(exc.target)) from exc
        raise


def expand(inv: Invocation, path: str, literal: bool, default_command: str) -> list[Target]:
    """The targets one path names; a wildcard leaf becomes the matching children (maybe none)."""
    full = absolute(inv, path)
    if literal or not has_wildcards(full):
        return [resolve(inv, full, default_command)]
    parent, leaf = split_leaf(full)
    if has_wildcards(parent):
        raise NotModelledError(f"wildcards in a folder part of the path '{path}'")
    provider, canonical_parent = resolve(inv, parent, default_command)
    if not provider.exists(inv, canonical_parent):
        return []
    targets: list[Target] = []
    for child in provider.get_child_items(inv, canonical_parent, False):
        if like(child_name(child), leaf):
            child_path = item_path(child) or f"{canonical_parent.rstrip(chr(92))}\\{child_name(child)}"
            targets.append((provider, provider.normalise(child_path)))
    return targets


def each_target(inv: Invocation, default_command: str, default_path: str | None = None) -> Iterator[Target]:
    """Every target of the call, writing non-terminating errors for paths that fail to resolve."""
    for path, literal in requested_paths(inv, default_path):
        try:
            targets = expand(inv, path, literal, default_command)
        except SimError as exc:
            report(inv, exc)
            continue
        yield from targets


def report(inv: Invocation, error: SimError) -> None:
    """Write a non-terminating error, or re-raise a terminating one."""
    if error.terminating:
        raise error
    inv.write_error(error)


def run_each(inv: Invocation, default_command: str, action: Callable[[Provider, str], Any],
             default_path: str | None = None) -> list[Any]:
    """Call ``action`` for every target, collecting outputs; per-target errors are reported, not fatal."""
    inv.name = inv.name or default_command
    out: list[Any] = []
    for provider, path in each_target(inv, default_command, default_path):
        try:
            result = action(provider, path)
        except SimError as exc:
            report(inv, exc)
            continue
        if isinstance(result, list):
            out.extend(result)
        elif result is not None:
            out.append(result)
    return out
