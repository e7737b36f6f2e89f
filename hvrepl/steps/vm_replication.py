"""Steps on the primary's VMs: Enable-/Set-VMReplication per VM, then Start-VMInitialReplication.

A VM whose settings or certificate changed is updated with Set-VMReplication, resumed if replication
stopped in Error/Suspended (e.g. while its certificate was expired), and after a certificate rotation
its replication statistics are reset (see the comment in :meth:`VMReplication.plan`).
"""

from __future__ import annotations

from typing import Any

from hvrepl.errors import CheckpointsPresent, StepError
from hvrepl.plan import VMSpec
from hvrepl.powershell import as_list, quote
from hvrepl.session import Script
from hvrepl.steps.base import Diff, RunContext, Step
from hvrepl.steps.replica_server import UNKNOWN_THUMBPRINT

# Quoted VM names per vms_get script: 16 names of 100 characters would push the -EncodedCommand line past
# cmd.exe's 8,191 characters, so long lists go in several scripts.
NAMES_PER_SCRIPT_CHARS = 1200


def name_batches(names: list[str]) -> list[list[str]]:
    """Split ``names`` into lists whose quoted literals stay within NAMES_PER_SCRIPT_CHARS (one list at least)."""
    batches: list[list[str]] = [[]]
    size = 0
    for name in names:
        cost = len(quote(name).encode("utf-16-le")) // 2 + 2  # UTF-16 units: what -EncodedCommand carries
        if batches[-1] and size + cost > NAMES_PER_SCRIPT_CHARS:
            batches.append([])
            size = 0
        batches[-1].append(name)
        size += cost
    return batches


def read_vms(ctx: RunContext) -> dict[str, dict[str, Any]]:
    """Replication facts of every plan VM on the primary, by name."""
    session = ctx.session(ctx.plan.primary)
    found: dict[str, dict[str, Any]] = {}
    for names in name_batches([vm.name for vm in ctx.plan.vms]):
        data = session.call("vms_get", names=names)
        found.update({str(v["name"]): v for v in as_list(data["vms"])})
    return found


class VMReplication(Step):
    """Every plan VM replicates to the replica's FQDN with the plan's settings and the current thumbprint."""

    name = "vm_replication"
    collects_events = True

    def desired(self, ctx: RunContext, vm: VMSpec) -> dict[str, Any]:
        """Values bound into Enable-/Set-VMReplication for ``vm``."""
        return {"vm": vm.name, "server": ctx.plan.replica.fqdn, "port": ctx.plan.replica_server.port,
                "thumbprint": ctx.thumbprints.get(ctx.plan.primary.name, UNKNOWN_THUMBPRINT),
                "frequency": vm.frequency_seconds, "history": vm.recovery_points, "vss": vm.vss_frequency_hours}

    def check(self, ctx: RunContext) -> dict[str, dict[str, Any]]:
        """Get-VM / Get-VMSnapshot / Get-VMReplication for the plan's VMs."""
        return read_vms(ctx)

    def plan(self, ctx: RunContext, observed: dict[str, dict[str, Any]]) -> Diff | None:
        """Enable missing ones, Set those whose settings (or certificate) differ; refuse VMs with checkpoints."""
        diff = Diff(before={}, after={})
        for vm in ctx.plan.vms:
            seen = observed.get(vm.name) or {"exists": False}
            if not seen.get("exists"):
                raise StepError(f"VM {vm.name} does not exist on {ctx.plan.primary.name}", host=self.target,
                                step=self.name, phase="plan", remediation="fix the VM name in the plan")
            want = self.desired(ctx, vm)
            if seen["state"] == "Disabled":
                checkpoints = as_list(seen.get("checkpoints"))
                if checkpoints:
                    raise CheckpointsPresent(
                        f"VM {vm.name} has checkpoints: {', '.join(map(str, checkpoints))}", host=self.target,
                        step=self.name, phase="plan",
                        remediation=f"delete them (Remove-VMSnapshot -VMName '{vm.name}' -Name *) or merge them, "
                                    "then run again")
                diff.before[vm.name] = "not replicated"
                diff.after[vm.name] = {k: v for k, v in want.items() if k != "vm"}
                diff.scripts.append(Script.build("vm_enable", **want))
                continue
            current = {"server": str(seen.get("replica_server", "")).lower(), "port": seen.get("port"),
                       "thumbprint": str(seen.get("thumbprint", "")).upper(), "frequency": seen.get("frequency"),
                       "history": seen.get("history")}
            target = {k: want[k] for k in current}
            if vm.vss_frequency_hours is not None:
                current["vss"], target["vss"] = seen.get("vss"), vm.vss_frequency_hours
            if current != target:
                diff.before[vm.name] = {k: v for k, v in current.items() if target[k] != v}
                diff.after[vm.name] = {k: v for k, v in target.items() if current[k] != v}
                # After a certificate rotation, the failures counted with the old certificate would keep
                # health at Warning for the rest of the monitoring interval (up to 12 h): they describe the
                # problem this run fixed, so the statistics restart (Reset-VMReplicationStatistics).
                rotated = current["thumbprint"] != target["thumbprint"]
                diff.scripts.append(Script.build("vm_set", **want, reset_statistics=rotated))
        return diff if diff.scripts else None

    def verify(self, ctx: RunContext) -> None:
        """Get-VMReplication filtered by replica server must show each VM with our thumbprint."""
        session = ctx.session(ctx.plan.primary)
        for vm in ctx.plan.vms:
            want = self.desired(ctx, vm)
            seen = session.call("vm_verify", vm=vm.name, server=want["server"])
            if str(seen["thumbprint"]).upper() != want["thumbprint"] or seen["frequency"] != want["frequency"]:
                raise self.drift(f"VM {vm.name} replicates with {seen}, expected {want}")


class InitialReplication(Step):
    """Start-VMInitialReplication for every plan VM still waiting for it."""

    name = "initial_replication"
    collects_events = True

    def check(self, ctx: RunContext) -> dict[str, dict[str, Any]]:
        """Replication states of the plan's VMs."""
        return read_vms(ctx)

    def plan(self, ctx: RunContext, observed: dict[str, dict[str, Any]]) -> Diff | None:
        """Start the initial copy over the network for VMs in ReadyForInitialReplication."""
        states = {vm.name: (observed.get(vm.name) or {}).get("state") for vm in ctx.plan.vms}
        # In check mode, VMs the previous step would enable count as waiting too.
        ready = ("ReadyForInitialReplication", "Disabled") if ctx.check_mode else ("ReadyForInitialReplication",)
        waiting = [name for name, state in states.items() if state in ready]
        if not waiting:
            return None
        return Diff(before={n: "ReadyForInitialReplication" for n in waiting},
                    after={n: "InitialReplicationInProgress" for n in waiting},
                    scripts=[Script.build("vm_start_initial", vm=n) for n in waiting])

    def verify(self, ctx: RunContext) -> None:
        """No plan VM may still be waiting."""
        data = ctx.session(ctx.plan.primary).call("replication_status")
        states = {str(v["name"]): v["state"] for v in as_list(data["vms"])}
        stuck = [vm.name for vm in ctx.plan.vms if states.get(vm.name) in (None, "ReadyForInitialReplication")]
        if stuck:
            raise self.drift(f"initial replication did not start for {', '.join(stuck)}")
