"""The triad for EVERY step of the recipe, in order, on two simulated hosts over pywinrm.

For each step: check mode changes nothing on either host (state tree and drive files, read back through
the control plane, not through the engine); a run changes the hosts and verifies; a second run reports
no change. The two read-only steps (connection test, health) must never change anything.
"""

from __future__ import annotations

from typing import Any

import pytest

from hvrepl.engine import run_steps
from hvrepl.inventory import load_lab
from hvrepl.plan import parse_plan
from hvrepl.session import HostSession
from hvrepl.steps import RunContext, Step, build_steps
from hvrepl.transport.base import CountingTransport
from hvrepl.transport.winrm import WinRMTransport
from tests.engine.conftest import Lab, plan_dict

READ_ONLY = {"connection_test", "replication_health"}


def statuses(lab: Lab, ctx: RunContext, steps: list[Step]) -> list[str]:
    """Run ``steps`` with ``ctx``; their statuses (a failure shows its error)."""
    report = run_steps(ctx, steps)
    return [r.status if r.error is None else f"failed: {r.error}" for r in report.results]


@pytest.mark.slow
@pytest.mark.parametrize("mode", ["testroot", "private-ca"])
def test_every_step_triad(lab: Lab, mode: str) -> None:
    """check mode: would change + hosts untouched; run: changed + hosts changed; again: ok."""
    plan = parse_plan(plan_dict(certificates={"mode": mode},
                                vms=[{"name": "VM01", "frequency_seconds": 300, "recovery_points": 2}]))
    connections = load_lab(lab.directory, plan)

    def session(name: str) -> HostSession:
        return HostSession(name, CountingTransport(WinRMTransport(connections[name])))

    def context(**options: Any) -> RunContext:
        return RunContext(plan=plan, sessions={n: session(n) for n in connections}, reconnect=session,
                          allow_reboot=True, reboot_wait_seconds=60, health_timeout=60, poll_interval=0.5,
                          **options)

    run_ctx = context()
    steps = build_steps(plan)
    groups: dict[str, list[Step]] = {}
    for step in steps:
        groups.setdefault(step.name, []).append(step)
    assert list(groups) == ["identity", "hosts_file", "firewall_rule", "certificates", "revocation_check",
                            "replica_server", "authorization_entry", "connection_test", "vm_replication",
                            "initial_replication", "replication_health"]
    for name, group in groups.items():
        before = lab.snapshot()
        check = context(check_mode=True, thumbprints=dict(run_ctx.thumbprints))
        expected = "ok" if name in READ_ONLY else "would change"
        assert statuses(lab, check, group) == [expected] * len(group), name
        assert lab.snapshot() == before, f"check mode of {name} changed a host"

        expected = "ok" if name in READ_ONLY else "changed"
        assert statuses(lab, run_ctx, group) == [expected] * len(group), name
        if name in READ_ONLY:
            assert lab.snapshot() == before, f"read-only step {name} changed a host"
        else:
            assert lab.snapshot() != before, f"{name} reported a change the hosts do not show"
        again = context(thumbprints=dict(run_ctx.thumbprints))
        assert statuses(lab, again, group) == ["ok"] * len(group), f"second run of {name} changed something"
