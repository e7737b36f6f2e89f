"""Issue 4, a hypothesis state machine through WinRM: cmdlets, clock advances and link faults interleaved.

Each step is a pywinrm call (or a control-plane fault/clock move); after each step the fact sheet's state
table is checked on both hosts (no impossible state) and health is checked against the history that
Measure-VMReplication reports (Critical while the primary cannot send, Warning iff a documented reason
holds, Normal otherwise).
"""

from __future__ import annotations

from typing import ClassVar

import pytest
from hypothesis import HealthCheck, event, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from tests.acceptance4.checks import enable, vm_names, vm_status
from tests.acceptance4.lab import PRIMARY, REPLICA, REPLICA_VIRTUAL, Lab

pytestmark = pytest.mark.slow

MEASURE = ("$m = Measure-VMReplication -VMName VM01; "
           "$age = if ($m.LastReplicationTime) { ((Get-Date) - $m.LastReplicationTime).TotalSeconds } else { -1 }; "
           "@([string]$m.ReplicationHealth, $m.SuccessfulReplicationCount, $m.MissedReplicationCount, $age, "
           "($m.ReplicationHealthDetails -join '|')) -join ';'")
HOUR = 3600.0
MARGIN = 5.0  # the simulated clock runs in real time between the host's health and Get-Date
WARNING_REASONS = ("20 percent", "more than an hour", "paused", "Initial replication has not completed")


class ReplicationMachine(RuleBasedStateMachine):
    """VM01 between the two served hosts; the model is what the test did, the hosts answer over WinRM."""

    LAB: ClassVar[Lab]

    def __init__(self) -> None:
        super().__init__()
        self.lab = self.LAB
        self.lab.restore()
        self.enabled = False
        self.initial_done = False
        self.suspended = False
        self.cut = False
        self.failed_since_cut = False
        self.test_failover = False

    @initialize(start=st.sampled_from(["fresh", "enabled", "replicating", "replicating"]))
    def start_from(self, start: str) -> None:
        """Most runs start with VM01 already enabled or replicating, so the later states get most steps."""
        if start != "fresh":
            self.enable_replication(300)
        if start == "replicating":
            self.initial_replication()

    @precondition(lambda self: not self.enabled and not self.cut)
    @rule(frequency=st.sampled_from([30, 300, 900]))
    def enable_replication(self, frequency: int) -> None:
        """Enable-VMReplication with a valid frequency succeeds."""
        result = enable(self.lab, extra=f"-ReplicationFrequencySec {frequency}")
        assert result.status == 0, result.err
        self.enabled = True

    @precondition(lambda self: self.enabled and not self.initial_done and not self.cut)
    @rule()
    def initial_replication(self) -> None:
        """Start-VMInitialReplication completes the copy."""
        self.lab.ok(PRIMARY, "Start-VMInitialReplication -VMName VM01")
        self.initial_done = True

    @precondition(lambda self: self.initial_done and not self.suspended)
    @rule()
    def suspend(self) -> None:
        """Suspend-VMReplication on the primary."""
        self.lab.ok(PRIMARY, "Suspend-VMReplication -VMName VM01")
        self.suspended = True

    @precondition(lambda self: self.suspended)
    @rule()
    def resume(self) -> None:
        """Resume-VMReplication on the primary."""
        self.lab.ok(PRIMARY, "Resume-VMReplication -VMName VM01")
        self.suspended = False

    @precondition(lambda self: self.initial_done and not self.test_failover)
    @rule()
    def start_test_failover(self) -> None:
        """Start-VMFailover -AsTest on the replica."""
        self.lab.ok(REPLICA, "Start-VMFailover -VMName VM01 -AsTest -Confirm:$false")
        self.test_failover = True

    @precondition(lambda self: self.test_failover)
    @rule()
    def stop_test_failover(self) -> None:
        """Stop-VMFailover on the replica removes the test VM."""
        self.lab.ok(REPLICA, "Stop-VMFailover -VMName VM01 -Confirm:$false")
        self.test_failover = False

    @precondition(lambda self: not self.cut)
    @rule()
    def cut_link(self) -> None:
        """The primary's link to the replica is cut."""
        self.lab.control(PRIMARY, "replication/network/cut", {"peer": REPLICA_VIRTUAL})
        self.cut = True
        self.failed_since_cut = False

    @precondition(lambda self: self.cut)
    @rule()
    def restore_link(self) -> None:
        """The link comes back (nothing is sent until the next cycle)."""
        self.lab.control(PRIMARY, "replication/network/restore", {"peer": None})
        self.cut = False

    @rule(seconds=st.sampled_from([60, 300, 900, 3700]))
    def advance(self, seconds: int) -> None:
        """Both clocks move; the cycles that fell due run."""
        self.lab.advance(seconds)
        if self.cut and self.initial_done and not self.suspended and seconds >= 900:
            self.failed_since_cut = True
        if not self.cut and self.initial_done and not self.suspended and seconds >= 900:
            self.failed_since_cut = False

    @invariant()
    def states_follow_the_table(self) -> None:
        """Both sides are in the state the fact sheet gives for what was done."""
        state, rep_state, _health, mode = vm_status(self.lab, PRIMARY)
        assert state == "Running"
        if not self.enabled:
            assert (rep_state, mode) == ("Disabled", "None")
            assert "VM01" not in vm_names(self.lab, REPLICA)
            return
        expected = ("Suspended" if self.suspended else "Replicating") if self.initial_done \
            else "ReadyForInitialReplication"
        assert (rep_state, mode) == (expected, "Primary")
        replica = vm_status(self.lab, REPLICA)
        assert replica[0] == "Off"
        assert replica[3] == "Replica"
        assert replica[1] == ("Replicating" if self.initial_done else "WaitingForInitialReplication")
        names = vm_names(self.lab, REPLICA)
        assert ("VM01 - Test" in names) == self.test_failover
        if self.test_failover:
            assert vm_status(self.lab, REPLICA, "VM01 - Test")[3] == "TestReplica"

    @invariant()
    def health_follows_the_history(self) -> None:
        """Health on the primary agrees with the state, the link and the interval's statistics."""
        _state, rep_state, health, _mode = vm_status(self.lab, PRIMARY)
        event(f"primary {rep_state}/{health}{' (cut)' if self.cut else ''}")
        if rep_state == "Disabled":
            assert health == "NotApplicable"
            return
        if rep_state in ("ReadyForInitialReplication", "Suspended"):
            assert health == "Warning"
            return
        # Health, counters and details from one Measure-VMReplication object: one snapshot. (Health read by an
        # earlier call could predate a cycle the scheduler missed in between: the clock runs in real time.)
        health, successful, missed, age_text, details = self.lab.ok(PRIMARY, MEASURE).split(";", 4)
        total = int(successful) + int(missed)
        missed_share = int(missed) / total if total else 0.0
        age = float(age_text)
        if self.cut and self.failed_since_cut:
            assert health == "Critical", details
        if health == "Critical":
            assert self.cut or "cannot replicate" in details, details
        elif health == "Warning":
            assert details and all(any(r in d for r in WARNING_REASONS) for d in details.split("|")), details
        else:
            assert health == "Normal"
            assert missed_share <= 0.2, (successful, missed)
        # Each Warning reason holds exactly when the history says so (fact sheet §2.2).
        assert ("20 percent" in details) == (missed_share > 0.2), (successful, missed, details)
        if abs(age - HOUR) > MARGIN:
            assert ("more than an hour" in details) == (age > HOUR), (age, details)


def test_replication_state_machine(lab_once: Lab) -> None:
    """Random interleavings of cmdlets, clock moves and cuts never leave the state table or mis-report health."""
    ReplicationMachine.LAB = lab_once
    run_state_machine_as_test(ReplicationMachine, settings=settings(
        max_examples=8, stateful_step_count=10, deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture]))
