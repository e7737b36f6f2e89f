"""Replica authorization entries: which primary servers may replicate here, into which folder and trust group.

Holds the four ``*-VMReplicationAuthorizationEntry`` cmdlets and :func:`authorize`, which the
replication transport calls on the replica once mutual TLS has named the primary.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from pathlib import PureWindowsPath
from typing import TYPE_CHECKING, Any

from simulator.ps.api import Invocation, Param, cmdlet
from simulator.ps.objects import PSObject
from simulator.services.hyperv.state import NS, TABLE_VIEWS, hyperv_error, section, wildcard_match

if TYPE_CHECKING:
    from simulator.core.host import Host

log = logging.getLogger(__name__)

ENTRY_TYPE = f"{NS}.VMReplicationAuthorizationEntry"
E_INVALIDARG = 0x80070057
E_FAIL = 0x80004005
ERROR_ALREADY_EXISTS = 0x800700B7
ERROR_NOT_FOUND = 0x80070490
_LABEL = re.compile(r"^(?!-)[\w-]{1,63}(?<!-)$", re.UNICODE)


def entries(host: Host) -> list[dict[str, str]]:
    """The stored authorization entries (``primary``, ``storage``, ``trust_group``)."""
    found: list[dict[str, str]] = section(host)["authorization"]
    return found


def _fqid(command: str, kind: str = "InvalidParameter") -> str:
    return f"{kind},Microsoft.HyperV.PowerShell.Commands.{command}"


def validate_primary_name(name: str, command: str) -> str:
    """Check an AllowedPrimaryServer value: an FQDN, ``*`` allowed only as the whole first label.

    # ASSUMPTION: (§10) Windows' text for an invalid name is not documented; this one names the rule.
    """
    labels = name.strip().rstrip(".").split(".")
    problem = len(labels) < 2 or any(
        not (_LABEL.match(label) or (index == 0 and label == "*")) for index, label in enumerate(labels))
    if problem or labels[-1] == "*":
        raise hyperv_error(
            f"The value '{name}' is not a valid fully qualified domain name for the allowed primary server. "
            "Specify the primary server's FQDN; a wildcard '*' is allowed only as the first label "
            "(for example *.contoso.com)", _fqid(command), "InvalidArgument", hresult=E_INVALIDARG, target=name)
    return ".".join(labels)


def validate_storage(host: Host, path: str, command: str) -> str:
    """A storage location must be an absolute path on a drive the host has."""
    win = PureWindowsPath(path)
    letter = win.drive.rstrip(":").upper()
    if not letter or not win.root or letter not in host.drives:
        raise hyperv_error(f"The storage location '{path}' is not a valid absolute path on this server",
                           _fqid(command), "InvalidArgument", hresult=E_INVALIDARG, target=path)
    return str(win)


def entry_object(host: Host, entry: dict[str, str]) -> PSObject:
    """The ``VMReplicationAuthorizationEntry`` PowerShell object."""
    return PSObject(ENTRY_TYPE, {
        "AllowedPrimaryServer": entry["primary"],
        "ReplicaStorageLocation": entry["storage"],
        "TrustGroup": entry["trust_group"],
        "ComputerName": host.info["name"],
        "IsDeleted": False,
    }, default_display=["AllowedPrimaryServer", "ReplicaStorageLocation", "TrustGroup"],
        to_string=ENTRY_TYPE, hidden={"table_view": TABLE_VIEWS["VMReplicationAuthorizationEntry"]})


def _find(host: Host, primary: str) -> dict[str, str] | None:
    for entry in entries(host):
        if entry["primary"].lower() == primary.lower():
            return entry
    return None


def name_matches(pattern: str, name: str) -> bool:
    """Whether an entry's AllowedPrimaryServer covers a primary's DNS name.

    # ASSUMPTION: ``*.contoso.com`` covers any name with one or more labels before ``.contoso.com``.
    """
    pattern, name = pattern.lower().rstrip("."), name.lower().rstrip(".")
    if pattern.startswith("*."):
        return name.endswith(pattern[1:]) and len(name) > len(pattern) - 1
    return pattern == name


def authorize(host: Host, primary_names: Iterable[str]) -> tuple[str, str] | None:
    """Whether the replica server on ``host`` accepts a primary known by ``primary_names``.

    Returns ``(trust_group, storage_location)`` of the matching entry (an exact name beats a
    wildcard, a longer wildcard beats a shorter one), ``("DEFAULT", DefaultStorageLocation)`` when
    the server accepts any authenticated server, or None when not authorized or when the host is
    not a replica server.
    """
    server = section(host)["server"]
    if not server["enabled"]:
        return None
    if server["allow_any_server"]:
        return "DEFAULT", server["default_storage"]
    names = [n for n in primary_names if n]
    best: tuple[int, dict[str, str]] | None = None
    for entry in entries(host):
        for name in names:
            if name_matches(entry["primary"], name):
                rank = 10_000 if not entry["primary"].startswith("*") else len(entry["primary"])
                if best is None or rank > best[0]:
                    best = (rank, entry)
    if best is None:
        log.info("no authorization entry on %s matches %s", host.info["name"], names)
        return None
    return best[1]["trust_group"], best[1]["storage"]


# ------------------------------------------------------------------------------------ cmdlets
@cmdlet(
    "New-VMReplicationAuthorizationEntry",
    Param("AllowedPrimaryServer", position=0, mandatory=True, aliases=("AllowedPS",)),
    Param("ReplicaStorageLocation", position=1, mandatory=True, aliases=("StorageLoc",)),
    Param("TrustGroup", position=2, mandatory=True),
    summary="Authorize a primary server (FQDN or *.domain) with a storage location and trust group.",
    not_modelled="-ComputerName, -CimSession, -Credential, -WhatIf, -Confirm",
    mutates=True, area="Hyper-V",
)
def new_vm_replication_authorization_entry(inv: Invocation) -> list[PSObject]:
    """Add an authorization entry (refused while the server accepts any server, and for duplicates).

    Not modelled: -ComputerName, -CimSession, -Credential, -WhatIf/-Confirm.
    """
    command = "NewVMReplicationAuthorizationEntry"
    host = inv.host
    primary = validate_primary_name(inv.get("AllowedPrimaryServer"), command)
    storage = validate_storage(host, inv.get("ReplicaStorageLocation"), command)
    trust_group = str(inv.get("TrustGroup"))
    if section(host)["server"]["allow_any_server"]:
        # ASSUMPTION: (§10.3) text and HRESULT of this refusal are not documented.
        raise hyperv_error(
            "Cannot add the authorization entry: the Replica server is configured to accept replication from "
            "any authenticated server. Set ReplicationAllowedFromAnyServer to $false first",
            _fqid(command, "InvalidOperation"), hresult=E_FAIL, target=primary)
    if _find(host, primary) is not None:
        # ASSUMPTION: duplicate text; ERROR_ALREADY_EXISTS is the natural HRESULT.
        raise hyperv_error(f"An authorization entry for the primary server '{primary}' already exists",
                           _fqid(command, "ObjectAlreadyExists"), "ResourceExists",
                           hresult=ERROR_ALREADY_EXISTS, target=primary)
    entry = {"primary": primary, "storage": storage, "trust_group": trust_group}
    entries(host).append(entry)
    return [entry_object(host, entry)]


@cmdlet(
    "Get-VMReplicationAuthorizationEntry",
    Param("AllowedPrimaryServer", position=0, aliases=("AllowedPS",)),
    Param("ReplicaStorageLocation", aliases=("StorageLoc",)),
    Param("TrustGroup"),
    summary="List authorization entries, filtered by primary server, storage location or trust group.",
    not_modelled="-ComputerName, -CimSession, -Credential",
    area="Hyper-V",
)
def get_vm_replication_authorization_entry(inv: Invocation) -> list[PSObject]:
    """Return the entries matching every given filter (wildcards allowed).

    Not modelled: -ComputerName, -CimSession, -Credential.
    """
    filters = {"primary": inv.get("AllowedPrimaryServer"), "storage": inv.get("ReplicaStorageLocation"),
               "trust_group": inv.get("TrustGroup")}
    found = [e for e in entries(inv.host)
             if all(value is None or wildcard_match(value, e[key]) for key, value in filters.items())]
    return [entry_object(inv.host, e) for e in found]


@cmdlet(
    "Set-VMReplicationAuthorizationEntry",
    Param("AllowedPrimaryServer", position=0, aliases=("AllowedPS",)),
    Param("ReplicaStorageLocation", position=1, aliases=("StorageLoc",)),
    Param("TrustGroup", position=2),
    Param("VMReplicationAuthorizationEntry", type="object", from_pipeline=True),
    Param("Passthru", type="switch"),
    summary="Change the storage location or trust group of an authorization entry.",
    not_modelled="-ComputerName, -CimSession, -Credential, -WhatIf, -Confirm",
    mutates=True, area="Hyper-V",
)
def set_vm_replication_authorization_entry(inv: Invocation) -> list[PSObject]:
    """Update one entry chosen by -AllowedPrimaryServer or by a piped entry object.

    Not modelled: -ComputerName, -CimSession, -Credential, -WhatIf/-Confirm.
    """
    command = "SetVMReplicationAuthorizationEntry"
    given = inv.get("VMReplicationAuthorizationEntry")
    primary = given.get("AllowedPrimaryServer") if isinstance(given, PSObject) else inv.get("AllowedPrimaryServer")
    if not primary:
        raise hyperv_error("Specify -AllowedPrimaryServer or an authorization entry object", _fqid(command),
                           "InvalidArgument", hresult=E_INVALIDARG)
    entry = _find(inv.host, primary)
    if entry is None:
        raise hyperv_error(f"No authorization entry was found for the primary server '{primary}'",
                           _fqid(command, "ObjectNotFound"), "ObjectNotFound", hresult=ERROR_NOT_FOUND,
                           target=primary)
    storage = inv.get("ReplicaStorageLocation")
    if storage is not None:
        entry["storage"] = validate_storage(inv.host, storage, command)
    if inv.get("TrustGroup") is not None:
        entry["trust_group"] = str(inv.get("TrustGroup"))
    return [entry_object(inv.host, entry)] if inv.get("Passthru") else []


@cmdlet(
    "Remove-VMReplicationAuthorizationEntry",
    Param("AllowedPrimaryServer", position=0, aliases=("AllowedPS",)),
    Param("TrustGroup"),
    Param("VMReplicationAuthorizationEntry", type="object", from_pipeline=True),
    Param("Passthru", type="switch"),
    summary="Remove authorization entries by primary server, by trust group, or piped entry objects.",
    not_modelled="-ComputerName, -CimSession, -Credential, -WhatIf, -Confirm",
    mutates=True, area="Hyper-V",
)
def remove_vm_replication_authorization_entry(inv: Invocation) -> list[PSObject]:
    """Remove the chosen entries; a named primary without an entry is an error.

    Not modelled: -ComputerName, -CimSession, -Credential, -WhatIf/-Confirm.
    """
    command = "RemoveVMReplicationAuthorizationEntry"
    host = inv.host
    given = inv.get("VMReplicationAuthorizationEntry")
    doomed: list[dict[str, Any]] = []
    primary = given.get("AllowedPrimaryServer") if isinstance(given, PSObject) else inv.get("AllowedPrimaryServer")
    if primary is not None:
        doomed = [e for e in entries(host) if wildcard_match(primary, e["primary"])]
        if not doomed:
            raise hyperv_error(f"No authorization entry was found for the primary server '{primary}'",
                               _fqid(command, "ObjectNotFound"), "ObjectNotFound", hresult=ERROR_NOT_FOUND,
                               target=primary)
    elif inv.get("TrustGroup") is not None:
        doomed = [e for e in entries(host) if e["trust_group"].lower() == str(inv.get("TrustGroup")).lower()]
    else:
        raise hyperv_error("Specify -AllowedPrimaryServer, -TrustGroup or an authorization entry object",
                           _fqid(command), "InvalidArgument", hresult=E_INVALIDARG)
    section(host)["authorization"] = [e for e in entries(host) if e not in doomed]
    return [entry_object(host, e) for e in doomed] if inv.get("Passthru") else []
