"""Hyper-V: VMs, checkpoints, replica server settings, authorization entries and VM replication.

Importing the package registers the Hyper-V cmdlets and the replica-side operations. Other
subsystems use :func:`authorize` (replica-side authorization, for the transport),
:func:`write_guest_data` / :func:`read_guest_data` (the control plane's access to a VM's disk) and
:func:`simulator.services.hyperv.scheduler.run_due` (replication cycles after clock moves).

Modules: ``state`` (records, enums, lookups, errors), ``vm_cmdlets``, ``checkpoints``, ``server``,
``authorization``, ``replication`` (enable, initial replication, connection test), ``replication_admin``
(get/measure/suspend/resume/set/reverse/remove), ``failover``, ``replica_ops`` (the replica side),
``transfer`` (what a primary sends), ``scheduler``, ``health``, ``disks`` (sparse VHDs, block stream,
recovery-point undo stores), ``events`` (VMMS events, Get-WinEvent), ``objects`` and
``replication_objects`` (PowerShell objects).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from simulator.services.hyperv import (
    authorization,
    checkpoints,
    events,
    failover,
    replica_ops,
    replication,
    replication_admin,
    scheduler,
    server,
    vm_cmdlets,
)
from simulator.services.hyperv.authorization import authorize
from simulator.services.hyperv.disks import read_guest_data, write_guest_data
from simulator.services.hyperv.state import section

if TYPE_CHECKING:
    from simulator.core.host import Host

__all__ = ["authorization", "authorize", "checkpoints", "events", "failover", "initial_state", "read_guest_data",
           "replica_ops", "replication", "replication_admin", "scheduler", "server", "vm_cmdlets", "write_guest_data"]


def initial_state(host: Host, topology: dict[str, Any]) -> None:
    """Create the Hyper-V section: default replica server settings and the topology's VMs."""
    section(host)["background_initial_replication"] = topology.get("initial_replication") == "background"
    vm_cmdlets.seed_vms(host, topology)
