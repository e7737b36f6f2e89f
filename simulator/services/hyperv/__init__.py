"""Hyper-V: VMs, checkpoints, replica server settings, authorization entries and VM replication.

Importing the package registers the Hyper-V cmdlets. Other subsystems use :func:`authorize`
(replica-side authorization, for the transport), :func:`write_guest_data` (control plane writes to
a VM's disk) and :func:`simulator.services.hyperv.scheduler.run_due` (replication cycles).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from simulator.services.hyperv import authorization
from simulator.services.hyperv.authorization import authorize

if TYPE_CHECKING:
    from simulator.core.host import Host

__all__ = ["authorization", "authorize", "initial_state"]


def initial_state(host: Host, topology: dict[str, Any]) -> None:
    """Create the Hyper-V section: default replica server settings and the topology's VMs."""
    from simulator.services.hyperv.state import section  # noqa: PLC0415 - keeps the package import light

    section(host)
