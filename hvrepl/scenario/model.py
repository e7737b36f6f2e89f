"""The scenario file format (YAML), loaded into plain dataclasses with the checks the runner relies on.

A scenario is one or more *phases* run against one lab: the top-level phase keys (plan_patch, before,
faults, command, after, expect) form the first phase, ``then: [...]`` lists further phases. Strings may use
``${name}`` for values saved by earlier actions (``save: name``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from hvrepl.lab.lab import parse_duration
from hvrepl.lab.labfile import LabError

COMMANDS = ("run", "verify", "plan", "status", "failover", "none")
FAILOVER_KINDS = ("test", "planned", "unplanned")
PHASE_KEYS = {"name", "plan_patch", "before", "faults", "command", "allow_reboot", "health_timeout", "after",
              "expect", "winrm_password", "failover"}
TOP_KEYS = PHASE_KEYS | {"description", "topology", "plan", "then", "timeout"}
ACTIONS = {"ps", "cut", "restore_link", "host_down", "host_up", "replication_down", "replication_up", "clock",
           "revoke", "disk_full", "import_pfx", "wait", "rate"}
EXPECT_KEYS = {"outcome", "step", "host", "hresult", "fqid", "message", "remediation", "vms"}


class ScenarioError(LabError):
    """A scenario file is malformed (names the file and the field)."""


@dataclass
class Hook:
    """Actions to run just before or just after a step (optionally only on one host), or at a clock time."""

    when: str  # before | after | at
    step: str  # the step name; for ``at``: the clock time as written (a duration after `lab up`, or ISO 8601)
    host: str | None
    actions: list[dict[str, Any]]
    at_seconds: float | None = None  # ``at`` a duration: simulated seconds after the lab came up
    at_time: dt.datetime | None = None  # ``at`` an absolute simulated time (timezone-aware)


@dataclass
class Phase:
    """One engine command with the actions and faults around it, and what must come out."""

    name: str
    plan_patch: dict[str, Any] = field(default_factory=dict)
    before: list[dict[str, Any]] = field(default_factory=list)
    hooks: list[Hook] = field(default_factory=list)
    command: str = "run"
    allow_reboot: bool = True
    health_timeout: float = 120.0
    after: list[dict[str, Any]] = field(default_factory=list)
    expect: dict[str, Any] = field(default_factory=lambda: {"outcome": "success"})
    winrm_password: str | None = None
    failover: dict[str, Any] = field(default_factory=dict)  # command failover: {vm: NAME, kind: test|planned|unplanned}


@dataclass
class Scenario:
    """A whole scenario file."""

    name: str
    path: Path
    description: str
    topology: dict[str, Any] | None
    plan: dict[str, Any] | None
    phases: list[Phase]
    timeout: float = 600.0


def _fail(path: Path, where: str, rule: str) -> ScenarioError:
    return ScenarioError(f"{path}: {where}: {rule}")


def _actions(path: Path, where: str, value: Any) -> list[dict[str, Any]]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise _fail(path, where, "must be a list of actions")
    for index, action in enumerate(value):
        kinds = set(action) & ACTIONS if isinstance(action, dict) else set()
        if len(kinds) != 1:
            raise _fail(path, f"{where}[{index}]", f"each action has exactly one of {', '.join(sorted(ACTIONS))}")
    return list(value)


def _hook(path: Path, where: str, fault: Any) -> Hook:
    """One ``faults`` entry: ``before_step``/``after_step`` NAME, or ``at`` a clock time; ``do`` the actions."""
    whens = [w for w in ("before_step", "after_step", "at") if isinstance(fault, dict) and w in fault]
    if len(whens) != 1:
        raise _fail(path, where, "needs exactly one of before_step, after_step or at (a clock time)")
    actions = _actions(path, f"{where}.do", fault.get("do"))
    if whens[0] != "at":
        when = whens[0].removesuffix("_step")
        return Hook(when, str(fault[whens[0]]), fault.get("host"), actions)
    text = str(fault["at"])
    try:
        return Hook("at", text, fault.get("host"), actions, at_seconds=parse_duration(text))
    except LabError:
        pass
    try:
        moment = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise _fail(path, f"{where}.at", "a duration after `lab up` (90s, 2h, 1d) or an ISO 8601 time") from None
    return Hook("at", text, fault.get("host"), actions,
                at_time=moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC))


def _phase(path: Path, where: str, raw: dict[str, Any], default_name: str) -> Phase:
    unknown = set(raw) - PHASE_KEYS
    if unknown:
        raise _fail(path, where, f"unknown key(s) {', '.join(sorted(unknown))}")
    command = raw.get("command", "run")
    if command not in COMMANDS:
        raise _fail(path, f"{where}.command", f"one of {', '.join(COMMANDS)}")
    hooks = [_hook(path, f"{where}.faults[{index}]", fault) for index, fault in enumerate(raw.get("faults") or [])]
    failover = raw.get("failover") or {}
    if command == "failover" and (not isinstance(failover, dict) or not failover.get("vm")
                                  or failover.get("kind") not in FAILOVER_KINDS):
        raise _fail(path, f"{where}.failover", f"command failover needs failover: {{vm: NAME, kind: "
                                               f"{'|'.join(FAILOVER_KINDS)}}}")
    expect = raw.get("expect") or {"outcome": "success"}
    if set(expect) - EXPECT_KEYS or expect.get("outcome") not in ("success", "failure"):
        raise _fail(path, f"{where}.expect", f"outcome success|failure, keys among {', '.join(sorted(EXPECT_KEYS))}")
    return Phase(name=str(raw.get("name", default_name)), plan_patch=dict(raw.get("plan_patch") or {}),
                 before=_actions(path, f"{where}.before", raw.get("before")), hooks=hooks, command=command,
                 allow_reboot=bool(raw.get("allow_reboot", True)),
                 health_timeout=float(raw.get("health_timeout", 120.0)),
                 after=_actions(path, f"{where}.after", raw.get("after")), expect=dict(expect),
                 winrm_password=raw.get("winrm_password"), failover=dict(failover))


def load_scenario(path: str | Path) -> Scenario:
    """Read and check one scenario file."""
    path = Path(path)
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise ScenarioError(f"{path}: unreadable scenario: {exc}") from None
    if not isinstance(raw, dict):
        raise ScenarioError(f"{path}: a scenario is a mapping")
    unknown = set(raw) - TOP_KEYS
    if unknown:
        raise _fail(path, "top level", f"unknown key(s) {', '.join(sorted(unknown))}")
    first = {k: v for k, v in raw.items() if k in PHASE_KEYS}
    phases = [_phase(path, "top level", first, "run")]
    for index, extra in enumerate(raw.get("then") or []):
        if not isinstance(extra, dict):
            raise _fail(path, f"then[{index}]", "each phase is a mapping")
        phases.append(_phase(path, f"then[{index}]", extra, f"then-{index + 1}"))
    return Scenario(name=path.stem, path=path, description=str(raw.get("description", "")).strip(),
                    topology=raw.get("topology"), plan=raw.get("plan"), phases=phases,
                    timeout=float(raw.get("timeout", 600.0)))


def find_scenarios(paths: list[str], pattern: str | None = None) -> list[Scenario]:
    """Every ``*.yaml`` under the given files/folders (sorted), filtered by name substring."""
    files: list[Path] = []
    for item in paths:
        p = Path(item)
        files.extend(sorted(p.glob("*.yaml")) if p.is_dir() else [p])
    scenarios = [load_scenario(f) for f in files]
    return [s for s in scenarios if pattern is None or pattern.lower() in s.name.lower()]
