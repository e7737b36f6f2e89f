"""Who the host is: computer name, primary DNS suffix, FQDN, pending changes, reboots and name resolution.

Everything is derived from the registry, as on Windows: the active values ``Hostname``/``Domain``
under ``Tcpip\\Parameters`` and ``ActiveComputerName``, and the pending ones ``NV Hostname``/
``NV Domain`` and ``ComputerName\\ComputerName``, which a restart makes active. The reboot counter
and boot time live in ``state["identity"]``.
"""

from __future__ import annotations

import ipaddress
import logging
import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from simulator.services import hostsfile
from simulator.services.registry.model import RegistryTree
from simulator.services.registry.seed import (
    ACTIVE_COMPUTER_NAME,
    COMPUTER_NAME,
    DNS_CLIENT_POLICY,
    NETBIOS_MAX,
    TCPIP_PARAMETERS,
)

if TYPE_CHECKING:
    import datetime as dt

    from simulator.core.host import Host

log = logging.getLogger(__name__)

WORKGROUP = "WORKGROUP"
LOCALHOST = "localhost"
LOOPBACK = "127.0.0.1"
# DNS-compatible NetBIOS names: letters, digits and hyphens, not all digits.
_VALID_NAME = re.compile(r"^[A-Za-z0-9-]{1,15}$")

RestartHook = Callable[["Host"], None]
RESTART_HOOKS: list[RestartHook] = []


def on_restart(hook: RestartHook) -> RestartHook:
    """Register a function called (inside the restart's transaction) after the host has rebooted."""
    RESTART_HOOKS.append(hook)
    return hook


# ---------------------------------------------------------------------------------- reading
def _value(host: Host, key: str, name: str, default: str = "") -> str:
    node = RegistryTree(host.state).find_key(key)
    value = RegistryTree.find_value(node, name) if node is not None else None
    return default if value is None else str(value["data"])


def host_name(host: Host) -> str:
    """The active DNS host name (``Tcpip\\Parameters\\Hostname``), in the casing it was given."""
    return _value(host, TCPIP_PARAMETERS, "Hostname", str(host.info["name"]))


def computer_name(host: Host) -> str:
    """The active NetBIOS computer name, upper-case (``$env:COMPUTERNAME``)."""
    return _value(host, ACTIVE_COMPUTER_NAME, "ComputerName", host_name(host).upper()[:NETBIOS_MAX])


def primary_dns_suffix(host: Host) -> str:
    """The active primary DNS suffix ('' when none)."""
    return _value(host, TCPIP_PARAMETERS, "Domain")


def fqdn(host: Host) -> str:
    """The active fully qualified name: ``hostname.suffix``, or the host name alone without a suffix."""
    suffix = primary_dns_suffix(host)
    return f"{host_name(host)}.{suffix}" if suffix else host_name(host)


def pending_host_name(host: Host) -> str:
    """The host name that becomes active at the next restart (``NV Hostname``)."""
    return _value(host, TCPIP_PARAMETERS, "NV Hostname", host_name(host))


def pending_dns_suffix(host: Host) -> str:
    """The suffix that becomes active at the next restart.

    The Group Policy value ``NV PrimaryDnsSuffix`` (DNSClient policy key) overrides ``NV Domain``.
    """
    policy = _value(host, DNS_CLIENT_POLICY, "NV PrimaryDnsSuffix", "\0")
    return policy if policy != "\0" else _value(host, TCPIP_PARAMETERS, "NV Domain")


def reboot_pending(host: Host) -> bool:
    """Whether a name or suffix change waits for a restart."""
    pending_netbios = _value(host, COMPUTER_NAME, "ComputerName", computer_name(host))
    return (
        pending_host_name(host) != host_name(host)
        or pending_dns_suffix(host) != primary_dns_suffix(host)
        or pending_netbios != computer_name(host)
    )


def virtual_address(host: Host) -> str:
    """The host's IPv4 address inside the lab (never dialled for real)."""
    return str(host.info.get("virtual_address") or host.info.get("address") or LOOPBACK)


def boot_state(host: Host) -> dict[str, Any]:
    """``{"boot_count": int, "last_boot": ISO time}`` (created on first use)."""
    section: dict[str, Any] = host.state.setdefault("identity", {})
    section.setdefault("boot_count", 0)
    section.setdefault("last_boot", host.clock.now().isoformat())
    return section


def last_boot(host: Host) -> dt.datetime:
    """When the host last (re)booted, timezone-aware."""
    import datetime as dt  # noqa: PLC0415 - only needed here at run time

    return dt.datetime.fromisoformat(boot_state(host)["last_boot"])


# ---------------------------------------------------------------------------------- changing
def valid_computer_name(name: str) -> bool:
    """Whether ``name`` is a legal NetBIOS/DNS computer name (≤ 15 of A-Z 0-9 -, not all digits)."""
    return bool(_VALID_NAME.match(name)) and not name.isdigit() and not name.startswith("-")


def rename(host: Host, new_name: str) -> None:
    """Set the pending computer name (active after the next restart). Call inside a transaction."""
    tree = RegistryTree(host.state)
    tcpip, _ = tree.create_key(TCPIP_PARAMETERS)
    tree.set_value(tcpip, "NV Hostname", "REG_SZ", new_name)
    pending, _ = tree.create_key(COMPUTER_NAME)
    tree.set_value(pending, "ComputerName", "REG_SZ", new_name.upper()[:NETBIOS_MAX])
    log.info("computer rename pending: %s -> %s", host_name(host), new_name)


def restart(host: Host) -> None:
    """Reboot instantly: pending name and suffix become active, boot counter and time advance.

    ASSUMPTION: the reboot is instantaneous and the caller's WinRM connection survives it, so a
    script can keep talking to the host; real hosts drop the connection for minutes.
    """
    with host.transaction():
        tree = RegistryTree(host.state)
        tcpip, _ = tree.create_key(TCPIP_PARAMETERS)
        previous = computer_name(host)
        tree.set_value(tcpip, "Hostname", "REG_SZ", pending_host_name(host))
        tree.set_value(tcpip, "Domain", "REG_SZ", pending_dns_suffix(host))
        active, _ = tree.create_key(ACTIVE_COMPUTER_NAME)
        netbios = _value(host, COMPUTER_NAME, "ComputerName", host_name(host).upper()[:NETBIOS_MAX])
        tree.set_value(active, "ComputerName", "REG_SZ", netbios)
        section = boot_state(host)
        section["boot_count"] += 1
        section["last_boot"] = host.clock.now().isoformat()
        host.write_event("System", 1074, "Information",
                         f"The process C:\\Windows\\system32\\wsmprovhost.exe ({previous}) has initiated the "
                         f"restart of computer {previous} on behalf of user {previous}\\Administrator.")
        host.write_event("System", 6005, "Information", "The Event log service was started.")
        if netbios != previous:
            host.write_event("System", 6011, "Warning",
                             f"The NetBIOS name and DNS host name of this machine have been changed from "
                             f"{previous} to {netbios}.")
        for hook in RESTART_HOOKS:
            hook(host)
        log.info("host %s restarted (boot %d), now %s", previous, section["boot_count"], fqdn(host))


# ---------------------------------------------------------------------------------- resolving
def is_address(text: str) -> bool:
    """Whether ``text`` is an IPv4 or IPv6 address literal."""
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def resolve(host: Host, name: str) -> list[str]:
    """The IPv4 addresses ``name`` resolves to on this host ([] when it does not resolve).

    Order: an address literal is itself; ``localhost``; the host's own short name and FQDN (its
    virtual address); then the hosts file (case-insensitive, first matching line). No DNS server
    is modelled, so anything else does not resolve.
    ASSUMPTION: IPv6 is not modelled: ``localhost`` gives 127.0.0.1 only, own names their IPv4.
    """
    wanted = name.strip().rstrip(".")
    if not wanted:
        return []
    if is_address(wanted):
        return [wanted]
    lowered = wanted.lower()
    if lowered == LOCALHOST:
        return [LOOPBACK]
    if lowered in {host_name(host).lower(), fqdn(host).lower(), computer_name(host).lower()}:
        return [virtual_address(host)]
    return hostsfile.lookup(host, wanted)


def reverse(host: Host, address: str) -> str | None:
    """The name an address maps back to: the host's FQDN for its own addresses, else the hosts file."""
    if address in (LOOPBACK, virtual_address(host)):
        return fqdn(host)
    for entry_address, names in hostsfile.parse(hostsfile.read(host)):
        if entry_address == address:
            return names[0]
    return None
