"""Every file under scenarios/ as a pytest case (the same runner as `hvrepl scenario run`)."""

from __future__ import annotations

from pathlib import Path

import pytest

from hvrepl.scenario.model import load_scenario
from hvrepl.scenario.runner import run_scenario

SCENARIOS = sorted((Path(__file__).resolve().parents[2] / "scenarios").glob("*.yaml"))


def test_there_is_a_scenario_per_classic_failure() -> None:
    """The walkthrough, private CA and the classic failures of the brief are all present."""
    names = {p.stem for p in SCENARIOS}
    assert {"walkthrough", "private-ca", "revocation-check-not-disabled", "certificate-name-mismatch",
            "root-not-trusted-on-replica", "certificate-without-client-auth", "missing-hosts-entry",
            "firewall-rule-disabled", "certificate-expired-after-a-year", "vm-with-checkpoints",
            "missing-authorization-entry", "wrong-winrm-password", "aes256-pfx-on-2016",
            "network-cut-during-initial-replication"} <= names


@pytest.mark.slow
@pytest.mark.parametrize("path", SCENARIOS, ids=[p.stem for p in SCENARIOS])
def test_scenario(path: Path) -> None:
    """The scenario's every phase meets its expectation."""
    result = run_scenario(load_scenario(path))
    assert result.passed, f"[{result.phase}] {result.reason}\nsteps: {result.steps}\nobserved: {result.observed}"
