"""The Certificate provider behind ``Cert:\\`` paths (Get-ChildItem, Get-Item, Test-Path, Remove-Item, Move-Item).

Paths are ``Cert:\\<Location>\\<Store>\\<Thumbprint>`` (also ``cert:/…`` and the provider-qualified
``Microsoft.PowerShell.Security\\Certificate::LocalMachine\\My``); ``*`` and ``?`` wildcards work in
every segment. As on Windows, Copy-Item is not supported by this provider, and Move-Item moves a
certificate (with its key) between stores of one store location.
"""

from __future__ import annotations

import fnmatch
import logging
from typing import Any

from simulator.core.errors import NotModelledError, SimError
from simulator.ps import api
from simulator.services.certs import store, views

log = logging.getLogger(__name__)

QUALIFIER = "microsoft.powershell.security\\certificate::"
COMMAND_TYPES = {
    "get_item": "GetItemCommand", "get_child_items": "GetChildItemCommand", "remove_item": "RemoveItemCommand",
    "move_item": "MoveItemCommand", "copy_item": "CopyItemCommand",
}


def split_path(path: str) -> list[str]:
    """The segments of a certificate path after the drive or provider qualifier (``[]`` for the root)."""
    text = path.replace("/", "\\")
    lowered = text.lower()
    if lowered.startswith(QUALIFIER):
        text = text[len(QUALIFIER):]
    elif lowered.startswith("cert:"):
        text = text[len("cert:"):]
    parts = [p for p in text.split("\\") if p]
    if parts:
        parts[0] = store.canonical_location(parts[0]) or parts[0]
    if len(parts) > 1:
        parts[1] = store.canonical_store(parts[1]) or parts[1]
    if len(parts) > 2 and not any(c in parts[2] for c in "*?"):
        parts[2] = parts[2].upper()
    return parts


def join_path(parts: list[str]) -> str:
    """``Cert:\\`` plus the segments."""
    return "Cert:\\" + "\\".join(parts)


def store_of(path: str) -> tuple[str, str] | None:
    """``(location, store)`` when ``path`` names an existing store (``Cert:\\LocalMachine\\My``), else None."""
    parts = split_path(path)
    if len(parts) != 2:
        return None
    location, name = store.canonical_location(parts[0]), store.canonical_store(parts[1])
    if location is None or name is None:
        return None
    return location, name


def _not_found(path: str, operation: str) -> SimError:
    return SimError(
        f"Cannot find path '{path}' because it does not exist.",
        f"PathNotFound,Microsoft.PowerShell.Commands.{COMMAND_TYPES.get(operation, 'GetItemCommand')}",
        "ObjectNotFound",
        exception_type="System.Management.Automation.ItemNotFoundException",
        target=path,
    )


def _match(pattern: str, names: list[str]) -> list[str]:
    if any(c in pattern for c in "*?["):
        return [n for n in names if fnmatch.fnmatch(n.lower(), pattern.lower())]
    return [n for n in names if n.lower() == pattern.lower()]


def resolve(host: Any, path: str) -> list[Any]:
    """Every item a (possibly wildcarded) certificate path names: locations, stores or CertEntry."""
    parts = split_path(path)
    if not parts:
        return [("root",)]
    items: list[Any] = []
    for location in _match(parts[0], list(store.LOCATIONS)):
        if len(parts) == 1:
            items.append(("location", location))
            continue
        for name in _match(parts[1], list(store.STORE_NAMES)):
            if len(parts) == 2:
                items.append(("store", location, name))
                continue
            if len(parts) > 3:
                continue
            entries = store.list_certificates(host, name, location)
            wanted = set(_match(parts[2], [e.thumbprint for e in entries]))
            items.extend(e for e in entries if e.thumbprint in wanted)
    return items


def _children(host: Any, item: Any, recurse: bool) -> list[Any]:
    if isinstance(item, store.CertEntry):
        return []
    kind = item[0]
    if kind == "root":
        below: list[Any] = [("location", loc) for loc in store.LOCATIONS]
    elif kind == "location":
        below = [("store", item[1], name) for name in store.STORE_NAMES]
    else:
        below = list(store.list_certificates(host, item[2], item[1]))
    if not recurse:
        return below
    result: list[Any] = []
    for child in below:
        result.append(child)
        result.extend(_children(host, child, recurse=True))
    return result


def to_object(item: Any, host: Any = None) -> Any:
    """The PSObject a script sees for a resolved item."""
    if isinstance(item, store.CertEntry):
        return views.certificate_object(item, host)
    if item[0] == "location":
        return views.location_object(item[1])
    if item[0] == "store":
        return views.store_object(item[1], item[2])
    raise NotModelledError("Get-Item of the Cert:\\ drive root")


class CertificateProvider(api.Provider):
    """``Cert:`` over :mod:`simulator.services.certs.store`."""

    name = "Certificate"
    prefixes = ("cert:", QUALIFIER)

    def normalise(self, path: str) -> str:
        """``cert:/localmachine/my/ab12`` → ``Cert:\\LocalMachine\\My\\AB12``."""
        return join_path(split_path(path))

    def _resolve_existing(self, inv: api.Invocation, path: str, operation: str) -> list[Any]:
        items = resolve(inv.host, path)
        if not items:
            raise _not_found(path, operation)
        return items

    def get_item(self, inv: api.Invocation, path: str) -> list[Any]:
        """Get-Item: certificates, stores or store locations named by the path."""
        return [to_object(i, inv.host) for i in self._resolve_existing(inv, path, "get_item")]

    def get_child_items(self, inv: api.Invocation, path: str, recurse: bool) -> list[Any]:
        """Get-ChildItem: a location's stores, a store's certificates (a certificate lists itself)."""
        result: list[Any] = []
        for item in self._resolve_existing(inv, path, "get_child_items"):
            if isinstance(item, store.CertEntry):
                result.append(item)
            else:
                result.extend(_children(inv.host, item, recurse))
        return [to_object(i, inv.host) for i in result]

    def exists(self, inv: api.Invocation, path: str) -> bool:
        """Test-Path."""
        return bool(resolve(inv.host, path))

    def remove_item(self, inv: api.Invocation, path: str, recurse: bool, force: bool) -> None:
        """Remove-Item of certificates; the private key goes too only with -DeleteKey (as in 5.1)."""
        del recurse, force  # no meaning for certificates
        items = self._resolve_existing(inv, path, "remove_item")
        if any(not isinstance(i, store.CertEntry) for i in items):
            raise NotModelledError("Remove-Item of a certificate store or store location")
        for entry in items:
            store.remove_certificate(inv.host, entry.thumbprint, entry.store, entry.location,
                                     delete_key=bool(inv.get("DeleteKey")))
            log.info("certificate %s removed from %s\\%s", entry.thumbprint, entry.location, entry.store)

    def copy_item(self, inv: api.Invocation, path: str, destination: str) -> Any:
        """Copy-Item: the Certificate provider does not implement it (Windows refuses it too)."""
        raise SimError(
            "Provider operation stopped because the provider does not support this operation.",
            "NotSupported,Microsoft.PowerShell.Commands.CopyItemCommand",
            "NotImplemented",
            exception_type="System.Management.Automation.PSNotSupportedException",
            target=path,
        )

    def move_item(self, inv: api.Invocation, path: str, destination: str) -> Any:
        """Move-Item of certificates into another store of the same store location."""
        items = self._resolve_existing(inv, path, "move_item")
        target = store_of(destination)
        if target is None:
            raise _not_found(destination, "move_item")
        if any(not isinstance(i, store.CertEntry) for i in items):
            raise NotModelledError("Move-Item of a certificate store or store location")
        moved = []
        for entry in items:
            if entry.location != target[0]:
                # ASSUMPTION: about_Certificate_Provider says certificates cannot be moved to another
                # store location; the exact error text is not documented.
                raise SimError(
                    "Cannot move a certificate to a different store location.",
                    "MoveItemDestinationLocationInvalid,Microsoft.PowerShell.Commands.MoveItemCommand",
                    "InvalidArgument",
                    exception_type="System.ArgumentException",
                    target=destination,
                )
            moved.append(store.move_certificate(inv.host, entry.thumbprint, (entry.location, entry.store), target))
        return [views.certificate_object(e, inv.host) for e in moved]


PROVIDER = api.register_provider(CertificateProvider())
