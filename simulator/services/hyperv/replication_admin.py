"""Running replication: Get-/Measure-VMReplication, Suspend-/Resume- (incl. resynchronization), Set-VMReplication
(settings and -Reverse), Remove-VMReplication and Reset-VMReplicationStatistics."""

from __future__ import annotations

import datetime as dt
import logging
from typing import TYPE_CHECKING, Any

from simulator.core.errors import NotModelledError, SimError
from simulator.ps.api import Invocation, Param, cmdlet
from simulator.ps.objects import PSObject
from simulator.services.hyperv.disks import drop_undo
from simulator.services.hyperv.events import EVENT_RESYNC_COMPLETED, EVENT_RESYNC_STARTED, vmms_event
from simulator.services.hyperv.health import health
from simulator.services.hyperv.replication import (
    check_frequency,
    fqid,
    invalid_state,
    not_enabled,
    wrap,
)
from simulator.services.hyperv.replication_objects import health_object, replication_object
from simulator.services.hyperv.server import check_thumbprint, server_settings
from simulator.services.hyperv.state import (
    REPLICATION_HEALTH_VALUES,
    REPLICATION_MODE_VALUES,
    REPLICATION_STATE_VALUES,
    hyperv_error,
    iso,
    now,
    wildcard_match,
)
from simulator.services.hyperv.transfer import connect, connect_for, resync_blocks, send_delta, take_dirty
from simulator.services.hyperv.vm_cmdlets import (
    AS_JOB,
    REMOTING,
    VM_PIPELINE,
    by_wildcard,
    refuse_unmodelled,
    resolve_vms,
)

if TYPE_CHECKING:
    from simulator.core.host import Host

log = logging.getLogger(__name__)

FILTER_PARAMS = (
    Param("VMName", type="string[]", position=0, aliases=("Name",)),
    VM_PIPELINE,
    Param("ReplicaServerName", aliases=("ReplicaServer",)),
    Param("PrimaryServerName", aliases=("PrimaryServer",)),
    Param("ReplicationState", aliases=("State",), validate_set=tuple(REPLICATION_STATE_VALUES)),
    Param("ReplicationHealth", aliases=("Health",), validate_set=tuple(REPLICATION_HEALTH_VALUES)),
    Param("ReplicationMode", aliases=("Mode",), validate_set=tuple(REPLICATION_MODE_VALUES)),
    Param("ReplicationRelationshipType", aliases=("Relationship",), validate_set=("Simple", "Extended")),
    Param("TrustGroup"),
    *REMOTING,
)


def replicated_vms(inv: Invocation, command: str) -> list[dict[str, Any]]:
    """Replication-enabled VMs (test VMs excluded) chosen by name/object and the filter parameters."""
    refuse_unmodelled(inv)
    named = inv.has("VMName") or inv.has("VM")
    found = []
    for vm in resolve_vms(inv, command, "VMName"):
        rep = vm.get("replication")
        if rep is None or rep["mode"] == "TestReplica":
            if named and rep is None and inv.has("VMName") and not any("*" in n for n in inv.get("VMName")):
                inv.write_error(not_enabled(vm, command))
            continue
        found.append(vm)
    checks = {
        "ReplicaServerName": lambda vm, v: wildcard_match(v, vm["replication"].get("replica_server") or ""),
        "PrimaryServerName": lambda vm, v: wildcard_match(v, vm["replication"].get("primary_server") or ""),
        "ReplicationState": lambda vm, v: vm["replication"]["state"] == v,
        "ReplicationHealth": lambda vm, v: health(vm["name"], vm["replication"], now(inv.host)) == v,
        "ReplicationMode": lambda vm, v: vm["replication"]["mode"] == v,
        "ReplicationRelationshipType": lambda vm, v: vm["replication"].get("relationship", "Simple") == v,
        "TrustGroup": lambda vm, v: wildcard_match(v, vm["replication"].get("trust_group") or ""),
    }
    for name, check in checks.items():
        if inv.has(name):
            found = [vm for vm in found if check(vm, inv.get(name))]
    return found


@cmdlet("Get-VMReplication", *FILTER_PARAMS,
        summary="Replication settings and state of replication-enabled VMs, with filters.",
        not_modelled="-ComputerName, -CimSession, -Credential", area="Hyper-V Replica")
def get_vm_replication(inv: Invocation) -> list[PSObject]:
    """Return a VMReplication object per matching VM.

    Not modelled: -ComputerName, -CimSession, -Credential.
    """
    return [replication_object(inv.host, vm) for vm in replicated_vms(inv, "GetVMReplication")]


@cmdlet("Measure-VMReplication", *FILTER_PARAMS,
        summary="Replication health statistics of the monitoring interval.",
        not_modelled="-ComputerName, -CimSession, -Credential", area="Hyper-V Replica")
def measure_vm_replication(inv: Invocation) -> list[PSObject]:
    """Return a VMReplicationHealth object per matching VM.

    Not modelled: -ComputerName, -CimSession, -Credential.
    """
    return [health_object(inv.host, vm) for vm in replicated_vms(inv, "MeasureVMReplication")]


def _targets(inv: Invocation, command: str, applies: frozenset[str] | None = None) -> list[dict[str, Any]]:
    """The named VMs, each of which must replicate; chosen by a wildcard, only the replicating ones (in a
    state of ``applies`` when given), as ``Resume-VMReplication *`` resumes just the paused ones."""
    refuse_unmodelled(inv)
    vms = resolve_vms(inv, command, "VMName")
    if by_wildcard(inv):
        vms = [vm for vm in vms if vm.get("replication") is not None and vm["replication"]["mode"] != "TestReplica"
               and (applies is None or vm["replication"]["state"] in applies)]
    for vm in vms:
        if vm.get("replication") is None:
            raise not_enabled(vm, command)
    return vms


SUSPENDABLE = frozenset({"Replicating", "Resynchronizing"})
RESUMABLE = frozenset({"Suspended", "Error", "ResynchronizeSuspended"})
RESYNCHRONIZABLE = frozenset({"WaitingForStartResynchronize", "Suspended", "Error", "ResynchronizeSuspended",
                              "Replicating"})
SIMPLE = (Param("VMName", type="string[]", position=0, aliases=("Name",)), VM_PIPELINE,
          Param("ReplicationRelationshipType", aliases=("Relationship",), validate_set=("Simple", "Extended")),
          Param("Passthru", type="switch"))


@cmdlet("Suspend-VMReplication", *SIMPLE, AS_JOB, *REMOTING,
        summary="Pause replication (changes are kept and sent after resume).",
        not_modelled="-AsJob, -ComputerName, -CimSession, -Credential, -WhatIf, -Confirm",
        mutates=True, area="Hyper-V Replica")
def suspend_vm_replication(inv: Invocation) -> list[PSObject]:
    """Replicating → Suspended (Resynchronizing → ResynchronizeSuspended), on either side.

    Not modelled: extended replication, -AsJob, -ComputerName, -CimSession, -Credential, -WhatIf/-Confirm.
    """
    out = []
    for vm in _targets(inv, "SuspendVMReplication", SUSPENDABLE):
        rep = vm["replication"]
        moves = {"Replicating": "Suspended", "Resynchronizing": "ResynchronizeSuspended"}
        if rep["state"] not in moves:
            raise invalid_state(vm, "SuspendVMReplication")
        rep["state"] = moves[rep["state"]]
        if inv.get("Passthru"):
            out.append(replication_object(inv.host, vm))
    return out


@cmdlet("Resume-VMReplication", *SIMPLE, AS_JOB, *REMOTING,
        Param("Resynchronize", type="switch", aliases=("Resync",)),
        Param("ResynchronizeStartTime", type="datetime", aliases=("ResyncStart",)),
        Param("Continue", type="switch"),
        summary="Resume suspended or failed replication, or resynchronize (-Resynchronize).",
        not_modelled="-Continue, -AsJob, -ComputerName, -CimSession, -Credential, -WhatIf, -Confirm",
        mutates=True, area="Hyper-V Replica")
def resume_vm_replication(inv: Invocation) -> list[PSObject]:
    """Suspended/Error → Replicating; -Resynchronize compares block hashes and sends the differences now.

    Not modelled: -Continue, a scheduled -ResynchronizeStartTime runs at the next scheduler pass, -AsJob,
    -ComputerName, -CimSession, -Credential, -WhatIf/-Confirm.
    """
    command = "ResumeVMReplication"
    if inv.get("Continue"):
        raise NotModelledError("Resume-VMReplication -Continue")
    start = inv.get("ResynchronizeStartTime")
    if start is not None and start - now(inv.host) > dt.timedelta(days=7):
        raise hyperv_error("The resynchronization start time must be within 7 days from now",
                           fqid(command, "InvalidParameter"), "InvalidArgument", hresult=0x80070057)
    out = []
    for vm in _targets(inv, command, RESYNCHRONIZABLE if inv.get("Resynchronize") else RESUMABLE):
        rep = vm["replication"]
        if inv.get("Resynchronize"):
            if rep["mode"] != "Primary" or rep["state"] not in RESYNCHRONIZABLE:
                raise invalid_state(vm, command)
            if start is not None and start > now(inv.host):
                rep.update(state="WaitingForStartResynchronize", resync_start_time=iso(start))
            else:
                resynchronize(inv.host, vm, command)
        elif rep["state"] in {"Suspended", "Error"}:
            rep.update(state="Replicating", last_cycle=iso(retry_now(rep, now(inv.host))))
        elif rep["state"] == "ResynchronizeSuspended":
            resynchronize(inv.host, vm, command)
        else:
            raise invalid_state(vm, command)
        if inv.get("Passthru"):
            out.append(replication_object(inv.host, vm))
    return out


def resynchronize(host: Host, vm: dict[str, Any], command: str) -> None:
    """Compare primary and replica block by block and send what differs (events 29242/29244)."""
    rep = vm["replication"]
    previous = rep["state"]
    rep["state"] = "Resynchronizing"
    vmms_event(host, EVENT_RESYNC_STARTED, "Information",
               f"Resynchronization started for virtual machine '{vm['name']}'. (Virtual machine ID {vm['id']})")
    try:
        with connect_for(host, rep) as channel:
            take_dirty(rep)
            differing = resync_blocks(channel, host, vm)
            sent = send_delta(channel, host, vm, differing, _cycle_payload(rep, now(host), 1, resync=True))
    except SimError as error:
        rep["state"] = previous if previous != "Replicating" else "WaitingForStartResynchronize"
        raise wrap(error, f"Resynchronization of virtual machine '{vm['name']}' failed.", command) from error
    at = now(host)
    rep.update(state="Replicating", last_cycle=iso(at), last_replication_time=iso(at), failing_cycles=0,
               resync_start_time=None, resync_retry_after=None)
    blocks = sum(len(b) for b in differing.values())
    vmms_event(host, EVENT_RESYNC_COMPLETED, "Information",
               f"Resynchronization completed for virtual machine '{vm['name']}': {blocks} blocks ({sent} bytes) sent. "
               f"(Virtual machine ID {vm['id']})", vm=vm["name"], blocks=blocks)


def retry_now(rep: dict[str, Any], at: dt.datetime) -> dt.datetime:
    """A ``last_cycle`` that makes the next cycle due at ``at`` (the scheduler's next pass sends)."""
    return at - dt.timedelta(seconds=int(rep["frequency"]))


def _cycle_payload(rep: dict[str, Any], first: dt.datetime, count: int, **extra: Any) -> dict[str, Any]:
    return {"first": iso(first), "count": count, "frequency": rep["frequency"],
            "recovery_history": rep.get("recovery_history", 0), "vss_frequency": rep.get("vss_frequency"), **extra}


cycle_payload = _cycle_payload


@cmdlet("Remove-VMReplication", *SIMPLE, *REMOTING,
        summary="Delete the replication relationship on this side (the VM stays).",
        not_modelled="-ComputerName, -CimSession, -Credential, -WhatIf, -Confirm",
        mutates=True, area="Hyper-V Replica")
def remove_vm_replication(inv: Invocation) -> list[PSObject]:
    """Drop the relationship on this host only (run it on both primary and replica); recovery points go too.

    Not modelled: -ComputerName, -CimSession, -Credential, -WhatIf/-Confirm.
    """
    out = []
    for vm in _targets(inv, "RemoveVMReplication"):
        rep = vm["replication"]
        for point in rep.get("points", []):
            drop_undo(inv.host, vm["disks"], point)
        if inv.get("Passthru"):
            out.append(replication_object(inv.host, vm))
        vm["replication"] = None
    return out


@cmdlet("Reset-VMReplicationStatistics", SIMPLE[0], SIMPLE[1], *REMOTING,
        summary="Zero the replication statistics and start a new monitoring interval.",
        not_modelled="-ComputerName, -CimSession, -Credential", mutates=True, area="Hyper-V Replica")
def reset_vm_replication_statistics(inv: Invocation) -> None:
    """Start a new statistics interval now.

    Not modelled: -ComputerName, -CimSession, -Credential.
    """
    from simulator.services.hyperv.health import new_statistics  # noqa: PLC0415 - local use only

    for vm in _targets(inv, "ResetVMReplicationStatistics"):
        vm["replication"]["stats"] = new_statistics(now(inv.host))


@cmdlet(
    "Set-VMReplication",
    Param("VMName", type="string[]", position=0, aliases=("Name",)),
    VM_PIPELINE,
    Param("ReplicaServerName", position=1, aliases=("ReplicaServer",)),
    Param("ReplicaServerPort", type="int", position=2, aliases=("ReplicaPort",), validate_range=(1, 65535)),
    Param("AuthenticationType", position=3, aliases=("AuthType",), validate_set=("Kerberos", "Certificate")),
    Param("CertificateThumbprint", aliases=("Thumbprint", "Cert")),
    Param("CompressionEnabled", type="bool"),
    Param("ReplicateHostKvpItems", type="bool"),
    Param("BypassProxyServer", type="bool"),
    Param("EnableWriteOrderPreservationAcrossDisks", type="bool"),
    Param("InitialReplicationStartTime", type="datetime", aliases=("IRTime",)),
    Param("DisableVSSSnapshotReplication", type="switch", aliases=("DisableVSS",)),
    Param("VSSSnapshotFrequencyHour", type="int", aliases=("VSSFreq",), validate_range=(1, 12)),
    Param("RecoveryHistory", type="int", aliases=("RecHist",), validate_range=(0, 24)),
    Param("ReplicationFrequencySec", type="int", aliases=("RepFreq",), validate_range=(30, 900)),
    Param("ReplicatedDisks", type="object[]"),
    Param("ReplicatedDiskPaths", type="string[]"),
    Param("Reverse", type="switch"),
    Param("AutoResynchronizeEnabled", type="bool", aliases=("AutoResync",)),
    Param("AutoResynchronizeIntervalStart", type="timespan", aliases=("AutoResyncStart",)),
    Param("AutoResynchronizeIntervalEnd", type="timespan", aliases=("AutoResyncEnd",)),
    Param("AsReplica", type="switch"),
    Param("UseBackup", type="switch"),
    Param("AllowedPrimaryServer", aliases=("AllowedPS",)),
    Param("Passthru", type="switch"),
    AS_JOB, *REMOTING,
    summary="Change replication settings, or reverse the direction after a failover (-Reverse).",
    not_modelled="-ReplicatedDisks, -ReplicatedDiskPaths, -AsReplica, -UseBackup, -ComputerName, -CimSession",
    mutates=True, area="Hyper-V Replica",
)
def set_vm_replication(inv: Invocation) -> list[PSObject]:
    """Validate and apply setting changes; -Reverse makes a failed-over replica the new primary.

    Not modelled: -ReplicatedDisks/-ReplicatedDiskPaths, -AsReplica, -UseBackup, -ComputerName, -CimSession,
    -Credential, -WhatIf/-Confirm.
    """
    command = "SetVMReplication"
    for name in ("ReplicatedDisks", "ReplicatedDiskPaths", "AsReplica", "UseBackup"):
        if inv.get(name):
            raise NotModelledError(f"Set-VMReplication -{name}")
    if inv.has("ReplicationFrequencySec"):
        check_frequency(int(inv.get("ReplicationFrequencySec")), command)
    thumbprint = None
    if inv.get("CertificateThumbprint"):
        thumbprint = check_thumbprint(inv.host, str(inv.get("CertificateThumbprint")),
                                      fqid(command, "InvalidParameter"))
    out = []
    for vm in _targets(inv, command):
        if inv.get("Reverse"):
            reverse(inv, vm, thumbprint, command)
        else:
            _update_settings(inv, vm, thumbprint)
        if inv.get("Passthru"):
            out.append(replication_object(inv.host, vm))
    return out


def _update_settings(inv: Invocation, vm: dict[str, Any], thumbprint: str | None) -> None:
    rep = vm["replication"]
    simple = {"ReplicaServerName": "replica_server", "ReplicaServerPort": "replica_port",
              "AuthenticationType": "auth_type", "CompressionEnabled": "compression",
              "ReplicateHostKvpItems": "replicate_kvp", "BypassProxyServer": "bypass_proxy",
              "VSSSnapshotFrequencyHour": "vss_frequency", "RecoveryHistory": "recovery_history",
              "ReplicationFrequencySec": "frequency", "AutoResynchronizeEnabled": "auto_resync",
              "AllowedPrimaryServer": "allowed_primary_server"}
    for param, key in simple.items():
        if inv.has(param):
            rep[key] = inv.get(param)
    if thumbprint is not None:
        rep["thumbprint"] = thumbprint
    connection = ("replica_server", "replica_port", "auth_type", "thumbprint")
    if rep["mode"] == "Primary" and rep["state"] == "Replicating" and rep.get("failing_cycles") and (
            thumbprint is not None or any(inv.has(p) for p in ("ReplicaServerName", "ReplicaServerPort",
                                                                "AuthenticationType"))):
        # ASSUMPTION: a corrected connection setting makes Hyper-V retry at once instead of at the next cycle.
        log.info("connection settings %s of %s changed: retrying now", connection, vm["name"])
        rep["last_cycle"] = iso(retry_now(rep, now(inv.host)))
    if inv.get("DisableVSSSnapshotReplication"):
        rep["vss_frequency"] = None
    for param, key in (("AutoResynchronizeIntervalStart", "auto_resync_start_s"),
                       ("AutoResynchronizeIntervalEnd", "auto_resync_end_s")):
        if inv.has(param):
            rep[key] = int(inv.get(param).total_seconds())
    if inv.has("InitialReplicationStartTime"):
        if rep["state"] != "ReadyForInitialReplication":
            raise invalid_state(vm, "SetVMReplication")
        rep["ir_start_time"] = iso(inv.get("InitialReplicationStartTime"))


def reverse(inv: Invocation, vm: dict[str, Any], thumbprint: str | None, command: str) -> None:
    """Make this failed-over replica the primary of its former primary (fact sheet §1.8, §2.4).

    # ASSUMPTION: (§10.6) after a planned failover (the primary sent its last changes with -Prepare) both
    # sides continue in Replicating; after an unplanned one the new primary needs initial replication.
    # The certificate defaults to this host's replica-server certificate.
    """
    host = inv.host
    rep = vm["replication"]
    if rep["mode"] != "Replica" or rep["state"] not in {"FailedOverWaitingCompletion", "FailedOver"}:
        raise invalid_state(vm, command)
    server = str(inv.get("ReplicaServerName") or rep.get("primary_server") or "")
    port = int(inv.get("ReplicaServerPort") or rep.get("replica_port") or 443)
    auth = str(inv.get("AuthenticationType") or rep.get("auth_type") or "Certificate")
    own = thumbprint or server_settings(host).get("thumbprint") or ""
    if auth == "Certificate" and not own:
        raise hyperv_error("A certificate thumbprint is required to reverse replication. Specify "
                           "-CertificateThumbprint", fqid(command, "InvalidParameter"), "InvalidArgument",
                           hresult=0x80070057)
    planned = bool(rep.get("prepared_by_primary")) and not rep.get("failover_point")
    payload = {"vm_id": vm["id"], "name": vm["name"], "frequency": rep["frequency"],
               "recovery_history": rep.get("recovery_history", 0), "vss_frequency": rep.get("vss_frequency"),
               "replica_server": server, "port": port, "auth_type": auth, "planned": planned}
    try:
        with connect(host, server, port, auth, own) as channel:
            reply, _ = channel.call("reverse_replication", payload)
    except SimError as error:
        raise wrap(error, f"Hyper-V failed to reverse replication for virtual machine '{vm['name']}'.",
                   command) from error
    for point in [*rep.get("points", []), *([rep["failover_undo"]] if rep.get("failover_undo") else [])]:
        drop_undo(host, vm["disks"], point)
    needs_ir = bool(reply.get("needs_initial_replication"))
    at = now(host)
    from simulator.services.hyperv.health import new_statistics  # noqa: PLC0415 - local use only

    vm["replication"] = {
        "mode": "Primary", "state": "ReadyForInitialReplication" if needs_ir else "Replicating",
        "replica_server": server, "replica_port": port, "auth_type": auth, "thumbprint": own,
        "primary_server": reply.get("primary_server", ""), "trust_group": rep.get("trust_group"),
        "frequency": rep["frequency"], "recovery_history": rep.get("recovery_history", 0),
        "vss_frequency": rep.get("vss_frequency"), "compression": True, "bypass_proxy": False,
        "replicate_kvp": True, "auto_resync": False, "replicated": None, "relationship": "Simple", "dirty": {},
        "log_bytes": 0, "stats": new_statistics(at), "last_replication_time": None if needs_ir else iso(at),
        "last_cycle": None if needs_ir else iso(at), "ir_start_time": None, "failing_cycles": 0, "test_vm_id": None,
    }
