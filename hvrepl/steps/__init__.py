"""The recipe's steps, in order (fact sheet §9), built for a plan."""

from __future__ import annotations

from hvrepl.plan import Plan
from hvrepl.steps.authorization import AuthorizationEntry
from hvrepl.steps.base import Diff, RunContext, Step
from hvrepl.steps.certificates import Certificates
from hvrepl.steps.firewall import FirewallRule
from hvrepl.steps.health import ConnectionTest, ReplicationHealth
from hvrepl.steps.hosts_file import HostsFile
from hvrepl.steps.identity import Identity
from hvrepl.steps.replica_server import ReplicaServer
from hvrepl.steps.revocation import RevocationCheck
from hvrepl.steps.vm_replication import InitialReplication, VMReplication

__all__ = ["Diff", "RunContext", "Step", "build_steps"]


def build_steps(plan: Plan, *, include_health: bool = True) -> list[Step]:
    """Every step instance for ``plan``, in the order they must run."""
    both = plan.hosts()
    steps: list[Step] = [Identity(h) for h in both]
    steps += [HostsFile(h) for h in both]
    steps += [FirewallRule(h) for h in both]
    steps.append(Certificates(plan.primary))
    if plan.revocation_check == "disable":
        steps += [RevocationCheck(h) for h in both]
    steps += [ReplicaServer(h) for h in both]
    steps += [AuthorizationEntry(h) for h in both]
    if plan.vms:
        steps.append(ConnectionTest(plan.primary))
        steps.append(VMReplication(plan.primary))
        steps.append(InitialReplication(plan.primary))
        if include_health:
            steps.append(ReplicationHealth(plan.primary))
    return steps
