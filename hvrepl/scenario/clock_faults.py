"""Faults "at a clock time": a scenario's ``faults: [{at: 2h, do: [...]}]`` fire when the lab's simulated clock
reaches that time, wherever the scenario is then (between steps, between actions, or inside a ``clock``
advance, which is split at each such time so the fault lands exactly there).

The lab's time is the first running host's simulated clock; ``at: DURATION`` counts from the moment the lab
came up, ``at: ISO-8601`` is an absolute simulated time.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable

from hvrepl.lab.lab import Lab
from hvrepl.lab.labfile import LabError
from hvrepl.lab.power import is_powered_off
from hvrepl.scenario.model import Hook

log = logging.getLogger(__name__)


def lab_time(lab: Lab) -> dt.datetime:
    """The simulated time of the first running host of the lab."""
    for host in lab.hosts:
        if not is_powered_off(host.entry):
            return dt.datetime.fromisoformat(str(lab.control(host.name).get("/health")["time"]))
    raise LabError("every host of the lab is powered off: the lab has no clock to read")


class ClockFaults:
    """The ``at`` hooks of one phase and which of them have fired."""

    def __init__(self, hooks: list[Hook], lab_start: dt.datetime | None,
                 fire: Callable[[Hook], None]) -> None:
        self.pending = [h for h in hooks if h.when == "at"]
        self.lab_start = lab_start
        self.fire = fire

    def due_time(self, hook: Hook) -> dt.datetime:
        """When ``hook`` fires, in simulated time."""
        if hook.at_time is not None:
            return hook.at_time
        if self.lab_start is None:
            raise LabError("the lab's start time is unknown")
        return self.lab_start + dt.timedelta(seconds=hook.at_seconds or 0.0)

    def fire_due(self, lab: Lab) -> None:
        """Fire (in time order) every pending hook whose time has come."""
        if not self.pending:
            return
        now = lab_time(lab)
        for hook in sorted(self.pending, key=self.due_time):
            if self.due_time(hook) > now:
                break
            self.pending.remove(hook)
            log.info("clock reached %s: firing the fault at %s", now.isoformat(), hook.step)
            self.fire(hook)

    def advance(self, lab: Lab, seconds: float) -> None:
        """Advance the lab's clock by ``seconds``, stopping at each pending fault's time to fire it."""
        remaining = seconds
        while self.pending and remaining > 0:
            now = lab_time(lab)
            upcoming = min(self.due_time(h) for h in self.pending)
            gap = (upcoming - now).total_seconds()
            if gap >= remaining:
                break
            if gap > 0:
                lab.advance_clock(gap)
                remaining -= gap
            self.fire_due(lab)
        if remaining > 0:
            lab.advance_clock(remaining)
        self.fire_due(lab)

    def unfired(self) -> list[str]:
        """The times (as written) of hooks that never fired."""
        return [h.step for h in self.pending]
