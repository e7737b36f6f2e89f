"""What a primary sends: opening the channel for a VM's relationship, initial copies, delta cycles, resync.

Shared by the replication cmdlets, failover and the scheduler. The channel comes from
``simulator.services.replication.api.open_channel`` (looked up at call time, so tests can swap in an
in-process double). Disk contents travel as the block stream of ``disks.py``.
"""

from __future__ import annotations

import hashlib
import logging
from contextlib import closing
from pathlib import Path
from typing import TYPE_CHECKING, Any

from simulator.core.errors import SimError
from simulator.services.hyperv.blockstream import encode_blocks, prefetch
from simulator.services.hyperv.disks import BLOCK_SIZE, data_blocks, read_block
from simulator.services.hyperv.events import vmms_event
from simulator.services.hyperv.replication_objects import replicated_indices
from simulator.services.hyperv.state import iso
from simulator.services.replication import api as replication_api

if TYPE_CHECKING:
    import datetime as dt

    from simulator.core.host import Host
    from simulator.services.replication.api import Channel

log = logging.getLogger(__name__)

EVENT_KERBEROS_FAILED = 29210
SEC_E_TARGET_UNKNOWN = 0x80090303


def kerberos_failure(host: Host, server: str) -> SimError:
    """A workgroup host has no Kerberos: Hyper-V's documented failure (event 29210, 0x80090303)."""
    message = (f"Hyper-V failed to authenticate the Replica server '{server}' using Kerberos authentication. "
               "Error: The specified target is unknown or unreachable (0x80090303).")
    vmms_event(host, EVENT_KERBEROS_FAILED, "Error", message, replica_server=server)
    return SimError(message, "KerberosAuthenticationFailed,Microsoft.HyperV.PowerShell.Replication",
                    "AuthenticationError", hresult=SEC_E_TARGET_UNKNOWN,
                    exception_type="Microsoft.HyperV.PowerShell.VirtualizationException", terminating=True)


def connect(host: Host, server: str, port: int, auth_type: str, thumbprint: str) -> Channel:
    """Open the authenticated channel to a replica server (Kerberos always fails in a workgroup)."""
    if auth_type == "Kerberos":
        raise kerberos_failure(host, server)
    return replication_api.open_channel(host, server, int(port), thumbprint)


def connect_for(host: Host, rep: dict[str, Any]) -> Channel:
    """The channel for a primary VM's relationship."""
    return connect(host, rep["replica_server"], rep["replica_port"], rep["auth_type"], rep.get("thumbprint") or "")


def disk_files(host: Host, vm: dict[str, Any]) -> list[tuple[int, int, Path]]:
    """``(replica disk index, primary disk index, file)`` for every replicated disk."""
    return [(position, index, host.real_path(vm["disks"][index]["path"]))
            for position, index in enumerate(replicated_indices(vm))]


def send_initial(channel: Channel, host: Host, vm: dict[str, Any], at: dt.datetime) -> int:
    """Send every data block of the replicated disks; returns the bytes the replica applied."""
    stream = encode_blocks([(position, path, data_blocks(path)) for position, _, path in disk_files(host, vm)],
                           skip_zero=True, compress=bool((vm.get("replication") or {}).get("compression", True)))
    with closing(prefetch(stream)) as chunks:  # stops the reader thread if the send fails
        reply, _ = channel.call("initial_replication", {"vm_id": vm["id"], "at": iso(at)}, chunks)
    return int(reply.get("applied", 0))


def take_dirty(rep: dict[str, Any]) -> dict[str, list[int]]:
    """Take (and clear) the change tracking of a primary."""
    dirty: dict[str, list[int]] = rep.get("dirty") or {}
    rep["dirty"] = {}
    rep["log_bytes"] = 0
    return dirty


def restore_dirty(rep: dict[str, Any], dirty: dict[str, list[int]]) -> None:
    """Put changes that could not be sent back into the tracking."""
    current: dict[str, list[int]] = rep.setdefault("dirty", {})
    for key, blocks in dirty.items():
        current[key] = sorted(set(current.get(key, [])) | set(blocks))
    rep["log_bytes"] = int(rep.get("log_bytes", 0)) + sum(len(b) for b in dirty.values()) * BLOCK_SIZE


def send_delta(channel: Channel, host: Host, vm: dict[str, Any], dirty: dict[str, list[int]],
               payload: dict[str, Any]) -> int:
    """Send the changed blocks of one or more cycles (``payload``: first, count, final, resync)."""
    disks = [(position, path, dirty.get(str(index), [])) for position, index, path in disk_files(host, vm)]
    stream = encode_blocks(disks, compress=bool((vm.get("replication") or {}).get("compression", True)))
    with closing(prefetch(stream)) as chunks:  # stops the reader thread if the send fails
        reply, _ = channel.call("apply_log", {"vm_id": vm["id"], **payload}, chunks)
    return int(reply.get("applied", 0))


def resync_blocks(channel: Channel, host: Host, vm: dict[str, Any]) -> dict[str, list[int]]:
    """Blocks whose content differs between primary and replica (resynchronization compare)."""
    reply, hashes = channel.call("block_hashes", {"vm_id": vm["id"]})
    hash_size = int(reply.get("hash_size", 8))
    hashes = hashes or b""
    differing: dict[str, list[int]] = {}
    offset = 0
    for (_position, index, path), count in zip(disk_files(host, vm), reply.get("blocks", []), strict=False):
        size = int(vm["disks"][index]["size_bytes"])
        blocks: list[int] = []
        with open(path, "rb") as handle:
            for block in range(count):
                theirs = hashes[offset:offset + hash_size]
                offset += hash_size
                ours = hashlib.blake2b(read_block(handle, block, size).ljust(BLOCK_SIZE, b"\0"),
                                       digest_size=hash_size).digest()
                if ours != theirs:
                    blocks.append(block)
        differing[str(index)] = blocks
    return differing
