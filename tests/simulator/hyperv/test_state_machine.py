"""A hypothesis state machine over the replication cmdlets, guest writes, clock advances and network cuts.

Initial replication runs inside the cmdlet or, with the lab's background switch, on the next scheduler pass.
Invariants: only the (mode, state) pairs of fact sheet §2.1/§2.4 occur, health follows §2.2, a
prepared primary is off, at most one test failover, recovery points never exceed RecoveryHistory,
and whenever both sides are replicating with nothing pending, the replica's disk equals the primary's.
"""

from __future__ import annotations

import contextlib
import json
import shutil
import tempfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from simulator.core.errors import SimError
from simulator.core.host import Host
from simulator.services.hyperv import read_guest_data, write_guest_data
from simulator.services.hyperv.health import health
from simulator.services.hyperv.scheduler import run_due
from simulator.services.hyperv.state import find_vm
from simulator.services.replication import api as replication_api
from tests.simulator.hyperv.certutil import add_host_certificate
from tests.simulator.hyperv.conftest import PRIMARY_FQDN, REPLICA_FQDN, configure_replica_server, make_hv_host
from tests.simulator.hyperv.fake_channel import FakeLab
from tests.simulator.hyperv.helpers import call

PRIMARY_STATES = {"ReadyForInitialReplication", "InitialReplicationInProgress", "Replicating", "Suspended",
                  "PreparedForFailover", "WaitingForStartResynchronize", "Resynchronizing", "ResynchronizeSuspended",
                  "Error"}
REPLICA_STATES = {"WaitingForInitialReplication", "Replicating", "Suspended", "FailedOverWaitingCompletion",
                  "FailedOver"}
REGION = 2 * 1024 * 1024
TOPOLOGY = {"name": "Hyper-v-prim", "vms": [{"name": "VM01", "state": "Running",
                                              "disks": [{"name": "VM01.vhdx", "size_mb": 4}]}]}


class ReplicationMachine(RuleBasedStateMachine):
    """Two hosts, one VM, every operation an administrator (or the clock, or the network) can do."""

    def __init__(self) -> None:
        super().__init__()
        self.tmp = Path(tempfile.mkdtemp(prefix="hv-sm-"))
        self.lab = FakeLab()
        self.saved_open_channel = replication_api.open_channel
        replication_api.open_channel = self.lab.open_channel  # test double
        self.a = self.lab.add(make_hv_host(self.tmp / "a", TOPOLOGY), PRIMARY_FQDN)
        self.b = self.lab.add(make_hv_host(self.tmp / "b", {"name": "Hyper-v-repl", "vms": []}), REPLICA_FQDN)
        self.tp = {id(self.a): add_host_certificate(self.a, PRIMARY_FQDN),
                   id(self.b): add_host_certificate(self.b, REPLICA_FQDN)}
        configure_replica_server(self.a, self.tp[id(self.a)], REPLICA_FQDN)
        configure_replica_server(self.b, self.tp[id(self.b)], PRIMARY_FQDN)

    def teardown(self) -> None:
        replication_api.open_channel = self.saved_open_channel  # restore
        shutil.rmtree(self.tmp, ignore_errors=True)

    def hosts(self) -> list[Host]:
        return [self.a, self.b]

    def attempt(self, host: Host, name: str, **args: Any) -> None:
        with contextlib.suppress(SimError):
            call(host, name, **args)

    # ------------------------------------------------------------------ rules
    @rule(frequency=st.sampled_from([30, 300, 900]), history=st.integers(0, 3))
    def enable(self, frequency: int, history: int) -> None:
        for host, peer in ((self.a, REPLICA_FQDN), (self.b, PRIMARY_FQDN)):
            vm = find_vm(host, "VM01")
            if vm is not None and vm.get("replication") is None and find_vm(self.other(host), "VM01") is None:
                self.attempt(host, "Enable-VMReplication", VMName=["VM01"], ReplicaServerName=peer,
                             ReplicaServerPort=443, AuthenticationType="Certificate",
                             CertificateThumbprint=self.tp[id(host)], ReplicationFrequencySec=frequency,
                             RecoveryHistory=history)

    def other(self, host: Host) -> Host:
        return self.b if host is self.a else self.a

    @rule(side=st.sampled_from(["a", "b"]), name=st.sampled_from([
        "Start-VMInitialReplication", "Suspend-VMReplication", "Resume-VMReplication", "Complete-VMFailover",
        "Stop-VMFailover", "Remove-VMReplication", "Start-VM", "Stop-VM"]))
    def simple(self, side: str, name: str) -> None:
        host = self.a if side == "a" else self.b
        key = "Name" if name in {"Start-VM", "Stop-VM"} else "VMName"
        self.attempt(host, name, **{key: ["VM01"]})

    @rule(side=st.sampled_from(["a", "b"]), mode=st.sampled_from(["Prepare", "AsTest", "plain", "Resync", "Reverse"]))
    def failover(self, side: str, mode: str) -> None:
        host = self.a if side == "a" else self.b
        if mode == "Resync":
            self.attempt(host, "Resume-VMReplication", VMName=["VM01"], Resynchronize=True)
        elif mode == "Reverse":
            self.attempt(host, "Set-VMReplication", VMName=["VM01"], Reverse=True)
        elif mode == "plain":
            self.attempt(host, "Start-VMFailover", VMName=["VM01"])
        else:
            self.attempt(host, "Start-VMFailover", VMName=["VM01"], **{mode: True})

    @rule(side=st.sampled_from(["a", "b"]), offset=st.integers(0, REGION - 1), size=st.integers(1, 200_000),
          byte=st.integers(0, 255))
    def write(self, side: str, offset: int, size: int, byte: int) -> None:
        host = self.a if side == "a" else self.b
        size = min(size, REGION - offset)
        vm = find_vm(host, "VM01")
        rep = vm.get("replication") if vm else None
        if vm is not None and (rep is None or rep["mode"] == "Primary"
                               or rep["state"] in {"FailedOver", "FailedOverWaitingCompletion"}):
            write_guest_data(host, "VM01", offset, bytes([byte]) * size)

    @rule(seconds=st.sampled_from([30, 300, 901, 3600, 4 * 3600]))
    def advance(self, seconds: int) -> None:
        for host in self.hosts():
            host.clock.advance(seconds)
        for host in self.hosts():
            run_due(host)

    @rule()
    def initial_replication(self) -> None:
        for host in self.hosts():
            self.attempt(host, "Start-VMInitialReplication", VMName=["VM01"])

    @rule(seconds=st.sampled_from([30, 300, 900]))
    def advance_a_cycle(self, seconds: int) -> None:
        self.advance(seconds)

    @rule(on=st.booleans())
    def background_initial_replication(self, on: bool) -> None:
        """The lab's switch: network initial replication finishes on the next scheduler pass, not in the cmdlet."""
        for host in self.hosts():
            with host.transaction():
                host.state["hyperv"]["background_initial_replication"] = on

    @rule()
    def cut_network(self) -> None:
        self.lab.cut = True

    @rule()
    def restore_network(self) -> None:
        self.lab.cut = False

    # ------------------------------------------------------------------ invariants
    @invariant()
    def states_are_possible(self) -> None:
        for host in self.hosts():
            for vm in host.state["hyperv"]["vms"]:
                rep = vm.get("replication")
                if rep is None or rep["mode"] == "TestReplica":
                    continue
                allowed = PRIMARY_STATES if rep["mode"] == "Primary" else REPLICA_STATES
                assert rep["mode"] in {"Primary", "Replica"}
                assert rep["state"] in allowed, (rep["mode"], rep["state"])
                if rep["state"] == "PreparedForFailover":
                    assert vm["state"] == "Off"
                assert len(rep.get("points", [])) <= int(rep.get("recovery_history", 0))

    @invariant()
    def health_is_consistent(self) -> None:
        for host in self.hosts():
            for vm in host.state["hyperv"]["vms"]:
                rep = vm.get("replication")
                if rep is None or rep["mode"] == "TestReplica":
                    continue
                value = health(vm["name"], rep, host.clock.now())
                failing = rep["mode"] == "Primary" and rep["state"] == "Replicating" and rep.get("failing_cycles")
                if rep["state"] in {"WaitingForStartResynchronize", "Error"} or failing:
                    assert value == "Critical"
                elif rep["state"] in {"ReadyForInitialReplication", "InitialReplicationInProgress",
                                      "WaitingForInitialReplication"}:
                    assert value == "Warning"
                else:
                    assert value in {"Normal", "Warning", "Critical"}

    @invariant()
    def state_is_plain_json(self) -> None:
        for host in self.hosts():
            assert json.loads(json.dumps(host.state["hyperv"])) == host.state["hyperv"]

    @invariant()
    def one_test_vm_at_most(self) -> None:
        names = [vm["name"] for vm in self.b.state["hyperv"]["vms"] + self.a.state["hyperv"]["vms"]]
        assert names.count("VM01 - Test") <= 2 and all(names.count(n) <= 2 for n in names)

    @invariant()
    def in_sync_replica_matches_primary(self) -> None:
        for primary in self.hosts():
            vm = find_vm(primary, "VM01")
            rep = vm.get("replication") if vm else None
            replica = self.other(primary)
            other = find_vm(replica, "VM01")
            other_rep = other.get("replication") if other else None
            if (rep and other_rep and rep["mode"] == "Primary" and rep["state"] == "Replicating"
                    and other_rep["mode"] == "Replica" and other_rep["state"] == "Replicating"
                    and not rep.get("dirty") and not rep.get("failing_cycles") and not other_rep.get("test_vm_id")
                    and rep.get("last_replication_time")):
                assert read_guest_data(primary, "VM01", 0, REGION) == read_guest_data(replica, "VM01", 0, REGION)


ReplicationMachine.TestCase.settings = settings(max_examples=25, stateful_step_count=30, deadline=None)
test_replication_state_machine = pytest.mark.slow(ReplicationMachine.TestCase)
