"""The simulated Windows subsystems, one package each, and the host's initial state.

Importing a subsystem package registers its cmdlets, providers and console commands. Each package
may define ``initial_state(host, topology)`` to fill its section of a new host's state; they run in
the order of :data:`SERVICE_PACKAGES` (identity needs the registry, Hyper-V needs the drives …).
"""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from simulator.core.host import Host

SERVICE_PACKAGES = (
    "registry",
    "filesystem",
    "identity",
    "hostsfile",
    "firewall",
    "certs",
    "hyperv",
    "replication",
)


def load_all() -> list[ModuleType]:
    """Import every subsystem (idempotent); returns the modules in order."""
    return [importlib.import_module(f"simulator.services.{name}") for name in SERVICE_PACKAGES]


def initial_state(host: Host, topology: dict[str, Any]) -> None:
    """Let each subsystem create its section of a new host's state from the topology."""
    for module in load_all():
        seed = getattr(module, "initial_state", None)
        if seed is not None:
            seed(host, topology)
