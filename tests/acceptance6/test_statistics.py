"""Issue 6: what the data path moved shows in Measure-VMReplication (sizes, pending bytes, last replication time)."""

from __future__ import annotations

import datetime as dt
import random

import pytest

from tests.acceptance4.lab import PRIMARY, Lab
from tests.acceptance6.lab6 import enable_and_replicate, guest_write

BLOCK = 64 * 1024
FREQUENCY = 300
MEASURE = ("$m = Measure-VMReplication -VMName VM01; @($m.InitialReplicationSize, $m.PendingReplicationSize, "
           "$m.MaximumReplicationSize, $m.AverageReplicationSize, $m.SuccessfulReplicationCount, "
           "$m.LastReplicationTime.ToUniversalTime().ToString('o')) -join ';'")


def _measure(lab: Lab) -> tuple[int, int, int, int, int, dt.datetime]:
    initial, pending, maximum, average, successful, last = lab.ok(PRIMARY, MEASURE).split(";")
    return int(initial), int(pending), int(maximum), int(average), int(successful), dt.datetime.fromisoformat(last)


@pytest.mark.slow
def test_sizes_and_times_follow_the_blocks_sent(lab6: Lab) -> None:
    """Initial size = used blocks; each cycle's size = its changed blocks; LastReplicationTime moves by a cycle."""
    rng = random.Random(61)
    guest_write(lab6, 0, rng.randbytes(2 * BLOCK))  # two used blocks before replication starts
    enable_and_replicate(lab6, f"-ReplicationFrequencySec {FREQUENCY}")
    initial, pending, _maximum, _average, _successful, first_time = _measure(lab6)
    assert (initial, pending) == (2 * BLOCK, 0)
    guest_write(lab6, 10 * BLOCK + 100, rng.randbytes(2 * BLOCK))  # straddles three blocks
    assert _measure(lab6)[1] == 3 * BLOCK
    lab6.advance(FREQUENCY)
    guest_write(lab6, 40 * BLOCK, rng.randbytes(10))
    lab6.advance(FREQUENCY)
    _initial, pending, maximum, average, successful, last_time = _measure(lab6)
    assert pending == 0
    assert successful >= 2
    assert maximum == 3 * BLOCK
    assert average == (3 * BLOCK + BLOCK) // successful
    assert dt.timedelta(seconds=2 * FREQUENCY) <= last_time - first_time < dt.timedelta(seconds=3 * FREQUENCY)
