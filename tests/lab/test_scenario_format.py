"""The scenario format and the expectation check, without a lab."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hvrepl.errors import ConfigError
from hvrepl.scenario.model import ScenarioError, load_scenario
from hvrepl.scenario.runner import check_expectation, deep_merge, substitute

FAILURE = {"step": "connection_test", "host": "Hyper-v-prim", "hresult": "0x80092012", "fqid": "X,Y",
           "message": "The revocation function was unable", "remediation": "set revocation_check: disable"}


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "s.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_phases_hooks_and_defaults(tmp_path: Path) -> None:
    """Top-level keys are phase one; then adds phases; faults become hooks; expectation defaults to success."""
    scenario = load_scenario(write(tmp_path, """
faults:
  - {after_step: hosts_file, host: Hyper-v-repl, do: [{clock: 1h}]}
then:
  - {command: verify, expect: {outcome: failure, step: certificates}}
"""))
    first, second = scenario.phases
    assert first.expect == {"outcome": "success"}
    assert (first.hooks[0].when, first.hooks[0].step, first.hooks[0].host) == ("after", "hosts_file", "Hyper-v-repl")
    assert (second.command, second.expect["step"]) == ("verify", "certificates")


@pytest.mark.parametrize("text", ["command: reboot", "foo: 1", "before: [{dance: 1}]", "faults: [{do: []}]",
                                  "expect: {outcome: maybe}", "before: [{clock: 1h, cut: [a, b]}]",
                                  "command: failover", "{command: failover, failover: {vm: VM01, kind: sideways}}"])
def test_malformed_files_name_file_and_field(tmp_path: Path, text: str) -> None:
    """Unknown commands, keys, actions, hooks without a step, bad outcomes are refused naming the file."""
    with pytest.raises(ScenarioError, match=r"s\.yaml"):
        load_scenario(write(tmp_path, text))


def test_expected_failure_matches() -> None:
    """Same step/host (case-insensitive), same HRESULT, substrings of message and remediation."""
    expect = {"outcome": "failure", "step": "connection_test", "host": "hyper-v-prim", "hresult": "0x80092012",
              "message": "revocation function", "remediation": "revocation_check: disable"}
    assert check_expectation(expect, {"error": FAILURE}) == ""


@pytest.mark.parametrize(("key", "value"), [("step", "certificates"), ("host", "Hyper-v-repl"),
                                            ("hresult", "0x80092013"), ("message", "expired"),
                                            ("remediation", "rotate")])
def test_each_mismatch_is_reported(key: str, value: str) -> None:
    """Any field that differs fails the expectation, naming the field."""
    problem = check_expectation({"outcome": "failure", key: value}, {"error": FAILURE})
    assert problem
    assert value.lower() in problem.lower()


def test_success_expected_but_failed_and_vice_versa() -> None:
    """Success with an error fails; failure without an error fails."""
    assert "expected success" in check_expectation({"outcome": "success"}, {"error": FAILURE})
    assert "expected a failure" in check_expectation({"outcome": "failure"}, {"error": None})


def test_vm_states_are_compared() -> None:
    """A VM row on the named host must carry every expected field."""
    observed: dict[str, Any] = {"error": None, "vms": {"Hyper-v-prim": [{"name": "VM01", "state": "Replicating",
                                                                         "health": "Warning"}]}}
    assert "health" in check_expectation({"vms": {"VM01": {"host": "Hyper-v-prim", "health": "Normal"}}}, observed)
    assert check_expectation({"vms": {"VM01": {"state": "replicating"}}}, observed) == ""
    assert "not found" in check_expectation({"vms": {"VM02": {"state": "Replicating"}}}, observed)


@given(st.dictionaries(st.sampled_from("abc"), st.integers()), st.dictionaries(st.sampled_from("bcd"), st.integers()))
def test_deep_merge_patch_wins(base: dict[str, int], patch: dict[str, int]) -> None:
    """Every patched key takes the patch's value; other keys keep the base's."""
    merged = deep_merge(base, patch)
    assert merged == {**base, **patch}


def test_deep_merge_nested_and_substitute() -> None:
    """Nested mappings merge; ${name} takes a saved value; an unknown name fails."""
    merged = deep_merge({"certificates": {"mode": "testroot", "validity_days": 365}},
                        {"certificates": {"mode": "existing", "thumbprints": {"A": "${tp}"}}})
    assert substitute(merged, {"tp": "AB"})["certificates"] == {"mode": "existing", "validity_days": 365,
                                                               "thumbprints": {"A": "AB"}}
    with pytest.raises(ConfigError, match=r"\$\{nope\} was never saved"):
        substitute("${nope}", {})


def test_failover_command(tmp_path: Path) -> None:
    """command failover carries the VM and the kind of `hvrepl failover`."""
    phase = load_scenario(write(tmp_path, "{command: failover, failover: {vm: VM01, kind: unplanned}}")).phases[0]
    assert (phase.command, phase.failover) == ("failover", {"vm": "VM01", "kind": "unplanned"})
