"""Step: the authorization entry that lets the peer replicate to this host (both directions)."""

from __future__ import annotations

from typing import Any

from hvrepl.session import Script
from hvrepl.steps.base import Diff, RunContext, Step


class AuthorizationEntry(Step):
    """New-/Set-VMReplicationAuthorizationEntry for the peer's FQDN on one host."""

    name = "authorization_entry"

    def desired(self, ctx: RunContext) -> dict[str, str]:
        """The entry this host must hold."""
        settings = ctx.plan.replica_server
        return {"server": ctx.plan.peer_of(self.host).fqdn, "storage": settings.storage_location,
                "group": settings.trust_group}

    def check(self, ctx: RunContext) -> list[dict[str, Any]]:
        """All entries on the host."""
        entries = ctx.session(self.host).call("authorization_get")["entries"]
        return list(entries) if isinstance(entries, list) else [entries] if entries else []

    def plan(self, ctx: RunContext, observed: list[dict[str, Any]]) -> Diff | None:
        """Create the entry when missing, update it when its storage or trust group differ."""
        want = self.desired(ctx)
        mine = [e for e in observed if str(e["server"]).lower() == want["server"]]
        if mine and mine[0]["storage"].rstrip("\\").lower() == want["storage"].rstrip("\\").lower() \
                and mine[0]["group"] == want["group"]:
            return None
        template = "authorization_set" if mine else "authorization_new"
        return Diff(before={"entry": mine[0] if mine else None}, after={"entry": want},
                    scripts=[Script.build(template, **want)])

    def verify(self, ctx: RunContext) -> None:
        """Query the one entry by its server name."""
        want = self.desired(ctx)
        seen = ctx.session(self.host).call("authorization_verify", server=want["server"])
        if seen["group"] != want["group"] or seen["storage"].rstrip("\\").lower() != \
                want["storage"].rstrip("\\").lower():
            raise self.drift(f"authorization entry for {want['server']} is {seen}, expected {want}")
