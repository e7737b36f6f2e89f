"""Issue 6, faults on the data path: a cut mid-cycle, a full replica disk, kill -9 mid-apply, the 50 % resync rule.

Each test drives the hosts through pywinrm and injects the fault through the control plane, then checks the
replica's disk against the primary's bytes (SHA-256 via Get-FileHash) and the state/health Windows shows.
"""

from __future__ import annotations

import random
import threading
import time

import pytest

from tests.acceptance4.checks import assert_event, vm_status
from tests.acceptance4.lab import PRIMARY, REPLICA, REPLICA_VIRTUAL, Lab
from tests.acceptance6.lab6 import (
    DISK_BYTES,
    PRIMARY_DISK,
    enable_and_replicate,
    file_sha256,
    guest_write,
    recovery_points,
    replica_disk,
    restart_replica,
    sha256_upper,
)

FREQUENCY = 300
SLOW_LINK = 256 * 1024  # bytes per second: a 3 MiB delta takes ~12 s, long enough to interrupt


def _latest_failover_hash(lab: Lab, point: str | None = None) -> str:
    """SHA-256 of the replica's disk failed over to ``point`` (None = latest), failover undone afterwards."""
    target = f"-VMRecoverySnapshot (Get-VMSnapshot -VMName VM01 -Id '{point}')" if point else "-VMName VM01"
    lab.ok(REPLICA, f"Start-VMFailover {target}")
    digest = file_sha256(lab, REPLICA, replica_disk(lab))
    lab.ok(REPLICA, "Stop-VMFailover -VMName VM01")
    return digest


def _write_random(lab: Lab, disk: bytearray, offset: int, length: int, seed: int) -> None:
    """Write ``length`` random bytes at ``offset`` in 1 MiB calls, mirrored into ``disk``."""
    data = random.Random(seed).randbytes(length)
    for start in range(0, length, 1024 * 1024):
        guest_write(lab, offset + start, data[start:start + 1024 * 1024])
    disk[offset:offset + length] = data


def _advance_in_background(lab: Lab) -> tuple[threading.Thread, list[BaseException]]:
    """Advance the primary's clock by one cycle in a thread (the cycle's transfer runs inside the call)."""
    errors: list[BaseException] = []

    def advance() -> None:
        try:
            lab.advance(FREQUENCY, hosts=(PRIMARY,))
        except Exception as exc:  # reported to the test, which decides
            errors.append(exc)

    thread = threading.Thread(target=advance, daemon=True)
    thread.start()
    return thread, errors


@pytest.mark.slow
def test_link_cut_during_a_cycle_resumes_without_corruption(lab6: Lab) -> None:
    """A cut in the middle of a slow transfer misses the cycle; after restore the next one makes the replica exact."""
    enable_and_replicate(lab6, f"-ReplicationFrequencySec {FREQUENCY} -RecoveryHistory 2")
    disk = bytearray(DISK_BYTES)
    point_before = recovery_points(lab6)[-1]
    _write_random(lab6, disk, 1024 * 1024, 3 * 1024 * 1024, seed=6)
    lab6.control(PRIMARY, "replication/network/rate", {"bytes_per_second": SLOW_LINK})
    cycle, errors = _advance_in_background(lab6)
    time.sleep(3)
    assert cycle.is_alive(), f"the slow transfer finished before the cut: {errors}"
    lab6.control(PRIMARY, "replication/network/cut", {"peer": REPLICA_VIRTUAL})
    cycle.join(60)
    assert not cycle.is_alive()
    missed = int(lab6.ok(PRIMARY, "(Measure-VMReplication -VMName VM01).MissedReplicationCount"))
    assert missed >= 1
    # The point taken before the interrupted cycle still holds the bytes it had (all zeros).
    assert _latest_failover_hash(lab6, point_before) == sha256_upper(bytes(DISK_BYTES))
    # ...and so does the latest state: the interrupted cycle left nothing half-applied.
    assert _latest_failover_hash(lab6) == sha256_upper(bytes(DISK_BYTES))
    lab6.control(PRIMARY, "replication/network/rate", {"bytes_per_second": None})
    lab6.control(PRIMARY, "replication/network/restore", {"peer": None})
    lab6.advance(FREQUENCY)
    assert file_sha256(lab6, PRIMARY, PRIMARY_DISK) == sha256_upper(bytes(disk))
    assert _latest_failover_hash(lab6) == sha256_upper(bytes(disk))


@pytest.mark.slow
def test_replica_disk_full_stops_then_recovers(lab6: Lab) -> None:
    """No space on the replica's D: -> ERROR_DISK_FULL event, health Critical; space back -> exact replica."""
    enable_and_replicate(lab6, f"-ReplicationFrequencySec {FREQUENCY}")
    disk = bytearray(DISK_BYTES)
    _write_random(lab6, disk, 0, 512 * 1024, seed=7)
    lab6.control(REPLICA, "replication/disk/capacity", {"drive": "D", "capacity_bytes": 1})
    lab6.advance(FREQUENCY)
    assert_event(lab6, REPLICA, {32056}, "There is not enough space on the disk (0x80070070)")
    _state, _rep_state, health, _mode = vm_status(lab6, PRIMARY)
    assert health == "Critical"
    last_error = lab6.ok(PRIMARY, "Get-WinEvent -LogName Microsoft-Windows-Hyper-V-VMMS-Admin -MaxEvents 1 "
                                  "| ForEach-Object { $_.Message }")
    assert "not enough space on the disk" in last_error
    lab6.control(REPLICA, "replication/disk/capacity", {"drive": "D", "capacity_bytes": 64 * 1024**3})
    lab6.advance(FREQUENCY)
    _state, rep_state, health, _mode = vm_status(lab6, PRIMARY)
    assert rep_state == "Replicating"
    assert health != "Critical"
    assert _latest_failover_hash(lab6) == sha256_upper(bytes(disk))


@pytest.mark.slow
def test_kill_9_mid_apply_leaves_the_last_complete_point(lab6: Lab) -> None:
    """kill -9 of the replica while it applies a cycle: after restart it holds the last complete point, exactly."""
    enable_and_replicate(lab6, f"-ReplicationFrequencySec {FREQUENCY} -RecoveryHistory 2")
    disk = bytearray(DISK_BYTES)
    _write_random(lab6, disk, 0, 256 * 1024, seed=8)
    lab6.advance(FREQUENCY)
    complete = sha256_upper(bytes(disk))
    point = recovery_points(lab6)[-1]
    point_before = _latest_failover_hash(lab6, point)
    _write_random(lab6, disk, 1024 * 1024, 3 * 1024 * 1024, seed=9)
    lab6.control(PRIMARY, "replication/network/rate", {"bytes_per_second": SLOW_LINK})
    cycle, errors = _advance_in_background(lab6)
    time.sleep(4)
    assert cycle.is_alive(), f"the slow transfer finished before the kill: {errors}"
    lab6.hosts[REPLICA].kill()
    cycle.join(60)
    restart_replica(lab6)
    lab6.control(REPLICA, "replication/clock/advance", {"seconds": FREQUENCY})
    assert recovery_points(lab6)[-1] == point
    after_restart = {"latest point": _latest_failover_hash(lab6, point), "latest": _latest_failover_hash(lab6)}
    assert after_restart == {"latest point": point_before, "latest": complete}
    lab6.control(PRIMARY, "replication/network/rate", {"bytes_per_second": None})
    lab6.advance(FREQUENCY)
    assert _latest_failover_hash(lab6) == sha256_upper(bytes(disk)), "the next cycle did not repair the replica"


@pytest.mark.slow
def test_unsent_changes_beyond_half_the_disk_require_resynchronization(lab6: Lab) -> None:
    """More than 50 % of the VHD changed while the link is cut -> WaitingForStartResynchronize; resync is exact."""
    enable_and_replicate(lab6, f"-ReplicationFrequencySec {FREQUENCY}")
    disk = bytearray(DISK_BYTES)
    lab6.control(PRIMARY, "replication/network/cut", {"peer": REPLICA_VIRTUAL})
    _write_random(lab6, disk, 0, DISK_BYTES // 2 + 128 * 1024, seed=10)
    lab6.advance(FREQUENCY)
    assert vm_status(lab6, PRIMARY)[1] == "WaitingForStartResynchronize"
    lab6.control(PRIMARY, "replication/network/restore", {"peer": None})
    lab6.ok(PRIMARY, "Resume-VMReplication -VMName VM01 -Resynchronize")
    lab6.advance(FREQUENCY)
    assert vm_status(lab6, PRIMARY)[1] == "Replicating"
    assert _latest_failover_hash(lab6) == sha256_upper(bytes(disk))
