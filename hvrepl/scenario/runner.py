"""Run one scenario: bring up its lab, run each phase (actions, the engine with hooks around steps, checks),
compare with the expectation, always take the lab down. Returns a :class:`ScenarioResult`, never raises.
"""

from __future__ import annotations

import copy
import datetime as dt
import logging
import re
import shutil
import tempfile
import time
import traceback
from dataclasses import dataclass, field, replace
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from hvrepl import operations
from hvrepl.engine import StepResult, error_json, run_step
from hvrepl.errors import ConfigError, HvreplError
from hvrepl.inventory import load_lab
from hvrepl.lab.lab import Lab, parse_duration
from hvrepl.lab.labfile import LabError
from hvrepl.plan import Plan
from hvrepl.powershell import as_list
from hvrepl.remediation import remediation_for
from hvrepl.scenario.actions import action_host, action_kind, run_action
from hvrepl.scenario.clock_faults import ClockFaults, lab_time
from hvrepl.scenario.model import Hook, Phase, Scenario
from hvrepl.secrets import Secret
from hvrepl.session import HostSession
from hvrepl.steps import RunContext, build_steps

log = logging.getLogger(__name__)

_VARIABLE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


@dataclass
class ScenarioResult:
    """The verdict on one scenario."""

    name: str
    path: str
    passed: bool
    seconds: float
    phase: str | None = None
    reason: str = ""
    observed: dict[str, Any] = field(default_factory=dict)
    steps: list[dict[str, Any]] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        """JSON form for --json."""
        return {"name": self.name, "path": self.path, "passed": self.passed, "seconds": round(self.seconds, 2),
                "phase": self.phase, "reason": self.reason, "observed": self.observed, "steps": self.steps}


def default_plan() -> dict[str, Any]:
    """The walkthrough plan shipped with hvrepl."""
    return dict(yaml.safe_load(resources.files("hvrepl.data").joinpath("walkthrough-plan.yaml")
                               .read_text(encoding="utf-8")))


def deep_merge(base: dict[str, Any], patch: dict[str, Any]) -> dict[str, Any]:
    """``patch`` over ``base``: mappings merge, everything else (lists too) replaces."""
    out = copy.deepcopy(base)
    for key, value in patch.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = deep_merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def substitute(value: Any, saved: dict[str, str]) -> Any:
    """Replace ``${name}`` in every string of ``value`` by the saved value (unknown names fail)."""
    if isinstance(value, str):
        def one(match: re.Match[str]) -> str:
            if match.group(1) not in saved:
                raise ConfigError(f"${{{match.group(1)}}} was never saved by an earlier action")
            return saved[match.group(1)]
        return _VARIABLE.sub(one, value)
    if isinstance(value, list):
        return [substitute(v, saved) for v in value]
    if isinstance(value, dict):
        return {k: substitute(v, saved) for k, v in value.items()}
    return value


class PhaseFailed(Exception):  # noqa: N818 - control flow inside the runner: the observed failure of a phase
    """An action or step failed: the observed error (compared with the expectation)."""

    def __init__(self, error: dict[str, Any]) -> None:
        super().__init__(error.get("message"))
        self.error = error


def _error_dict(exc: BaseException, step: str, host: str | None) -> dict[str, Any]:
    if isinstance(exc, HvreplError):
        out = error_json(exc)
        out["step"] = out.get("step") or step
        out["host"] = out.get("host") or host
        out["remediation"] = out.get("remediation") or remediation_for(exc)
        return out
    return {"message": str(exc), "step": step, "host": host, "fqid": None, "hresult": None, "remediation": None}


class ScenarioRun:
    """One scenario against its own lab in ``workdir``."""

    def __init__(self, scenario: Scenario, workdir: Path, transport_factory: Any = None,
                 backend: str = "process") -> None:
        self.scenario = scenario
        self.backend = backend
        self.workdir = workdir
        self.saved: dict[str, str] = {}
        self.steps: list[dict[str, Any]] = []
        self.lab_start: dt.datetime | None = None
        self.clock_faults = ClockFaults([], None, lambda hook: None)
        if transport_factory is None:
            from hvrepl.cli import winrm_transport  # noqa: PLC0415 - the CLI module imports the lab commands

            transport_factory = winrm_transport
        self.transport_factory = transport_factory

    def run(self) -> ScenarioResult:
        """Up, every phase, down; the first phase whose outcome differs from its expectation fails the scenario."""
        started = time.monotonic()
        lab: Lab | None = None
        current = None
        try:
            lab = Lab.up(self.workdir / "lab", self.scenario.topology, backend=self.backend)
            if any(h.when == "at" for phase in self.scenario.phases for h in phase.hooks):
                self.lab_start = lab_time(lab)
            for phase in self.scenario.phases:
                current = phase.name
                observed = self._phase(lab, phase)
                problem = check_expectation(phase.expect, observed)
                if problem:
                    return self._result(False, started, current, problem, observed)
            return self._result(True, started, None, "", {})
        except (LabError, ConfigError) as exc:
            return self._result(False, started, current, f"could not run: {exc}", {})
        except Exception as exc:  # a scenario must report, not crash the run of the others
            log.debug("scenario %s crashed", self.scenario.name, exc_info=True)
            return self._result(False, started, current, f"runner error: {exc!r}",
                                {"traceback": traceback.format_exc()[-3000:]})
        finally:
            if lab is not None:
                lab.down()

    def _result(self, passed: bool, started: float, phase: str | None, reason: str,
                observed: dict[str, Any]) -> ScenarioResult:
        return ScenarioResult(self.scenario.name, str(self.scenario.path), passed, time.monotonic() - started,
                              phase, reason, observed, self.steps)

    def _phase(self, lab: Lab, phase: Phase) -> dict[str, Any]:
        base = self.scenario.plan if self.scenario.plan is not None else default_plan()
        # the hosts are known before the `before` actions run; the rest of the plan may use values they save
        host_patch = {k: v for k, v in phase.plan_patch.items() if k in ("primary", "replica")}
        connections = load_lab(lab.directory, Plan.model_validate(substitute(deep_merge(base, host_patch),
                                                                             self.saved)))
        if phase.winrm_password is not None:
            connections = {n: replace(c, password=Secret(phase.winrm_password)) for n, c in connections.items()}
        sessions = {n: HostSession(n, self.transport_factory(c)) for n, c in connections.items()}
        observed: dict[str, Any] = {"error": None}
        plan = Plan.model_validate(substitute(deep_merge(base, host_patch), self.saved))
        self.clock_faults = ClockFaults(phase.hooks, self.lab_start, lambda hook: self._actions(
            hook.actions, lab, sessions, f"at {hook.step}"))
        try:
            self.clock_faults.fire_due(lab)
            self._actions(phase.before, lab, sessions, "before")
            plan = Plan.model_validate(substitute(deep_merge(base, phase.plan_patch), self.saved))
            if phase.command in ("run", "verify", "plan"):
                self._engine(lab, phase, plan, sessions, connections)
            elif phase.command == "status":
                observed["status"] = self._call("status", None, lambda: operations.status(plan, sessions))
            elif phase.command == "failover":
                observed["failover"] = self._call("failover", None, lambda: operations.failover(
                    plan, sessions, str(phase.failover["vm"]), str(phase.failover["kind"])))
        except PhaseFailed as failure:
            observed["error"] = failure.error
        try:  # after the command, also after a failure (scenarios lift their faults here)
            self._actions(phase.after, lab, sessions, "after")
            self.clock_faults.fire_due(lab)
        except PhaseFailed as failure:
            observed["error"] = observed["error"] or failure.error
        if not observed["error"] and self.clock_faults.unfired():
            raise ConfigError(f"phase {phase.name}: the fault(s) at {', '.join(self.clock_faults.unfired())} never "
                              "fired: the simulated clock did not get there (advance it with a clock action)")
        if phase.expect.get("vms"):
            observed["vms"], errors = {}, []
            for host in plan.hosts():  # host by host: a powered-off host does not hide the other's VMs
                try:
                    observed["vms"][host.name] = as_list(sessions[host.name].call("replication_status")["vms"])
                except HvreplError as exc:
                    errors.append(str(exc))
            if errors:
                observed["vms_error"] = "; ".join(errors)
        for session in sessions.values():
            session.transport.close()
        return observed

    def _call(self, step: str, host: str | None, call: Any) -> Any:
        try:
            return call()
        except (HvreplError, LabError) as exc:
            raise PhaseFailed(_error_dict(exc, step, host)) from exc

    def _actions(self, actions: list[dict[str, Any]], lab: Lab, sessions: dict[str, HostSession], where: str) -> None:
        for raw in actions:
            action = substitute(raw, self.saved)
            kind = action_kind(action)
            self.steps.append({"action": kind, "where": where, "host": action_host(action)})
            if kind == "clock":  # stops at each fault "at a clock time" on the way
                seconds = parse_duration(str(action["clock"]))
                self._call(kind, None, lambda s=seconds: self.clock_faults.advance(lab, s))
            else:
                self._call(kind, action_host(action), lambda a=action: run_action(a, lab, sessions, self.saved))
            if not where.startswith("at "):
                self._call("clock", None, lambda: self.clock_faults.fire_due(lab))

    def _engine(self, lab: Lab, phase: Phase, plan: Plan, sessions: dict[str, HostSession],
                connections: dict[str, Any]) -> None:
        ctx = RunContext(plan=plan, sessions=sessions, check_mode=phase.command != "run",
                         allow_reboot=phase.allow_reboot, health_timeout=phase.health_timeout,
                         reconnect=lambda name: HostSession(name, self.transport_factory(connections[name])))
        fired: set[int] = set()
        for step in build_steps(plan):
            self._call("clock", None, lambda: self.clock_faults.fire_due(lab))
            self._hooks(phase.hooks, "before", step.name, step.target, fired, lab, sessions)
            result: StepResult = run_step(ctx, step)
            self.steps.append({"host": result.host, "step": result.step, "status": result.status,
                               "seconds": round(result.seconds, 2)})
            if result.status == "failed" and result.error is not None:
                raise PhaseFailed(_error_dict(result.error, result.step, result.host))
            if phase.command == "verify" and result.status == "would change":
                raise PhaseFailed({"message": "differs from the plan", "step": result.step, "host": result.host,
                                   "fqid": None, "hresult": None, "remediation": None})
            self._hooks(phase.hooks, "after", step.name, step.target, fired, lab, sessions)
            self._call("clock", None, lambda: self.clock_faults.fire_due(lab))

    def _hooks(self, hooks: list[Hook], when: str, step: str, target: str, fired: set[int], lab: Lab,
               sessions: dict[str, HostSession]) -> None:
        for index, hook in enumerate(hooks):
            if index in fired or hook.when != when or hook.step.lower() != step.lower():
                continue
            if hook.host is not None and hook.host.lower() != target.lower():
                continue
            fired.add(index)
            self._actions(hook.actions, lab, sessions, f"{when} {step}")


def check_expectation(expect: dict[str, Any], observed: dict[str, Any]) -> str:
    """Empty when ``observed`` meets ``expect``; otherwise what differs, in one sentence."""
    error = observed.get("error")
    if expect.get("outcome", "success") == "success":
        if error:
            return (f"expected success; failed at step {error.get('step')} on {error.get('host')}: "
                    f"{error.get('message')} (fqid {error.get('fqid')}, HRESULT {error.get('hresult')})")
    else:
        if not error:
            return "expected a failure; every step succeeded"
        for key in ("step", "host"):
            if key in expect and str(expect[key]).lower() != str(error.get(key)).lower():
                return f"expected failure {key} {expect[key]!r}, got {error.get(key)!r} ({error.get('message')})"
        if "hresult" in expect and str(expect["hresult"]).lower() != str(error.get("hresult")).lower():
            return f"expected HRESULT {expect['hresult']}, got {error.get('hresult')} ({error.get('message')})"
        for key in ("fqid", "message", "remediation"):
            if key in expect and str(expect[key]).lower() not in str(error.get(key) or "").lower():
                return f"expected {key} containing {expect[key]!r}, got {error.get(key)!r}"
    return _check_vms(expect.get("vms") or {}, observed)


def _check_vms(wanted: dict[str, Any], observed: dict[str, Any]) -> str:
    if not wanted:
        return ""
    if "vms" not in observed:
        return f"could not read replication status: {observed.get('vms_error')}"
    for vm, spec in wanted.items():
        fields = dict(spec)
        host = fields.pop("host", None)
        rows = [(h, row) for h, rows in observed["vms"].items() for row in rows
                if str(row.get("name", "")).lower() == vm.lower() and (host is None or h.lower() == host.lower())]
        if not rows:
            unreadable = f" (unreadable: {observed['vms_error']})" if observed.get("vms_error") else ""
            return f"VM {vm} not found{f' on {host}' if host else ''}{unreadable}"
        _, row = rows[0]
        for key, value in fields.items():
            if str(row.get(key)).lower() != str(value).lower():
                return f"VM {vm}: expected {key} {value!r}, got {row.get(key)!r}"
    return ""


def run_scenario(scenario: Scenario, keep: bool = False, backend: str = "process") -> ScenarioResult:
    """Run ``scenario`` in a temporary folder (removed afterwards unless ``keep`` or it failed)."""
    workdir = Path(tempfile.mkdtemp(prefix=f"hvrepl-scenario-{scenario.name}-"))
    result = ScenarioRun(scenario, workdir, backend=backend).run()
    if result.passed and not keep:
        shutil.rmtree(workdir, ignore_errors=True)
    else:
        result.observed.setdefault("workdir", str(workdir))
    return result
