"""Step: computer name and primary DNS suffix, so each host's FQDN matches its certificate.

The suffix is the ``NV Domain`` value under Tcpip\\Parameters (fact sheet §7.2); the name is changed with
Rename-Computer. Both take effect after a restart: without ``--allow-reboot`` the run stops cleanly with
RebootRequired; with it, the host is restarted (Restart-Computer -Force) and waited for.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from hvrepl.errors import HvreplError, RebootRequired, TransportError
from hvrepl.session import Script
from hvrepl.steps.base import Diff, RunContext, Step

log = logging.getLogger(__name__)


class Identity(Step):
    """NetBIOS name and primary DNS suffix of one host."""

    name = "identity"

    def check(self, ctx: RunContext) -> dict[str, Any]:
        """Active and pending name/suffix from the registry."""
        return dict(ctx.session(self.host).call("identity_get"))

    def plan(self, ctx: RunContext, observed: dict[str, Any]) -> Diff | None:
        """Nothing to do when the active values match; a pending match only needs a restart."""
        want_name, want_suffix = self.host.name, self.host.dns_suffix
        active_ok = (observed["hostname"].lower() == want_name.lower()
                     and observed["domain"].lower() == want_suffix)
        if active_ok:
            return None
        pending_name = observed.get("nv_hostname") or observed["hostname"]
        pending_suffix = observed.get("nv_domain") or ""
        rename = None if pending_name.lower() == want_name.lower() else want_name
        scripts = []
        if rename is not None or pending_suffix.lower() != want_suffix:
            scripts.append(Script.build("identity_set", new_name=rename, dns_suffix=want_suffix))
        diff = Diff(before={"name": observed["hostname"], "dns_suffix": observed["domain"]},
                    after={"name": want_name, "dns_suffix": want_suffix}, scripts=scripts,
                    notes=["takes effect after a restart"])
        diff.scripts.append(Script.build("restart_computer"))
        return diff

    def apply(self, ctx: RunContext, diff: Diff) -> None:
        """Write the pending values, then restart (only with --allow-reboot) and wait for the host."""
        session = ctx.session(self.host)
        for script in diff.scripts[:-1]:
            session.run(script)
        if not ctx.allow_reboot:
            raise RebootRequired(
                "the new computer name / primary DNS suffix is set but takes effect only after a restart",
                host=self.target, step=self.name, phase="apply",
                remediation="restart the host, then run hvrepl again (or pass --allow-reboot)")
        try:
            session.run(diff.scripts[-1])
        except TransportError as exc:  # the shell may die with the host: expected
            log.info("%s: connection dropped while restarting (%s)", self.target, exc)
        self._wait_for_restart(ctx)

    def _wait_for_restart(self, ctx: RunContext) -> None:
        deadline = time.monotonic() + ctx.reboot_wait_seconds
        ctx.tell(self.target, self.name, f"restarting; waiting up to {ctx.reboot_wait_seconds:.0f}s for it to "
                                         "come back with the new name")
        while True:
            try:
                if ctx.reconnect is not None:
                    old = ctx.sessions[self.host.name]
                    old.transport.close()
                    ctx.retired_requests += int(getattr(old.transport, "requests", 0))
                    ctx.sessions[self.host.name] = ctx.reconnect(self.host.name)
                if self.plan(ctx, self.check(ctx)) is None:
                    return
            except HvreplError as exc:
                log.info("%s: not back yet (%s)", self.target, exc)
            if time.monotonic() > deadline:
                raise RebootRequired("the host did not come back with the new name within "
                                     f"{ctx.reboot_wait_seconds:.0f} s", host=self.target, step=self.name,
                                     phase="apply", remediation="check the host's console, then run again")
            time.sleep(min(5.0, ctx.reboot_wait_seconds / 10))

    def verify(self, ctx: RunContext) -> None:
        """Re-read via Win32_ComputerSystem and the active Domain value."""
        seen = ctx.session(self.host).call("identity_verify")
        if seen["name"].lower() != self.host.name.lower() or seen["domain"].lower() != self.host.dns_suffix:
            raise self.drift(f"host reports {seen['name']}.{seen['domain']}, expected {self.host.fqdn}")
