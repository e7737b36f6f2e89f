"""Day-2 operations on a configured pair: status, test/planned/unplanned failover, reverse replication."""

from __future__ import annotations

from typing import Any

from hvrepl.errors import ConfigError
from hvrepl.plan import Plan
from hvrepl.powershell import as_list
from hvrepl.session import HostSession


def status(plan: Plan, sessions: dict[str, HostSession]) -> dict[str, list[dict[str, Any]]]:
    """Replication state, health, mode and last replication time of every VM, per host."""
    return {h.name: as_list(sessions[h.name].call("replication_status")["vms"]) for h in plan.hosts()}


def _known_vm(plan: Plan, vm: str) -> None:
    if vm.lower() not in {v.name.lower() for v in plan.vms}:
        raise ConfigError(f"VM {vm!r} is not in the plan", field="--vm")


def failover(plan: Plan, sessions: dict[str, HostSession], vm: str, kind: str) -> list[str]:
    """Run a failover of ``kind`` (test | planned | unplanned); return what was done, step by step."""
    _known_vm(plan, vm)
    primary, replica = sessions[plan.primary.name], sessions[plan.replica.name]
    done = []
    if kind == "test":
        test_vm = replica.call("failover_test", vm=vm)["test_vm"]
        done.append(f"{plan.replica.name}: test failover started, test VM {test_vm!r} "
                    f"(end it with Stop-VMFailover -VMName '{vm}')")
    elif kind == "planned":
        primary.call("failover_prepare", vm=vm)
        done.append(f"{plan.primary.name}: VM stopped, pending changes sent (Start-VMFailover -Prepare)")
        replica.call("failover_start", vm=vm, complete=False)
        done.append(f"{plan.replica.name}: failed over")
        replica.call("replication_reverse", vm=vm, server=plan.primary.fqdn, port=plan.replica_server.port)
        done.append(f"{plan.replica.name}: replication reversed towards {plan.primary.fqdn}; VM started")
    elif kind == "unplanned":
        replica.call("failover_start", vm=vm, complete=True)
        done.append(f"{plan.replica.name}: failed over and committed (Complete-VMFailover); "
                    f"run `hvrepl reverse --vm {vm}` once {plan.primary.name} is back")
    else:
        raise ConfigError(f"unknown failover kind {kind!r}")
    return done


def reverse(plan: Plan, sessions: dict[str, HostSession], vm: str) -> list[str]:
    """After an unplanned failover: replicate back from the replica to the original primary."""
    _known_vm(plan, vm)
    sessions[plan.replica.name].call("replication_reverse", vm=vm, server=plan.primary.fqdn,
                                     port=plan.replica_server.port)
    return [f"{plan.replica.name}: replication of {vm} reversed towards {plan.primary.fqdn}"]
