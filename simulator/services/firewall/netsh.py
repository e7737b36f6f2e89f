"""``netsh advfirewall firewall`` (show/set/add/delete rule) over the same rule table as the cmdlets.

netsh's ``name=`` is the rule's *DisplayName* (the localized text), not the locale-independent Name
the cmdlets' ``-Name`` uses; ``group=`` is the DisplayGroup. Output follows Windows' layout: a
38-column label field, a 70-dash line under each rule name, and a trailing ``Ok.``.
"""

from __future__ import annotations

import uuid
from typing import Any

from simulator.cmd.api import CmdCall, CmdResult, cmd_command
from simulator.core.errors import SimError
from simulator.services.firewall.rules import all_rules, make_rule, parse_profiles
from simulator.services.firewall.values import normalise_ports

CRLF = "\r\n"
DASHES = "-" * 70
NO_MATCH = f"No rules match the specified criteria.{CRLF}"
BAD_SYNTAX = f"The syntax supplied for this command is not valid. Check help for the correct syntax.{CRLF}{CRLF}"
OK = f"Ok.{CRLF}{CRLF}"
_EDGE = {"Block": "No", "Allow": "Yes", "DeferToApp": "Defer to application", "DeferToUser": "Defer to user"}


def _line(label: str, value: str) -> str:
    return f"{label + ':':<38}{value}{CRLF}"


def _profiles_text(rule: dict[str, Any]) -> str:
    return ",".join(rule["profiles"]) if rule["profiles"] else "Domain,Private,Public"


def format_rule(rule: dict[str, Any], verbose: bool) -> str:
    """One rule as ``netsh advfirewall firewall show rule`` prints it (ends with a blank line)."""
    out = [_line("Rule Name", rule["display_name"]), DASHES + CRLF]
    if verbose:
        out.append(_line("Description", rule["description"]))
    out += [
        _line("Enabled", "Yes" if rule["enabled"] else "No"),
        _line("Direction", "In" if rule["direction"] == "Inbound" else "Out"),
        _line("Profiles", _profiles_text(rule)),
        _line("Grouping", rule["display_group"]),
        _line("LocalIP", ",".join(rule["local_address"])),
        _line("RemoteIP", ",".join(rule["remote_address"])),
        _line("Protocol", rule["protocol"]),
    ]
    if rule["protocol"] in {"ICMPv4", "ICMPv6"}:
        pad = " " * 38
        out.append(f"{pad}Type    Code{CRLF}")
        out.extend(f"{pad}{icmp:<8}Any {CRLF}" for icmp in rule["icmp_type"])
    elif rule["protocol"] in {"TCP", "UDP"}:
        out.append(_line("LocalPort", ",".join(rule["local_port"])))
        out.append(_line("RemotePort", ",".join(rule["remote_port"])))
    out.append(_line("Edge traversal", _EDGE.get(rule["edge_traversal"], "No")))
    if verbose:
        # ASSUMPTION: the order of the verbose-only lines between "Edge traversal" and "Action".
        out += [
            _line("Program", rule["program"]) if rule["program"] != "Any" else "",
            _line("InterfaceTypes", "Any"),
            _line("Security", "NotRequired"),
            _line("Rule source", "Local Setting"),
        ]
    out.append(_line("Action", rule["action"]))
    out.append(CRLF)
    return "".join(out)


def _options(args: list[str]) -> tuple[dict[str, str], dict[str, str], list[str]]:
    """Split ``key=value`` arguments into the selection part and the part after ``new``."""
    select: dict[str, str] = {}
    new: dict[str, str] = {}
    flags: list[str] = []
    target = select
    for arg in args:
        if arg.lower() == "new":
            target = new
            flags.append("new")
            continue
        key, sep, value = arg.partition("=")
        if not sep:
            flags.append(arg.lower())
            continue
        target[key.strip().lower()] = value.strip().strip('"')
    return select, new, flags


def _selected(call: CmdCall, select: dict[str, str]) -> list[dict[str, Any]] | None:
    """Rules matching name=/group= plus dir=/profile= filters; None when the selector is missing."""
    rules = list(all_rules(call.host))
    if "name" in select:
        wanted = select["name"].lower()
        # ASSUMPTION: netsh compares rule names case-insensitively.
        if wanted != "all":
            rules = [r for r in rules if r["display_name"].lower() == wanted]
    elif "group" in select:
        rules = [r for r in rules if r["display_group"].lower() == select["group"].lower()]
    else:
        return None
    if "dir" in select:
        direction = {"in": "Inbound", "out": "Outbound"}.get(select["dir"].lower())
        rules = [r for r in rules if r["direction"] == direction]
    if "profile" in select:
        wanted_profiles = set(parse_profiles([select["profile"]]))
        rules = [r for r in rules if not r["profiles"] or not wanted_profiles or wanted_profiles & set(r["profiles"])]
    return rules


def _show(call: CmdCall, args: list[str]) -> CmdResult:
    select, _, flags = _options(args)
    rules = _selected(call, select)
    if rules is None:
        return CmdResult(BAD_SYNTAX, exit_code=1)
    if not rules:
        return CmdResult(CRLF + NO_MATCH, exit_code=1)
    verbose = "verbose" in flags
    return CmdResult(CRLF + "".join(format_rule(r, verbose) for r in rules) + OK)


def _yes_no(value: str) -> bool:
    lowered = value.lower()
    if lowered not in {"yes", "no"}:
        raise ValueError(value)
    return lowered == "yes"


def _changes(new: dict[str, str]) -> dict[str, Any]:
    changes: dict[str, Any] = {}
    for key, value in new.items():
        if key == "enable":
            changes["enabled"] = _yes_no(value)
        elif key == "name":
            changes["display_name"] = value
        elif key == "dir":
            changes["direction"] = {"in": "Inbound", "out": "Outbound"}[value.lower()]
        elif key == "action":
            changes["action"] = {"allow": "Allow", "block": "Block"}[value.lower()]
        elif key in {"localport", "remoteport"}:
            changes[key.replace("port", "_port")] = normalise_ports([value], "netsh", key)
        elif key == "profile":
            changes["profiles"] = parse_profiles([value])
        elif key == "description":
            changes["description"] = value
        elif key == "protocol":
            changes["protocol"] = {"tcp": "TCP", "udp": "UDP", "any": "Any", "icmpv4": "ICMPv4",
                                   "icmpv6": "ICMPv6"}[value.lower()]
        elif key in {"localip", "remoteip"}:
            changes[key.replace("ip", "_address")] = [v.strip() for v in value.split(",")]
        elif key == "program":
            changes["program"] = value
        else:
            raise KeyError(key)
    return changes


def _set(call: CmdCall, args: list[str]) -> CmdResult:
    select, new, flags = _options(args)
    if "new" not in flags or not new:
        return CmdResult(BAD_SYNTAX, exit_code=1)
    try:
        changes = _changes(new)
    except (KeyError, ValueError, SimError):
        return CmdResult(BAD_SYNTAX, exit_code=1)
    if "group" in select and set(changes) - {"enabled"}:
        # ASSUMPTION: wording; netsh's help says "A group can only be enabled or disabled."
        return CmdResult(f"A group can only be enabled or disabled.{CRLF}{CRLF}", exit_code=1)
    if select.get("name", "").lower() == "all":
        return CmdResult(BAD_SYNTAX, exit_code=1)
    rules = _selected(call, select)
    if rules is None:
        return CmdResult(BAD_SYNTAX, exit_code=1)
    if not rules:
        return CmdResult(CRLF + NO_MATCH, exit_code=1)
    with call.host.transaction():
        for rule in rules:
            rule.update(changes)
    return CmdResult(f"{CRLF}Updated {len(rules)} rule(s).{CRLF}{OK}")


def _add(call: CmdCall, args: list[str]) -> CmdResult:
    options, _, _ = _options(args)
    if not {"name", "dir", "action"} <= set(options) or options["name"].lower() == "all":
        return CmdResult(BAD_SYNTAX, exit_code=1)
    try:
        fields = _changes({k: v for k, v in options.items() if k != "enable"})
        enabled = _yes_no(options.get("enable", "yes"))
    except (KeyError, ValueError, SimError):
        return CmdResult(BAD_SYNTAX, exit_code=1)
    protocol = fields.get("protocol", "Any")
    if protocol not in {"TCP", "UDP"} and ("local_port" in fields or "remote_port" in fields):
        return CmdResult(BAD_SYNTAX, exit_code=1)
    rule = make_rule("{" + str(uuid.uuid4()) + "}", fields.pop("display_name"), enabled=enabled)
    rule.update(fields)
    with call.host.transaction():
        all_rules(call.host).append(rule)
    return CmdResult(OK)


def _delete(call: CmdCall, args: list[str]) -> CmdResult:
    select, _, _ = _options(args)
    if "name" not in select:
        return CmdResult(BAD_SYNTAX, exit_code=1)
    rules = _selected(call, select)
    if not rules:
        return CmdResult(CRLF + NO_MATCH, exit_code=1)
    doomed = {id(r) for r in rules}
    with call.host.transaction():
        live = all_rules(call.host)
        live[:] = [r for r in live if id(r) not in doomed]
    return CmdResult(f"{CRLF}Deleted {len(rules)} rule(s).{CRLF}{OK}")


_VERBS = {"show": _show, "set": _set, "add": _add, "delete": _delete}


@cmd_command(
    "netsh",
    summary="netsh advfirewall firewall show|set|add|delete rule (name= is the DisplayName).",
    not_modelled="every other netsh context (http, interface, winhttp, advfirewall set/export/reset …), "
    "show rule type=dynamic, the service=/interfacetype=/security=/rmtcomputergrp= options.",
)
def netsh(call: CmdCall) -> CmdResult:
    """netsh: only the ``advfirewall firewall … rule`` commands are modelled.

    Not modelled: other netsh contexts and options, which answer with a loud "not modelled" text and exit 1.
    """
    words = [a.lower() for a in call.argv[:4]]
    if len(words) == 4 and words[:2] == ["advfirewall", "firewall"] and words[3] == "rule" and words[2] in _VERBS:
        return _VERBS[words[2]](call, call.argv[4:])
    what = " ".join(call.argv[:4]) or "(interactive netsh)"
    return CmdResult(f"not modelled by the simulator: netsh {what}{CRLF}", exit_code=1)
