"""PowerShell path handling shared by the generic item cmdlets: qualifiers, relative paths, wildcards.

Paths reach a cmdlet in many shapes: ``C:\\x``, ``c:/x``, ``.\\x`` (relative to the session location),
``~\\x``, and provider-qualified ``PSPath`` values piped from other items
(``Microsoft.PowerShell.Core\\FileSystem::C:\\x``, ``Microsoft.PowerShell.Security\\Certificate::LocalMachine\\My\\TP``,
``Microsoft.PowerShell.Core\\Registry::HKEY_LOCAL_MACHINE\\SOFTWARE``). This module turns each into the
drive form every provider's ``prefixes`` recognise, before :func:`simulator.ps.api.resolve_provider`.
"""

from __future__ import annotations

import fnmatch
import re
from typing import Any

from simulator.ps.api import Invocation, find_cmdlet
from simulator.ps.objects import PSObject

HOME = "C:\\Users\\Administrator"

# Provider-qualified path roots -> the drive form of the same location.
_REGISTRY_HIVES = {
    "hkey_local_machine": "HKLM:",
    "hklm": "HKLM:",
    "hkey_current_user": "HKCU:",
    "hkcu": "HKCU:",
}

_WILDCARD = re.compile(r"[*?\[]")


def has_wildcards(text: str) -> bool:
    """Whether a path segment is a PowerShell wildcard pattern (``*``, ``?``, ``[…]``)."""
    return bool(_WILDCARD.search(text))


def like(name: str, pattern: str) -> bool:
    """PowerShell wildcard matching, case-insensitive."""
    return fnmatch.fnmatchcase(name.lower(), pattern.lower())


def strip_qualifier(path: str) -> str:
    """Turn a provider-qualified path (``Provider::rest``) into its drive form; others unchanged."""
    qualifier, sep, rest = path.partition("::")
    if not sep or not re.fullmatch(r"(?:[\w.]+\\)?\w+", qualifier):
        return path
    provider = qualifier.rsplit("\\", 1)[-1].lower()
    if provider == "filesystem":
        return rest
    if provider == "certificate":
        return "Cert:\\" + rest.lstrip("\\")
    if provider == "registry":
        hive, _, tail = rest.partition("\\")
        drive = _REGISTRY_HIVES.get(hive.lower())
        if drive is not None:
            return f"{drive}\\{tail}" if tail else f"{drive}\\"
    return path


def _collapse(path: str) -> str:
    """Resolve ``.`` and ``..`` segments after the drive (``C:\\a\\..\\b`` -> ``C:\\b``)."""
    drive, sep, rest = path.partition(":")
    if not sep:
        return path
    parts: list[str] = []
    for segment in re.split(r"[\\/]+", rest):
        if segment in {"", "."}:
            continue
        if segment == "..":
            if parts:
                parts.pop()
            continue
        parts.append(segment)
    return f"{drive}:\\" + "\\".join(parts)


def absolute(inv: Invocation, path: str) -> str:
    """The absolute drive-form path for ``path`` as typed, relative to the session location."""
    text = strip_qualifier(str(path).strip())
    if text.startswith("\\\\"):
        return text  # UNC: left for the provider to refuse
    if text == "~" or text.startswith(("~\\", "~/")):
        text = HOME + text[1:]
    if re.match(r"^[A-Za-z][\w.]*:", text):
        return _collapse(text)
    location = _location(inv)
    if text.startswith(("\\", "/")):
        drive = location.split(":", 1)[0]
        return _collapse(f"{drive}:{text}")
    return _collapse(f"{location.rstrip(chr(92))}\\{text}")


def _location(inv: Invocation) -> str:
    location = getattr(inv.session, "location", None)
    return str(location) if location else HOME


def split_leaf(path: str) -> tuple[str, str]:
    """``C:\\a\\b*`` -> (``C:\\a``, ``b*``); the root keeps its backslash (``C:\\``)."""
    head, _, leaf = path.rstrip("\\").rpartition("\\")
    if head.endswith(":"):
        head += "\\"
    return head, leaf


def command_name(inv: Invocation, default: str) -> str:
    """The cmdlet's real name (``dir`` -> ``Get-ChildItem``), for FullyQualifiedErrorIds."""
    spec = find_cmdlet(inv.name) if inv.name else None
    return spec.name if spec is not None else default


def command_class(inv: Invocation, default: str) -> str:
    """``Microsoft.PowerShell.Commands.GetContentCommand`` for Get-Content, etc."""
    return "Microsoft.PowerShell.Commands." + command_name(inv, default).replace("-", "") + "Command"


def item_path(item: Any) -> str | None:
    """The drive-form path of an item object (from its PSPath), or None for a non-item."""
    if isinstance(item, PSObject):
        pspath = item.get("PSPath")
        if pspath:
            return strip_qualifier(str(pspath))
        full = item.get("FullName")
        if full:
            return str(full)
    return None


def child_name(item: Any) -> str:
    """The leaf name of an item object (PSChildName, else Name)."""
    if isinstance(item, PSObject):
        return str(item.get("PSChildName") or item.get("Name") or "")
    return str(item)
