"""The pytest plugin's fixtures (installed through the pytest11 entry point) and the hypothesis strategies."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings

from hvrepl.plan import Plan
from hvrepl.scenario.model import load_scenario
from hvrepl.testing import strategies
from hvrepl.testing.plugin import SNAPSHOT, LabHostHandle

MARKER_FILE = "C:\\hv-plugin-test.txt"


@pytest.mark.slow
@pytest.mark.parametrize("round_", [1, 2])
def test_each_test_starts_from_the_lab_start_state(hv_lab: Any, hv_host: LabHostHandle, round_: int) -> None:
    """A file created by the first round is gone in the second (hv_lab restores before each test)."""
    assert hv_host.name == "Hyper-v-prim"
    assert hv_host.run_ps(f"$result = Test-Path -Path '{MARKER_FILE}'") is False
    hv_host.run_ps(f"New-Item -Path '{MARKER_FILE}' -ItemType File -Value 'x' | Out-Null")
    assert hv_host.run_ps(f"$result = Test-Path -Path '{MARKER_FILE}'") is True


@pytest.mark.slow
def test_restore_is_what_resets(hv_lab: Any, hv_host: LabHostHandle) -> None:
    """The plugin's snapshot brings a changed host back (the mechanism behind the reset)."""
    hv_host.run_ps(f"New-Item -Path '{MARKER_FILE}' -ItemType File -Value 'x' | Out-Null")
    hv_lab.restore(SNAPSHOT)
    assert hv_host.run_ps(f"$result = Test-Path -Path '{MARKER_FILE}'") is False


@pytest.mark.slow
@pytest.mark.parametrize("hv_host_name", ["Hyper-v-repl"], indirect=True)
def test_hv_host_can_be_chosen(hv_host: LabHostHandle) -> None:
    """Indirect parametrisation picks another host; its state is its own."""
    assert hv_host.name == "Hyper-v-repl"
    assert hv_host.state()["hyperv"]["vms"] in ({}, [])


@pytest.mark.slow
@pytest.mark.scenario("scenarios/wrong-winrm-password.yaml")
def test_scenario_marker(hv_scenario: Any) -> None:
    """The scenario marker runs the file; its result is the fixture."""
    assert hv_scenario.name == "wrong-winrm-password"
    assert hv_scenario.passed, hv_scenario.reason


@settings(max_examples=30)
@given(strategies.lab_topologies().flatmap(lambda topo: strategies.plans(topo).map(lambda plan: (topo, plan))))
def test_drawn_plans_validate_against_drawn_topologies(pair: tuple[dict[str, Any], dict[str, Any]]) -> None:
    """Every drawn plan is a valid plan whose hosts and VMs exist in the drawn topology."""
    topology, raw = pair
    plan = Plan.model_validate(raw)
    names = {h["name"] for h in topology["hosts"]}
    assert {plan.primary.name, plan.replica.name} <= names
    primary_vms = {vm["name"] for vm in topology["hosts"][0]["vms"]}
    assert {vm.name for vm in plan.vms} <= primary_vms
    assert len({h["name"].lower() for h in topology["hosts"]}) == len(topology["hosts"])


@settings(max_examples=30)
@given(strategies.faults())
def test_drawn_faults_are_valid_scenario_faults(tmp_path_factory: pytest.TempPathFactory,
                                                fault: dict[str, Any]) -> None:
    """A drawn fault loads as a hook of a scenario file."""
    import yaml  # noqa: PLC0415 - only here

    path = Path(tmp_path_factory.mktemp("f")) / "s.yaml"
    path.write_text(yaml.safe_dump({"faults": [fault]}), encoding="utf-8")
    hook = load_scenario(path).phases[0].hooks[0]
    if "at" in fault:
        assert (hook.when, hook.step) == ("at", fault["at"])
        assert hook.at_seconds is not None and hook.at_seconds > 0
    else:
        assert hook.step in strategies.STEPS
        assert hook.when == ("before" if "before_step" in fault else "after")
    assert hook.actions == fault["do"]
