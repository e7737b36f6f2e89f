"""The registry subsystem: the key tree in ``state["registry"]``, the Registry provider and ``reg``.

Importing the package registers the provider (``HKLM:\\``, ``Registry::``) and the ``reg`` console
command; :func:`initial_state` seeds the keys a new Windows Server host has that matter here.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from simulator.services.registry import provider, reg_command
from simulator.services.registry.model import RegistryTree
from simulator.services.registry.seed import seed_registry

if TYPE_CHECKING:
    from simulator.core.host import Host

__all__ = ["RegistryTree", "initial_state", "provider", "reg_command", "tree"]


def tree(host: Host) -> RegistryTree:
    """The registry of ``host`` (mutate only inside ``host.transaction()``)."""
    return RegistryTree(host.state)


def initial_state(host: Host, topology: dict[str, Any]) -> None:
    """Seed the registry of a new host from its topology (name, OS version, DNS suffix)."""
    seed_registry(host.state, topology, str(host.info["name"]), host.os_version)
