"""VHD files as real sparse files, per-block change tracking, and the block stream replication sends.

A VM's disk is a sparse file of its full size under the host's drive folder (never written out
byte by byte). Writes through :func:`write_guest_data` mark 64 KiB blocks dirty while the VM is a
replication primary. Replication moves disks as a *block stream*
(:mod:`simulator.services.hyperv.blockstream`), produced lazily and parsed from arbitrarily cut
chunks, so no disk is ever held in memory whole.

Replica recovery points use undo stores: the replica's disk always holds the latest state, and each
point keeps the pre-images of blocks overwritten after it was taken (first overwrite only). The
content of point *k* is the current disk overlaid with the undo stores of points n … k (the oldest
applied last). Dropping the oldest point is deleting its store.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from simulator.core.errors import SimError
from simulator.services.hyperv.blockstream import (
    BLOCK_SIZE,
    COPY_CHUNK,
    RECORD_HEADER,
    BlockData,
)
from simulator.services.hyperv.vhdwriter import VhdWriter

if TYPE_CHECKING:
    from simulator.core.host import Host

log = logging.getLogger(__name__)

TRACKING_STATES = frozenset({"ReadyForInitialReplication", "InitialReplicationInProgress", "Replicating",
                             "Suspended", "Error", "PreparedForFailover"})


def create_sparse(path: Path, size_bytes: int) -> None:
    """Create (or resize) a sparse file of ``size_bytes`` without writing its bytes."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "ab"):
        pass
    os.truncate(path, size_bytes)


def data_extents(path: Path) -> Iterator[tuple[int, int]]:
    """``(start, end)`` byte ranges of a file that may hold data (holes skipped where the OS knows them)."""
    size = path.stat().st_size
    fd = os.open(path, os.O_RDONLY)
    try:
        position = 0
        while position < size:
            try:
                start = os.lseek(fd, position, os.SEEK_DATA)
            except OSError:  # ENXIO: no data after position
                return
            end = os.lseek(fd, start, os.SEEK_HOLE)
            yield start, min(end, size)
            position = end
    except AttributeError:  # pragma: no cover - platforms without SEEK_DATA
        yield 0, size
    finally:
        os.close(fd)


def data_blocks(path: Path) -> Iterator[int]:
    """Indices of the blocks of a file that may hold data."""
    last = -1
    for start, end in data_extents(path):
        for block in range(start // BLOCK_SIZE, (end + BLOCK_SIZE - 1) // BLOCK_SIZE):
            if block > last:
                last = block
                yield block


def sparse_copy(source: Path, target: Path) -> None:
    """Copy a sparse file keeping its holes (data extents only, in bounded chunks)."""
    size = source.stat().st_size
    target.parent.mkdir(parents=True, exist_ok=True)
    with open(source, "rb") as src, open(target, "wb") as dst:
        for start, end in data_extents(source):
            src.seek(start)
            dst.seek(start)
            remaining = end - start
            while remaining:
                chunk = src.read(min(COPY_CHUNK, remaining))
                if not chunk:
                    break
                dst.write(chunk)
                remaining -= len(chunk)
        dst.truncate(size)


def read_block(handle: Any, block: int, size: int) -> bytes:
    """One block's bytes (shorter at the end of the disk)."""
    offset = block * BLOCK_SIZE
    handle.seek(offset)
    return bytes(handle.read(min(BLOCK_SIZE, max(0, size - offset))))


def write_at(path: Path, offset: int, data: bytes) -> None:
    """Write bytes at an offset of an existing file."""
    with open(path, "r+b") as handle:
        handle.seek(offset)
        handle.write(data)


def blocks_touched(offset: int, length: int) -> range:
    """Block indices a write of ``length`` bytes at ``offset`` touches."""
    if length <= 0:
        return range(0)
    return range(offset // BLOCK_SIZE, (offset + length - 1) // BLOCK_SIZE + 1)


def mark_dirty(rep: dict[str, Any], disk_index: int, offset: int, length: int) -> None:
    """Record a write in the replication record's change tracking."""
    dirty: dict[str, list[int]] = rep.setdefault("dirty", {})
    known = set(dirty.get(str(disk_index), []))
    known.update(blocks_touched(offset, length))
    dirty[str(disk_index)] = sorted(known)
    rep["log_bytes"] = int(rep.get("log_bytes", 0)) + length


def write_guest_data(host: Host, vm_name: str, offset: int, data: bytes, disk: int = 0) -> None:
    """Write ``data`` into a VM's virtual disk at ``offset`` (the control plane's "guest writes").

    Raises:
        SimError: unknown VM or disk, or a write past the end of the disk.
    """
    from simulator.services.hyperv.crash_recovery import recover_vm  # noqa: PLC0415 - cycle
    from simulator.services.hyperv.state import find_vm, replication_of, vm_not_found  # noqa: PLC0415 - cycle

    with host.transaction():
        vm = find_vm(host, vm_name)
        if vm is None:
            raise vm_not_found(vm_name, "WriteGuestData")
        if not 0 <= disk < len(vm["disks"]):
            msg = f"virtual machine '{vm['name']}' has no disk number {disk}"
            raise SimError(msg, "DiskNotFound", "ObjectNotFound")
        record = vm["disks"][disk]
        if offset < 0 or offset + len(data) > record["size_bytes"]:
            msg = f"a write of {len(data)} bytes at offset {offset} is outside the {record['size_bytes']}-byte disk"
            raise SimError(msg, "WriteOutOfRange", "InvalidArgument")
        path = host.real_path(record["path"])
        rep = replication_of(vm)
        recover_vm(host, vm)
        recorded = False
        if rep is not None and rep["mode"] == "Replica" and rep.get("failover_undo"):
            _save_pre_images(path, disk, offset, len(data), rep["failover_undo"], record["size_bytes"])
            recorded = True
        if rep is not None and rep["mode"] == "Primary" and rep["state"] in TRACKING_STATES:
            mark_dirty(rep, disk, offset, len(data))
            recorded = True
        if recorded:
            # The pre-image / change-tracking mark is saved before the bytes change: a kill -9 between the
            # two leaves a record of a write that did not happen (harmless), never a write nobody knows of.
            host.save()
        write_at(path, offset, data)


def read_guest_data(host: Host, vm_name: str, offset: int, length: int, disk: int = 0) -> bytes:
    """Bytes of a VM's virtual disk (for the control plane and tests)."""
    from simulator.services.hyperv.crash_recovery import recover_vm  # noqa: PLC0415 - cycle
    from simulator.services.hyperv.state import find_vm, vm_not_found  # noqa: PLC0415 - cycle

    vm = find_vm(host, vm_name)
    if vm is None:
        raise vm_not_found(vm_name, "ReadGuestData")
    with host.lock:
        recover_vm(host, vm)
    with open(host.real_path(vm["disks"][disk]["path"]), "rb") as handle:
        handle.seek(offset)
        return handle.read(length)


# ------------------------------------------------------------------------ recovery point undo stores
def undo_path(disk_file: Path, point_id: str) -> Path:
    """The file holding a recovery point's pre-images for one disk."""
    return disk_file.parent / f".{disk_file.name}.rp" / f"{point_id}.undo"


def apply_records(host: Host, disks: list[dict[str, Any]], records: Iterable[tuple[int, int, BlockData]],
                  point: dict[str, Any] | None) -> int:
    """Write received records into the replica's disks, saving pre-images into ``point``'s undo store.

    Each disk's file is resolved and opened once, not per record, and written unbuffered where the
    file system allows it (:mod:`simulator.services.hyperv.vhdwriter`). Returns the bytes applied.
    """
    applied = 0
    writers: dict[int, VhdWriter] = {}
    try:
        for index, offset, data in records:
            writer = writers.get(index)
            if writer is None:
                writer = writers[index] = VhdWriter(host.real_path(disks[index]["path"]))
            if point is not None:
                _save_pre_images(writer.path, index, offset, len(data), point, disks[index]["size_bytes"])
            writer.write(offset, data)
            applied += len(data)
    finally:
        for writer in writers.values():
            writer.close()
    return applied


def _save_pre_images(path: Path, index: int, offset: int, length: int, point: dict[str, Any], size: int) -> None:
    slots: dict[str, int] = point.setdefault("undo", {}).setdefault(str(index), {})
    store = undo_path(path, point["id"])
    store.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "rb") as disk, open(store, "ab") as undo:
        end = undo.seek(0, os.SEEK_END)
        if end % BLOCK_SIZE:  # a torn tail left by a crash: never let a slot straddle it
            undo.write(bytes(BLOCK_SIZE - end % BLOCK_SIZE))
        for block in blocks_touched(offset, length):
            if str(block) in slots:
                continue
            data = read_block(disk, block, size).ljust(BLOCK_SIZE, b"\0")
            slots[str(block)] = undo.tell() // BLOCK_SIZE
            undo.write(data)


def overlay_points(host: Host, disks: list[dict[str, Any]], points: list[dict[str, Any]],
                   targets: list[Path], save_to: dict[str, Any] | None = None) -> None:
    """Overlay the undo stores of ``points`` (newest first) onto ``targets`` (one file per disk).

    With ``save_to`` (a point-like dict with an ``id``), the blocks overwritten in the targets are
    first saved as pre-images there, so the overlay can be undone.
    """
    for point in points:
        for disk_key, slots in point.get("undo", {}).items():
            index = int(disk_key)
            source_disk = host.real_path(disks[index]["path"])
            target = targets[index]
            size = disks[index]["size_bytes"]
            with open(undo_path(source_disk, point["id"]), "rb") as undo:
                for block, slot in slots.items():
                    undo.seek(slot * BLOCK_SIZE)
                    data = undo.read(BLOCK_SIZE)[: max(0, size - int(block) * BLOCK_SIZE)]
                    if save_to is not None:
                        _save_pre_images(target, index, int(block) * BLOCK_SIZE, len(data), save_to, size)
                    write_at(target, int(block) * BLOCK_SIZE, data)


DROPPED_SUFFIX = ".dropped"


def drop_undo(host: Host, disks: list[dict[str, Any]], point: dict[str, Any]) -> None:
    """Retire a recovery point's undo files.

    They are renamed aside, not deleted: until the state that no longer names the point is saved, a
    crash must find them again (:func:`simulator.services.hyperv.crash_recovery.recover_vm` renames a
    retired store back while the saved state still names its point, and deletes it otherwise).
    """
    for disk_key in point.get("undo", {}):
        store = undo_path(host.real_path(disks[int(disk_key)]["path"]), point["id"])
        if store.exists():
            store.replace(store.with_name(store.name + DROPPED_SUFFIX))


# ------------------------------------------------------------------------ crash-safe apply (journal)
def journal_dir(host: Host, disks: list[dict[str, Any]]) -> Path:
    """Where a replica VM stages incoming cycles before applying them."""
    return host.real_path(disks[0]["path"]).parent / ".journal"


def fsync_path(path: Path) -> None:
    """fsync a file or a folder by path."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def iter_journal(path: Path) -> Iterator[tuple[int, int, bytes]]:
    """Records of a staged journal file."""
    with open(path, "rb") as handle:
        while header := handle.read(RECORD_HEADER.size):
            index, offset, length, _flags = RECORD_HEADER.unpack(header)
            yield index, offset, handle.read(length)


def stage(host: Host, disks: list[dict[str, Any]], records: Iterable[tuple[int, int, BlockData]],
          journal_id: str, folder: Path | None = None) -> None:
    """Write a whole incoming cycle, and the bytes it will overwrite, to disk before touching the VHDs.

    A stream that breaks off leaves only staging files (removed here); a crash after the ``.ready``
    marker is rolled back from the pre-images by :func:`recover_journal`, so the replica's disks are
    always at a complete cycle, never torn. ``folder`` defaults to :func:`journal_dir` (the failover
    overlays stage in a folder of their own, with their own commit rule).
    """
    folder = folder or journal_dir(host, disks)
    folder.mkdir(parents=True, exist_ok=True)
    data_file, pre_file = folder / f"{journal_id}.data", folder / f"{journal_id}.pre"
    try:
        with open(data_file, "wb") as out:
            for index, offset, data in records:
                out.write(RECORD_HEADER.pack(index, offset, len(data), 0) + data)
            out.flush()
            os.fsync(out.fileno())
        with open(pre_file, "wb") as out:
            for index, offset, data in iter_journal(data_file):
                with open(host.real_path(disks[index]["path"]), "rb") as disk:
                    disk.seek(offset)
                    before = disk.read(len(data)).ljust(len(data), b"\0")
                out.write(RECORD_HEADER.pack(index, offset, len(before), 0) + before)
            out.flush()
            os.fsync(out.fileno())
    except BaseException:
        data_file.unlink(missing_ok=True)
        pre_file.unlink(missing_ok=True)
        raise
    (folder / f"{journal_id}.ready").touch()
    fsync_path(folder)


def apply_journal(host: Host, disks: list[dict[str, Any]], journal_id: str, point: dict[str, Any] | None,
                  folder: Path | None = None, after_each: Callable[[int], None] | None = None) -> int:
    """Apply a staged journal to the VHDs (pre-images into ``point``'s undo store), then fsync them.

    ``after_each(n)`` runs after the n-th record is written (a test's fault hook). Returns the bytes applied.
    """
    touched: set[int] = set()

    def records() -> Iterator[tuple[int, int, bytes]]:
        for count, record in enumerate(iter_journal((folder or journal_dir(host, disks)) / f"{journal_id}.data"), 1):
            touched.add(record[0])
            yield record
            if after_each is not None:
                after_each(count)

    applied = apply_records(host, disks, records(), point)
    for index in touched:
        fsync_path(host.real_path(disks[index]["path"]))
    return applied


def roll_back_journal(host: Host, disks: list[dict[str, Any]], folder: Path, journal_id: str) -> None:
    """Write a staged journal's pre-images back into the VHDs and fsync them (the journal itself stays)."""
    touched: set[int] = set()
    for index, offset, data in iter_journal(folder / f"{journal_id}.pre"):
        write_at(host.real_path(disks[index]["path"]), offset, data)
        touched.add(index)
    for index in touched:
        fsync_path(host.real_path(disks[index]["path"]))


def recover_journal(host: Host, disks: list[dict[str, Any]], committed: str | None, incarnation: str = "") -> None:
    """Finish what a crash interrupted: forget the committed cycle's journal, roll back any other one.

    Journal ids start with the replication relationship's ``incarnation``; journals of an earlier
    relationship of the same VM (before a reverse or a removal) are stale and only deleted.
    """
    if not disks:
        return
    folder = journal_dir(host, disks)
    if not folder.is_dir():
        return
    for ready in folder.glob("*.ready"):
        journal_id = ready.stem
        if journal_id != committed and journal_id.startswith(f"{incarnation}_"):
            log.warning("rolling back a replication cycle interrupted on %s", host.info.get("name"))
            roll_back_journal(host, disks, folder, journal_id)
        ready.unlink()
    for leftover in [*folder.glob("*.data"), *folder.glob("*.pre")]:
        leftover.unlink(missing_ok=True)
