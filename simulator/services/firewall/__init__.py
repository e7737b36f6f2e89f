"""Windows Firewall: the rule table, the NetSecurity cmdlets and ``netsh advfirewall``.

Other subsystems use :func:`port_open` (the replication listener) and :func:`set_local_port`
(Hyper-V moving the HTTPS listener port); importing this package registers the cmdlets and the
``netsh`` console command.
"""

from __future__ import annotations

from simulator.services.firewall import cmdlets, netsh  # noqa: F401 - importing registers the commands
from simulator.services.firewall.rules import (
    HYPERV_REPLICA_HTTP,
    HYPERV_REPLICA_HTTPS,
    all_rules,
    find_rule,
    initial_state,
    port_open,
    set_local_port,
)

__all__ = [
    "HYPERV_REPLICA_HTTP",
    "HYPERV_REPLICA_HTTPS",
    "all_rules",
    "find_rule",
    "initial_state",
    "port_open",
    "set_local_port",
]
