"""Faults "at a clock time": parsed from scenario files, fired when the lab's simulated clock gets there."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hvrepl.lab.labfile import LabHost
from hvrepl.scenario.clock_faults import ClockFaults
from hvrepl.scenario.model import Hook, ScenarioError, load_scenario

START = dt.datetime(2027, 1, 1, 9, 0, tzinfo=dt.UTC)


class FakeLab:
    """A lab whose clock only moves when advanced; records each advance."""

    def __init__(self) -> None:
        self.now = START
        self.advances: list[float] = []
        self.hosts = [LabHost({"name": "Hyper-v-prim"})]

    def control(self, name: str) -> Any:
        lab = self

        class Client:
            def get(self, path: str) -> dict[str, str]:
                assert path == "/health"
                return {"time": lab.now.isoformat()}

        return Client()

    def advance_clock(self, seconds: float) -> None:
        self.advances.append(seconds)
        self.now += dt.timedelta(seconds=seconds)


def _hook(at_seconds: float | None = None, at_time: dt.datetime | None = None, label: str = "") -> Hook:
    return Hook("at", label, None, [{"wait": 0}], at_seconds=at_seconds, at_time=at_time)


def test_a_clock_advance_stops_at_each_fault() -> None:
    """3 h advanced with faults at 1 h and 2 h 30 m: three advances, each fault fired exactly at its time."""
    lab = FakeLab()
    fired: list[tuple[str, dt.datetime]] = []
    faults = ClockFaults([_hook(9000, label="2h30m"), _hook(3600, label="1h")], START,
                         lambda hook: fired.append((hook.step, lab.now)))
    faults.advance(lab, 3 * 3600)  # type: ignore[arg-type]  # a fake with the two members ClockFaults uses
    assert lab.advances == [3600, 5400, 1800]
    assert fired == [("1h", START + dt.timedelta(hours=1)), ("2h30m", START + dt.timedelta(hours=2.5))]
    assert faults.unfired() == []


def test_a_fault_beyond_the_advance_waits() -> None:
    """A fault later than the clock gets stays pending (and is reported as never fired)."""
    lab = FakeLab()
    fired: list[str] = []
    faults = ClockFaults([_hook(5 * 3600, label="5h")], START, lambda hook: fired.append(hook.step))
    faults.advance(lab, 3600)  # type: ignore[arg-type]  # fake lab
    assert (lab.advances, fired, faults.unfired()) == ([3600], [], ["5h"])


def test_an_absolute_time_and_a_time_already_past() -> None:
    """An ISO time fires when reached; a fault whose time has passed fires at the next check."""
    lab = FakeLab()
    fired: list[str] = []
    faults = ClockFaults([_hook(at_time=START + dt.timedelta(minutes=30), label="abs"), _hook(0, label="now")],
                         START, lambda hook: fired.append(hook.step))
    faults.fire_due(lab)  # type: ignore[arg-type]  # fake lab
    assert fired == ["now"]
    faults.advance(lab, 3600)  # type: ignore[arg-type]  # fake lab
    assert fired == ["now", "abs"]
    assert lab.advances == [1800, 1800]


@given(st.lists(st.integers(1, 10 * 3600), min_size=1, max_size=5), st.integers(0, 12 * 3600))
def test_faults_fire_in_time_order_and_the_total_advance_is_kept(times: list[int], total: int) -> None:
    """Whatever the faults, the clock moves by exactly the advance and each reached fault fires once, in order."""
    lab = FakeLab()
    fired: list[float] = []
    faults = ClockFaults([_hook(t) for t in times], START,
                         lambda hook: fired.append((lab.now - START).total_seconds()))
    faults.advance(lab, total)  # type: ignore[arg-type]  # fake lab
    assert sum(lab.advances) == pytest.approx(total)
    assert fired == sorted(t for t in times if t <= total)
    assert len(faults.unfired()) == sum(t > total for t in times)


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "s.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_scenario_files_take_a_duration_or_an_iso_time(tmp_path: Path) -> None:
    """``at: 1h30m`` is 5400 s after `lab up`; ``at: 2027-01-01T10:00:00Z`` an absolute simulated time."""
    scenario = load_scenario(_write(tmp_path, """
faults:
  - {at: 1h30m, do: [{cut: [A, B]}]}
  - {at: "2027-01-01T10:00:00Z", do: [{host_down: B}]}
  - {at: 2027-01-01T11:00:00Z, do: [{host_up: B}]}
"""))
    first, second, third = scenario.phases[0].hooks
    assert (first.when, first.at_seconds, first.actions) == ("at", 5400, [{"cut": ["A", "B"]}])
    assert second.at_time == dt.datetime(2027, 1, 1, 10, 0, tzinfo=dt.UTC)
    assert third.at_time == dt.datetime(2027, 1, 1, 11, 0, tzinfo=dt.UTC)  # YAML's own timestamp type


@pytest.mark.parametrize("fault", ["{at: soon, do: []}", "{at: 1h, before_step: identity, do: []}"])
def test_bad_clock_faults_are_refused(tmp_path: Path, fault: str) -> None:
    """Not a time, or a time and a step at once: refused naming the file and the fault."""
    with pytest.raises(ScenarioError, match=r"s\.yaml: top level\.faults\[0\]"):
        load_scenario(_write(tmp_path, f"faults: [{fault}]"))
