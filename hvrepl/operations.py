"""Day-2 operations on a configured pair: status, test/planned/unplanned failover, reverse replication."""

from __future__ import annotations

from typing import Any

from hvrepl.errors import ConfigError, InvalidStateError
from hvrepl.plan import HostSpec, Plan
from hvrepl.powershell import as_list
from hvrepl.session import HostSession


def status(plan: Plan, sessions: dict[str, HostSession]) -> dict[str, list[dict[str, Any]]]:
    """Replication state, health, mode and last replication time of every VM, per host."""
    return {h.name: as_list(sessions[h.name].call("replication_status")["vms"]) for h in plan.hosts()}


def _known_vm(plan: Plan, vm: str) -> None:
    if vm.lower() not in {v.name.lower() for v in plan.vms}:
        raise ConfigError(f"VM {vm!r} is not in the plan", field="--vm")


def current_roles(plan: Plan, sessions: dict[str, HostSession], vm: str) -> tuple[HostSpec, HostSpec]:
    """(primary, replica) of ``vm`` right now: after a planned failover the roles are swapped."""
    modes = {}
    for host in plan.hosts():
        for item in as_list(sessions[host.name].call("replication_status")["vms"]):
            if str(item["name"]).lower() == vm.lower():
                modes[host.name] = item["mode"]
    if modes.get(plan.replica.name) == "Primary" and modes.get(plan.primary.name) != "Primary":
        return plan.replica, plan.primary
    if plan.replica.name not in modes:
        raise InvalidStateError(action=f"fail over {vm}", current="not replicated",
                                expected="replicating (run `hvrepl run` first)")
    return plan.primary, plan.replica


def failover(plan: Plan, sessions: dict[str, HostSession], vm: str, kind: str) -> list[str]:
    """Run a failover of ``kind`` (test | planned | unplanned); return what was done, step by step."""
    _known_vm(plan, vm)
    source, target = current_roles(plan, sessions, vm)
    primary, replica = sessions[source.name], sessions[target.name]
    port = plan.replica_server.port
    done = []
    if kind == "test":
        test_vm = replica.call("failover_test", vm=vm)["test_vm"]
        done.append(f"{target.name}: test failover started, test VM {test_vm!r} "
                    f"(end it with Stop-VMFailover -VMName '{vm}')")
    elif kind == "planned":
        primary.call("failover_prepare", vm=vm)
        done.append(f"{source.name}: VM stopped, pending changes sent (Start-VMFailover -Prepare)")
        replica.call("failover_start", vm=vm, complete=False)
        done.append(f"{target.name}: failed over")
        replica.call("replication_reverse", vm=vm, server=source.fqdn, port=port)
        done.append(f"{target.name}: replication reversed towards {source.fqdn}; VM started")
    elif kind == "unplanned":
        replica.call("failover_start", vm=vm, complete=True)
        done.append(f"{target.name}: failed over, VM started, failover committed (Complete-VMFailover); once "
                    f"{source.name} is back with {vm} turned off, run `hvrepl reverse --vm {vm}`")
    else:
        raise ConfigError(f"unknown failover kind {kind!r}")
    return done


def reverse(plan: Plan, sessions: dict[str, HostSession], vm: str) -> list[str]:
    """After an unplanned failover: replicate back from the failed-over replica to the old primary."""
    _known_vm(plan, vm)
    source, target = current_roles(plan, sessions, vm)
    sessions[target.name].call("replication_reverse", vm=vm, server=source.fqdn, port=plan.replica_server.port)
    return [f"{target.name}: replication of {vm} reversed towards {source.fqdn}"]
