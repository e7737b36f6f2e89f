"""Utility cmdlets: Get-Date, Start-Sleep, ConvertTo-SecureString, locations, paths, New-Object, Add-Member, Get-Member.

These belong to PowerShell itself rather than to a Windows subsystem, so the interpreter provides them.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterable
from typing import Any

from simulator.core.errors import NotModelledError, SimError
from simulator.ps.api import Invocation, Param, cmdlet, find_static_member
from simulator.ps.dates import NotedDateTime, format_datetime
from simulator.ps.objects import PSHashtable, PSObject, SecureString
from simulator.ps.values import ArrayList, ScriptBlock, to_str, type_name_of

MAX_SLEEP_SECONDS = 600
KNOWN_MODULES = (
    "hyper-v",
    "netsecurity",
    "pki",
    "microsoft.powershell.management",
    "microsoft.powershell.utility",
    "microsoft.powershell.security",
    "nettcpip",
    "dnsclient",
    "storage",
    "netadapter",
    "microsoft.powershell.core",
)


def date_object(value: dt.datetime) -> dt.datetime:
    """Get-Date output: a DateTime carrying 5.1's DisplayHint/DateTime note properties."""
    return NotedDateTime.of(value)


@cmdlet(
    "Get-Date",
    Param("Date", "datetime", position=0, from_pipeline=True),
    Param("Format", "string"),
    Param("UFormat", "string"),
    Param("Year", "int"),
    Param("Month", "int"),
    Param("Day", "int"),
    Param("Hour", "int"),
    Param("Minute", "int"),
    Param("Second", "int"),
    Param("Millisecond", "int"),
    summary="The current (simulated) date and time.",
    not_modelled="-UFormat, -DisplayHint",
)
def get_date(inv: Invocation) -> Iterable[Any]:
    """Get-Date from the host's simulated clock (UTC). Not modelled: -UFormat, -DisplayHint."""
    if inv.has("UFormat"):
        raise NotModelledError("Get-Date -UFormat")
    value: dt.datetime = inv.get("Date") or inv.host.clock.now()
    parts = {k.lower(): inv.get(k) for k in ("Year", "Month", "Day", "Hour", "Minute", "Second") if inv.has(k)}
    if parts:
        value = value.replace(**parts)
    if inv.has("Millisecond"):
        value = value.replace(microsecond=inv.get("Millisecond") * 1000)
    if inv.has("Format"):
        return [format_datetime(value, inv.get("Format"))]
    return [date_object(value)]


@cmdlet(
    "Start-Sleep",
    Param("Seconds", "int", position=0, aliases=("s",)),
    Param("Milliseconds", "int", aliases=("ms",)),
    summary="Sleep (really; capped at 600 s).",
    not_modelled="nothing",
)
def start_sleep(inv: Invocation) -> None:
    """Start-Sleep: a real sleep, so WinRM timeouts can be tested; capped at 600 s. Not modelled: nothing."""
    seconds = float(inv.get("Seconds") or 0) + float(inv.get("Milliseconds") or 0) / 1000
    sleep_unlocked(inv.host, max(0.0, min(seconds, MAX_SLEEP_SECONDS)))


def sleep_unlocked(host: Any, seconds: float) -> None:
    """Sleep without holding the host lock, so replication traffic and the control plane go on meanwhile.

    A sleeping script on Windows blocks nothing else. What the script did so far is saved first; the
    transaction depth is parked so that another thread's transaction during the sleep saves (or rolls
    back) on its own, then both are restored. Uses RLock's ``_release_save``/``_acquire_restore`` (the
    pair ``threading.Condition`` relies on) because the lock may be held recursively.
    """
    lock = host.lock
    is_owned = getattr(lock, "_is_owned", None)
    if is_owned is None or not is_owned():
        time.sleep(seconds)
        return
    host.save()
    depth = host._depth  # the Host's own transaction counter, parked while the lock is free
    host._depth = 0
    saved = lock._release_save()
    try:
        time.sleep(seconds)
    finally:
        lock._acquire_restore(saved)
        host._depth = depth


@cmdlet(
    "ConvertTo-SecureString",
    Param("String", "string", position=0, mandatory=True, from_pipeline=True),
    Param("AsPlainText", "switch"),
    Param("Force", "switch"),
    Param("Key", "byte[]"),
    Param("SecureKey", "securestring"),
    summary="Make a SecureString from plain text.",
    not_modelled="DPAPI-encrypted input, -Key, -SecureKey",
)
def convertto_securestring(inv: Invocation) -> Iterable[Any]:
    """ConvertTo-SecureString -AsPlainText -Force. Not modelled: decrypting DPAPI/-Key input."""
    if not inv.get("AsPlainText"):
        raise NotModelledError("ConvertTo-SecureString without -AsPlainText (DPAPI-encrypted standard strings)")
    if not inv.get("Force"):
        raise SimError(
            "The system cannot protect plain text input. To suppress this warning and convert the plain "
            "text to a SecureString, reissue the command specifying the Force parameter. For more "
            "information ,type: get-help ConvertTo-SecureString.",
            "ImportSecureString_ForceRequired,Microsoft.PowerShell.Commands.ConvertToSecureStringCommand",
            "InvalidArgument",
            exception_type="System.ArgumentException",
            terminating=True,
        )
    return [SecureString(inv.get("String"))]


def _location_object(path: str) -> PSObject:
    drive = path.split(":", 1)[0] if ":" in path else ""
    return PSObject(
        "System.Management.Automation.PathInfo",
        {"Drive": drive, "Provider": "FileSystem", "ProviderPath": path, "Path": path},
        to_string=path,
    )


@cmdlet("Get-Location", summary="The current location.", not_modelled="-Stack, -PSProvider, -PSDrive")
def get_location(inv: Invocation) -> Iterable[Any]:
    """Get-Location. Not modelled: -Stack, -PSProvider, -PSDrive."""
    return [_location_object(inv.session.location)]


@cmdlet(
    "Set-Location",
    Param("Path", "string", position=0, from_pipeline=True, aliases=("LiteralPath",)),
    Param("PassThru", "switch"),
    summary="Change the current location.",
    not_modelled="-StackName",
)
def set_location(inv: Invocation) -> Iterable[Any]:
    """Set-Location to an existing container (checked with the provider). Not modelled: -StackName."""
    from simulator.ps.api import resolve_provider  # noqa: PLC0415 - providers register late

    target = join_path_text(inv.session.location, to_str(inv.get("Path") or "C:\\Users\\Administrator"))
    provider, normalised = resolve_provider(target)
    if not provider.exists(inv, normalised):
        raise SimError(
            f"Cannot find path '{target}' because it does not exist.",
            "PathNotFound,Microsoft.PowerShell.Commands.SetLocationCommand",
            "ObjectNotFound",
            exception_type="System.Management.Automation.ItemNotFoundException",
            target=target,
            terminating=True,
        )
    interpreter = getattr(inv.session, "interpreter", None)
    if interpreter is None:
        raise NotModelledError("Set-Location outside the interpreter")
    interpreter.location = normalised if ":" in normalised else target
    return [_location_object(interpreter.location)] if inv.get("PassThru") else []


def join_path_text(parent: str, child: str) -> str:
    """Join two Windows path parts as Join-Path does (absolute children still join)."""
    if ":" in child.split("\\", 1)[0]:
        return child
    if not child:
        return parent
    return parent.rstrip("\\") + "\\" + child.lstrip("\\")


@cmdlet(
    "Join-Path",
    Param("Path", "string[]", position=0, mandatory=True, from_pipeline=True),
    Param("ChildPath", "string", position=1, mandatory=True),
    Param("Resolve", "switch"),
    summary="Join path parts.",
    not_modelled="-Resolve, -AdditionalChildPath (6+)",
)
def join_path(inv: Invocation) -> Iterable[Any]:
    """Join-Path. Not modelled: -Resolve."""
    if inv.get("Resolve"):
        raise NotModelledError("Join-Path -Resolve")
    child = inv.get("ChildPath")
    return [p.rstrip("\\") + "\\" + child.lstrip("\\") if child else p for p in inv.get("Path")]


@cmdlet(
    "Split-Path",
    Param("Path", "string[]", position=0, mandatory=True, from_pipeline=True),
    Param("Leaf", "switch"),
    Param("Parent", "switch"),
    Param("Qualifier", "switch"),
    Param("NoQualifier", "switch"),
    Param("IsAbsolute", "switch"),
    summary="Split a path.",
    not_modelled="-Resolve, -Extension/-LeafBase (6+)",
)
def split_path(inv: Invocation) -> Iterable[Any]:
    """Split-Path -Parent (default), -Leaf, -Qualifier, -NoQualifier, -IsAbsolute. Not modelled: -Resolve."""
    results: list[Any] = []
    for path in inv.get("Path"):
        trimmed = path.rstrip("\\") if len(path) > 3 else path
        if inv.get("Leaf"):
            results.append(trimmed.rsplit("\\", 1)[-1])
        elif inv.get("Qualifier"):
            results.append(path.split(":", 1)[0] + ":" if ":" in path else "")
        elif inv.get("NoQualifier"):
            results.append(path.split(":", 1)[1] if ":" in path else path)
        elif inv.get("IsAbsolute"):
            results.append(":" in path.split("\\", 1)[0] or path.startswith("\\\\"))
        else:
            parent = trimmed.rsplit("\\", 1)[0] if "\\" in trimmed else ""
            results.append(parent + "\\" if parent.endswith(":") else parent)
    return results


@cmdlet(
    "New-Object",
    Param("TypeName", "string", position=0),
    Param("ArgumentList", "object[]", position=1, aliases=("Args",)),
    Param("Property", "hashtable"),
    Param("ComObject", "string"),
    summary="Create PSObject, PSCredential or ArrayList objects.",
    not_modelled="other .NET types, COM objects",
)
def new_object(inv: Invocation) -> Iterable[Any]:
    """New-Object for PSObject, PSCredential, ArrayList, Hashtable. Not modelled: other types, -ComObject."""
    if inv.has("ComObject"):
        raise NotModelledError(f"New-Object -ComObject {inv.get('ComObject')}")
    type_name = (inv.get("TypeName") or "").lower().removeprefix("system.")
    args = list(inv.get("ArgumentList") or [])
    if type_name in {"psobject", "management.automation.psobject", "object", "pscustomobject"}:
        obj = PSObject("System.Management.Automation.PSCustomObject")
        for key, value in (inv.get("Property") or {}).items():
            obj.set(str(key), value)
        return [obj]
    if type_name in {"management.automation.pscredential", "pscredential"}:
        if len(args) != 2 or not isinstance(args[1], SecureString):
            raise SimError(
                f'Cannot find an overload for "PSCredential" and the argument count: "{len(args)}".',
                "ConstructorInvokedThrowException,Microsoft.PowerShell.Commands.NewObjectCommand",
                "InvalidOperation",
                exception_type="System.Management.Automation.MethodException",
                terminating=True,
            )
        user, password = to_str(args[0]), args[1]
        return [
            PSObject(
                "System.Management.Automation.PSCredential",
                {"UserName": user, "Password": password},
                methods={
                    "GetNetworkCredential": lambda: PSObject(
                        "System.Net.NetworkCredential", {"UserName": user, "Password": password.reveal(), "Domain": ""}
                    )
                },
            )
        ]
    if type_name in {"collections.arraylist", "collections.generic.list[string]", "collections.generic.list[object]"}:
        return [ArrayList()] if not args else [ArrayList(args[0]) if isinstance(args[0], list) else ArrayList()]
    if type_name in {"collections.hashtable", "hashtable"}:
        return [PSHashtable()]
    constructor = find_static_member(inv.get("TypeName") or "", "new")
    if constructor is not None:  # a subsystem registered [Type]::new, which New-Object calls as PowerShell does
        return [constructor(inv.host, *args)]
    raise NotModelledError(f"New-Object {inv.get('TypeName')}")


@cmdlet(
    "Add-Member",
    Param(
        "MemberType",
        "string",
        position=0,
        validate_set=(
            "NoteProperty",
            "ScriptProperty",
            "ScriptMethod",
            "AliasProperty",
            "CodeProperty",
            "Property",
            "Properties",
            "Methods",
            "All",
        ),
    ),
    Param("Name", "string", position=1),
    Param("Value", "object", position=2),
    Param("NotePropertyName", "string"),
    Param("NotePropertyValue", "object"),
    Param("NotePropertyMembers", "hashtable"),
    Param("InputObject", "object", mandatory=True, from_pipeline=True),
    Param("PassThru", "switch"),
    Param("Force", "switch"),
    summary="Add note properties to an object.",
    not_modelled="member types other than NoteProperty/ScriptMethod",
)
def add_member(inv: Invocation) -> Iterable[Any]:
    """Add-Member: NoteProperty/ScriptMethod, -NotePropertyName/-Members. Not modelled: other member types."""
    target = inv.get("InputObject")
    if not isinstance(target, PSObject):
        raise NotModelledError(f"Add-Member on a {type_name_of(target)}")
    members: dict[str, Any] = {}
    if inv.has("NotePropertyName"):
        members[inv.get("NotePropertyName")] = inv.get("NotePropertyValue")
    if inv.has("NotePropertyMembers"):
        members.update({str(k): v for k, v in inv.get("NotePropertyMembers").items()})
    kind = inv.get("MemberType")
    if kind is not None:
        if kind not in {"NoteProperty", "ScriptMethod"}:
            raise NotModelledError(f"Add-Member -MemberType {kind}")
        if kind == "ScriptMethod":
            block = inv.get("Value")
            if not isinstance(block, ScriptBlock):
                raise NotModelledError("Add-Member -MemberType ScriptMethod without a script block")
            target.methods[inv.get("Name").lower()] = lambda *a, _b=block: inv.session.invoke(_b, target, list(a))
            return [target] if inv.get("PassThru") else []
        members[inv.get("Name")] = inv.get("Value")
    for name, value in members.items():
        if target.has(name) and not inv.get("Force"):
            raise SimError(
                f'Cannot add a member with the name "{name}" because a member with that name already '
                "exists. To overwrite the member anyway, add the Force parameter to your command.",
                "MemberAlreadyExists,Microsoft.PowerShell.Commands.AddMemberCommand",
                "InvalidOperation",
                exception_type="System.InvalidOperationException",
                terminating=False,
            )
        target.set(name, value)
    return [target] if inv.get("PassThru") else []


@cmdlet(
    "Get-Member",
    Param("Name", "string[]", position=0),
    Param("MemberType", "string"),
    Param("InputObject", "object", from_pipeline=True),
    collects_input=True,
    summary="List the properties and methods of objects.",
    not_modelled="-Static, -View, -Force",
)
def get_member(inv: Invocation) -> Iterable[Any]:
    """Get-Member: one MemberDefinition per property/method of each distinct type. Not modelled: -Static, -View."""
    results: list[Any] = []
    seen: set[str] = set()
    for obj in inv.input_objects:
        type_name = type_name_of(obj)
        if type_name in seen:
            continue
        seen.add(type_name)
        entries: list[tuple[str, str, str]] = [
            ("GetType", "Method", "type GetType()"),
            ("ToString", "Method", "string ToString()"),
        ]
        if isinstance(obj, PSObject):
            entries += [(name, "Method", f"{name}()") for name in obj.methods]
            entries += [
                (
                    name,
                    "NoteProperty" if type_name.endswith("PSCustomObject") else "Property",
                    f"{type_name_of(value)} {name}",
                )
                for name, value in obj.props.items()
            ]
        wanted = {n.lower() for n in inv.get("Name") or []}
        for name, kind, definition in sorted(entries, key=lambda e: (e[1], e[0].lower())):
            if wanted and name.lower() not in wanted:
                continue
            results.append(
                PSObject(
                    "Microsoft.PowerShell.Commands.MemberDefinition",
                    {"TypeName": type_name, "Name": name, "MemberType": kind, "Definition": definition},
                    default_display=("Name", "MemberType", "Definition"),
                )
            )
    return results


@cmdlet(
    "Import-Module",
    Param("Name", "string[]", position=0, mandatory=True),
    Param("Force", "switch"),
    Param("PassThru", "switch"),
    Param("DisableNameChecking", "switch"),
    summary="Load a module (the simulated modules are always loaded).",
    not_modelled="modules not simulated",
)
def import_module(inv: Invocation) -> None:
    """Import-Module for the modules whose cmdlets the simulator provides. Not modelled: any other module."""
    for name in inv.get("Name"):
        if name.lower() not in KNOWN_MODULES:
            raise NotModelledError(f"Import-Module {name}")


@cmdlet("Get-Host", summary="The PowerShell host.", not_modelled="UI members")
def get_host(inv: Invocation) -> Iterable[Any]:
    """Get-Host: name and version of the console host. Not modelled: UI members."""
    return [
        PSObject(
            "System.Management.Automation.Internal.Host.InternalHost",
            {"Name": "ConsoleHost", "Version": "5.1.14393.693", "CurrentCulture": "en-US"},
        )
    ]
