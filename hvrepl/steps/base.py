"""The step contract: check (read only) -> plan (pure diff or None) -> apply -> verify (different query)."""

from __future__ import annotations

import logging
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, ClassVar

from hvrepl.errors import DriftDetected
from hvrepl.plan import HostSpec, Plan
from hvrepl.secrets import Secret
from hvrepl.session import HostSession, Script

log = logging.getLogger(__name__)


@dataclass
class Diff:
    """What a step would change: before/after for reports, and the scripts apply will send."""

    before: dict[str, Any]
    after: dict[str, Any]
    scripts: list[Script] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    payload: bytes | None = None  # a file body too big for one command line, sent by transfer.push_file


@dataclass
class RunContext:
    """Everything steps share during one run: plan, sessions, options, and facts found on the way."""

    plan: Plan
    sessions: dict[str, HostSession]
    allow_reboot: bool = False
    check_mode: bool = False
    pfx_password: Secret | None = None
    thumbprints: dict[str, str] = field(default_factory=dict)
    reboot_wait_seconds: float = 600.0
    reconnect: Any = None  # callable(host name) -> HostSession, used after a reboot
    pending_changes: int = 0
    retired_requests: int = 0  # WinRM requests of sessions replaced after a restart
    health_timeout: float = 600.0
    poll_interval: float = 5.0
    # Where a step waiting on a host says what it waits for (host, step, text); the CLI prints it on stderr.
    notice: Callable[[str, str, str], None] | None = None

    def tell(self, host: str, step: str, text: str) -> None:
        """Report progress of a long wait (nothing when no one listens)."""
        log.info("%s: %s: %s", host, step, text)
        if self.notice is not None:
            self.notice(host, step, text)

    def session(self, host: HostSpec) -> HostSession:
        """The session of a plan host."""
        return self.sessions[host.name]


class Step(ABC):
    """One step of the recipe, bound to a host (or to the pair, ``host`` = primary)."""

    name: ClassVar[str]
    supports_check_mode: ClassVar[bool] = True
    # On failure, attach the newest Hyper-V-VMMS-Admin errors of both hosts (replication steps).
    collects_events: ClassVar[bool] = False

    def __init__(self, host: HostSpec) -> None:
        self.host = host

    @property
    def target(self) -> str:
        """The host name shown in reports."""
        return self.host.name

    @abstractmethod
    def check(self, ctx: RunContext) -> Any:
        """Read the current state (read only)."""

    @abstractmethod
    def plan(self, ctx: RunContext, observed: Any) -> Diff | None:
        """Pure: the difference between ``observed`` and the plan, or None when nothing is to do."""

    def apply(self, ctx: RunContext, diff: Diff) -> None:
        """Default apply: send the diff's scripts in order on this step's host."""
        session = ctx.session(self.host)
        for script in diff.scripts:
            session.run(script)

    @abstractmethod
    def verify(self, ctx: RunContext) -> None:
        """Re-read with a different query; raise DriftDetected if the state is not the desired one."""

    def drift(self, message: str, remediation: str | None = None) -> DriftDetected:
        """A DriftDetected for this step."""
        return DriftDetected(message, host=self.target, step=self.name, phase="verify", remediation=remediation)
