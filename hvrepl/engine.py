"""Runs the steps: check -> plan -> (apply -> verify) for each, in order, stopping at the first failure."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from hvrepl.errors import HvreplError, StepError
from hvrepl.events import recent_problems
from hvrepl.remediation import remediation_for
from hvrepl.steps import RunContext, Step
from hvrepl.steps.base import Diff

log = logging.getLogger(__name__)


@dataclass
class StepResult:
    """What one step did on one host."""

    host: str
    step: str
    status: str  # ok | changed | would change | failed
    seconds: float
    diff: Diff | None = None
    error: StepError | None = None

    def to_json(self) -> dict[str, Any]:
        """JSON form for --json (scripts as text: they never carry secrets)."""
        out: dict[str, Any] = {"host": self.host, "step": self.step, "status": self.status,
                               "seconds": round(self.seconds, 3)}
        if self.diff is not None:
            out["before"] = self.diff.before
            out["after"] = self.diff.after
            out["powershell"] = [s.text for s in self.diff.scripts]
            if self.diff.notes:
                out["notes"] = self.diff.notes
        if self.error is not None:
            out["error"] = error_json(self.error)
        return out


def error_json(error: HvreplError) -> dict[str, Any]:
    """Structured error for --json."""
    return {"message": str(error), "host": getattr(error, "host", None), "step": getattr(error, "step", None),
            "phase": getattr(error, "phase", None), "fqid": getattr(error, "fqid", None),
            "hresult": getattr(error, "hresult", None), "remediation": remediation_for(error),
            "events": getattr(error, "events", [])}


@dataclass
class RunReport:
    """All step results of a run."""

    results: list[StepResult] = field(default_factory=list)
    requests: int = 0

    @property
    def failed(self) -> StepResult | None:
        """The failed step, if any."""
        return next((r for r in self.results if r.status == "failed"), None)

    @property
    def changes(self) -> int:
        """Steps that changed (or would change) something."""
        return sum(r.status in ("changed", "would change") for r in self.results)


Progress = Callable[[StepResult], None]


def _as_step_error(step: Step, phase: str, exc: HvreplError) -> StepError:
    if isinstance(exc, StepError):
        return exc
    message = getattr(exc, "message", None) or str(exc)
    failure = StepError(message, host=getattr(exc, "host", None) or step.target, step=step.name, phase=phase)
    failure.__cause__ = exc
    failure.remediation = remediation_for(failure)
    return failure


def run_step(ctx: RunContext, step: Step) -> StepResult:
    """One step through its lifecycle; errors come back as a failed result, never raised."""
    start = time.monotonic()
    phase = "check"
    log.info("%s: step %s: start%s", step.target, step.name, " (check mode)" if ctx.check_mode else "")
    try:
        observed = step.check(ctx)
        phase = "plan"
        diff = step.plan(ctx, observed)
        if diff is None:
            return StepResult(step.target, step.name, "ok", time.monotonic() - start)
        ctx.pending_changes += 1
        if ctx.check_mode:
            return StepResult(step.target, step.name, "would change", time.monotonic() - start, diff)
        phase = "apply"
        step.apply(ctx, diff)
        phase = "verify"
        step.verify(ctx)
        log.info("%s: step %s: changed and verified", step.target, step.name)
        return StepResult(step.target, step.name, "changed", time.monotonic() - start, diff)
    except HvreplError as exc:
        error = _as_step_error(step, phase, exc)
        if step.collects_events and not error.events:
            error.events = [e for h in ctx.plan.hosts() for e in recent_problems(ctx.session(h))]
        log.debug("step %s on %s failed in %s", step.name, step.target, phase, exc_info=True)
        return StepResult(step.target, step.name, "failed", time.monotonic() - start, None, error)


def run_steps(ctx: RunContext, steps: list[Step], progress: Progress | None = None) -> RunReport:
    """Run ``steps`` in order; stop at the first failure."""
    report = RunReport()
    for step in steps:
        result = run_step(ctx, step)
        report.results.append(result)
        if progress is not None:
            progress(result)
        if result.status == "failed":
            break
    report.requests = requests_sent(ctx)
    return report


def requests_sent(ctx: RunContext) -> int:
    """WS-Management requests of the run so far, including sessions replaced after a restart."""
    return ctx.retired_requests + sum(int(getattr(s.transport, "requests", 0)) for s in ctx.sessions.values())
