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

import pytest

from simulator.services.hyperv.failover_journal import FAULT_PAUSE_ENV, FAULT_PAUSED_MARKER
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
