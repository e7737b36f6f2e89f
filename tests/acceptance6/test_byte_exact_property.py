"""Issue 6 property: whatever the guest writes, the clock does and the link suffers, failover is byte-exact.

Hypothesis draws a sequence of guest writes (random bytes, a repeated byte, zeros), clock advances of
whole cycles, link cuts and restores, and failovers to a recovery point or to the latest state (each
undone with Stop-VMFailover, so the sequence goes on). A Python model of the primary's disk records what
each recovery point must hold: the primary's bytes when the cycle that created it was sent. Every
failover compares the replica's disk (Get-FileHash -Algorithm SHA256 over pywinrm) with that.
"""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass, field

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.acceptance4.lab import PRIMARY, REPLICA, REPLICA_VIRTUAL, Lab
from tests.acceptance6.lab6 import (
    DISK_BYTES,
    PRIMARY_DISK,
    enable_and_replicate,
    file_sha256,
    guest_write,
    recovery_points,
    replica_disk,
    restore6,
    sha256_upper,
)

FREQUENCY = 300
MAX_WRITE = 96 * 1024

writes = st.tuples(st.just("write"), st.integers(0, DISK_BYTES - 1), st.integers(1, MAX_WRITE),
                   st.sampled_from(["random", "byte", "zero"]), st.integers(0, 2**32))
advances = st.tuples(st.just("advance"), st.sampled_from([1, 2, 12, 13]))
faults = st.tuples(st.sampled_from(["cut", "restore"]))
failovers = st.tuples(st.just("failover"), st.integers(0, 1000))
operations = st.lists(st.one_of(writes, advances, faults, failovers), min_size=1, max_size=14)


def pattern(kind: str, seed: int, length: int) -> bytes:
    """The bytes a drawn write puts on the disk."""
    if kind == "random":
        return random.Random(seed).randbytes(length)
    return bytes([0 if kind == "zero" else seed % 255 + 1]) * length


@dataclass
class Model:
    """The primary's disk as the guest wrote it, and what the replica must hold at each point."""

    disk: bytearray = field(default_factory=lambda: bytearray(DISK_BYTES))
    latest: str = ""
    points: dict[str, str] = field(default_factory=dict)
    cut: bool = False

    def digest(self) -> str:
        return sha256_upper(bytes(self.disk))


def _fail_over_and_check(lab: Lab, model: Model, selector: int) -> None:
    """Fail over to the selected point (or the latest state), compare the disk, then undo the failover."""
    points = recovery_points(lab)
    choice = selector % (len(points) + 1)
    if choice == len(points):
        lab.ok(REPLICA, "Start-VMFailover -VMName VM01")
        expected = model.latest
    else:
        lab.ok(REPLICA, f"Start-VMFailover -VMRecoverySnapshot (Get-VMSnapshot -VMName VM01 -Id '{points[choice]}')")
        expected = model.points[points[choice]]
    actual = file_sha256(lab, REPLICA, replica_disk(lab))
    lab.ok(REPLICA, "Stop-VMFailover -VMName VM01")
    assert actual == expected, f"failover to {'latest' if choice == len(points) else points[choice]}"


def _advance(lab: Lab, model: Model, cycles: int) -> None:
    """Advance both clocks by whole cycles; new recovery points hold what the primary had when they were sent."""
    before = set(recovery_points(lab))
    lab.advance(cycles * FREQUENCY)
    after = recovery_points(lab)
    new = [p for p in after if p not in before]
    if model.cut:
        assert not new, "a recovery point appeared while the link was cut"
        return
    model.latest = model.digest()
    for point in new:
        model.points[point] = model.latest


@pytest.mark.slow
@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops=operations, final=st.integers(0, 1000))
def test_failover_is_byte_exact(lab6_once: Lab, ops: list[tuple[object, ...]], final: int) -> None:
    """Any writes/cycles/cuts/failovers: each failed-over disk has the SHA-256 the model expects."""
    lab = lab6_once
    restore6(lab)
    enable_and_replicate(lab, f"-ReplicationFrequencySec {FREQUENCY} -RecoveryHistory 4 -VSSSnapshotFrequencyHour 2")
    model = Model()
    model.latest = model.digest()
    model.points = {p: model.latest for p in recovery_points(lab)}
    for op in ops:
        if op[0] == "write":
            _, offset, length, kind, seed = op
            assert isinstance(offset, int) and isinstance(length, int)
            length = min(length, DISK_BYTES - offset)
            data = pattern(str(kind), int(str(seed)), length)
            guest_write(lab, offset, data)
            model.disk[offset:offset + length] = data
        elif op[0] == "advance":
            _advance(lab, model, int(str(op[1])))
        elif op[0] in ("cut", "restore"):
            lab.control(PRIMARY, f"replication/network/{op[0]}", {"peer": REPLICA_VIRTUAL if op[0] == "cut" else None})
            model.cut = op[0] == "cut"
        else:
            _fail_over_and_check(lab, model, int(str(op[1])))
    lab.control(PRIMARY, "replication/network/restore", {"peer": None})
    model.cut = False
    _advance(lab, model, 1)
    assert file_sha256(lab, PRIMARY, PRIMARY_DISK) == model.digest()
    _fail_over_and_check(lab, model, final)


def test_model_digest_matches_hashlib() -> None:
    """The model's digest is Get-FileHash's format of SHA-256 (upper-case hex)."""
    model = Model()
    assert model.digest() == hashlib.sha256(bytes(DISK_BYTES)).hexdigest().upper()
