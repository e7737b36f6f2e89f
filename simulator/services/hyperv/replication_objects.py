"""VMReplication and VMReplicationHealth objects (Get-VMReplication, Measure-VMReplication) from replication records."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from simulator.ps.objects import PSObject
from simulator.services.hyperv.health import health_details
from simulator.services.hyperv.state import (
    NS,
    RELATIONSHIP,
    REPLICATION_AUTH,
    REPLICATION_HEALTH,
    REPLICATION_MODE,
    REPLICATION_STATE,
    REPLICATION_TYPE,
    TABLE_VIEWS,
    find_vm_by_id,
    now,
    parse_time,
)

if TYPE_CHECKING:
    from simulator.core.host import Host

REPLICATION_TYPE_NAME = f"{NS}.VMReplication"
HEALTH_TYPE_NAME = f"{NS}.VMReplicationHealth"


def _common(host: Host, vm: dict[str, Any], rep: dict[str, Any]) -> dict[str, Any]:
    health_name, _ = health_details(vm["name"], rep, now(host))
    return {
        "VMName": vm["name"], "VMId": vm["id"],
        "ReplicationState": REPLICATION_STATE(rep["state"]),
        "ReplicationHealth": REPLICATION_HEALTH(health_name),
        "ReplicationMode": REPLICATION_MODE(rep["mode"]),
        "ReplicationRelationshipType": RELATIONSHIP(rep.get("relationship", "Simple")),
        "PrimaryServerName": rep.get("primary_server") or "",
        "ReplicaServerName": rep.get("replica_server") or "",
    }


def replication_object(host: Host, vm: dict[str, Any]) -> PSObject:
    """The ``VMReplication`` object of a replication-enabled VM."""
    rep = vm["replication"]
    test_vm = find_vm_by_id(host, rep["test_vm_id"]) if rep.get("test_vm_id") else None
    props = _common(host, vm, rep)
    props.update({
        "CurrentReplicaServerName": rep.get("replica_server") or "",
        "ReplicaServerPort": rep.get("replica_port"),
        "AuthenticationType": REPLICATION_AUTH(rep.get("auth_type", "Certificate")),
        "CertificateThumbprint": rep.get("thumbprint") or None,
        "ReplicationFrequencySec": rep.get("frequency"),
        "RecoveryHistory": rep.get("recovery_history", 0),
        "VSSSnapshotFrequencyHour": rep.get("vss_frequency") or 0,
        "VSSSnapshotReplicationEnabled": bool(rep.get("vss_frequency")),
        "CompressionEnabled": rep.get("compression", True),
        "BypassProxyServer": rep.get("bypass_proxy", False),
        "ReplicateHostKvpItems": rep.get("replicate_kvp", True),
        "EnableWriteOrderPreservationAcrossDisks": True,
        "AutoResynchronizeEnabled": rep.get("auto_resync", False),
        "AutoResynchronizeIntervalStart": dt.timedelta(seconds=rep.get("auto_resync_start_s", 66600)),
        "AutoResynchronizeIntervalEnd": dt.timedelta(seconds=rep.get("auto_resync_end_s", 21600)),
        "InitialReplicationStartTime": parse_time(rep.get("ir_start_time")),
        "ResynchronizeStartTime": parse_time(rep.get("resync_start_time")),
        "LastReplicationTime": parse_time(rep.get("last_replication_time")),
        "LastAppliedLogTime": parse_time(rep.get("last_replication_time")) if rep["mode"] == "Replica" else None,
        "ExcludedDisks": [d["path"] for i, d in enumerate(vm["disks"]) if i not in replicated_indices(vm)],
        "ReplicatedDisks": [vm["disks"][i]["path"] for i in replicated_indices(vm)],
        "AllowedPrimaryServer": rep.get("allowed_primary_server") or None,
        "TrustGroup": rep.get("trust_group") or None,
        "TestVirtualMachine": test_vm["name"] if test_vm else None,
        "VMSnapshotId": None, "VMSnapshotName": None,
        "ComputerName": host.info["name"], "IsDeleted": False,
    })
    return PSObject(REPLICATION_TYPE_NAME, props, to_string=REPLICATION_TYPE_NAME,
                    hidden={"vm_id": vm["id"], "table_view": TABLE_VIEWS["VMReplication"]},
                    default_display=["VMName", "ReplicationState", "ReplicationHealth", "ReplicationMode",
                                     "ReplicationFrequencySec", "PrimaryServerName", "ReplicaServerName",
                                     "ReplicaServerPort", "AuthenticationType", "ReplicationRelationshipType"])


def replicated_indices(vm: dict[str, Any]) -> list[int]:
    """Indices of the VM's disks that replication carries (all but the excluded ones)."""
    rep = vm.get("replication") or {}
    indices: list[int] | None = rep.get("replicated")
    return list(range(len(vm["disks"]))) if indices is None else indices


def pending_bytes(rep: dict[str, Any]) -> int:
    """Size of the changes not yet sent (dirty blocks)."""
    from simulator.services.hyperv.disks import BLOCK_SIZE  # noqa: PLC0415 - avoids a module cycle

    return sum(len(blocks) for blocks in (rep.get("dirty") or {}).values()) * BLOCK_SIZE


def health_object(host: Host, vm: dict[str, Any]) -> PSObject:
    """The ``VMReplicationHealth`` object (Measure-VMReplication): statistics of the monitoring interval."""
    rep = vm["replication"]
    stats = rep.get("stats") or {}
    _, details = health_details(vm["name"], rep, now(host))
    successful = int(stats.get("successful", 0))
    average = stats.get("bytes", 0) / successful if successful else 0
    latency = stats.get("latency_total_s", 0.0) / successful if successful else 0.0
    props = _common(host, vm, rep)
    props.update({
        "LastReplicationTime": parse_time(rep.get("last_replication_time")),
        "PendingReplicationSize": pending_bytes(rep),
        "AverageReplicationLatency": dt.timedelta(seconds=round(latency)),
        "MaximumReplicationLatency": dt.timedelta(seconds=round(stats.get("latency_max_s", 0.0))),
        "AverageReplicationSize": int(average),
        "MaximumReplicationSize": int(stats.get("max_bytes", 0)),
        "InitialReplicationSize": int(rep.get("initial_replication_size", 0)),
        "ReplicationErrors": int(stats.get("errors", 0)),
        "SuccessfulReplicationCount": successful,
        "MissedReplicationCount": int(stats.get("missed", 0)),
        "ReplicationHealthDetails": details,
        "MonitoringStartTime": parse_time(stats.get("since")),
        "MonitoringEndTime": now(host),
        "LastReplicationType": REPLICATION_TYPE(rep.get("last_replication_type", "None")),
        "FailedOverReplicationType": REPLICATION_TYPE(rep.get("failed_over_type", "None")),
        "LastTestFailoverInitiatedTime": parse_time(rep.get("last_test_failover")),
        "LastVSSSnapshotTime": None, "CurrentTask": None,
        "ComputerName": host.info["name"], "IsDeleted": False,
    })
    return PSObject(HEALTH_TYPE_NAME, props, to_string=HEALTH_TYPE_NAME,
                    hidden={"vm_id": vm["id"], "table_view": TABLE_VIEWS["VMReplicationHealth"]},
                    default_display=["VMName", "ReplicationState", "ReplicationHealth", "LastReplicationTime",
                                     "PendingReplicationSize", "AverageReplicationLatency", "AverageReplicationSize",
                                     "ReplicationRelationshipType"])
