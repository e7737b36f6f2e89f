"""Step: the Hyper-V Replica HTTPS listener rule, enabled by its locale-independent Name."""

from __future__ import annotations

from typing import Any

from hvrepl.session import Script
from hvrepl.steps.base import Diff, RunContext, Step

RULE_NAME = "VIRT-HVRHTTPSL-In-TCP-NoScope"


class FirewallRule(Step):
    """Inbound HTTPS listener rule enabled on a receiving host (both hosts receive, for reverse)."""

    name = "firewall_rule"

    def check(self, ctx: RunContext) -> dict[str, Any]:
        """The rule's Enabled value."""
        return dict(ctx.session(self.host).call("firewall_get", rule=RULE_NAME))

    def plan(self, ctx: RunContext, observed: dict[str, Any]) -> Diff | None:
        """Enable the rule if it is not."""
        if observed["enabled"] == "True":
            return None
        return Diff(before={"enabled": observed["enabled"]}, after={"enabled": "True"},
                    scripts=[Script.build("firewall_enable", rule=RULE_NAME)])

    def verify(self, ctx: RunContext) -> None:
        """Query enabled inbound rules and look for ours."""
        if ctx.session(self.host).call("firewall_verify", rule=RULE_NAME)["enabled_count"] != 1:
            raise self.drift(f"firewall rule {RULE_NAME} is still not enabled")
