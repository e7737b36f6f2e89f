"""A kill -9 in the middle of a failover cmdlet leaves the replica's disk exactly before or after it, never torn.

The served tests start two host processes (issue 6's lab), make the replica's process stop for good after a
few block writes of the overlay (``HVSIM_FAULT_FAILOVER_PAUSE_AFTER_WRITES``), check the disk file really is
torn at that moment, ``os.kill(pid, SIGKILL)`` it, restart it and read the disk file directly, before any
WinRM or control-plane call. The in-process tests cover what a served lab is too slow for: two overlays of
one unsaved script, test-failover disks the state never saved, and a test VM whose removal was never saved.
"""

from __future__ import annotations

import hashlib
import os
import random
import signal
import threading
import time
from collections.abc import Iterator
from pathlib import Path, PureWindowsPath
from types import SimpleNamespace
from typing import Any

import pytest

from simulator.core.host import Host
from simulator.services import replication as replication_service
from simulator.services.hyperv import state as hv_state
from simulator.services.hyperv import write_guest_data
from simulator.services.hyperv.crash_recovery import recover_at_start, recover_host
from simulator.services.hyperv.failover_journal import FAULT_PAUSE_ENV, FAULT_PAUSED_MARKER
from simulator.services.hyperv.scheduler import run_due
from simulator.services.hyperv.state import find_vm
from simulator.services.replication import listener, network
from tests.acceptance4.lab import REPLICA, Lab
from tests.acceptance6.lab6 import (
    DISK_BYTES,
    enable_and_replicate,
    file_sha256,
    guest_write,
    recovery_points,
    replica_disk,
    restart_replica,
    restore6,
    sha256_upper,
    start_lab6,
)
from tests.simulator.hyperv.conftest import Pair
from tests.simulator.hyperv.helpers import call

HOUR = 3600
PAUSE_AFTER = 3  # block writes of the overlay that reach the disk before the kill


# ------------------------------------------------------------------------------------------- served lab
@pytest.fixture(name="lab", scope="module")
def _lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    lab = start_lab6(tmp_path_factory.mktemp("failover-crash"))
    try:
        yield lab
    finally:
        lab.stop()


def _two_points(lab: Lab) -> tuple[str, str, str]:
    """VM01 replicated with an all-zero point, then random data an hour later: (older point, before, after).

    ``before`` is the replica disk's SHA-256 with the latest state, ``after`` with the older point overlaid.
    """
    restore6(lab)
    enable_and_replicate(lab, "-ReplicationFrequencySec 300 -RecoveryHistory 2")
    disk = bytearray(DISK_BYTES)
    rng = random.Random(61)
    for offset in (0, 1024 * 1024, 5 * 1024 * 1024):  # 8 + 8 + 4 blocks: the overlay writes 20 blocks
        data = rng.randbytes(64) * ((512 if offset < 5 * 1024 * 1024 else 256) * 16)
        guest_write(lab, offset, data)
        disk[offset:offset + len(data)] = data
    lab.advance(300)
    lab.advance(HOUR)  # the next hourly point
    points = recovery_points(lab)
    assert len(points) == 2
    return points[0], sha256_upper(bytes(disk)), sha256_upper(bytes(DISK_BYTES))


def _real_disk(lab: Lab) -> Path:
    win = PureWindowsPath(replica_disk(lab))
    return lab.hosts[REPLICA].state_dir.joinpath(win.drive.rstrip(":"), *win.parts[1:])


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest().upper()


def _restart(lab: Lab, monkeypatch: pytest.MonkeyPatch, pause_after: int | None) -> None:
    """Stop the replica cleanly (if it runs) and start it again, with the overlay fault armed or not."""
    lab.hosts[REPLICA].stop()
    (lab.hosts[REPLICA].state_dir / FAULT_PAUSED_MARKER).unlink(missing_ok=True)
    if pause_after is None:
        monkeypatch.delenv(FAULT_PAUSE_ENV, raising=False)
    else:
        monkeypatch.setenv(FAULT_PAUSE_ENV, str(pause_after))
    restart_replica(lab)


def _kill_during(lab: Lab, script: str, disk: Path, images: tuple[str, str]) -> None:
    """Run ``script`` on the replica until the armed fault pauses it, check the disk is torn, kill -9 the host."""
    host = lab.hosts[REPLICA]
    marker = host.state_dir / FAULT_PAUSED_MARKER
    errors: list[BaseException] = []

    def run() -> None:
        try:
            lab.ps(REPLICA, script)
        except Exception as error:  # the connection dies with the process
            errors.append(error)

    worker = threading.Thread(target=run, daemon=True)
    worker.start()
    deadline = time.monotonic() + 30
    while not marker.exists():
        assert time.monotonic() < deadline, f"the overlay never paused: {errors} {host.stderr_text()[-2000:]}"
        assert worker.is_alive() or not errors, f"the script failed before the pause: {errors}"
        time.sleep(0.05)
    assert int(marker.read_text(encoding="utf-8")) == host.pid
    assert _digest(disk) not in images, "the kill does not land in the middle of the overlay"
    os.kill(host.pid, signal.SIGKILL)
    host.process.wait(10)
    worker.join(30)
    marker.unlink()


def _restart_after_kill(lab: Lab, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(FAULT_PAUSE_ENV, raising=False)
    lab.sessions.pop(REPLICA, None)
    restart_replica(lab)


def _replica_state(lab: Lab) -> str:
    return lab.ok(REPLICA, "(Get-VMReplication -VMName VM01).ReplicationState")


@pytest.mark.slow
def test_kill_9_mid_start_failover_to_an_older_point_leaves_the_disk_before_it(
        lab: Lab, monkeypatch: pytest.MonkeyPatch) -> None:
    point, before, after = _two_points(lab)
    disk = _real_disk(lab)
    assert _digest(disk) == before
    _restart(lab, monkeypatch, PAUSE_AFTER)
    _kill_during(lab, f"Start-VMFailover -VMRecoverySnapshot (Get-VMSnapshot -VMName VM01 -Id '{point}')",
                 disk, (before, after))
    _restart_after_kill(lab, monkeypatch)
    # Repaired by the process start itself: nothing has read the Hyper-V state through WinRM or control yet.
    assert _digest(disk) == before
    assert "rolling back an interrupted failover overlay" in lab.hosts[REPLICA].stderr_text()
    assert not list(disk.parent.glob(".*.rp/failover-*")), "the rolled-back failover's undo store stayed"
    assert _replica_state(lab) == "Replicating"  # what the saved state says: the failover never happened
    lab.ok(REPLICA, f"Start-VMFailover -VMRecoverySnapshot (Get-VMSnapshot -VMName VM01 -Id '{point}')")
    assert file_sha256(lab, REPLICA, replica_disk(lab)) == after
    lab.ok(REPLICA, "Stop-VMFailover -VMName VM01")
    assert file_sha256(lab, REPLICA, replica_disk(lab)) == before


@pytest.mark.slow
def test_kill_9_mid_stop_failover_leaves_the_failed_over_disk(lab: Lab, monkeypatch: pytest.MonkeyPatch) -> None:
    point, before, after = _two_points(lab)
    disk = _real_disk(lab)
    lab.ok(REPLICA, f"Start-VMFailover -VMRecoverySnapshot (Get-VMSnapshot -VMName VM01 -Id '{point}')")
    assert _digest(disk) == after
    _restart(lab, monkeypatch, PAUSE_AFTER)
    _kill_during(lab, "Stop-VMFailover -VMName VM01", disk, (before, after))
    _restart_after_kill(lab, monkeypatch)
    assert _digest(disk) == after
    assert _replica_state(lab) == "FailedOverWaitingCompletion"
    lab.ok(REPLICA, "Stop-VMFailover -VMName VM01")
    assert file_sha256(lab, REPLICA, replica_disk(lab)) == before
    lab.ok(REPLICA, f"Start-VMFailover -VMRecoverySnapshot (Get-VMSnapshot -VMName VM01 -Id '{point}')")
    assert file_sha256(lab, REPLICA, replica_disk(lab)) == after
    lab.ok(REPLICA, "Stop-VMFailover -VMName VM01")
    assert file_sha256(lab, REPLICA, replica_disk(lab)) == before


# ------------------------------------------------------------------------------------------- in process
MIB = 1024 * 1024


def _in_process_points(pair: Pair) -> tuple[Any, str]:
    """VM01 replicated, a zero point then data an hour later; (the older point's object, the latest digest)."""
    pair.enable(ReplicationFrequencySec=300, RecoveryHistory=2)
    call(pair.primary, "Start-VMInitialReplication", VMName=["VM01"])
    for offset in (0, 3 * MIB, 9 * MIB):
        write_guest_data(pair.primary, "VM01", offset, bytes([offset % 251 + 1]) * 300000)
    pair.primary.clock.advance(3600)
    run_due(pair.primary)
    points = call(pair.replica, "Get-VMSnapshot", VMName=["VM01"], SnapshotType="Replica")
    assert len(points) == 2
    return points[0], _vm_digest(pair.replica, "VM01")


def _vm_digest(host: Host, name: str) -> str:
    vm = find_vm(host, name)
    assert vm is not None
    return hashlib.sha256(host.real_path(vm["disks"][0]["path"]).read_bytes()).hexdigest()


def _crash_before_saving(pair: Pair, monkeypatch: pytest.MonkeyPatch) -> None:
    """From now on the replica's state is never saved (the process dies before its transaction ends)."""
    monkeypatch.setattr(pair.replica, "save", lambda: False)


def _reopen(pair: Pair) -> Host:
    """A new process opens the replica's state folder (nothing has recovered it yet)."""
    hv_state._RECOVERED.discard(str(pair.replica.state_dir))
    return Host.open(pair.replica.state_dir)


def test_two_overlays_of_one_unsaved_script_unwind_newest_first(pair: Pair, monkeypatch: pytest.MonkeyPatch) -> None:
    point, latest = _in_process_points(pair)
    call(pair.replica, "Start-VMFailover", VMRecoverySnapshot=point)
    failed_over = _vm_digest(pair.replica, "VM01")
    assert failed_over != latest
    _crash_before_saving(pair, monkeypatch)
    with pair.replica.transaction():  # one script, never saved: undo the failover, then fail over again
        call(pair.replica, "Stop-VMFailover", VMName=["VM01"])
        assert _vm_digest(pair.replica, "VM01") == latest
        call(pair.replica, "Start-VMFailover", VMRecoverySnapshot=point)
        recover_host(pair.replica)  # a later cmdlet's recovery must not undo what this script did
        assert _vm_digest(pair.replica, "VM01") == failed_over
    # both overlays are rolled back, the second first (the other order would leave the latest state)
    restarted = _reopen(pair)
    recover_at_start(restarted)
    assert _vm_digest(restarted, "VM01") == failed_over  # the saved state: failed over to the point
    call(restarted, "Stop-VMFailover", VMName=["VM01"])
    assert _vm_digest(restarted, "VM01") == latest


def test_unsaved_test_failover_leaves_no_disks(pair: Pair, monkeypatch: pytest.MonkeyPatch) -> None:
    point, _latest = _in_process_points(pair)
    _crash_before_saving(pair, monkeypatch)
    call(pair.replica, "Start-VMFailover", VMRecoverySnapshot=point, AsTest=True)
    test_vm = find_vm(pair.replica, "VM01 - Test")
    assert test_vm is not None
    test_folder = pair.replica.real_path(test_vm["disks"][0]["path"]).parent
    assert test_folder.is_dir()
    restarted = _reopen(pair)
    recover_at_start(restarted)
    assert not test_folder.exists()
    assert find_vm(restarted, "VM01 - Test") is None
    call(restarted, "Start-VMFailover", VMRecoverySnapshot=call(restarted, "Get-VMSnapshot", VMName=["VM01"],
                                                                  SnapshotType="Replica")[0], AsTest=True)
    saved_test_vm = find_vm(restarted, "VM01 - Test")
    assert saved_test_vm is not None
    recover_host(restarted)  # saved this time: its disks stay
    assert restarted.real_path(saved_test_vm["disks"][0]["path"]).is_file()


def test_test_vm_removed_by_an_unsaved_stop_keeps_its_disks(pair: Pair, monkeypatch: pytest.MonkeyPatch) -> None:
    point, _latest = _in_process_points(pair)
    call(pair.replica, "Start-VMFailover", VMRecoverySnapshot=point, AsTest=True)
    test_digest = _vm_digest(pair.replica, "VM01 - Test")
    test_vm = find_vm(pair.replica, "VM01 - Test")
    assert test_vm is not None
    test_folder = pair.replica.real_path(test_vm["disks"][0]["path"]).parent
    with monkeypatch.context() as unsaved:
        unsaved.setattr(pair.replica, "save", lambda: False)
        call(pair.replica, "Stop-VMFailover", VMName=["VM01"])
        assert find_vm(pair.replica, "VM01 - Test") is None
    restarted = _reopen(pair)
    recover_at_start(restarted)
    assert _vm_digest(restarted, "VM01 - Test") == test_digest
    call(restarted, "Stop-VMFailover", VMName=["VM01"])  # saved this time: the disks go at the next recovery
    recover_host(restarted)
    assert not any(test_folder.parent.glob(f"{test_folder.name}*"))


def test_host_start_hook_repairs_the_disk_before_anything_reads_hyperv(
        pair: Pair, monkeypatch: pytest.MonkeyPatch) -> None:
    point, latest = _in_process_points(pair)
    _crash_before_saving(pair, monkeypatch)
    call(pair.replica, "Start-VMFailover", VMRecoverySnapshot=point)
    assert _vm_digest(pair.replica, "VM01") != latest
    restarted = _reopen(pair)
    disk = restarted.real_path(restarted.state["hyperv"]["vms"][0]["disks"][0]["path"])
    assert hashlib.sha256(disk.read_bytes()).hexdigest() != latest
    monkeypatch.setattr(listener, "start", lambda host, runtime: None)  # no sockets: only the hook's own work
    monkeypatch.setattr(network, "register_runtime", lambda runtime: None)
    replication_service.on_host_start(restarted, SimpleNamespace(state_dir=restarted.state_dir), tick=False)
    assert hashlib.sha256(disk.read_bytes()).hexdigest() == latest


def test_recovery_at_start_leaves_a_host_without_hyperv_alone(tmp_path: Path) -> None:
    host = Host(state_dir=tmp_path, state={"format": 1, "info": {"name": "plain"}})
    recover_at_start(host)
    assert "hyperv" not in host.state
