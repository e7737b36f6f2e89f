"""The lab's network as the transport sees it: who is where, who listens on which port, which links are cut.

Virtual addresses (192.168.x.y in a plan) are never dialled. A primary resolves the replica name
through its own hosts file to a virtual address, finds the lab peer with that ``virtual_address`` in
the lab file, and reads the port map the peer published in ``<peer state_dir>/listeners.json``
(configured port -> real loopback address and port). Faults injected through the control plane
(link cut, host down, bandwidth cap) live in ``host.state["replication"]["faults"]`` so they
survive restarts and snapshots.
"""

from __future__ import annotations

import copy
import functools
import ipaddress
import json
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from simulator.core.host import atomic_write_bytes

if TYPE_CHECKING:
    from simulator.core.host import Host

log = logging.getLogger(__name__)

LISTENERS_FILE = "listeners.json"


@dataclass(frozen=True)
class Runtime:
    """How a running host was started (from helper B's server runtime, or a test)."""

    state_dir: Path
    bind_address: str
    lab_file: Path | None
    prefer_configured_port: bool = True


_RUNTIMES: dict[str, Runtime] = {}


def _key(state_dir: Path) -> str:
    return _resolved(str(state_dir))


@functools.lru_cache(maxsize=1024)
def _resolved(state_dir: str) -> str:
    """The resolved state folder, computed once per spelling: faults are looked up for every chunk sent,
    and resolving a path (an lstat per component) there capped a served host's transfers near 50 MiB/s."""
    return str(Path(state_dir).resolve())


def register_runtime(runtime: Runtime) -> None:
    """Remember how the host in ``runtime.state_dir`` runs (on_host_start)."""
    _RUNTIMES[_key(runtime.state_dir)] = runtime


def unregister_runtime(state_dir: Path) -> None:
    """Forget a stopped host."""
    _RUNTIMES.pop(_key(state_dir), None)


def runtime_of(host: Host) -> Runtime | None:
    """The runtime of a started host, None for a host that is not serving (e.g. a unit-test host)."""
    return _RUNTIMES.get(_key(host.state_dir))


# ----------------------------------------------------------------------------- faults
# A fault must act at once, even while a long transfer holds the host lock (a replica operation runs
# under it). set_faults() publishes the new faults in this overlay first, so the transfer's per-chunk
# check sees them and aborts, then saves them into the state under the lock and drops the overlay.
_OVERLAY: dict[str, dict[str, Any]] = {}
_OVERLAY_LOCK = threading.Lock()


def faults(host: Host) -> dict[str, Any]:
    """The mutable fault section of the state (change it with :func:`set_faults`)."""
    section = host.state.setdefault("replication", {})
    found: dict[str, Any] = section.setdefault("faults", initial_faults())
    return found


def current_faults(host: Host) -> dict[str, Any]:
    """The faults in force now: a pending change (overlay) wins over the saved state."""
    with _OVERLAY_LOCK:
        pending = _OVERLAY.get(_key(host.state_dir))
    if pending is not None:
        return pending
    return dict(host.state.get("replication", {}).get("faults") or initial_faults())


def set_faults(host: Host, change: Callable[[dict[str, Any]], None]) -> dict[str, Any]:
    """Apply ``change`` to the faults: effective immediately, then saved durably. Returns the new faults."""
    key = _key(host.state_dir)
    with _OVERLAY_LOCK:
        updated = copy.deepcopy(_OVERLAY.get(key) or faults(host))
        change(updated)
        _OVERLAY[key] = updated
    try:
        with host.transaction(rollback=True):
            section = faults(host)
            section.clear()
            section.update(copy.deepcopy(updated))
    finally:
        with _OVERLAY_LOCK:
            if _OVERLAY.get(key) is updated:
                del _OVERLAY[key]
    return updated


def initial_faults() -> dict[str, Any]:
    """The fault section of a new host: nothing injected."""
    return {"cut": [], "down": False, "rate_bytes_per_sec": None}


def is_cut(host: Host, peer_names: list[str]) -> bool:
    """Whether ``host`` has its link to any of ``peer_names`` (name, FQDN or address) cut."""
    cut = {str(n).lower() for n in current_faults(host).get("cut", [])}
    return "*" in cut or any(n.lower() in cut for n in peer_names if n)


def is_down(host: Host) -> bool:
    """Whether replication on ``host`` is "down" (the host-down fault)."""
    return bool(current_faults(host).get("down"))


def rate_limit(host: Host) -> int | None:
    """The bandwidth cap in bytes per second, None when unlimited."""
    rate = current_faults(host).get("rate_bytes_per_sec")
    return int(rate) if rate else None


# ----------------------------------------------------------------------------- listeners.json
def publish_listeners(state_dir: Path, mapping: dict[int, tuple[str, int]]) -> None:
    """Write ``<state_dir>/listeners.json`` atomically: configured port -> (address, real port)."""
    blob = {"listeners": {str(port): {"address": addr, "port": real} for port, (addr, real) in mapping.items()}}
    atomic_write_bytes(Path(state_dir) / LISTENERS_FILE, json.dumps(blob, indent=1).encode(), mode=0o644)


def read_listeners(state_dir: Path) -> dict[int, tuple[str, int]]:
    """The port map a host published; empty when it publishes none (not running, no listener)."""
    path = Path(state_dir) / LISTENERS_FILE
    try:
        blob = json.loads(path.read_text(encoding="utf-8"))
    except (FileNotFoundError, json.JSONDecodeError):
        return {}
    return {int(port): (str(v["address"]), int(v["port"])) for port, v in blob.get("listeners", {}).items()}


# ----------------------------------------------------------------------------- lab map
@dataclass(frozen=True)
class Peer:
    """A lab host as the lab file describes it."""

    name: str
    fqdn: str
    virtual_address: str
    address: str
    state_dir: Path


def lab_peers(lab_file: Path | None) -> list[Peer]:
    """Every host of the lab file (``{"hosts": [{name, virtual_address, address, state_dir, ...}]}``)."""
    if lab_file is None:
        return []
    try:
        blob = json.loads(Path(lab_file).read_text(encoding="utf-8"))
    except FileNotFoundError:
        log.warning("lab file %s does not exist; only this host is reachable", lab_file)
        return []
    peers = []
    for entry in blob.get("hosts", []):
        if not entry.get("state_dir") or not entry.get("virtual_address"):
            continue
        peers.append(
            Peer(
                name=str(entry.get("name", "")),
                fqdn=str(entry.get("fqdn") or entry.get("name", "")),
                virtual_address=str(entry["virtual_address"]),
                address=str(entry.get("address", "127.0.0.1")),
                state_dir=Path(entry["state_dir"]),
            )
        )
    return peers


def find_peer(host: Host, runtime: Runtime | None, address: str) -> Peer | None:
    """The lab host answering on virtual ``address``; this host itself for its own or a loopback address."""
    own_virtual = host.info.get("virtual_address")
    if runtime is None:
        return None
    try:
        loopback = ipaddress.ip_address(address).is_loopback
    except ValueError:
        loopback = False
    if address == own_virtual or loopback:
        return Peer(str(host.info["name"]), str(host.info["name"]), str(own_virtual or address),
                    runtime.bind_address, runtime.state_dir)
    for peer in lab_peers(runtime.lab_file):
        if peer.virtual_address == address:
            return peer
    return None


def may_dial(address: str, lab_file: Path | None) -> bool:
    """Only loopback is ever dialled, except a docker lab's own container addresses (never a virtual one)."""
    try:
        if ipaddress.ip_address(address).is_loopback:
            return True
    except ValueError:
        return False
    if lab_file is None:
        return False
    try:
        blob = json.loads(Path(lab_file).read_text(encoding="utf-8"))
    except (FileNotFoundError, json.JSONDecodeError):
        return False
    virtual = {str(h.get("virtual_address")) for h in blob.get("hosts", [])}
    return blob.get("backend") == "docker" and address not in virtual


def endpoint_of(peer: Peer, port: int) -> tuple[str, int] | None:
    """Where to dial ``peer`` for its configured ``port``: its published mapping.

    A peer whose state dir is not on this machine (the docker backend: each host in its own container
    with its own address, listening on the real port) is dialled at its lab ``address`` on ``port``.
    """
    if peer.state_dir.exists():
        return read_listeners(peer.state_dir).get(port)
    log.debug("state dir of %s not visible here; dialling its lab address %s", peer.name, peer.address)
    return peer.address, port
