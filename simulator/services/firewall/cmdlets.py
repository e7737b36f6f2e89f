"""The NetSecurity cmdlets (Get/Enable/Disable/Set/New/Remove-NetFirewallRule, Get-NetFirewallPortFilter).

Thin handlers over the rule table (:mod:`rules`), the CIM object/selection layer (:mod:`cim`) and the
value checks (:mod:`values`); each validates everything before it changes a rule.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any

from simulator.core.errors import NotModelledError, ParameterBindingError, SimError
from simulator.ps.api import Invocation, Param, cmdlet
from simulator.services.firewall.cim import (
    NS,
    RULE_CLASS,
    as_list,
    input_rule_name,
    port_filter_object,
    rule_object,
    select_rules,
)
from simulator.services.firewall.rules import all_rules, find_rule, make_rule, parse_profiles
from simulator.services.firewall.values import normalise_ports, normalise_protocol, ports_need_tcp_udp


def _selector_params() -> tuple[Param, ...]:
    return (
        Param("Name", "string[]", position=0, aliases=("ID",)),
        Param("DisplayName", "string[]"),
        Param("DisplayGroup", "string[]"),
        Param("Group", "string[]"),
        Param("Enabled", "string[]", validate_set=("True", "False")),
        Param("Direction", "string[]", validate_set=("Inbound", "Outbound")),
        Param("Action", "string[]", validate_set=("NotConfigured", "Allow", "Block")),
        Param("InputObject", "object", from_pipeline=True),
        Param("PolicyStore", "string"),
    )


def _check_policy_store(inv: Invocation) -> None:
    store = inv.get("PolicyStore")
    if store is not None and str(store).lower() not in {"persistentstore", "activestore"}:
        raise NotModelledError(f"-PolicyStore {store} (only PersistentStore and ActiveStore)")


@cmdlet(
    "Get-NetFirewallRule",
    *_selector_params(),
    Param("All", "switch"),
    summary="List firewall rules by Name, DisplayName, group or state (wildcards).",
    not_modelled="-PolicyStore other than PersistentStore/ActiveStore, -GPOSession, -CimSession, -AsJob, "
    "-Owner, -PrimaryStatus, -Status, -PolicyStoreSource filters.",
    area="firewall",
)
def get_net_firewall_rule(inv: Invocation) -> Iterable[Any]:
    """Get-NetFirewallRule: the selected rules as MSFT_NetFirewallRule objects.

    Not modelled: GPO stores, CIM sessions, jobs, filtering by status properties.
    """
    _check_policy_store(inv)
    return [rule_object(r) for r in select_rules(inv, "Get-NetFirewallRule")]


def _set_enabled(inv: Invocation, command: str, enabled: bool) -> list[Any]:
    _check_policy_store(inv)
    rules = select_rules(inv, command)
    with inv.host.transaction():
        for rule in rules:
            rule["enabled"] = enabled
    return [rule_object(r) for r in rules] if inv.get("PassThru") else []


@cmdlet(
    "Enable-NetFirewallRule",
    *_selector_params(),
    Param("All", "switch"),
    Param("PassThru", "switch"),
    summary="Enable the selected firewall rules (all of them when no selector is given, as on Windows).",
    not_modelled="-GPOSession, -CimSession, -AsJob, -WhatIf.",
    mutates=True,
    area="firewall",
)
def enable_net_firewall_rule(inv: Invocation) -> Iterable[Any]:
    """Enable-NetFirewallRule: set Enabled True on every selected rule; -PassThru returns them.

    Not modelled: GPO sessions, CIM sessions, jobs, -WhatIf.
    """
    return _set_enabled(inv, "Enable-NetFirewallRule", True)


@cmdlet(
    "Disable-NetFirewallRule",
    *_selector_params(),
    Param("All", "switch"),
    Param("PassThru", "switch"),
    summary="Disable the selected firewall rules (all of them when no selector is given, as on Windows).",
    not_modelled="-GPOSession, -CimSession, -AsJob, -WhatIf.",
    mutates=True,
    area="firewall",
)
def disable_net_firewall_rule(inv: Invocation) -> Iterable[Any]:
    """Disable-NetFirewallRule: set Enabled False on every selected rule; -PassThru returns them.

    Not modelled: GPO sessions, CIM sessions, jobs, -WhatIf.
    """
    return _set_enabled(inv, "Disable-NetFirewallRule", False)


def _profiles(inv: Invocation, command: str) -> list[str]:
    try:
        return parse_profiles(as_list(inv.get("Profile")))
    except ValueError as exc:
        raise ParameterBindingError(
            f"Cannot bind parameter 'Profile'. Cannot convert value \"{exc}\" to type \"{NS}.Profile\".",
            f"CannotConvertArgumentNoMessage,{command}",
        ) from exc


_SETTABLE = (
    Param("NewDisplayName", "string"),
    Param("Description", "string"),
    Param("Protocol", "string"),
    Param("LocalPort", "string[]"),
    Param("RemotePort", "string[]"),
    Param("RemoteAddress", "string[]"),
    Param("LocalAddress", "string[]"),
    Param("Profile", "string[]"),
    Param("PassThru", "switch"),
)


@cmdlet(
    "Set-NetFirewallRule",
    *(p for p in _selector_params() if p.name not in {"Enabled", "Direction", "Action"}),
    Param("Enabled", "string", validate_set=("True", "False")),
    Param("Direction", "string", validate_set=("Inbound", "Outbound")),
    Param("Action", "string", validate_set=("NotConfigured", "Allow", "Block")),
    *_SETTABLE,
    summary="Change the selected rules: -Enabled, -LocalPort, -Profile, -Action, -NewDisplayName, …",
    not_modelled="-Program, -Service, -IcmpType, -EdgeTraversalPolicy, -InterfaceType, -Authentication, "
    "-Encryption, -GPOSession, -CimSession, -AsJob; selecting by -Enabled/-Direction/-Action (they set values).",
    mutates=True,
    area="firewall",
)
def set_net_firewall_rule(inv: Invocation) -> Iterable[Any]:
    """Set-NetFirewallRule: change properties of every rule selected by Name/DisplayName/group/input.

    Not modelled: program/service/ICMP/interface/IPsec filters, GPO sessions, CIM sessions, jobs.
    """
    command = "Set-NetFirewallRule"
    _check_policy_store(inv)
    changes: dict[str, Any] = {}
    if inv.has("Enabled"):
        changes["enabled"] = inv.get("Enabled") == "True"
    for param, key in (("Direction", "direction"), ("Action", "action"), ("NewDisplayName", "display_name"),
                       ("Description", "description")):
        if inv.has(param):
            changes[key] = str(inv.get(param))
    if inv.has("Protocol"):
        changes["protocol"] = normalise_protocol(inv.get("Protocol"))
    for param, key in (("LocalPort", "local_port"), ("RemotePort", "remote_port")):
        if inv.has(param):
            changes[key] = normalise_ports(as_list(inv.get(param)), command, param)
    for param, key in (("LocalAddress", "local_address"), ("RemoteAddress", "remote_address")):
        if inv.has(param):
            changes[key] = as_list(inv.get(param)) or ["Any"]
    if inv.has("Profile"):
        changes["profiles"] = _profiles(inv, command)
    selectors = ("Name", "DisplayName", "DisplayGroup", "Group", "InputObject")
    if not any(inv.has(p) for p in selectors) and inv.input is None:
        # Set-NetFirewallRule has no -All: its default parameter set needs -Name (no prompt remotely).
        raise ParameterBindingError(
            "Cannot process command because of one or more missing mandatory parameters: Name.",
            f"MissingMandatoryParameter,{command}",
        )
    saved: dict[str, Any] = {k: inv.args.pop(k) for k in ("Enabled", "Direction", "Action") if k in inv.args}
    try:
        rules = select_rules(inv, command)
    finally:
        inv.args.update(saved)
    for rule in rules:
        protocol = changes.get("protocol", rule["protocol"])
        ports = [changes.get("local_port", rule["local_port"]), changes.get("remote_port", rule["remote_port"])]
        if protocol not in {"TCP", "UDP"} and any(p not in ([], ["Any"]) for p in ports):
            raise ports_need_tcp_udp(protocol, command)
    with inv.host.transaction():
        for rule in rules:
            rule.update({k: list(v) if isinstance(v, list) else v for k, v in changes.items()})
    return [rule_object(r) for r in rules] if inv.get("PassThru") else []


@cmdlet(
    "New-NetFirewallRule",
    Param("DisplayName", "string", mandatory=True),
    Param("Name", "string", aliases=("ID",)),
    Param("Description", "string"),
    Param("Group", "string"),
    Param("Enabled", "string", validate_set=("True", "False")),
    Param("Direction", "string", validate_set=("Inbound", "Outbound")),
    Param("Action", "string", validate_set=("NotConfigured", "Allow", "Block")),
    Param("Protocol", "string"),
    Param("LocalPort", "string[]"),
    Param("RemotePort", "string[]"),
    Param("LocalAddress", "string[]"),
    Param("RemoteAddress", "string[]"),
    Param("Profile", "string[]"),
    Param("Program", "string"),
    Param("PolicyStore", "string"),
    summary="Create a firewall rule (Name defaults to a new GUID, as on Windows).",
    not_modelled="-Service, -IcmpType, -EdgeTraversalPolicy, -InterfaceType, -Authentication, -Encryption, "
    "-Owner, -Platform, -GPOSession, -CimSession, -AsJob.",
    mutates=True,
    area="firewall",
)
def new_net_firewall_rule(inv: Invocation) -> Iterable[Any]:
    """New-NetFirewallRule: add a rule; a duplicate Name fails as Windows fails (system error 183).

    Not modelled: service/ICMP/interface/IPsec filters, owner and platform, GPO sessions, CIM sessions.
    """
    command = "New-NetFirewallRule"
    _check_policy_store(inv)
    name = str(inv.get("Name") or "{" + str(uuid.uuid4()) + "}")
    if find_rule(inv.host, name) is not None:
        raise SimError(
            "Cannot create a file when that file already exists.",
            f"Windows System Error 183,{command}",
            "NotSpecified",
            hresult=0x800700B7,
            target=RULE_CLASS,
            exception_type="Microsoft.Management.Infrastructure.CimException",
        )
    protocol = normalise_protocol(inv.get("Protocol", "Any"))
    local_port = normalise_ports(as_list(inv.get("LocalPort")), command, "LocalPort")
    remote_port = normalise_ports(as_list(inv.get("RemotePort")), command, "RemotePort")
    if protocol not in {"TCP", "UDP"} and (local_port != ["Any"] or remote_port != ["Any"]):
        raise ports_need_tcp_udp(protocol, command)
    rule = make_rule(
        name,
        str(inv.get("DisplayName")),
        description=str(inv.get("Description") or ""),
        group=str(inv.get("Group") or ""),
        enabled=inv.get("Enabled", "True") == "True",
        direction=str(inv.get("Direction", "Inbound")),
        action=str(inv.get("Action", "Allow")),
        protocol=protocol,
        local_port=local_port,
        remote_port=remote_port,
        local_address=as_list(inv.get("LocalAddress")) or ["Any"],
        remote_address=as_list(inv.get("RemoteAddress")) or ["Any"],
        profiles=_profiles(inv, command),
        program=str(inv.get("Program") or "Any"),
    )
    with inv.host.transaction():
        all_rules(inv.host).append(rule)
    return [rule_object(rule)]


@cmdlet(
    "Remove-NetFirewallRule",
    *_selector_params(),
    Param("All", "switch"),
    summary="Delete the selected firewall rules (all of them when no selector is given, as on Windows).",
    not_modelled="-GPOSession, -CimSession, -AsJob, -WhatIf.",
    mutates=True,
    area="firewall",
)
def remove_net_firewall_rule(inv: Invocation) -> Iterable[Any]:
    """Remove-NetFirewallRule: delete every selected rule.

    Not modelled: GPO sessions, CIM sessions, jobs, -WhatIf.
    """
    _check_policy_store(inv)
    doomed = {r["name"] for r in select_rules(inv, "Remove-NetFirewallRule")}
    with inv.host.transaction():
        rules = all_rules(inv.host)
        rules[:] = [r for r in rules if r["name"] not in doomed]
    return []


@cmdlet(
    "Get-NetFirewallPortFilter",
    Param("AssociatedNetFirewallRule", "object", from_pipeline=True),
    Param("All", "switch"),
    Param("Protocol", "string[]"),
    Param("PolicyStore", "string"),
    summary="Port filters (Protocol, LocalPort, RemotePort) of piped rules, or of every rule.",
    not_modelled="-LocalPort/-RemotePort/-IcmpType/-DynamicTarget query filters, -GPOSession, -CimSession, -AsJob.",
    area="firewall",
)
def get_net_firewall_port_filter(inv: Invocation) -> Iterable[Any]:
    """Get-NetFirewallPortFilter: the port filter of each rule piped in (or of all rules).

    Not modelled: querying by port or ICMP type, GPO sessions, CIM sessions, jobs.
    """
    _check_policy_store(inv)
    name = input_rule_name(inv, "AssociatedNetFirewallRule")
    if name is not None:
        rule = find_rule(inv.host, name)
        rules = [] if rule is None else [rule]
    else:
        rules = list(all_rules(inv.host))
    if inv.has("Protocol"):
        wanted = {normalise_protocol(p) for p in as_list(inv.get("Protocol"))}
        rules = [r for r in rules if r["protocol"] in wanted]
    return [port_filter_object(r) for r in rules]
