"""The engine's lifecycle on fake hosts: check mode changes nothing, run changes, a second run changes nothing."""

from __future__ import annotations

import copy
import time
from collections.abc import Callable
from typing import Any

import pytest

from hvrepl.doctor import diagnose_replication
from hvrepl.engine import run_steps
from hvrepl.errors import CheckpointsPresent, ConnectError, RebootRequired
from hvrepl.plan import parse_plan
from hvrepl.remediation import describe
from hvrepl.session import HostSession
from hvrepl.steps import RunContext, Step
from hvrepl.steps.firewall import FirewallRule
from hvrepl.steps.health import ConnectionTest, ReplicationHealth
from hvrepl.steps.hosts_file import HostsFile
from hvrepl.steps.identity import Identity
from hvrepl.steps.revocation import RevocationCheck
from hvrepl.steps.vm_replication import VMReplication
from hvrepl.transport.mock import MockTransport
from tests.unit.fakes import FakeWindows, failure, ok
from tests.unit.test_plan import GOOD

PLAN = parse_plan(GOOD)


def make_ctx(fakes: dict[str, FakeWindows], **options: Any) -> RunContext:
    """A run context whose sessions talk to the fakes."""
    sessions = {n: HostSession(n, MockTransport(n, f.handler)) for n, f in fakes.items()}
    return RunContext(plan=PLAN, sessions=sessions, **options)


def fresh_fakes() -> dict[str, FakeWindows]:
    """Two hosts already named right (identity is tested separately)."""
    return {h.name: FakeWindows(h.name, domain=h.dns_suffix, nv_domain=h.dns_suffix) for h in PLAN.hosts()}


def basic_steps() -> list[Step]:
    """Steps the fake models."""
    return [*(HostsFile(h) for h in PLAN.hosts()), *(FirewallRule(h) for h in PLAN.hosts()),
            *(RevocationCheck(h) for h in PLAN.hosts())]


def vm01_states(*answers: str) -> Callable[[str], Any]:
    """A replication_status answer for VM01 per call, "State/Health" in turn; the last one repeats."""
    calls = iter(answers)
    last = answers[-1]

    def status(_: str) -> Any:
        nonlocal last
        last = next(calls, last)
        state, health = last.split("/")
        return ok({"vms": [{"name": "VM01", "state": state, "health": health, "mode": "Primary", "last": None}]})

    return status


def test_check_mode_changes_nothing_then_run_changes_then_nothing() -> None:
    """The triad on the fake: would change / changed / ok."""
    fakes = fresh_fakes()
    before = copy.deepcopy(fakes)
    report = run_steps(make_ctx(fakes, check_mode=True), basic_steps())
    assert [r.status for r in report.results] == ["would change"] * 6
    assert fakes == before
    report = run_steps(make_ctx(fakes), basic_steps())
    assert [r.status for r in report.results] == ["changed"] * 6
    assert all(f.firewall == "True" and f.revocation == 1 for f in fakes.values())
    assert "hyper-v-repl.test.net" in fakes["Hyper-v-prim"].hosts_text
    again = run_steps(make_ctx(fakes), basic_steps())
    assert again.changes == 0


def test_plan_diff_carries_the_exact_powershell() -> None:
    """What `hvrepl plan` prints is the script apply sends."""
    fakes = fresh_fakes()
    report = run_steps(make_ctx(fakes, check_mode=True), [FirewallRule(PLAN.primary)])
    diff = report.results[0].diff
    assert diff is not None
    assert "Enable-NetFirewallRule -Name 'VIRT-HVRHTTPSL-In-TCP-NoScope'" in diff.scripts[0].text
    run_steps(make_ctx(fakes), [FirewallRule(PLAN.primary)])
    sent = fakes["Hyper-v-prim"]
    assert sent.firewall == "True"


def test_identity_stops_cleanly_without_allow_reboot() -> None:
    """A new suffix is written, then the run stops with RebootRequired and its remediation."""
    fakes = fresh_fakes()
    fakes["Hyper-v-prim"].domain = fakes["Hyper-v-prim"].nv_domain = ""
    report = run_steps(make_ctx(fakes), [Identity(PLAN.primary)])
    failed = report.failed
    assert failed is not None
    assert isinstance(failed.error, RebootRequired)
    assert "--allow-reboot" in (failed.error.remediation or "")
    assert fakes["Hyper-v-prim"].nv_domain == "test.net"
    assert fakes["Hyper-v-prim"].restarts == 0


def test_identity_with_allow_reboot_restarts_and_verifies() -> None:
    """With --allow-reboot the host is restarted and the new FQDN verified."""
    fakes = fresh_fakes()
    fakes["Hyper-v-prim"].domain = fakes["Hyper-v-prim"].nv_domain = ""
    ctx = make_ctx(fakes, allow_reboot=True, reboot_wait_seconds=1)
    report = run_steps(ctx, [Identity(PLAN.primary)])
    assert [r.status for r in report.results] == ["changed"]
    assert fakes["Hyper-v-prim"].restarts == 1
    assert run_steps(make_ctx(fakes), [Identity(PLAN.primary)]).changes == 0


def test_windows_error_maps_to_step_error_with_fix() -> None:
    """A failed Test-VMReplicationConnection names host, step, HRESULT and the remedy."""
    fakes = fresh_fakes()
    fakes["Hyper-v-prim"].overrides["replication_test"] = lambda _: failure(
        "The certificate chain ... not trusted (0x800B0109).", "TestVMReplicationConnection,X", "0x800b0109")
    ctx = make_ctx(fakes, thumbprints={"Hyper-v-prim": "A" * 40})
    report = run_steps(ctx, [ConnectionTest(PLAN.primary)])
    error = report.failed.error if report.failed else None
    assert error is not None
    assert error.host == "Hyper-v-prim"
    assert error.step == "connection_test"
    assert error.hresult == "0x800B0109"
    assert "untrusted root" in (error.remediation or "")
    assert [(e["host"], e["id"]) for e in error.events] == [("Hyper-v-prim", 32000), ("Hyper-v-repl", 32000)]
    assert "Event 32000 on Hyper-v-repl" in describe(error)


def test_vm_with_checkpoints_stops_with_their_names() -> None:
    """Replication is not enabled while checkpoints exist; the error lists them and says what to do."""
    fakes = fresh_fakes()
    fakes["Hyper-v-prim"].overrides["vms_get"] = lambda _: ok({"vms": {
        "name": "VM01", "exists": True, "state": "Disabled", "mode": "None",
        "checkpoints": ["before-update", "patch-2"]}})
    report = run_steps(make_ctx(fakes, thumbprints={"Hyper-v-prim": "A" * 40}), [VMReplication(PLAN.primary)])
    error = report.failed.error if report.failed else None
    assert isinstance(error, CheckpointsPresent)
    assert "before-update, patch-2" in str(error)
    assert "Remove-VMSnapshot" in (error.remediation or "")


@pytest.mark.parametrize("state", ["Replicating", "Disabled"])
def test_vm_plan_enables_or_updates_on_rotation(state: str) -> None:
    """Disabled VM -> Enable-VMReplication; replicating with an old thumbprint -> Set-VMReplication."""
    fakes = fresh_fakes()
    fakes["Hyper-v-prim"].overrides["vms_get"] = lambda _: ok({"vms": [{
        "name": "VM01", "exists": True, "state": state, "mode": "Primary", "checkpoints": [],
        "replica_server": "hyper-v-repl.test.net", "port": 443, "thumbprint": "B" * 40, "frequency": 300,
        "history": 24, "vss": 4, "health": "Normal"}]})
    report = run_steps(make_ctx(fakes, check_mode=True, thumbprints={"Hyper-v-prim": "A" * 40}),
                       [VMReplication(PLAN.primary)])
    diff = report.results[0].diff
    assert diff is not None
    text = diff.scripts[0].text
    expected = "Enable-VMReplication" if state == "Disabled" else "Set-VMReplication"
    assert expected in text
    assert "-CertificateThumbprint 'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA'" in text
    if state == "Replicating":
        assert diff.before == {"VM01": {"thumbprint": "B" * 40}}
        assert "if ($true) { Reset-VMReplicationStatistics -VMName 'VM01' }" in text


def test_allow_reboot_waits_while_the_host_is_down() -> None:
    """After Restart-Computer the host refuses connections for a while: the step reconnects until it answers
    with the new FQDN (each attempt on a fresh session), then verifies."""
    fakes = fresh_fakes()
    fake = fakes["Hyper-v-prim"]
    fake.domain = fake.nv_domain = ""
    down = {"left": 3}
    reconnects: list[str] = []

    def handler(script: str, stdin: str | None) -> Any:
        if fake.restarts and down["left"] > 0:
            down["left"] -= 1
            raise ConnectError("Hyper-v-prim: cannot connect: connection refused")
        return fake.handler(script, stdin)

    def reconnect(name: str) -> HostSession:
        reconnects.append(name)
        return HostSession(name, MockTransport(name, handler))

    told: list[tuple[str, str, str]] = []
    ctx = make_ctx(fakes, allow_reboot=True, reboot_wait_seconds=2, reconnect=reconnect,
                   notice=lambda *a: told.append(a))
    ctx.sessions["Hyper-v-prim"] = reconnect("Hyper-v-prim")
    report = run_steps(ctx, [Identity(PLAN.primary)])
    assert [r.status for r in report.results] == ["changed"], report.results[0].error
    assert [t[:2] for t in told] == [("Hyper-v-prim", "identity")] and "restarting" in told[0][2]
    assert fake.restarts == 1
    assert down["left"] == 0
    assert len(reconnects) >= 5  # the first session, then one per attempt (3 refused, 1 answered)


def test_allow_reboot_gives_up_when_the_host_stays_down() -> None:
    """A host that does not come back within the wait stops the run with RebootRequired and what to do."""
    fakes = fresh_fakes()
    fake = fakes["Hyper-v-prim"]
    fake.domain = fake.nv_domain = ""

    def handler(script: str, stdin: str | None) -> Any:
        if fake.restarts:
            raise ConnectError("Hyper-v-prim: cannot connect: connection refused")
        return fake.handler(script, stdin)

    ctx = make_ctx(fakes, allow_reboot=True, reboot_wait_seconds=0.3,
                   reconnect=lambda name: HostSession(name, MockTransport(name, handler)))
    ctx.sessions["Hyper-v-prim"] = HostSession("Hyper-v-prim", MockTransport("Hyper-v-prim", handler))
    started = time.monotonic()
    report = run_steps(ctx, [Identity(PLAN.primary)])
    error = report.failed.error if report.failed else None
    assert isinstance(error, RebootRequired)
    assert "did not come back" in str(error)
    assert "console" in (error.remediation or "")
    assert time.monotonic() - started < 5


def test_health_step_fails_a_run_whose_vm_does_not_replicate_normally() -> None:
    """After the wait, a VM still Critical stops the run (exit 1 in the CLI) naming it, its state, the newest
    VMMS errors and what to do; in check mode it is only reported."""
    fakes = fresh_fakes()
    fakes["Hyper-v-prim"].overrides["replication_status"] = lambda _: ok({"vms": [
        {"name": "VM01", "state": "Replicating", "health": "Critical", "mode": "Primary", "last": None}]})
    ctx = make_ctx(fakes, health_timeout=0.2, poll_interval=0.05)
    report = run_steps(ctx, [ReplicationHealth(PLAN.primary)])
    error = report.failed.error if report.failed else None
    assert error is not None
    assert (error.host, error.step) == ("Hyper-v-prim", "replication_health")
    assert "VM01 Replicating/Critical" in str(error)
    assert "hvrepl doctor" in (error.remediation or "")
    assert [e["id"] for e in error.events] == [32000, 32000]
    check = run_steps(make_ctx(fakes, check_mode=True), [ReplicationHealth(PLAN.primary)])
    assert [r.status for r in check.results] == ["would change"]


@pytest.mark.parametrize(("state", "health", "ok_expected", "phrase"), [
    ("InitialReplicationInProgress", "Warning", True, "initial copy is still being sent"),
    ("Replicating", "Critical", False, "event 32000"),
    ("Replicating", "Normal", True, "health Normal"),
])
def test_doctor_explains_a_copy_in_progress_instead_of_reporting_a_fault(
    state: str, health: str, ok_expected: bool, phrase: str
) -> None:
    """A VM whose initial copy is still running is not a problem to fix; a Critical one is, with its events."""
    fakes = fresh_fakes()
    fakes["Hyper-v-prim"].overrides["replication_status"] = vm01_states(f"{state}/{health}")
    session = make_ctx(fakes).sessions["Hyper-v-prim"]
    [finding] = diagnose_replication(PLAN, session)
    assert finding.ok is ok_expected
    assert phrase in finding.explanation


def test_health_waits_out_loud_and_a_copy_still_running_is_not_called_a_fault() -> None:
    """While the first copy runs the step says what it waits for; when the wait ends first, the error says the
    copy carries on and how to follow it, not "run doctor"."""
    fakes = fresh_fakes()
    fakes["Hyper-v-prim"].overrides["replication_status"] = vm01_states("InitialReplicationInProgress/Warning")
    told: list[tuple[str, str, str]] = []
    ctx = make_ctx(fakes, health_timeout=0.2, poll_interval=0.05, notice=lambda *a: told.append(a))
    report = run_steps(ctx, [ReplicationHealth(PLAN.primary)])
    error = report.failed.error if report.failed else None
    assert error is not None
    assert "initial replication still in progress" in str(error) and "VM01" in str(error)
    assert "hvrepl status" in (error.remediation or "") and "doctor" not in (error.remediation or "")
    assert len(told) == 1  # one line per change of what it waits for, not one per poll
    assert told[0][:2] == ("Hyper-v-prim", "replication_health")
    assert "VM01 InitialReplicationInProgress/Warning" in told[0][2]


def test_health_reports_each_change_while_waiting_then_passes() -> None:
    fakes = fresh_fakes()
    fakes["Hyper-v-prim"].overrides["replication_status"] = vm01_states(
        "InitialReplicationInProgress/Warning", "InitialReplicationInProgress/Warning", "Replicating/Warning",
        "Replicating/Normal")
    told: list[tuple[str, str, str]] = []
    ctx = make_ctx(fakes, health_timeout=5.0, poll_interval=0.01, notice=lambda *a: told.append(a))
    report = run_steps(ctx, [ReplicationHealth(PLAN.primary)])
    assert report.failed is None
    assert [t[2].split(": ", 1)[1] for t in told] == ["VM01 InitialReplicationInProgress/Warning",
                                                      "VM01 Replicating/Warning"]
