"""MSFT_NetFirewallRule as the NetSecurity cmdlets show it, and their rule selection ("cmdletization").

Selectors accept wildcards; a literal value that matches nothing writes Windows' "No MSFT_NetFirewallRule
objects found with property …" error; output objects are snapshots of CIM instances with the enums
(Enabled True=1/False=2, Direction, Action, Profile flags) 5.1 serialises as integers.
"""

from __future__ import annotations

from typing import Any

from simulator.core.errors import ParameterBindingError, SimError
from simulator.ps.api import Invocation
from simulator.ps.objects import PSEnum, PSObject, enum_factory
from simulator.services.firewall.rules import all_rules, find_rule, has_wildcards, matches, profile_text

NS = "Microsoft.PowerShell.Cmdletization.GeneratedTypes.NetSecurity"
enabled_enum = enum_factory(f"{NS}.Enabled", {"True": 1, "False": 2})
direction_enum = enum_factory(f"{NS}.Direction", {"Inbound": 1, "Outbound": 2})
action_enum = enum_factory(f"{NS}.Action", {"NotConfigured": 0, "Allow": 2, "Block": 4})
primary_status_enum = enum_factory(f"{NS}.PrimaryStatus", {"Unknown": 0, "OK": 1, "Inactive": 2, "Error": 3})
edge_enum = enum_factory(f"{NS}.EdgeTraversal", {"Block": 0, "Allow": 1, "DeferToUser": 2, "DeferToApp": 3})
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
    return PSEnum(f"{NS}.Profile", profile_text(rule), 0 if value == 7 else value)


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


def _rule_text(rule: dict[str, Any], prop: str) -> str:
    value = rule[_SELECTOR_PROPS[prop]]
    if isinstance(value, bool):
        return "True" if value else "False"
    return str(value)


def as_list(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, list | tuple):
        return [str(v) for v in value]
    return [str(value)]


def input_rule_name(inv: Invocation, param: str) -> str | None:
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
    input_name = input_rule_name(inv, input_param)
    if input_name is not None:
        rule = find_rule(inv.host, input_name)
        if rule is None:
            inv.write_error(_not_found(command, "Name", input_name))
            return []
        return [rule]
    selected = list(all_rules(inv.host))
    for prop in given:
        patterns = as_list(inv.get(prop))
        selected = [r for r in selected if any(matches(_rule_text(r, prop), p) for p in patterns)]
        for pattern in patterns:
            if has_wildcards(pattern):
                continue
            if not any(matches(_rule_text(r, prop), pattern) for r in selected):
                inv.write_error(_not_found(command, prop, pattern))
    return selected


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
