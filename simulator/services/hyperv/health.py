"""Replication health as Hyper-V derives it (fact sheet §2.2): an aggregate over the monitoring interval.

Critical: the primary cannot send, replication paused on the replica, resynchronization required,
or an error. Warning: more than 20 % of cycles missed, more than an hour since the last send (or
receive), initial replication not complete, failover started without reverse replication, or
replication paused on the primary. Normal otherwise.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from simulator.services.hyperv.state import parse_time

HOUR = dt.timedelta(hours=1)
CRITICAL_STATES = frozenset({"Error", "WaitingForStartResynchronize", "ResynchronizeSuspended"})
WARNING_STATES = frozenset({"ReadyForInitialReplication", "InitialReplicationInProgress",
                            "WaitingForInitialReplication", "PreparedForFailover",
                            "FailedOverWaitingCompletion", "FailedOver", "Resynchronizing"})


def new_statistics(start: dt.datetime) -> dict[str, Any]:
    """Empty statistics for a monitoring interval starting at ``start``."""
    return {"since": start.isoformat(), "successful": 0, "missed": 0, "bytes": 0, "max_bytes": 0,
            "latency_total_s": 0.0, "latency_max_s": 0.0, "errors": 0}


def missed_fraction(rep: dict[str, Any]) -> float:
    """Share of the interval's cycles that were missed."""
    stats = rep.get("stats") or {}
    total = int(stats.get("successful", 0)) + int(stats.get("missed", 0))
    return 0.0 if total == 0 else int(stats.get("missed", 0)) / total


def health_details(vm_name: str, rep: dict[str, Any] | None, now: dt.datetime) -> tuple[str, list[str]]:
    """``(health name, ReplicationHealthDetails)`` of a replication record at time ``now``."""
    if rep is None or rep.get("mode") == "TestReplica":
        return "NotApplicable", []
    state = rep["state"]
    critical: list[str] = []
    warning: list[str] = []
    if state in CRITICAL_STATES:
        if state == "WaitingForStartResynchronize":
            critical.append(f"Resynchronization is required for virtual machine '{vm_name}'.")
        else:
            critical.append(f"Replication for virtual machine '{vm_name}' is in error. "
                            "Fix the problem and resume replication.")
    if state == "Suspended":
        if rep["mode"] == "Replica":
            critical.append(f"Replication is paused on the Replica virtual machine '{vm_name}'.")
        else:
            warning.append(f"Replication is paused for virtual machine '{vm_name}'.")
    if rep["mode"] == "Primary" and state == "Replicating" and int(rep.get("failing_cycles", 0)) > 0:
        critical.append(f"Hyper-V cannot replicate changes for virtual machine '{vm_name}' to the Replica server "
                        f"'{rep.get('replica_server', '')}'.")
    if state in WARNING_STATES:
        warning.append(_warning_text(vm_name, state))
    if state == "Replicating":
        if missed_fraction(rep) > 0.2:
            warning.append(f"More than 20 percent of replication cycles have been missed for virtual machine "
                           f"'{vm_name}'.")
        last = parse_time(rep.get("last_replication_time"))
        if last is not None and now - last > HOUR:
            side = "Replica" if rep["mode"] == "Replica" else "primary"
            warning.append(f"The {side} virtual machine '{vm_name}' has not replicated for more than an hour.")
    if critical:
        return "Critical", critical + warning
    if warning:
        return "Warning", warning
    return "Normal", []


def _warning_text(vm_name: str, state: str) -> str:
    if state in {"ReadyForInitialReplication", "InitialReplicationInProgress", "WaitingForInitialReplication"}:
        return f"Initial replication has not completed for virtual machine '{vm_name}'."
    if state == "Resynchronizing":
        return f"Resynchronization is in progress for virtual machine '{vm_name}'."
    return f"Failover was started for virtual machine '{vm_name}' but reverse replication has not been started."


def health(vm_name: str, rep: dict[str, Any] | None, now: dt.datetime) -> str:
    """The ReplicationHealth name (NotApplicable, Normal, Warning, Critical)."""
    return health_details(vm_name, rep, now)[0]
