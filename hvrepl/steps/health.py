"""Read-only steps: the replication connection test before enabling VMs, and the final health check."""

from __future__ import annotations

import time
from typing import Any

from hvrepl.errors import PowerShellError, StepError
from hvrepl.powershell import as_list
from hvrepl.remediation import remediation_for
from hvrepl.steps.base import Diff, RunContext, Step

# ASSUMPTION: right after Set-VMReplicationServer the HTTPS listener may not accept yet; "cannot connect"
# and "timed out" are retried a few times, every other failure is final at once.
TRANSIENT = ("0x00002EFD", "0x00002EE2")
RETRY_ATTEMPTS = 5


class ConnectionTest(Step):
    """Test-VMReplicationConnection from the primary to the replica with the primary's certificate."""

    name = "connection_test"
    collects_events = True

    def check(self, ctx: RunContext) -> dict[str, Any]:
        """Run the test (read only); in check mode with changes still pending it is skipped."""
        tp = ctx.thumbprints.get(ctx.plan.primary.name)
        if ctx.check_mode and (ctx.pending_changes or tp is None):
            return {"skipped": "earlier steps would change the hosts first"}
        attempts = 1 if ctx.check_mode else RETRY_ATTEMPTS
        for attempt in range(1, attempts + 1):
            try:
                ctx.session(self.host).call("replication_test", server=ctx.plan.replica.fqdn,
                                            port=ctx.plan.replica_server.port, thumbprint=tp)
            except PowerShellError as exc:
                # A listener just (re)configured by Set-VMReplicationServer may take a moment to accept.
                if exc.hresult not in TRANSIENT or attempt == attempts:
                    return {"error": exc}
                time.sleep(ctx.poll_interval / 2)
            else:
                return {"connected": True}
        return {"error": None}

    def plan(self, ctx: RunContext, observed: dict[str, Any]) -> Diff | None:
        """Nothing to change; a failed test stops the run with the Windows error and its fix."""
        error = observed.get("error")
        if isinstance(error, PowerShellError):
            failure = StepError(f"cannot reach the replica server {ctx.plan.replica.fqdn}:"
                                f"{ctx.plan.replica_server.port}: {error.message}", host=self.target,
                                step=self.name, phase="check", remediation=remediation_for(error))
            raise failure from error
        return None

    def verify(self, ctx: RunContext) -> None:
        """Nothing was applied."""


IN_PROGRESS = "InitialReplicationInProgress"


class ReplicationHealth(Step):
    """Every plan VM is Replicating with health Normal (waits up to ``ctx.health_timeout`` seconds)."""

    name = "replication_health"
    collects_events = True

    def _unhealthy(self, ctx: RunContext) -> dict[str, str]:
        data = ctx.session(ctx.plan.primary).call("replication_status")
        seen = {str(v["name"]): v for v in as_list(data["vms"])}
        bad = {}
        for vm in ctx.plan.vms:
            item = seen.get(vm.name)
            if item is None:
                bad[vm.name] = "not replicated"
            elif item["state"] != "Replicating" or item["health"] != "Normal":
                bad[vm.name] = f"{item['state']}/{item['health']}"
        return bad

    def check(self, ctx: RunContext) -> dict[str, str]:
        """Poll until healthy or the timeout passes (not in check mode), saying what it waits for."""
        start = time.monotonic()
        deadline = start + (0 if ctx.check_mode else ctx.health_timeout)
        said: dict[str, str] = {}
        while True:
            bad = self._unhealthy(ctx)
            if not bad or time.monotonic() >= deadline:
                return bad
            if bad != said:  # a line when something changes, not one per poll
                ctx.tell(self.target, self.name, f"waiting ({time.monotonic() - start:.0f}s of "
                         f"{ctx.health_timeout:.0f}s): " + ", ".join(f"{k} {v}" for k, v in bad.items()))
                said = bad
            time.sleep(ctx.poll_interval)

    def plan(self, ctx: RunContext, observed: dict[str, str]) -> Diff | None:
        """Unhealthy VMs stop a run (in check mode they are only reported)."""
        copying = [k for k, v in observed.items() if v.startswith(IN_PROGRESS + "/")]
        if copying and len(copying) == len(observed) and not ctx.check_mode:
            # Not a fault: a large first copy takes longer than the wait (hours for big disks on real links).
            raise StepError(f"initial replication still in progress after {ctx.health_timeout:.0f}s: "
                            + ", ".join(copying), host=self.target, step=self.name, phase="check",
                            remediation="nothing is wrong: the copy carries on on the host. Follow it with "
                                        "`hvrepl status`, then run `hvrepl run` again to verify the end state "
                                        "(or wait longer with --health-timeout SECONDS)")
        if observed and not ctx.check_mode:
            raise StepError("not replicating normally: " + ", ".join(f"{k} {v}" for k, v in observed.items()),
                            host=self.target, step=self.name, phase="check",
                            remediation="run `hvrepl doctor` and `hvrepl status`; see the Hyper-V-VMMS-Admin "
                                        "event log on both hosts")
        if observed:
            return Diff(before=dict(observed), after={k: "Replicating/Normal" for k in observed})
        return None

    def apply(self, ctx: RunContext, diff: Diff) -> None:
        """Nothing to apply: health follows from the earlier steps."""

    def verify(self, ctx: RunContext) -> None:
        """Nothing was applied."""
