"""A change Windows did not keep is caught by the step's own re-read; the authorization plan notices every field.

Added after mutation spot-checks: making a step's verify() blind, or dropping the trust-group comparison
from the authorization plan, left the whole suite green.
"""

from __future__ import annotations

import pytest

from hvrepl.engine import run_steps
from hvrepl.errors import DriftDetected
from hvrepl.steps import Step
from hvrepl.steps.authorization import AuthorizationEntry
from hvrepl.steps.firewall import FirewallRule
from hvrepl.steps.hosts_file import HostsFile
from hvrepl.steps.revocation import RevocationCheck
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
