"""A change Windows did not keep is caught by the step's own re-read; the authorization plan notices every field.

Added after mutation spot-checks: making a step's verify() blind, or dropping the trust-group comparison
from the authorization plan, left the whole suite green.
"""

from __future__ import annotations

from typing import Any

import pytest

from hvrepl.engine import run_steps
from hvrepl.errors import DriftDetected
from hvrepl.steps import Step
from hvrepl.steps.authorization import AuthorizationEntry
from hvrepl.steps.firewall import FirewallRule
from hvrepl.steps.hosts_file import HostsFile
from hvrepl.steps.identity import Identity
from hvrepl.steps.replica_server import ReplicaServer
from hvrepl.steps.revocation import RevocationCheck
from hvrepl.steps.vm_replication import VMReplication
from tests.unit.fakes import FakeWindows, ok
from tests.unit.test_engine_flow import PLAN, fresh_fakes, make_ctx

# template that applies the change -> the step; the fake answers "ok" to it but keeps its state as it was
NOT_KEPT = {
    "revocation_set": (RevocationCheck, "DisableCertRevocationCheck is not 1"),
    "firewall_enable": (FirewallRule, "is still not enabled"),
    "hosts_set": (HostsFile, "hosts file maps"),
}


@pytest.mark.parametrize("template", sorted(NOT_KEPT))
def test_a_change_that_did_not_stick_fails_in_verify(template: str) -> None:
    step_class, words = NOT_KEPT[template]
    fakes = fresh_fakes()
    primary: FakeWindows = fakes[PLAN.primary.name]
    primary.overrides[template] = lambda _script: ok({})
    step: Step = step_class(PLAN.primary)
    report = run_steps(make_ctx(fakes), [step])
    failed = report.failed
    assert failed is not None, report.results
    assert isinstance(failed.error, DriftDetected), failed.error
    assert (failed.error.step, failed.error.phase) == (step.name, "verify")
    assert words.lower() in str(failed.error).lower()


def test_every_step_here_passes_verify_when_the_change_sticks() -> None:
    """The control for the test above: the same steps, the fake keeping the change, all 'changed'."""
    steps = [cls(PLAN.primary) for cls, _words in NOT_KEPT.values()]
    report = run_steps(make_ctx(fresh_fakes()), steps)
    assert [r.status for r in report.results] == ["changed"] * len(steps), [r.error for r in report.results]


def test_authorization_plan_updates_a_wrong_group_or_folder_and_creates_a_missing_entry() -> None:
    step = AuthorizationEntry(PLAN.primary)
    ctx = make_ctx(fresh_fakes())
    want = step.desired(ctx)
    assert step.plan(ctx, [dict(want)]) is None
    assert step.plan(ctx, [dict(want, storage=want["storage"].upper() + "\\")]) is None  # same folder
    for wrong in ({"group": want["group"] + "-other"}, {"storage": "D:\\Elsewhere"}):
        diff = step.plan(ctx, [dict(want, **wrong)])
        assert diff is not None, wrong
        assert [s.template for s in diff.scripts] == ["authorization_set"], wrong
        assert diff.after == {"entry": want}
    other_server = dict(want, server="someone-else.test.net")
    diff = step.plan(ctx, [other_server])
    assert diff is not None
    assert [s.template for s in diff.scripts] == ["authorization_new"]
    assert diff.before == {"entry": None}


REPLICATING = {"name": "VM01", "exists": True, "state": "Replicating", "mode": "Primary", "checkpoints": [],
               "replica_server": "hyper-v-repl.test.net", "port": 443, "thumbprint": "A" * 40, "frequency": 300,
               "history": 24, "vss": 4, "health": "Normal"}  # what GOOD's plan asks for, with thumbprint A…A


def vm_plan(seen: dict[str, Any]) -> Any:
    """The VMReplication step in check mode against a primary answering ``seen`` for VM01."""
    fakes = fresh_fakes()
    fakes[PLAN.primary.name].overrides["vms_get"] = lambda _script: ok({"vms": [seen]})
    report = run_steps(make_ctx(fakes, check_mode=True, thumbprints={PLAN.primary.name: "A" * 40}),
                       [VMReplication(PLAN.primary)])
    return report.results[0]


def test_a_vm_already_replicating_as_planned_needs_nothing() -> None:
    assert vm_plan(dict(REPLICATING, thumbprint="a" * 40, replica_server="HYPER-V-REPL.test.net")).status == "ok"


@pytest.mark.parametrize(("field", "old", "flag"), [
    ("history", 12, "-RecoveryHistory 24"),
    ("frequency", 900, "-ReplicationFrequencySec 300"),
    ("port", 8443, "-ReplicaServerPort 443"),
    ("replica_server", "old-replica.test.net", "-ReplicaServerName 'hyper-v-repl.test.net'"),
    ("vss", 2, "$vss"),
])
def test_each_replication_setting_that_differs_is_set_again(field: str, old: Any, flag: str) -> None:
    result = vm_plan(dict(REPLICATING, **{field: old}))
    assert result.status == "would change"
    key = "server" if field == "replica_server" else field
    assert result.diff.before == {"VM01": {key: old}}
    assert [s.template for s in result.diff.scripts] == ["vm_set"]
    assert flag in result.diff.scripts[0].text


@pytest.mark.parametrize("reread", [{"thumbprint": "A" * 40, "frequency": 900},
                                    {"thumbprint": "B" * 40, "frequency": 300}])
def test_vm_verify_notices_a_setting_that_did_not_change(reread: dict[str, Any]) -> None:
    fakes = fresh_fakes()
    primary = fakes[PLAN.primary.name]
    primary.overrides["vms_get"] = lambda _script: ok({"vms": [dict(REPLICATING, frequency=900)]})
    primary.overrides["vm_set"] = lambda _script: ok({})
    primary.overrides["vm_verify"] = lambda _script: ok(reread)
    report = run_steps(make_ctx(fakes, thumbprints={PLAN.primary.name: "A" * 40}), [VMReplication(PLAN.primary)])
    failed = report.failed
    assert failed is not None and isinstance(failed.error, DriftDetected), report.results
    assert failed.error.phase == "verify"
    assert "replicates with" in str(failed.error)
    primary.overrides["vm_verify"] = lambda _script: ok({"thumbprint": "a" * 40, "frequency": 300})  # the control
    assert [r.status for r in run_steps(make_ctx(fakes, thumbprints={PLAN.primary.name: "A" * 40}),
                                        [VMReplication(PLAN.primary)]).results] == ["changed"]


@pytest.mark.parametrize("kept", [{"enabled": False}, {"port": 8443}, {"thumbprint": "B" * 40}])
def test_replica_server_verify_notices_each_setting_that_did_not_stick(kept: dict[str, Any]) -> None:
    """Set-VMReplicationServer answered, but the re-read shows it disabled / on another port / another cert."""
    fakes = fresh_fakes()
    primary = fakes[PLAN.primary.name]
    primary.overrides["replica_server_get"] = lambda _script: ok({"enabled": False})
    primary.overrides["replica_server_set"] = lambda _script: ok({})
    right = {"enabled": True, "port": PLAN.replica_server.port, "thumbprint": "a" * 40}
    primary.overrides["replica_server_verify"] = lambda _script: ok(dict(right, **kept))
    ctx = make_ctx(fakes, thumbprints={PLAN.primary.name: "A" * 40})
    failed = run_steps(ctx, [ReplicaServer(PLAN.primary)]).failed
    assert failed is not None and isinstance(failed.error, DriftDetected), kept
    assert failed.error.phase == "verify"
    assert "replica server settings are" in str(failed.error)
    primary.overrides["replica_server_verify"] = lambda _script: ok(right)  # the control: all three right
    assert [r.status for r in run_steps(ctx, [ReplicaServer(PLAN.primary)]).results] == ["changed"]


@pytest.mark.parametrize("wrong", [{"group": "other-group"}, {"storage": "D:\\Elsewhere"}])
def test_authorization_verify_notices_an_entry_that_did_not_stick(wrong: dict[str, str]) -> None:
    fakes = fresh_fakes()
    primary = fakes[PLAN.primary.name]
    step = AuthorizationEntry(PLAN.primary)
    want = step.desired(make_ctx(fakes))
    primary.overrides["authorization_get"] = lambda _script: ok({"entries": []})
    primary.overrides["authorization_new"] = lambda _script: ok({})
    primary.overrides["authorization_verify"] = lambda _script: ok(dict(want, **wrong))
    failed = run_steps(make_ctx(fakes), [step]).failed
    assert failed is not None and isinstance(failed.error, DriftDetected), wrong
    assert failed.error.phase == "verify"
    assert f"authorization entry for {want['server']}" in str(failed.error)
    primary.overrides["authorization_verify"] = lambda _script: ok(dict(want, storage=want["storage"].upper() + "\\"))
    assert [r.status for r in run_steps(make_ctx(fakes), [step]).results] == ["changed"]  # same folder: fine


def test_identity_verify_notices_a_dns_suffix_that_did_not_take() -> None:
    """After the restart the host has its name but not the suffix: a drift, not success."""
    fakes = fresh_fakes()
    primary = fakes[PLAN.primary.name]
    primary.domain = primary.nv_domain = ""
    primary.overrides["identity_verify"] = lambda _script: ok({"name": PLAN.primary.name.upper(), "domain": ""})
    failed = run_steps(make_ctx(fakes, allow_reboot=True, reboot_wait_seconds=1), [Identity(PLAN.primary)]).failed
    assert failed is not None and isinstance(failed.error, DriftDetected)
    assert failed.error.phase == "verify"
    assert f"expected {PLAN.primary.fqdn}" in str(failed.error)
