"""A cycle is applied whole or not at all: a broken stream or a crash mid-apply never leaves a torn replica disk."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import pytest

from simulator.core.errors import SimError
from simulator.core.host import Host
from simulator.services.hyperv import read_guest_data, write_guest_data
from simulator.services.hyperv import state as hv_state
from simulator.services.hyperv.blockstream import encode_blocks
from simulator.services.hyperv.disks import (
    BLOCK_SIZE,
    apply_journal,
    apply_records,
    drop_undo,
    iter_journal,
    stage,
    undo_path,
    write_at,
)
from simulator.services.hyperv.scheduler import run_due
from simulator.services.hyperv.state import find_vm, new_guid
from simulator.services.replication.api import REPLICA_OPERATIONS, PeerIdentity
from tests.simulator.hyperv.conftest import PRIMARY_FQDN, REPLICA_FQDN, Pair
from tests.simulator.hyperv.helpers import call

MIB = 1024 * 1024


def disk_digest(host: Host) -> str:
    vm = find_vm(host, "VM01")
    assert vm is not None
    return hashlib.sha256(host.real_path(vm["disks"][0]["path"]).read_bytes()).hexdigest()


def replicating(pair: Pair) -> None:
    pair.enable(ReplicationFrequencySec=30, RecoveryHistory=2)
    write_guest_data(pair.primary, "VM01", 0, b"base" * 10000)
    call(pair.primary, "Start-VMInitialReplication", VMName=["VM01"])


def test_stream_cut_mid_cycle_leaves_replica_untouched(pair: Pair) -> None:
    replicating(pair)
    before = disk_digest(pair.replica)
    vm = find_vm(pair.primary, "VM01")
    assert vm is not None
    write_guest_data(pair.primary, "VM01", 5 * MIB, b"n" * (3 * 65536))
    path = pair.primary.real_path(vm["disks"][0]["path"])
    stream = b"".join(encode_blocks([(0, path, [80, 81, 82])]))
    peer = PeerIdentity(PRIMARY_FQDN, (PRIMARY_FQDN,), pair.primary_thumbprint, "lab", "D:\\Replica")
    with pytest.raises(SimError, match="ended inside a record"), pair.replica.transaction():
        REPLICA_OPERATIONS["apply_log"](pair.replica, peer, {"vm_id": vm["id"], "first": None, "count": 1},
                                        iter([stream[: len(stream) - 1000]]))
    assert disk_digest(pair.replica) == before
    assert not any(pair.replica.state_dir.rglob("*.data"))


def test_crash_after_partial_apply_rolls_back_on_restart(pair: Pair) -> None:
    replicating(pair)
    before = disk_digest(pair.replica)
    replica_vm = find_vm(pair.replica, "VM01")
    assert replica_vm is not None
    disks = replica_vm["disks"]
    records = [(0, 7 * MIB, b"x" * 70000), (0, 2 * MIB, b"y" * 5000)]
    journal_id = f"{replica_vm['replication']['incarnation']}_{new_guid()}"
    stage(pair.replica, disks, iter(records), journal_id)
    # the "crash": the first record reached the disk, the state was never saved
    first = next(iter_journal(pair.replica.real_path(disks[0]["path"]).parent / ".journal" / f"{journal_id}.data"))
    write_at(pair.replica.real_path(disks[0]["path"]), first[1], first[2])
    assert disk_digest(pair.replica) != before
    hv_state._RECOVERED.discard(str(pair.replica.state_dir))  # a new process opens the host
    restarted = pair.lab.add(Host.open(pair.replica.state_dir), REPLICA_FQDN)
    call(restarted, "Get-VM")
    assert disk_digest(restarted) == before
    write_guest_data(pair.primary, "VM01", 0, b"later")
    pair.primary.clock.advance(30)
    assert run_due(pair.primary)["sent"] == 1
    assert read_guest_data(restarted, "VM01", 0, 5) == b"later"


def test_committed_journal_is_kept_not_rolled_back(pair: Pair) -> None:
    replicating(pair)
    replica_vm = find_vm(pair.replica, "VM01")
    assert replica_vm is not None
    journal_id = f"{replica_vm['replication']['incarnation']}_{new_guid()}"
    stage(pair.replica, replica_vm["disks"], iter([(0, MIB, b"committed")]), journal_id)
    with pair.replica.transaction():
        apply_journal(pair.replica, replica_vm["disks"], journal_id, None)
        replica_vm["replication"]["last_journal"] = journal_id
    hv_state._RECOVERED.discard(str(pair.replica.state_dir))
    restarted = Host.open(pair.replica.state_dir)
    assert read_guest_data(restarted, "VM01", MIB, 9) == b"committed"
    assert not any((pair.replica.state_dir).rglob("*.ready"))


def test_journal_of_an_earlier_relationship_is_not_rolled_back(pair: Pair) -> None:
    replicating(pair)
    replica_vm = find_vm(pair.replica, "VM01")
    assert replica_vm is not None
    stale = f"some-earlier-relationship_{new_guid()}"
    stage(pair.replica, replica_vm["disks"], iter([(0, MIB, b"old cycle")]), stale)
    apply_journal(pair.replica, replica_vm["disks"], stale, None)
    hv_state._RECOVERED.discard(str(pair.replica.state_dir))
    restarted = Host.open(pair.replica.state_dir)
    assert read_guest_data(restarted, "VM01", MIB, 9) == b"old cycle"
    assert not any((pair.replica.state_dir).rglob("*.ready"))


def _point_store(pair: Pair) -> tuple[dict[str, Any], Path]:
    """After one cycle: the replica's latest recovery point (with pre-images) and its undo store file."""
    write_guest_data(pair.primary, "VM01", 0, b"cycle one")
    pair.primary.clock.advance(30)
    assert run_due(pair.primary)["sent"] == 1
    replica_vm = find_vm(pair.replica, "VM01")
    assert replica_vm is not None
    point = replica_vm["replication"]["points"][-1]
    assert point["undo"]
    return point, undo_path(pair.replica.real_path(replica_vm["disks"][0]["path"]), point["id"])


def _restart(pair: Pair) -> Host:
    hv_state._RECOVERED.discard(str(pair.replica.state_dir))  # a new process opens the host
    restarted = Host.open(pair.replica.state_dir)
    call(restarted, "Get-VM")
    return restarted


def test_point_pruned_by_an_unsaved_state_keeps_its_undo_store(pair: Pair) -> None:
    replicating(pair)
    point, store = _point_store(pair)
    content = store.read_bytes()
    replica_vm = find_vm(pair.replica, "VM01")
    assert replica_vm is not None
    drop_undo(pair.replica, replica_vm["disks"], point)  # pruned in memory; the crash comes before the save
    assert not store.exists()
    _restart(pair)
    assert store.read_bytes() == content


def test_point_pruned_by_a_saved_state_loses_its_undo_store(pair: Pair) -> None:
    replicating(pair)
    point, store = _point_store(pair)
    replica_vm = find_vm(pair.replica, "VM01")
    assert replica_vm is not None
    with pair.replica.transaction():
        drop_undo(pair.replica, replica_vm["disks"], point)
        replica_vm["replication"]["points"].remove(point)
    _restart(pair)
    assert not any(store.parent.iterdir())


def test_pre_images_the_saved_state_does_not_know_are_trimmed(pair: Pair) -> None:
    replicating(pair)
    point, store = _point_store(pair)
    saved_size = store.stat().st_size
    assert saved_size == (max(point["undo"]["0"].values()) + 1) * BLOCK_SIZE
    with open(store, "ab") as undo:  # a crash while appending the pre-images of a rolled-back cycle
        undo.write(b"p" * (BLOCK_SIZE + 1000))
    _restart(pair)
    assert store.stat().st_size == saved_size


def test_a_torn_undo_tail_never_misaligns_the_next_slot(pair: Pair) -> None:
    replicating(pair)
    point, store = _point_store(pair)
    with open(store, "ab") as undo:
        undo.write(b"t" * 1000)
    replica_vm = find_vm(pair.replica, "VM01")
    assert replica_vm is not None
    disk = pair.replica.real_path(replica_vm["disks"][0]["path"])
    block = 40
    expected = disk.read_bytes()[block * BLOCK_SIZE:(block + 1) * BLOCK_SIZE]
    apply_records(pair.replica, replica_vm["disks"], iter([(0, block * BLOCK_SIZE, b"new" * 100)]), point)
    slot = point["undo"]["0"][str(block)]
    with open(store, "rb") as undo:
        undo.seek(slot * BLOCK_SIZE)
        assert undo.read(BLOCK_SIZE) == expected


class _Killed(BaseException):
    """Stands for a kill -9 right after the guest's bytes reached the disk."""


def _kill_after_the_disk_write(monkeypatch: pytest.MonkeyPatch, host: Host) -> None:
    """The next guest write reaches the disk, then the process 'dies': nothing is saved after it."""
    from simulator.services.hyperv import disks  # noqa: PLC0415 - the module whose write we interrupt

    real_write = disks.write_at

    def write_then_die(path: Path, offset: int, data: bytes) -> None:
        real_write(path, offset, data)
        monkeypatch.setattr(host, "save", lambda: False)  # a dead process saves nothing more
        raise _Killed

    monkeypatch.setattr(disks, "write_at", write_then_die)


def test_guest_write_killed_before_the_save_is_still_replicated(pair: Pair, monkeypatch: pytest.MonkeyPatch) -> None:
    """The change-tracking mark is durable before the bytes change, so the next cycle carries them."""
    replicating(pair)
    with monkeypatch.context() as patch, pytest.raises(_Killed):
        _kill_after_the_disk_write(patch, pair.primary)
        write_guest_data(pair.primary, "VM01", 3 * MIB, b"written just before the crash")
    hv_state._RECOVERED.discard(str(pair.primary.state_dir))
    restarted = pair.lab.add(Host.open(pair.primary.state_dir), PRIMARY_FQDN)
    restarted.clock.advance(30)
    assert run_due(restarted)["sent"] == 1
    assert read_guest_data(pair.replica, "VM01", 3 * MIB, 29) == b"written just before the crash"
    assert disk_digest(pair.replica) == disk_digest(restarted)


def test_guest_write_on_a_failed_over_replica_killed_before_the_save_is_undone(
        pair: Pair, monkeypatch: pytest.MonkeyPatch) -> None:
    """The pre-image is durable before the bytes change, so Stop-VMFailover still restores the block."""
    replicating(pair)
    before = disk_digest(pair.replica)
    call(pair.replica, "Start-VMFailover", VMName=["VM01"])
    with monkeypatch.context() as patch, pytest.raises(_Killed):
        _kill_after_the_disk_write(patch, pair.replica)
        write_guest_data(pair.replica, "VM01", 0, b"guest on the failed-over replica")
    restarted = _restart(pair)
    call(restarted, "Stop-VMFailover", VMName=["VM01"])
    assert disk_digest(restarted) == before
