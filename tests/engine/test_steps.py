"""Per-step triad against simulated hosts: check mode changes nothing, run changes, a second run does not."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from hvrepl.engine import run_steps
from hvrepl.inventory import load_lab
from hvrepl.plan import Plan, parse_plan
from hvrepl.session import HostSession
from hvrepl.steps import RunContext, Step
from hvrepl.steps.authorization import AuthorizationEntry
from hvrepl.steps.firewall import FirewallRule
from hvrepl.steps.hosts_file import HostsFile
from hvrepl.steps.revocation import RevocationCheck
from hvrepl.transport.base import CountingTransport
from hvrepl.transport.winrm import WinRMTransport
from tests.engine.conftest import Lab, plan_dict


def context(lab: Lab, plan: Plan, **options: Any) -> RunContext:
    """Sessions over real pywinrm to the lab's hosts."""
    connections = load_lab(lab.directory, plan)
    sessions = {n: HostSession(n, CountingTransport(WinRMTransport(c))) for n, c in connections.items()}
    return RunContext(plan=plan, sessions=sessions, **options)


STEPS: dict[str, Callable[[Plan], list[Step]]] = {
    "hosts_file": lambda p: [HostsFile(h) for h in p.hosts()],
    "firewall_rule": lambda p: [FirewallRule(h) for h in p.hosts()],
    "revocation_check": lambda p: [RevocationCheck(h) for h in p.hosts()],
    "authorization_entry": lambda p: [AuthorizationEntry(h) for h in p.hosts()],
}


@pytest.mark.slow
def test_step_triads(lab: Lab) -> None:
    """For each step: would change + state untouched; changed (verified by its own different query); then ok."""
    plan = parse_plan(plan_dict())
    for name in sorted(STEPS):
        before = lab.snapshot()
        report = run_steps(context(lab, plan, check_mode=True), STEPS[name](plan))
        assert [r.status for r in report.results] == ["would change", "would change"], (name, report.results)
        assert lab.snapshot() == before, name
        report = run_steps(context(lab, plan), STEPS[name](plan))
        assert [r.status for r in report.results] == ["changed", "changed"], [r.error for r in report.results]
        assert lab.snapshot() != before, name
        again = run_steps(context(lab, plan), STEPS[name](plan))
        assert [r.status for r in again.results] == ["ok", "ok"], name
