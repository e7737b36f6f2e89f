"""Day-2 operations on a configured pair: status, test/planned/unplanned failover, reverse replication.

Every Windows failure here comes back as a StepError naming the host and the operation (``failover`` or
``reverse``), with the FullyQualifiedErrorId/HRESULT of the PowerShell error behind it and the fix.

Reversing after an unplanned failover needs the VM turned off on the old primary, because that host
becomes the replica and its disks are overwritten by the initial replication that follows. hvrepl never
turns a VM off on its own: ``reverse`` checks first and stops with the fix, and only
``--stop-old-primary`` (an explicit decision to discard the old primary's changes since the failover)
makes it turn the VM off — after the connection to the old primary has been tested, so nothing is
turned off for a reverse that cannot work.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, TypeVar

from hvrepl.errors import ConfigError, InvalidStateError, PowerShellError, StepError, TransportError
from hvrepl.plan import HostSpec, Plan
from hvrepl.powershell import as_list
from hvrepl.remediation import remediation_for
from hvrepl.session import HostSession

log = logging.getLogger(__name__)

T = TypeVar("T")
FAILED_OVER = ("FailedOver", "FailedOverWaitingCompletion")


def status(plan: Plan, sessions: dict[str, HostSession]) -> dict[str, list[dict[str, Any]]]:
    """Replication state, health, mode and last replication time of every VM, per host."""
    return {h.name: as_list(sessions[h.name].call("replication_status")["vms"]) for h in plan.hosts()}


def _known_vm(plan: Plan, vm: str) -> str:
    """The VM's name as the plan spells it."""
    for item in plan.vms:
        if item.name.lower() == vm.lower():
            return item.name
    raise ConfigError(f"VM {vm!r} is not in the plan", field="--vm")


def _on(host: HostSpec, operation: str, action: Callable[[], T]) -> T:
    """Run ``action``; a Windows error becomes a StepError naming host and operation, with its fix."""
    try:
        return action()
    except PowerShellError as exc:
        failure = StepError(exc.message, host=host.name, step=operation, phase="apply",
                            remediation=remediation_for(exc))
        raise failure from exc


def replication_of(plan: Plan, sessions: dict[str, HostSession], vm: str, *,
                   unreachable: dict[str, TransportError] | None = None) -> dict[str, dict[str, Any]]:
    """Get-VMReplication of ``vm`` on each host that has it, by host name.

    With ``unreachable`` given, a host that cannot be reached is recorded there instead of failing (an
    unplanned failover is for when the primary is down).
    """
    found = {}
    for host in plan.hosts():
        try:
            items = as_list(sessions[host.name].call("replication_status")["vms"])
        except TransportError as exc:
            if unreachable is None:
                raise
            log.warning("%s cannot be reached: %s", host.name, exc)
            unreachable[host.name] = exc
            continue
        for item in items:
            if str(item["name"]).lower() == vm.lower():
                found[host.name] = item
    return found


def roles(plan: Plan, seen: dict[str, dict[str, Any]], vm: str) -> tuple[HostSpec, HostSpec]:
    """(primary, replica) of ``vm`` right now, from the hosts that answered: after a planned failover the
    roles are swapped; with one host down, the other's role decides."""
    replicas = [h for h in plan.hosts() if seen.get(h.name, {}).get("mode") == "Replica"]
    primaries = [h for h in plan.hosts() if seen.get(h.name, {}).get("mode") == "Primary"]
    if len(replicas) == 1:
        return plan.peer_of(replicas[0]), replicas[0]
    if len(primaries) == 1:
        return primaries[0], plan.peer_of(primaries[0])
    raise InvalidStateError(action=f"fail over {vm}", current="not replicated",
                            expected="replicating (run `hvrepl run` first)")


def failover(plan: Plan, sessions: dict[str, HostSession], vm: str, kind: str) -> list[str]:
    """Run a failover of ``kind`` (test | stop-test | planned | unplanned); return what was done, step by step.

    Only the unplanned kind tolerates an unreachable primary. While the primary answers and still runs the
    VM, an unplanned failover is refused: it would leave two running copies (split brain).
    """
    vm = _known_vm(plan, vm)
    down: dict[str, TransportError] = {}
    seen = replication_of(plan, sessions, vm, unreachable=down)
    source, target = roles(plan, seen, vm)
    if target.name in down:
        raise down[target.name]
    if source.name in down and kind != "unplanned":
        failure = StepError(f"{source.name} cannot be reached: {down[source.name]}", host=source.name,
                            step="failover", phase="check",
                            remediation="a planned or test failover needs both hosts; with the primary lost, use "
                                        "--unplanned")
        raise failure from down[source.name]
    primary, replica = sessions[source.name], sessions[target.name]
    port = plan.replica_server.port
    done = []
    if kind == "test":
        test_vm = _on(target, "failover", lambda: replica.call("failover_test", vm=vm))["test_vm"]
        done.append(f"{target.name}: test failover started, test VM {test_vm!r} "
                    f"(end it with `hvrepl failover --vm {vm} --stop-test`)")
    elif kind == "stop-test":
        stopped = _on(target, "failover", lambda: replica.call("failover_test_stop", vm=vm))["stopped"]
        done.append(f"{target.name}: test failover ended, test VM '{vm} - Test' deleted" if stopped
                    else f"{target.name}: no test failover of {vm} is running; nothing to do")
    elif kind == "planned":
        _on(source, "failover", lambda: primary.call("failover_prepare", vm=vm))
        done.append(f"{source.name}: VM stopped, pending changes sent (Start-VMFailover -Prepare)")
        _on(target, "failover", lambda: replica.call("failover_start", vm=vm, complete=False))
        done.append(f"{target.name}: failed over")
        _on(target, "failover", lambda: replica.call("replication_reverse", vm=vm, server=source.fqdn, port=port))
        done.append(f"{target.name}: replication reversed towards {source.fqdn}; VM started")
    elif kind == "unplanned":
        if source.name in down:
            done.append(f"{source.name}: unreachable ({type(down[source.name]).__name__}); failing over without it")
        else:
            power = str(_on(source, "failover", lambda: primary.call("vm_power_get", vm=vm))["state"])
            if power != "Off":
                raise StepError(
                    f"{vm} is {power} on {source.name}, which answers: an unplanned failover now would leave two "
                    "running copies (split brain)", host=source.name, step="failover", phase="check",
                    remediation=f"use --planned (no data loss), or turn {vm} off on {source.name} "
                                f"(Stop-VM -Name '{vm}') and run again")
        _on(target, "failover", lambda: replica.call("failover_start", vm=vm, complete=True))
        done.append(f"{target.name}: failed over, VM started, failover committed (Complete-VMFailover); once "
                    f"{source.name} is back, run `hvrepl reverse --vm {vm}` (add --stop-old-primary to turn "
                    f"{vm} off there: its changes since the failover are discarded)")
    else:
        raise ConfigError(f"unknown failover kind {kind!r}")
    return done


def reverse(plan: Plan, sessions: dict[str, HostSession], vm: str, *, stop_old_primary: bool = False) -> list[str]:
    """After a failover: replicate back from the failed-over copy to the old primary.

    Idempotent: when the failed-over host already replicates ``vm`` back, nothing is done. The VM must be
    off on the old primary; with ``stop_old_primary`` it is turned off there (after a connection test),
    otherwise the operation stops with the fix. A reverse that needs a fresh copy (unplanned failover) has
    its initial replication started.
    """
    vm = _known_vm(plan, vm)
    seen = replication_of(plan, sessions, vm)
    failed_over = [h for h in plan.hosts() if seen.get(h.name, {}).get("mode") == "Replica"
                   and seen[h.name].get("state") in FAILED_OVER]
    if not failed_over:
        back = [h for h in plan.hosts() if seen.get(h.name, {}).get("mode") == "Primary"
                and str(seen[h.name].get("replica", "")).lower() == plan.peer_of(h).fqdn]
        if back and back[0] is plan.replica:
            return [f"{plan.replica.name}: {vm} already replicates to {plan.primary.fqdn}; nothing to do"]
        states = ", ".join(f"{n}: {i.get('mode')}/{i.get('state')}" for n, i in seen.items()) or "not replicated"
        raise InvalidStateError(action=f"reverse replication of {vm}", current=states,
                                expected="failed over on one host (run `hvrepl failover --unplanned` or "
                                         "`--planned` first)")
    new_primary = failed_over[0]
    old_primary = plan.peer_of(new_primary)
    on_new, on_old = sessions[new_primary.name], sessions[old_primary.name]
    port = plan.replica_server.port
    done = []
    power = str(_on(old_primary, "reverse", lambda: on_old.call("vm_power_get", vm=vm))["state"])
    if power != "Off":
        if not stop_old_primary:
            raise StepError(
                f"{vm} is {power} on {old_primary.name}; reversing makes that copy the replica and overwrites it "
                f"with the one on {new_primary.name} (changes made on {old_primary.name} since the failover are "
                "lost)", host=old_primary.name, step="reverse", phase="check",
                remediation=f"turn it off (Stop-VM -Name '{vm}' -TurnOff on {old_primary.name}) and run again, "
                            f"or run `hvrepl reverse --vm {vm} --stop-old-primary`")
        thumbprint = str(_on(new_primary, "reverse", lambda: on_new.call("replica_server_get"))["thumbprint"])
        _on(new_primary, "reverse", lambda: on_new.call("replication_test", server=old_primary.fqdn, port=port,
                                                       thumbprint=thumbprint))
        done.append(f"{new_primary.name}: connection to {old_primary.fqdn}:{port} tested")
        _on(old_primary, "reverse", lambda: on_old.call("vm_turn_off", vm=vm))
        log.warning("%s: %s turned off (--stop-old-primary)", old_primary.name, vm)
        done.append(f"{old_primary.name}: {vm} turned off (--stop-old-primary)")
    state = str(_on(new_primary, "reverse", lambda: on_new.call(
        "replication_reverse", vm=vm, server=old_primary.fqdn, port=port))["state"])
    done.append(f"{new_primary.name}: replication of {vm} reversed towards {old_primary.fqdn}")
    if state == "ReadyForInitialReplication":
        _on(new_primary, "reverse", lambda: on_new.call("vm_start_initial", vm=vm))
        done.append(f"{new_primary.name}: initial replication to {old_primary.fqdn} started")
    return done
