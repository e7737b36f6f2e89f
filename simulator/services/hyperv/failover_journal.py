"""Crash-safe failover overlays: Start-VMFailover to a recovery point and Stop-VMFailover rewrite the replica's
VHDs in place, so they are staged like replication cycles, with the same journal code (new bytes and pre-images
fsynced, then a ``.ready`` marker; :func:`~simulator.services.hyperv.disks.stage`), in a folder of their own, and
a kill -9 mid-write is rolled back to what the saved state says.

Each overlay gets a per-VM sequence number; it commits when the VM record's ``failover_journal_seq`` reaches
it *and that state is saved*. :func:`recover_failover_journals` deletes journals the saved ``state.json``
shows committed, rolls back (newest first) those the in-memory state does not know (a crash or a failed
write), and leaves alone those committed in memory but not saved yet (a later statement of the same script).
:func:`remove_stray_failover_files` removes the failover undo stores and test-failover disks a crash left
unnamed. ``HVSIM_FAULT_FAILOVER_PAUSE_AFTER_WRITES=N`` (tests only) stops an overlay for good after N block
writes, so a test can kill -9 the host process mid-write.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from simulator.core.host import STATE_FILE
from simulator.services.hyperv.disks import BLOCK_SIZE, apply_journal, roll_back_journal, stage, undo_path

if TYPE_CHECKING:
    from simulator.core.host import Host

log = logging.getLogger(__name__)

SEQ_KEY = "failover_journal_seq"
FAULT_PAUSE_ENV = "HVSIM_FAULT_FAILOVER_PAUSE_AFTER_WRITES"
FAULT_PAUSED_MARKER = "fault-failover-paused"
FAILOVER_UNDO_PREFIX = "failover-"
TEST_FOLDER_PREFIX = "Test-"
REMOVED_SUFFIX = ".removed"
UNSAVED_MARKER = ".unsaved-test-failover"


def journal_folder(host: Host, vm: dict[str, Any]) -> Path:
    """Where a VM stages failover overlays (beside its first disk)."""
    return host.real_path(vm["disks"][0]["path"]).parent / ".failover-journal"


def _overlay_records(host: Host, vm: dict[str, Any], points: list[dict[str, Any]]) -> Iterator[tuple[int, int, bytes]]:
    """``(disk, offset, bytes)`` the overlay of ``points`` (newest first) writes: per block, the oldest point's."""
    disks = vm["disks"]
    final: dict[tuple[int, int], tuple[str, int]] = {}
    for point in points:
        for disk_key, slots in point.get("undo", {}).items():
            for block, slot in slots.items():
                final[(int(disk_key), int(block))] = (point["id"], int(slot))
    handles: dict[tuple[str, int], Any] = {}
    try:
        for (index, block), (point_id, slot) in sorted(final.items()):
            handle = handles.get((point_id, index))
            if handle is None:
                store = undo_path(host.real_path(disks[index]["path"]), point_id)
                handle = handles[(point_id, index)] = open(store, "rb")  # noqa: SIM115 - closed below
            handle.seek(slot * BLOCK_SIZE)
            size = int(disks[index]["size_bytes"])
            yield index, block * BLOCK_SIZE, handle.read(BLOCK_SIZE)[: max(0, size - block * BLOCK_SIZE)]
    finally:
        for handle in handles.values():
            handle.close()


def _delete_journal(folder: Path, journal_id: str) -> None:
    (folder / f"{journal_id}.ready").unlink(missing_ok=True)  # the marker first: a half-deleted journal is inert
    for suffix in (".data", ".pre"):
        (folder / f"{journal_id}{suffix}").unlink(missing_ok=True)


def _fault_pause(host: Host, written: int) -> None:
    """Test hook: with the env variable set to N, stop for good after the N-th block write (to be killed -9)."""
    limit = os.environ.get(FAULT_PAUSE_ENV)
    if not limit or written != int(limit):
        return
    log.warning("fault injection: failover overlay paused after %d block writes (pid %d)", written, os.getpid())
    (host.state_dir / FAULT_PAUSED_MARKER).write_text(str(os.getpid()), encoding="utf-8")
    threading.Event().wait()  # holds the host lock until the test kills the process


def overlay_journalled(host: Host, vm: dict[str, Any], points: list[dict[str, Any]],
                       save_to: dict[str, Any] | None = None) -> None:
    """Overlay the undo stores of ``points`` (newest first) onto ``vm``'s own disks, crash-safely.

    With ``save_to`` (a point-like dict), the blocks overwritten are first saved as its pre-images. On
    success the VM record's sequence number names this overlay (committed once the caller's state is
    saved); on an error the disks are rolled back before it propagates.
    """
    if not vm["disks"]:
        return
    seq = int(vm.get(SEQ_KEY, 0)) + 1
    journal_id = f"{vm['id']}_{seq:010d}"
    folder = journal_folder(host, vm)
    stage(host, vm["disks"], _overlay_records(host, vm, points), journal_id, folder)
    try:
        apply_journal(host, vm["disks"], journal_id, save_to, folder,
                      after_each=lambda written: _fault_pause(host, written))
    except BaseException:
        _roll_back(host, vm, folder, journal_id)
        raise
    vm[SEQ_KEY] = seq


def _roll_back(host: Host, vm: dict[str, Any], folder: Path, journal_id: str) -> None:
    log.warning("rolling back an interrupted failover overlay of '%s' on %s", vm.get("name"), host.info.get("name"))
    roll_back_journal(host, vm["disks"], folder, journal_id)
    _delete_journal(folder, journal_id)


class SavedState:
    """The host's last saved ``state.json``, read at most once and only when a decision needs it."""

    def __init__(self, host: Host) -> None:
        self._path = host.state_dir / STATE_FILE
        self._vms: dict[str, dict[str, Any]] | None = None

    def vm(self, vm_id: str) -> dict[str, Any] | None:
        """The saved record of a VM, or None (never saved, or not in the saved state)."""
        if self._vms is None:
            try:
                state = json.loads(self._path.read_text(encoding="utf-8"))
            except FileNotFoundError:
                state = {}
            self._vms = {str(v.get("id", "")).lower(): v for v in state.get("hyperv", {}).get("vms", [])}
        return self._vms.get(vm_id.lower())


def recover_failover_journals(host: Host, vm: dict[str, Any], saved: SavedState) -> None:
    """Delete ``vm``'s committed failover journals and roll back interrupted ones (see the module docstring).

    ASSUMPTION: a host crash in the middle of Start-/Stop-VMFailover leaves the replica VM, after VMMS
    starts again, as it was before the cmdlet (its AVHDX chain is switched only at the end), never half
    rewritten; the simulator rolls back to whatever its saved state says.
    """
    if not vm.get("disks"):
        return
    folder = journal_folder(host, vm)
    if not folder.is_dir():
        return
    prefix = f"{vm['id']}_"
    ready = sorted((p.stem for p in folder.glob(f"{prefix}*.ready")), reverse=True)
    if ready:
        saved_vm = saved.vm(vm["id"])
        saved_seq = int((saved_vm or {}).get(SEQ_KEY, 0))
        memory_seq = int(vm.get(SEQ_KEY, 0))
        for journal_id in ready:  # newest first, so stacked overlays unwind in order
            seq = int(journal_id[len(prefix):])
            if seq <= saved_seq:
                _delete_journal(folder, journal_id)
            elif seq > memory_seq:
                _roll_back(host, vm, folder, journal_id)
    staged = {p.stem for p in folder.glob(f"{prefix}*") if p.suffix in {".data", ".pre"}}
    for journal_id in staged - set(ready):  # staging cut off before its marker: the VHDs were never touched
        _delete_journal(folder, journal_id)


def remove_stray_failover_files(host: Host, vm: dict[str, Any], known_vm_ids: set[str], saved: SavedState) -> None:
    """Delete what an interrupted failover cmdlet left that the state does not know.

    Failover undo stores neither the VM's record nor the saved state names (a Start-VMFailover rolled back),
    test-failover disk folders still marked unsaved whose test VM does not exist (a test failover cut off
    before its state was saved; the marker goes once the saved state names the test VM), and
    folders of removed test VMs (Stop-VMFailover renames them aside; they come back while the saved state
    still names the test VM).
    """
    failover_undo = (vm.get("replication") or {}).get("failover_undo") or {}
    named = f"{failover_undo.get('id')}.undo" if failover_undo.get("id") else None
    folders: set[Path] = set()
    for disk in vm.get("disks") or []:
        path = host.real_path(disk["path"])
        folders.add(path.parent)
        store_folder = undo_path(path, "_").parent
        if store_folder.is_dir():
            for store in store_folder.glob(f"{FAILOVER_UNDO_PREFIX}*.undo"):
                if store.name != named and store.stem not in _saved_failover_undo(saved, vm):
                    log.warning("deleting an unsaved failover undo store on %s", host.info.get("name"))
                    store.unlink(missing_ok=True)
    if (vm.get("replication") or {}).get("mode") != "Replica":
        return
    for folder in folders:
        for test_folder in folder.glob(f"{TEST_FOLDER_PREFIX}*"):
            test_id = test_folder.name[len(TEST_FOLDER_PREFIX):]
            if test_id.endswith(REMOVED_SUFFIX):
                test_id = test_id[: -len(REMOVED_SUFFIX)]
                if saved.vm(test_id) is not None and test_id.lower() in known_vm_ids:
                    test_folder.replace(folder / f"{TEST_FOLDER_PREFIX}{test_id}")
                elif saved.vm(test_id) is None:
                    shutil.rmtree(test_folder, ignore_errors=True)
            elif (test_folder / UNSAVED_MARKER).exists():
                if saved.vm(test_id) is not None:
                    (test_folder / UNSAVED_MARKER).unlink()
                elif test_id.lower() not in known_vm_ids:
                    # ASSUMPTION: after a host crash in the middle of Start-VMFailover -AsTest, VMMS does not
                    # register the half-created test VM and its copied disks do not stay behind.
                    log.warning("deleting the disks of an unsaved test failover on %s", host.info.get("name"))
                    shutil.rmtree(test_folder, ignore_errors=True)


def new_test_folder(folder: Path) -> None:
    """Create a test VM's disk folder, marked as not saved yet (recovery deletes it if the state never names it)."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / UNSAVED_MARKER).touch()


def _saved_failover_undo(saved: SavedState, vm: dict[str, Any]) -> set[str]:
    rep = (saved.vm(vm["id"]) or {}).get("replication") or {}
    undo = rep.get("failover_undo") or {}
    return {str(undo["id"])} if undo.get("id") else set()


def retire_test_folder(folder: Path) -> None:
    """Rename a test VM's disk folder aside (Stop-VMFailover); recovery deletes it once the removal is saved."""
    with contextlib.suppress(FileNotFoundError):
        folder.replace(folder.with_name(folder.name + REMOVED_SUFFIX))
