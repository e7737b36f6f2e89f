"""Step: the host as a Replica server with certificate authentication on the plan's port."""

from __future__ import annotations

from typing import Any

from hvrepl.session import Script
from hvrepl.steps.base import Diff, RunContext, Step

UNKNOWN_THUMBPRINT = "<thumbprint of the certificate made by the certificates step>"


class ReplicaServer(Step):
    """Set-VMReplicationServer on one host (both receive, so reverse replication works)."""

    name = "replica_server"

    def desired(self, ctx: RunContext) -> dict[str, Any]:
        """The settings this host must have."""
        settings = ctx.plan.replica_server
        return {"enabled": True, "auth": "Certificate",
                "thumbprint": ctx.thumbprints.get(self.host.name, UNKNOWN_THUMBPRINT),
                "port": settings.port, "any_server": False, "storage": settings.storage_location}

    def check(self, ctx: RunContext) -> dict[str, Any]:
        """Current replica-server settings."""
        return dict(ctx.session(self.host).call("replica_server_get"))

    def plan(self, ctx: RunContext, observed: dict[str, Any]) -> Diff | None:
        """One Set-VMReplicationServer when anything differs."""
        want = self.desired(ctx)
        seen = dict(observed)
        seen["thumbprint"] = str(seen.get("thumbprint") or "").upper()
        seen["storage"] = str(seen.get("storage") or "").rstrip("\\").lower()
        cmp_want = dict(want, storage=want["storage"].rstrip("\\").lower())
        if all(seen.get(k) == v for k, v in cmp_want.items()):
            return None
        changed = {k: v for k, v in want.items() if seen.get(k) != cmp_want[k]}
        return Diff(before={k: observed.get(k) for k in changed}, after=changed,
                    scripts=[Script.build("replica_server_set", thumbprint=want["thumbprint"],
                                          port=want["port"], storage=want["storage"])])

    def verify(self, ctx: RunContext) -> None:
        """Re-read the three values that matter for the listener."""
        seen = ctx.session(self.host).call("replica_server_verify")
        want = self.desired(ctx)
        if not seen["enabled"] or seen["port"] != want["port"] or seen["thumbprint"].upper() != want["thumbprint"]:
            raise self.drift(f"replica server settings are {seen}, expected {want}")
