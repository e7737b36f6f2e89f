"""The NetSecurity cmdlets (Get/Enable/Disable/Set/New/Remove-NetFirewallRule, Get-NetFirewallPortFilter).

They are CIM-based ("cmdletization") cmdlets on Windows, so selection, errors and output objects follow
that machinery: selectors accept wildcards, a literal value that matches nothing writes "No
MSFT_NetFirewallRule objects found with property …", and the objects are MSFT_NetFirewallRule instances.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable
from typing import Any

from simulator.core.errors import NotModelledError, ParameterBindingError, SimError
from simulator.ps.api import Invocation, Param, cmdlet
from simulator.ps.objects import PSEnum, PSObject, enum_factory
from simulator.services.firewall.rules import (
    all_rules,
    find_rule,
    has_wildcards,
    make_rule,
    matches,
    parse_profiles,
    profile_text,
)

_NS = "Microsoft.PowerShell.Cmdletization.GeneratedTypes.NetSecurity"
enabled_enum = enum_factory(f"{_NS}.Enabled", {"True": 1, "False": 2})
direction_enum = enum_factory(f"{_NS}.Direction", {"Inbound": 1, "Outbound": 2})
action_enum = enum_factory(f"{_NS}.Action", {"NotConfigured": 0, "Allow": 2, "Block": 4})
primary_status_enum = enum_factory(f"{_NS}.PrimaryStatus", {"Unknown": 0, "OK": 1, "Inactive": 2, "Error": 3})
edge_enum = enum_factory(f"{_NS}.EdgeTraversal", {"Block": 0, "Allow": 1, "DeferToUser": 2, "DeferToApp": 3})
_PROFILE_BITS = {"Domain": 1, "Private": 2, "Public": 4}

RULE_CLASS = "MSFT_NetFirewallRule"
RULE_TYPE = f"Microsoft.Management.Infrastructure.CimInstance#root/StandardCimv2/{RULE_CLASS}"
PORT_FILTER_TYPE = "Microsoft.Management.Infrastructure.CimInstance#root/StandardCimv2/MSFT_NetProtocolPortFilter"
_CIM = "Microsoft.Management.Infrastructure.CimInstance"

_DISPLAY = (
    "Name", "DisplayName", "Description", "DisplayGroup", "Group", "Enabled", "Profile", "Platform",
    "Direction", "Action", "EdgeTraversalPolicy", "LooseSourceMapping", "LocalOnlyMapping", "Owner",
    "PrimaryStatus", "Status", "EnforcementStatus", "PolicyStoreSource", "PolicyStoreSourceType",
)


def profile_enum(rule: dict[str, Any]) -> PSEnum:
    """The rule's Profile as the flags enum Windows shows (``Any`` = 0, ``Domain, Private`` = 3)."""
    value = sum(_PROFILE_BITS[p] for p in rule["profiles"])
    return PSEnum(f"{_NS}.Profile", profile_text(rule), 0 if value == 7 else value)


def rule_object(rule: dict[str, Any]) -> PSObject:
    """An MSFT_NetFirewallRule instance for a rule dict (a snapshot, as CIM instances are)."""
    props = {
        "Name": rule["name"],
        "ID": rule["name"],
        "InstanceID": rule["name"],
        "DisplayName": rule["display_name"],
        "ElementName": rule["display_name"],
        "Description": rule["description"] or None,
        "DisplayGroup": rule["display_group"] or None,
        "Group": rule["group"] or None,
        "Enabled": enabled_enum("True" if rule["enabled"] else "False"),
        "Profile": profile_enum(rule),
        "Platform": [],
        "Direction": direction_enum(rule["direction"]),
        "Action": action_enum(rule["action"]),
        "EdgeTraversalPolicy": edge_enum(rule["edge_traversal"]),
        "LooseSourceMapping": False,
        "LocalOnlyMapping": False,
        "Owner": None,
        "PrimaryStatus": primary_status_enum("OK"),
        "Status": "The rule was parsed successfully from the store. (65536)",
        "EnforcementStatus": "NotApplicable",
        "PolicyStoreSource": "PersistentStore",
        "PolicyStoreSourceType": "Local",
    }
    return PSObject(
        [RULE_TYPE, f"{_CIM}#{RULE_CLASS}", _CIM, "System.Object"],
        props,
        to_string=f'{RULE_CLASS} (InstanceID = "{rule["name"]}")',
        default_display=_DISPLAY,
        hidden={"firewall_rule": rule["name"]},
    )


def _not_found(command: str, prop: str, value: str) -> SimError:
    return SimError(
        f"No {RULE_CLASS} objects found with property '{prop}' equal to '{value}'.  "
        "Verify the value of the property and retry.",
        f"CmdletizationQuery_NotFound_{prop},{command}",
        "ObjectNotFound",
        target=value,
        exception_type="Microsoft.PowerShell.Cmdletization.Cim.CimJobException",
    )


_SELECTOR_PROPS = {
    "Name": "name",
    "DisplayName": "display_name",
    "DisplayGroup": "display_group",
    "Group": "group",
    "Enabled": "enabled",
    "Direction": "direction",
    "Action": "action",
}
_QUERY_SET = ("DisplayGroup", "Group", "Enabled", "Direction", "Action")


def _rule_text(rule: dict[str, Any], prop: str) -> str:
    value = rule[_SELECTOR_PROPS[prop]]
    if isinstance(value, bool):
        return "True" if value else "False"
    return str(value)


def _as_list(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, list | tuple):
        return [str(v) for v in value]
    return [str(value)]


def _input_rule_name(inv: Invocation, param: str) -> str | None:
    obj = inv.get(param, inv.input)
    if obj is None:
        return None
    if isinstance(obj, PSObject):
        name = obj.hidden.get("firewall_rule") or obj.get("Name")
        if name is not None:
            return str(name)
    msg = (
        "The input object cannot be bound to any parameters for the command either because the command does not "
        "take pipeline input or the input and its properties do not match any of the parameters that take "
        "pipeline input."
    )
    raise ParameterBindingError(msg, f"InputObjectNotBound,{inv.name}")


def select_rules(inv: Invocation, command: str, input_param: str = "InputObject") -> list[dict[str, Any]]:
    """The rules a cmdlet's selectors name, writing Windows' not-found errors for literal misses.

    With no selector and no input object every rule is selected (as Windows does: a bare
    ``Enable-NetFirewallRule`` enables every rule).
    """
    given = [p for p in _SELECTOR_PROPS if inv.has(p)]
    if "Name" in given or "DisplayName" in given:
        others = [p for p in given if p not in {"Name", "DisplayName"}]
        if len(given) > 1 and (others or {"Name", "DisplayName"} <= set(given)):
            raise ParameterBindingError(
                "Parameter set cannot be resolved using the specified named parameters.",
                f"AmbiguousParameterSet,{command}",
            )
    input_name = _input_rule_name(inv, input_param)
    if input_name is not None:
        rule = find_rule(inv.host, input_name)
        if rule is None:
            inv.write_error(_not_found(command, "Name", input_name))
            return []
        return [rule]
    selected = list(all_rules(inv.host))
    for prop in given:
        patterns = _as_list(inv.get(prop))
        selected = [r for r in selected if any(matches(_rule_text(r, prop), p) for p in patterns)]
        for pattern in patterns:
            if has_wildcards(pattern):
                continue
            if not any(matches(_rule_text(r, prop), pattern) for r in selected):
                inv.write_error(_not_found(command, prop, pattern))
    return selected


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


_PORT = re.compile(r"^(\d{1,5})(?:-(\d{1,5}))?$")
_PORT_KEYWORDS = {
    "any": "Any", "rpc": "RPC", "rpcepmap": "RPCEPMap", "iphttps": "IPHTTPS", "playtodiscovery": "PlayToDiscovery",
}


def normalise_ports(values: Iterable[Any], command: str, parameter: str) -> list[str]:
    """Port list values (``443``, ``5000-5010``, ``Any``, ``RPC``) in Windows' spelling.

    Raises:
        SimError: for a value Windows would refuse (out of 0–65535, garbage).
    """
    result: list[str] = []
    for raw in values:
        for part in str(raw).split(","):
            text = part.strip()
            keyword = _PORT_KEYWORDS.get(text.lower().replace("-", ""))
            if keyword is not None:
                result.append(keyword)
                continue
            found = _PORT.match(text)
            if found is None or any(int(g) > 65535 for g in found.groups() if g is not None):
                # ASSUMPTION: the text of the CIM provider's "invalid port" error.
                raise SimError(
                    f"The port '{text}' is not valid. Specify a port number from 0 to 65535, a range, or a keyword.",
                    f"Windows System Error 87,{command}",
                    "InvalidArgument",
                    hresult=0x80070057,
                    target=parameter,
                    exception_type="Microsoft.Management.Infrastructure.CimException",
                )
            result.append(text)
    return result or ["Any"]


def _normalise_protocol(value: Any) -> str:
    text = str(value).strip()
    known = {"tcp": "TCP", "udp": "UDP", "icmpv4": "ICMPv4", "icmpv6": "ICMPv6", "any": "Any", "6": "TCP", "17": "UDP",
             "1": "ICMPv4", "58": "ICMPv6"}
    if text.lower() in known:
        return known[text.lower()]
    if text.isdigit() and int(text) <= 255:
        return text
    raise SimError(
        "The specified protocol is not valid.",  # ASSUMPTION: exact CIM text unknown
        "Windows System Error 87,New-NetFirewallRule",
        "InvalidArgument",
        hresult=0x80070057,
        exception_type="Microsoft.Management.Infrastructure.CimException",
    )


def _ports_need_tcp_udp(protocol: str, command: str) -> SimError:
    # ASSUMPTION: Windows refuses ports on a rule whose protocol is not TCP/UDP; the text is ours.
    return SimError(
        f"The port filter is not valid for protocol '{protocol}'. Specify -Protocol TCP or UDP to use ports.",
        f"Windows System Error 87,{command}",
        "InvalidArgument",
        hresult=0x80070057,
        exception_type="Microsoft.Management.Infrastructure.CimException",
    )


def _profiles(inv: Invocation, command: str) -> list[str]:
    try:
        return parse_profiles(_as_list(inv.get("Profile")))
    except ValueError as exc:
        raise ParameterBindingError(
            f"Cannot bind parameter 'Profile'. Cannot convert value \"{exc}\" to type \"{_NS}.Profile\".",
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
        changes["protocol"] = _normalise_protocol(inv.get("Protocol"))
    for param, key in (("LocalPort", "local_port"), ("RemotePort", "remote_port")):
        if inv.has(param):
            changes[key] = normalise_ports(_as_list(inv.get(param)), command, param)
    for param, key in (("LocalAddress", "local_address"), ("RemoteAddress", "remote_address")):
        if inv.has(param):
            changes[key] = _as_list(inv.get(param)) or ["Any"]
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
            raise _ports_need_tcp_udp(protocol, command)
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
    protocol = _normalise_protocol(inv.get("Protocol", "Any"))
    local_port = normalise_ports(_as_list(inv.get("LocalPort")), command, "LocalPort")
    remote_port = normalise_ports(_as_list(inv.get("RemotePort")), command, "RemotePort")
    if protocol not in {"TCP", "UDP"} and (local_port != ["Any"] or remote_port != ["Any"]):
        raise _ports_need_tcp_udp(protocol, command)
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
        local_address=_as_list(inv.get("LocalAddress")) or ["Any"],
        remote_address=_as_list(inv.get("RemoteAddress")) or ["Any"],
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


def port_filter_object(rule: dict[str, Any]) -> PSObject:
    """The MSFT_NetProtocolPortFilter associated with a rule."""

    def ports(values: list[str]) -> Any:
        if not values:
            return None
        return values[0] if len(values) == 1 else list(values)

    icmp = rule["protocol"] in {"ICMPv4", "ICMPv6"}
    props = {
        "Protocol": rule["protocol"],
        "LocalPort": "Any" if icmp else ports(rule["local_port"]),
        "RemotePort": "Any" if icmp else ports(rule["remote_port"]),
        "IcmpType": ports(rule["icmp_type"]) if icmp else "Any",
        "DynamicTarget": "Any",
        "InstanceID": rule["name"],
    }
    return PSObject(
        [PORT_FILTER_TYPE, f"{_CIM}#MSFT_NetProtocolPortFilter", _CIM, "System.Object"],
        props,
        to_string=f'MSFT_NetProtocolPortFilter (InstanceID = "{rule["name"]}")',
        default_display=("Protocol", "LocalPort", "RemotePort", "IcmpType", "DynamicTarget"),
        hidden={"firewall_rule": rule["name"]},
    )


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
    name = _input_rule_name(inv, "AssociatedNetFirewallRule")
    if name is not None:
        rule = find_rule(inv.host, name)
        rules = [] if rule is None else [rule]
    else:
        rules = list(all_rules(inv.host))
    if inv.has("Protocol"):
        wanted = {_normalise_protocol(p) for p in _as_list(inv.get("Protocol"))}
        rules = [r for r in rules if r["protocol"] in wanted]
    return [port_filter_object(r) for r in rules]
