"""`hvrepl scenario run` as users call it: the table, --junit, --json, -k, --parallel and the exit codes."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from xml.etree import ElementTree as ET

import pytest

from hvrepl.cli import main

PASSING = """
description: the clock moves and nothing is expected to fail
command: none
before:
  - {clock: 1h}
"""
FAILING = """
description: expects a failure that never comes (the expectation fails)
command: none
before:
  - {clock: 1h}
expect: {outcome: failure, step: identity}
"""


@pytest.fixture
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Two quick scenarios: one meets its expectation, one does not (its kept lab folder lands in tmp_path)."""
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    scenarios = tmp_path / "scenarios"
    scenarios.mkdir()
    (scenarios / "quick-pass.yaml").write_text(PASSING, encoding="utf-8")
    (scenarios / "quick-fail.yaml").write_text(FAILING, encoding="utf-8")
    return scenarios


@pytest.mark.slow
@pytest.mark.parametrize("parallel", ["1", "2"])
def test_table_junit_json_and_exit_code(folder: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                        parallel: str) -> None:
    """One expectation fails: exit 1; the table, JUnit XML and JSON say which one and why."""
    junit, report = tmp_path / "r.xml", tmp_path / "r.json"
    code = main(["scenario", "run", str(folder), "--junit", str(junit), "--json", str(report),
                 "--parallel", parallel])
    out = capsys.readouterr().out
    assert code == 1, out
    assert "quick-fail  FAIL" in out and "quick-pass  pass" in out
    assert "expected a failure; every step succeeded" in out
    assert "1/2 passed" in out
    suite = ET.parse(junit).getroot()
    assert (suite.get("tests"), suite.get("failures")) == ("2", "1")
    cases = {case.get("name"): case for case in suite.iter("testcase")}
    assert cases["quick-fail"].find("failure") is not None
    assert cases["quick-pass"].find("failure") is None
    document = json.loads(report.read_text(encoding="utf-8"))
    assert [(r["name"], r["passed"]) for r in document["results"]] == [("quick-fail", False), ("quick-pass", True)]
    assert document["parallel"] == int(parallel)
    assert any(step.get("action") == "clock" for step in document["results"][1]["steps"])


@pytest.mark.slow
def test_k_selects_by_name(folder: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """-k keeps only scenarios whose name contains the pattern: the passing one alone exits 0."""
    report = tmp_path / "r.json"
    assert main(["scenario", "run", str(folder), "-k", "PASS", "--json", str(report)]) == 0
    assert [r["name"] for r in json.loads(report.read_text(encoding="utf-8"))["results"]] == ["quick-pass"]
    assert "quick-fail" not in capsys.readouterr().out


def test_no_match_and_malformed_files_exit_2(folder: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Nothing selected, or a malformed file: exit 2 with the reason, no lab started."""
    assert main(["scenario", "run", str(folder), "-k", "nothing-like-this"]) == 2
    assert "no scenario matched" in capsys.readouterr().err
    (folder / "broken.yaml").write_text("command: reboot\n", encoding="utf-8")
    assert main(["scenario", "run", str(folder)]) == 2
    assert "broken.yaml" in capsys.readouterr().err


AFTER_RUNS_ON_FAILURE = r"""
description: a failing action; the after actions still run (they lift faults), seen by the next phase
command: none
before:
  - {cut: [Hyper-v-prim, no-such-host]}
after:
  - {ps: "New-Item -Path 'C:\\after-ran.txt' -ItemType File -Value 'x' | Out-Null", host: Hyper-v-prim}
expect: {outcome: failure, step: cut}
then:
  - command: none
    before:
      - {ps: "if (-not (Test-Path -Path 'C:\\after-ran.txt')) { throw 'the after actions did not run' }",
         host: Hyper-v-prim}
"""


@pytest.mark.slow
def test_after_actions_run_after_a_failure(tmp_path: Path) -> None:
    """The phase fails at its `before` action, yet its `after` actions ran (the next phase finds their file)."""
    from hvrepl.scenario.model import load_scenario  # noqa: PLC0415 - only here
    from hvrepl.scenario.runner import run_scenario  # noqa: PLC0415 - same

    path = tmp_path / "after.yaml"
    path.write_text(AFTER_RUNS_ON_FAILURE, encoding="utf-8")
    result = run_scenario(load_scenario(path))
    assert result.passed, f"[{result.phase}] {result.reason}"
    assert [s.get("where") for s in result.steps if "action" in s] == ["before", "after", "before"]
