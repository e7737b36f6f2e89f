"""The identity subsystem: computer name, primary DNS suffix, FQDN, restarts and name resolution.

Other subsystems call :func:`fqdn`, :func:`computer_name`, :func:`resolve` and
:func:`reboot_pending`; importing the package registers Rename-Computer, Restart-Computer,
Get-CimInstance/Get-WmiObject, Get-ComputerInfo, Resolve-DnsName, ``[System.Net.Dns]``, ``$env:``
variables and the ``hostname``, ``ipconfig``, ``shutdown /r`` and ``ping`` console commands.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from simulator.services.identity import cmdlets, commands, dns
from simulator.services.identity.model import (
    computer_name,
    fqdn,
    host_name,
    last_boot,
    on_restart,
    pending_dns_suffix,
    pending_host_name,
    primary_dns_suffix,
    reboot_pending,
    rename,
    resolve,
    restart,
    virtual_address,
)

if TYPE_CHECKING:
    from simulator.core.host import Host

__all__ = [
    "cmdlets",
    "commands",
    "computer_name",
    "dns",
    "fqdn",
    "host_name",
    "initial_state",
    "last_boot",
    "on_restart",
    "pending_dns_suffix",
    "pending_host_name",
    "primary_dns_suffix",
    "reboot_pending",
    "rename",
    "resolve",
    "restart",
    "virtual_address",
]


def initial_state(host: Host, topology: dict[str, Any]) -> None:
    """Start the boot counter at 0 with the host's creation as its last boot (names are in the registry)."""
    section = host.state.setdefault("identity", {})
    section["boot_count"] = 0
    section["last_boot"] = host.clock.now().isoformat()
