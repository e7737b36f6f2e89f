"""Drives of a host: their folders, the standard Windows folders, and a virtual capacity per drive.

A drive's capacity is virtual (500 GiB unless the topology or the control plane says otherwise) so a
"disk full" fault can be injected by lowering it; :func:`free_bytes` is what Hyper-V and the FileSystem
provider consult before writing.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from simulator.core.host import Host

DEFAULT_CAPACITY_BYTES = 500 * 1024**3

STANDARD_FOLDERS = (
    "C:\\Windows\\System32\\drivers\\etc",
    "C:\\Windows\\Temp",
    "C:\\Users\\Administrator\\Desktop",
    "C:\\Users\\Administrator\\Documents",
    "C:\\Users\\Administrator\\AppData\\Local\\Temp",
    "C:\\Users\\Public\\Documents",
    "C:\\Users\\Public\\Downloads",
    "C:\\Program Files",
    "C:\\ProgramData",
)


def initial_state(host: Host, topology: dict[str, Any]) -> None:
    """Record each drive's capacity and create the folders every Windows host has.

    Topology ``drives`` entries are letters (``D``) or mappings ``{letter: D, capacity_gib: 100}``.
    """
    drives: dict[str, dict[str, Any]] = {}
    for entry in topology.get("drives") or host.drives:
        if isinstance(entry, dict):
            letter = str(entry["letter"]).upper().rstrip(":")
            capacity = int(float(entry.get("capacity_gib", 500)) * 1024**3)
        else:
            letter, capacity = str(entry).upper().rstrip(":"), DEFAULT_CAPACITY_BYTES
        drives[letter] = {"capacity_bytes": capacity}
    if topology.get("drives"):
        host.info["drives"] = list(drives)
    host.state.setdefault("filesystem", {"drives": drives})
    for letter in drives:
        (host.state_dir / letter).mkdir(parents=True, exist_ok=True)
    for folder in STANDARD_FOLDERS:
        if folder[0] in drives:
            host.real_path(folder).mkdir(parents=True, exist_ok=True)


def capacity_bytes(host: Host, drive: str) -> int:
    """The drive's virtual size in bytes."""
    letter = drive.upper().rstrip(":\\")
    section = host.state.setdefault("filesystem", {"drives": {}})
    entry = section["drives"].setdefault(letter, {"capacity_bytes": DEFAULT_CAPACITY_BYTES})
    return int(entry["capacity_bytes"])


def set_capacity(host: Host, drive: str, capacity: int) -> None:
    """Change a drive's virtual size (the control plane's disk-full fault). Call in a transaction."""
    letter = drive.upper().rstrip(":\\")
    host.state.setdefault("filesystem", {"drives": {}})["drives"][letter] = {"capacity_bytes": int(capacity)}


def used_bytes(host: Host, drive: str) -> int:
    """Bytes taken by the files of the drive (their logical sizes)."""
    root = host.state_dir / drive.upper().rstrip(":\\")
    total = 0
    for folder, _, files in os.walk(root):
        for name in files:
            try:
                total += os.stat(os.path.join(folder, name)).st_size
            except FileNotFoundError:
                continue
    return total


def free_bytes(host: Host, drive: str) -> int:
    """Free space of a drive (never negative)."""
    return max(0, capacity_bytes(host, drive) - used_bytes(host, drive))
