"""Put replica disks and undo stores back at the last saved state after a crash, before anything reads them.

``apply_log`` stages each cycle (its blocks and the bytes they overwrite, fsynced, then a ``.ready``
marker) before touching the VHDs, and commits by saving the state that names the journal; the failover
cmdlets stage their overlays the same way (:mod:`~simulator.services.hyperv.failover_journal`). A kill -9
can still leave behind: a VHD half-written from a ready journal (a cycle, a Start-VMFailover to a
recovery point or a Stop-VMFailover), undo stores with pre-images the saved state does not know
(possibly a torn last block), undo stores of points a newer, unsaved state had pruned, a failover undo
store or test-failover disks the saved state never named, and test-failover disks a Stop-VMFailover
removed before its state was saved. :func:`recover_host` undoes all of these from what the state says;
every step is idempotent, so a crash during recovery is recovered by the next run. It runs when the host
process starts (:func:`recover_at_start`, from the replication service's start hook, before the
listener accepts cycles), once per process when the Hyper-V state is first read, and before each replica
operation and each failover cmdlet.
"""

from __future__ import annotations

import logging
import os
from typing import TYPE_CHECKING, Any

from simulator.services.hyperv.disks import BLOCK_SIZE, DROPPED_SUFFIX, recover_journal, undo_path
from simulator.services.hyperv.failover_journal import (
    SavedState,
    recover_failover_journals,
    remove_stray_failover_files,
)
from simulator.services.hyperv.state import vms

if TYPE_CHECKING:
    from simulator.core.host import Host

log = logging.getLogger(__name__)
UNDO_SUFFIX = ".undo"


def _stores_in_use(rep: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Point-like records (id → record with an ``undo`` slot map) the state still names."""
    named = {str(p["id"]): p for p in rep.get("points", []) if p.get("id")}
    failover_undo = rep.get("failover_undo")
    if isinstance(failover_undo, dict) and failover_undo.get("id"):
        named[str(failover_undo["id"])] = failover_undo
    return named


def recover_vm(host: Host, vm: dict[str, Any], saved: SavedState | None = None) -> None:
    """Recover one VM's disks and undo stores (see the module docstring)."""
    disks = vm.get("disks") or []
    if not disks:
        return
    saved = saved if saved is not None else SavedState(host)
    recover_failover_journals(host, vm, saved)
    remove_stray_failover_files(host, vm, {str(v["id"]).lower() for v in vms(host)}, saved)
    rep = vm.get("replication") or {}
    if rep.get("mode") == "Replica":
        recover_journal(host, disks, rep.get("last_journal"), str(rep.get("incarnation", "")))
    named = _stores_in_use(rep)
    for index, disk in enumerate(disks):
        folder = undo_path(host.real_path(disk["path"]), "_").parent
        if not folder.is_dir():
            continue
        for retired in folder.glob(f"*{UNDO_SUFFIX}{DROPPED_SUFFIX}"):
            point_id = retired.name[: -len(UNDO_SUFFIX + DROPPED_SUFFIX)]
            if point_id in named:  # pruned by a state that was never saved: the point still exists
                retired.replace(folder / f"{point_id}{UNDO_SUFFIX}")
            elif point_id not in _stores_in_use((saved.vm(vm["id"]) or {}).get("replication") or {}):
                retired.unlink(missing_ok=True)
            # else: retired by this process's state, which is not saved yet; a crash must still find it
        for point_id, record in named.items():
            store = folder / f"{point_id}{UNDO_SUFFIX}"
            slots = record.get("undo", {}).get(str(index), {})
            keep = (max(int(s) for s in slots.values()) + 1) * BLOCK_SIZE if slots else 0
            try:
                size = store.stat().st_size
            except FileNotFoundError:
                continue
            if size > keep:  # pre-images appended after the last save belong to a cycle that was rolled back
                log.warning("trimming %d unsaved bytes from an undo store on %s", size - keep, host.info.get("name"))
                os.truncate(store, keep)


def recover_host(host: Host) -> None:
    """Recover every VM of ``host`` (cheap when nothing was interrupted: a few directory look-ups per VM)."""
    with host.lock:
        saved = SavedState(host)
        for vm in vms(host):
            recover_vm(host, vm, saved)


def recover_at_start(host: Host) -> None:
    """Recover a host whose process just started (a no-op for a host without a Hyper-V state)."""
    if "hyperv" not in host.state:
        return
    log.info("crash recovery at host start on %s", host.info.get("name"))
    recover_host(host)
