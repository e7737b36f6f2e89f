"""The Windows Firewall rule table of one host: the built-in rules, matching, and the listener check.

Rules live in ``host.state["firewall"]["rules"]`` as plain dicts (one per rule, keys below), shared by
the NetSecurity cmdlets and ``netsh advfirewall``; other subsystems use the public functions here
(:func:`port_open` for the replication listener, :func:`set_local_port` when Hyper-V moves its port).
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from simulator.core.host import Host

# A rule dict has these keys (all JSON-compatible):
#   name, display_name, description, display_group, group: str ("" when none)
#   enabled: bool            direction: "Inbound" | "Outbound"      action: "Allow" | "Block"
#   protocol: "TCP" | "UDP" | "ICMPv4" | "ICMPv6" | "Any" | a number as text
#   local_port, remote_port: list[str] (["Any"], ["443"], ["5000-5010"], ["RPC"])
#   local_address, remote_address: list[str] (["Any"], ["LocalSubnet"], ["10.0.0.4"])
#   icmp_type: list[str] (["8"] for echo request; ["Any"] otherwise)
#   profiles: list[str] — subset of Domain/Private/Public; [] means Any
#   program: str ("Any" or a path), edge_traversal: "Block" | "Allow" | "DeferToUser" | "DeferToApp"

PROFILE_NAMES = ("Domain", "Private", "Public")

HYPERV_REPLICA_HTTP = "VIRT-HVRHTTPL-In-TCP-NoScope"
HYPERV_REPLICA_HTTPS = "VIRT-HVRHTTPSL-In-TCP-NoScope"


def make_rule(
    name: str,
    display_name: str,
    *,
    description: str = "",
    group: str = "",
    enabled: bool = True,
    direction: str = "Inbound",
    action: str = "Allow",
    protocol: str = "Any",
    local_port: Iterable[str] = ("Any",),
    remote_port: Iterable[str] = ("Any",),
    local_address: Iterable[str] = ("Any",),
    remote_address: Iterable[str] = ("Any",),
    icmp_type: Iterable[str] = ("Any",),
    profiles: Iterable[str] = (),
    program: str = "Any",
    edge_traversal: str = "Block",
) -> dict[str, Any]:
    """A rule dict with every key present (see the key list at the top of this module)."""
    return {
        "name": name,
        "display_name": display_name,
        "description": description,
        # ASSUMPTION: built-in rules' Group is an indirect resource string on Windows
        # (@%systemroot%\...,-NNN) that we do not know; we use the DisplayGroup text for both, which is
        # also what Windows shows for rules created with -Group "X".
        "display_group": group,
        "group": group,
        "enabled": enabled,
        "direction": direction,
        "action": action,
        "protocol": protocol,
        "local_port": list(local_port),
        "remote_port": list(remote_port),
        "local_address": list(local_address),
        "remote_address": list(remote_address),
        "icmp_type": list(icmp_type),
        "profiles": list(profiles),
        "program": program,
        "edge_traversal": edge_traversal,
    }


def builtin_rules() -> list[dict[str, Any]]:
    """The rules a fresh Server 2016 host with the Hyper-V role has (the ones this lab cares about).

    The two Hyper-V Replica listener rules are exactly as the fact sheet (§6) names them, disabled.
    """
    return [
        make_rule(
            HYPERV_REPLICA_HTTP,
            "Hyper-V Replica HTTP Listener (TCP-In)",
            # ASSUMPTION: description text; Windows has one, the fact sheet does not give it.
            description="Inbound rule for Hyper-V Replica listener to accept HTTP connection for replication. [TCP]",
            group="Hyper-V Replica HTTP",
            enabled=False,
            protocol="TCP",
            local_port=["80"],
            program="System",
        ),
        make_rule(
            HYPERV_REPLICA_HTTPS,
            "Hyper-V Replica HTTPS Listener (TCP-In)",
            # ASSUMPTION: description text, as above.
            description="Inbound rule for Hyper-V Replica listener to accept HTTPS connection for replication. [TCP]",
            group="Hyper-V Replica HTTPS",
            enabled=False,
            protocol="TCP",
            local_port=["443"],
            program="System",
        ),
        make_rule(
            "VIRT-MIGL-In-TCP-NoScope",
            "Hyper-V (MIG-TCP-In)",
            description="Inbound rule for Hyper-V to allow planned failover of virtual machines. [TCP 6600]",
            group="Hyper-V",
            enabled=False,
            protocol="TCP",
            local_port=["6600"],
            program="System",
        ),
        # ASSUMPTION: Server 2016 splits WinRM HTTP into a Domain/Private rule and a Public rule
        # limited to the local subnet; both enabled since remoting is on by default (fact sheet §7.4).
        make_rule(
            "WINRM-HTTP-In-TCP",
            "Windows Remote Management (HTTP-In)",
            description="Inbound rule for Windows Remote Management via WS-Management. [TCP 5985]",
            group="Windows Remote Management",
            enabled=True,
            protocol="TCP",
            local_port=["5985"],
            profiles=["Domain", "Private"],
            program="System",
        ),
        make_rule(
            "WINRM-HTTP-In-TCP-PUBLIC",
            "Windows Remote Management (HTTP-In)",
            description="Inbound rule for Windows Remote Management via WS-Management. [TCP 5985]",
            group="Windows Remote Management",
            enabled=True,
            protocol="TCP",
            local_port=["5985"],
            remote_address=["LocalSubnet"],
            profiles=["Public"],
            program="System",
        ),
        make_rule(
            "FPS-ICMP4-ERQ-In",
            "File and Printer Sharing (Echo Request - ICMPv4-In)",
            description="Echo Request messages are sent as ping requests to other nodes.",
            group="File and Printer Sharing",
            enabled=False,
            protocol="ICMPv4",
            local_port=[],
            remote_port=[],
            icmp_type=["8"],
            program="System",
        ),
        make_rule(
            "RemoteDesktop-UserMode-In-TCP",
            "Remote Desktop - User Mode (TCP-In)",
            description="Inbound rule for the Remote Desktop service to allow RDP traffic. [TCP 3389]",
            group="Remote Desktop",
            enabled=False,
            protocol="TCP",
            local_port=["3389"],
            program=r"%SystemRoot%\system32\svchost.exe",
        ),
        make_rule(
            "CoreNet-DHCP-In",
            "Core Networking - Dynamic Host Configuration Protocol (DHCP-In)",
            description="Allows DHCP (Dynamic Host Configuration Protocol) messages for stateful auto-configuration.",
            group="Core Networking",
            enabled=True,
            protocol="UDP",
            local_port=["68"],
            remote_port=["67"],
            program=r"%SystemRoot%\system32\svchost.exe",
        ),
    ]


def initial_state(host: Host, topology: dict[str, Any]) -> None:
    """Seed ``state["firewall"]`` with the built-in rules (the topology has no firewall keys)."""
    del topology
    host.state.setdefault("firewall", {"rules": builtin_rules()})


def all_rules(host: Host) -> list[dict[str, Any]]:
    """The live list of rule dicts (mutate inside a host transaction)."""
    section: dict[str, Any] = host.state.setdefault("firewall", {"rules": builtin_rules()})
    rules: list[dict[str, Any]] = section["rules"]
    return rules


def find_rule(host: Host, name: str) -> dict[str, Any] | None:
    """The rule whose Name is ``name`` (case-insensitive, as Windows matches rule IDs), or None."""
    wanted = name.lower()
    return next((rule for rule in all_rules(host) if rule["name"].lower() == wanted), None)


_WILDCARD = re.compile(r"[*?\[]")


def has_wildcards(pattern: str) -> bool:
    """Whether a selector value is a PowerShell wildcard pattern."""
    return bool(_WILDCARD.search(pattern))


def matches(value: str, pattern: str) -> bool:
    """PowerShell ``-like`` matching (case-insensitive; ``*``, ``?``, ``[a-z]``)."""
    return fnmatch.fnmatchcase(value.lower(), pattern.lower())


def _port_covers(entries: list[str], port: int) -> bool:
    for entry in entries:
        text = entry.strip()
        if text.lower() == "any":
            return True
        if "-" in text:
            low, _, high = text.partition("-")
            if low.isdigit() and high.isdigit() and int(low) <= port <= int(high):
                return True
        elif text.isdigit() and int(text) == port:
            return True
    return False


def _covers(rule: dict[str, Any], port: int, protocol: str) -> bool:
    if not rule["enabled"] or rule["direction"] != "Inbound":
        return False
    rule_protocol = str(rule["protocol"]).upper()
    if rule_protocol == "ANY":
        return True
    if rule_protocol != protocol.upper():
        return False
    return _port_covers(rule["local_port"], port)


def port_open(host: Host, port: int, protocol: str = "TCP") -> bool:
    """Whether inbound traffic to ``port`` passes the firewall.

    True when an enabled inbound Allow rule covers the port and no enabled inbound Block rule does
    (Windows gives block rules precedence). Address and profile scopes are not evaluated: every lab
    network counts as matching every profile.
    """
    covering = [rule for rule in all_rules(host) if _covers(rule, port, protocol)]
    if any(rule["action"] == "Block" for rule in covering):
        return False
    return any(rule["action"] == "Allow" for rule in covering)


def set_local_port(host: Host, name: str, port: int) -> None:
    """Point a rule at another local port (Hyper-V moving its listener port). Call in a transaction.

    Raises:
        KeyError: when no rule has that Name.
    """
    rule = find_rule(host, name)
    if rule is None:
        raise KeyError(name)
    rule["local_port"] = [str(port)]


def profile_text(rule: dict[str, Any], separator: str = ", ") -> str:
    """The rule's profiles as Windows lists them: ``Any`` or ``Domain, Private``."""
    if not rule["profiles"] or set(rule["profiles"]) == set(PROFILE_NAMES):
        return "Any"
    return separator.join(p for p in PROFILE_NAMES if p in rule["profiles"])


def parse_profiles(values: Iterable[str]) -> list[str]:
    """Profiles from -Profile / ``profile=`` values (``Any``, ``Domain,Private`` …); [] for Any.

    Raises:
        ValueError: for a name that is not a profile.
    """
    chosen: set[str] = set()
    for value in values:
        for part in str(value).split(","):
            token = part.strip().lower()
            if token in {"any", ""}:
                return []
            match = next((p for p in PROFILE_NAMES if p.lower() == token), None)
            if match is None:
                raise ValueError(part.strip())
            chosen.add(match)
    if chosen == set(PROFILE_NAMES):
        return []
    return [p for p in PROFILE_NAMES if p in chosen]
