"""Step: ``DisableCertRevocationCheck`` = 1 (test and private certificates carry no reachable CRL)."""

from __future__ import annotations

from typing import Any

from hvrepl.session import Script
from hvrepl.steps.base import Diff, RunContext, Step


class RevocationCheck(Step):
    """The Replication registry value on one host; only planned when ``revocation_check: disable``."""

    name = "revocation_check"

    def check(self, ctx: RunContext) -> Any:
        """The current value (None when absent)."""
        return ctx.session(self.host).call("revocation_get")["value"]

    def plan(self, ctx: RunContext, observed: Any) -> Diff | None:
        """Set the DWORD to 1 unless it is."""
        if observed == 1:
            return None
        return Diff(before={"DisableCertRevocationCheck": observed}, after={"DisableCertRevocationCheck": 1},
                    scripts=[Script.build("revocation_set")])

    def verify(self, ctx: RunContext) -> None:
        """Re-read with Get-ItemPropertyValue."""
        if ctx.session(self.host).call("revocation_verify")["value"] != 1:
            raise self.drift("DisableCertRevocationCheck is not 1")
