"""The FileSystem provider, the generic path cmdlets every provider shares, and the ``find`` command.

Importing the package registers the provider, the cmdlets and ``find``; other subsystems use
:func:`free_bytes` (Hyper-V, before growing a disk) and :func:`set_capacity` (the disk-full fault).
"""

from __future__ import annotations

from simulator.services.filesystem import (  # noqa: F401 - importing registers the commands
    content_cmdlets,
    find_command,
    item_cmdlets,
    out_file,
)
from simulator.services.filesystem.capacity import capacity_bytes, free_bytes, initial_state, set_capacity, used_bytes
from simulator.services.filesystem.provider import FILESYSTEM

__all__ = ["FILESYSTEM", "capacity_bytes", "free_bytes", "initial_state", "set_capacity", "used_bytes"]
