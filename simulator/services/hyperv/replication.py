"""Enabling replication on a primary: Enable-VMReplication, Start-VMInitialReplication (network, scheduled or
to media), Import-VMInitialReplication on the replica, and Test-VMReplicationConnection.

State flow (fact sheet §2.4): Enable → primary ReadyForInitialReplication/Primary/Warning and a replica
VM WaitingForInitialReplication/Replica; initial replication → both Replicating.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import TYPE_CHECKING, Any

from simulator.core.errors import NotModelledError, ParameterBindingError, SimError
from simulator.ps.api import Invocation, Param, cmdlet
from simulator.ps.objects import PSObject
from simulator.services.hyperv.disks import create_sparse, sparse_copy
from simulator.services.hyperv.events import (
    EVENT_COULD_NOT_REPLICATE,
    EVENT_ENABLE_FAILED,
    EVENT_IR_COMPLETED,
    EVENT_IR_STARTED,
    EVENT_REPLICATION_ENABLED,
    vmms_event,
)
from simulator.services.hyperv.health import new_statistics
from simulator.services.hyperv.objects import vm_object
from simulator.services.hyperv.server import check_thumbprint
from simulator.services.hyperv.state import hyperv_error, iso, now, parse_time, section
from simulator.services.hyperv.transfer import connect, connect_for, send_initial, take_dirty
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

VALID_FREQUENCIES = (30, 300, 900)
E_INVALIDARG = 0x80070057
E_FAIL = 0x80004005
# ASSUMPTION: wrong-state refusals carry ERROR_INVALID_STATE; the text is the documented Resume-VMReplication one.
E_INVALID_STATE = 0x8007139F
SUCCESS_TEXT = "The connection to the specified Replica server with the specified parameters was successful."


def fqid(command: str, kind: str = "InvalidOperation") -> str:
    """A Hyper-V cmdlet FullyQualifiedErrorId."""
    return f"{kind},Microsoft.HyperV.PowerShell.Commands.{command}"


def invalid_state(vm: dict[str, Any], command: str) -> SimError:
    """Hyper-V's documented refusal for a VM in the wrong replication state."""
    return hyperv_error(f"Could not change the replication state of '{vm['name']}'. Virtual machine is not in a valid "
                        "replication state to perform the operation", fqid(command), hresult=E_INVALID_STATE,
                        target=vm["name"])


def not_enabled(vm: dict[str, Any], command: str) -> SimError:
    """Replication is not enabled for the VM.

    # ASSUMPTION: the wording and ERROR_NOT_FOUND code of this refusal are not confirmed.
    """
    return hyperv_error(f"Replication is not enabled for virtual machine '{vm['name']}'", fqid(command),
                        "ObjectNotFound", hresult=0x80070490, target=vm["name"])


def wrap(error: SimError, lead: str, command: str) -> SimError:
    """A transport/replica error reworded as the cmdlet reports it (the HRESULT text stays in the message)."""
    kind = error.fully_qualified_error_id.split(",", 1)[0]
    return SimError(f"{lead} {error.message}", fqid(command, kind), error.category, hresult=error.hresult,
                    target=error.target, exception_type=error.exception_type)


def missing_mandatory(command: str, names: list[str]) -> ParameterBindingError:
    """The binder's error for mandatory parameters of the chosen parameter set."""
    return ParameterBindingError(
        f"Cannot process command because of one or more missing mandatory parameters: {' '.join(names)}.",
        f"MissingMandatoryParameter,Microsoft.HyperV.PowerShell.Commands.{command}")


def check_frequency(value: int, command: str) -> int:
    """Inside the binder's 30–900 range only 30, 300 and 900 are valid."""
    if value not in VALID_FREQUENCIES:
        # ASSUMPTION: (§10.3) the text is undocumented; the rule is the WMI ReplicationInterval's.
        raise hyperv_error(f"The replication frequency {value} seconds is not valid. Valid values are 30, 300 and 900 "
                           "seconds", fqid(command, "InvalidParameter"), "InvalidArgument", hresult=E_INVALIDARG)
    return value


@cmdlet(
    "Enable-VMReplication",
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
    Param("VSSSnapshotFrequencyHour", type="int", aliases=("VSSFreq",), validate_range=(1, 12)),
    Param("RecoveryHistory", type="int", aliases=("RecHist",), validate_range=(0, 24)),
    Param("ReplicationFrequencySec", type="int", aliases=("RepFreq",), validate_range=(30, 900)),
    Param("ExcludedVhd", type="object[]"),
    Param("ExcludedVhdPath", type="string[]"),
    Param("AutoResynchronizeEnabled", type="bool", aliases=("AutoResync",)),
    Param("AutoResynchronizeIntervalStart", type="timespan", aliases=("AutoResyncStart",)),
    Param("AutoResynchronizeIntervalEnd", type="timespan", aliases=("AutoResyncEnd",)),
    Param("AsReplica", type="switch"),
    Param("AllowedPrimaryServer", aliases=("AllowedPS",)),
    Param("Passthru", type="switch"),
    AS_JOB, *REMOTING,
    summary="Enable replication of VMs to a replica server (creates the replica VM through the channel).",
    not_modelled="-AsReplica/-AllowedPrimaryServer (backup-seeded replicas), -ComputerName, -CimSession, "
                 "-Credential, -WhatIf, -Confirm",
    mutates=True, area="Hyper-V Replica",
)
def enable_vm_replication(inv: Invocation) -> list[PSObject]:
    """Validate, create the replica VM on the replica server, and record the relationship.

    Not modelled: -AsReplica and -AllowedPrimaryServer (replica seeded from a backup), -ComputerName,
    -CimSession, -Credential, -WhatIf/-Confirm; Kerberos authentication always fails (workgroup).
    """
    command = "EnableVMReplication"
    refuse_unmodelled(inv)
    if inv.get("AsReplica") or inv.has("AllowedPrimaryServer"):
        raise NotModelledError("Enable-VMReplication -AsReplica (replica seeded from a backup)")
    missing = [n for n in ("ReplicaServerName", "ReplicaServerPort", "AuthenticationType") if not inv.has(n)]
    if missing:
        raise missing_mandatory(command, missing)
    server, port = str(inv.get("ReplicaServerName")), int(inv.get("ReplicaServerPort"))
    auth = str(inv.get("AuthenticationType"))
    targets = resolve_vms(inv, command, "VMName")
    try:
        frequency = check_frequency(int(inv.get("ReplicationFrequencySec", 300)), command)
        thumbprint = _own_certificate(inv, auth, command)
    except SimError as error:
        # Hyper-V itself refused (not the binder): the refusal is logged for every VM it was asked to enable.
        for vm in targets:
            log_enable_failure(inv.host, vm, error)
        raise
    excluded = {p.lower() for p in inv.get("ExcludedVhdPath") or []}
    for drive in inv.get("ExcludedVhd") or []:
        excluded.add(str(drive.get("Path") if isinstance(drive, PSObject) else drive).lower())
    out = []
    for vm in targets:
        try:
            _enable_one(inv, vm, server, port, auth, thumbprint, frequency, excluded, command)
        except SimError as error:
            if error.terminating:
                raise
            inv.write_error(error)
            continue
        if inv.get("Passthru"):
            out.append(vm_object(inv.host, vm))
    return out


def _own_certificate(inv: Invocation, auth: str, command: str) -> str:
    """The primary's certificate thumbprint, checked (certificate authentication only)."""
    if auth != "Certificate":
        return ""
    if not inv.get("CertificateThumbprint"):
        # ASSUMPTION: text for certificate authentication without a thumbprint.
        raise hyperv_error("A certificate thumbprint is required for certificate-based authentication. Specify "
                           "-CertificateThumbprint", fqid(command, "InvalidParameter"), "InvalidArgument",
                           hresult=E_INVALIDARG)
    return check_thumbprint(inv.host, str(inv.get("CertificateThumbprint")), fqid(command, "InvalidParameter"))


def log_enable_failure(host: Host, vm: dict[str, Any], error: SimError) -> None:
    """Event 32000: "Hyper-V failed to enable replication for virtual machine '<VM>': <error> (<HRESULT>)"."""
    text = error.message
    prefix = f"Hyper-V failed to enable replication for virtual machine '{vm['name']}'"
    if not text.startswith(prefix):
        text = f"{prefix}: {text}"
    if error.hresult_hex and error.hresult_hex not in text:
        text = f"{text.rstrip('.')} ({error.hresult_hex})."
    vmms_event(host, EVENT_ENABLE_FAILED, "Error", f"{text} (Virtual machine ID {vm['id']})", vm=vm["name"],
               hresult=error.hresult_hex)


def _enable_one(inv: Invocation, vm: dict[str, Any], server: str, port: int, auth: str, thumbprint: str,
                frequency: int, excluded: set[str], command: str) -> None:
    host = inv.host
    if vm.get("replication") is not None:
        # ASSUMPTION: text for enabling a VM that already replicates.
        raise hyperv_error(f"Replication is already enabled for virtual machine '{vm['name']}'", fqid(command),
                           hresult=E_FAIL, target=vm["name"])
    if vm["checkpoints"]:
        # ASSUMPTION: (§10.12, §5.3) a VM with standard checkpoints cannot be enabled; the error names them.
        names = ", ".join(f"'{c['name']}'" for c in vm["checkpoints"])
        refusal = hyperv_error(f"Hyper-V failed to enable replication for virtual machine '{vm['name']}': the "
                               f"virtual machine has checkpoints ({names}). Remove the checkpoints and try again",
                               fqid(command), hresult=E_FAIL, target=vm["name"])
        log_enable_failure(host, vm, refusal)
        raise refusal
    replicated = [i for i, d in enumerate(vm["disks"]) if d["path"].lower() not in excluded]
    # ASSUMPTION: -VSSSnapshotFrequencyHour with -RecoveryHistory 0 is accepted and kept (the doc says to give it
    # only with extra recovery points; Windows' reaction is not documented); without extra points it has no effect.
    # -EnableWriteOrderPreservationAcrossDisks is accepted and always shown True (WMI: deprecated, always TRUE).
    payload = {"vm_id": vm["id"], "name": vm["name"], "generation": vm["generation"], "memory_mb": vm["memory_mb"],
               "disks": [{"name": vm["disks"][i]["name"], "size_bytes": vm["disks"][i]["size_bytes"]}
                         for i in replicated],
               "frequency": frequency, "recovery_history": int(inv.get("RecoveryHistory", 0)),
               "vss_frequency": inv.get("VSSSnapshotFrequencyHour"), "replica_server": server, "port": port,
               "auth_type": auth}
    try:
        with connect(host, server, port, auth, thumbprint) as channel:
            reply, _ = channel.call("create_replica_vm", payload)
    except SimError as error:
        wrapped = wrap(error, f"Hyper-V failed to enable replication for virtual machine '{vm['name']}'.", command)
        log_enable_failure(host, vm, wrapped)
        raise wrapped from error
    at = now(host)
    vm["replication"] = {
        "mode": "Primary", "state": "ReadyForInitialReplication", "replica_server": server, "replica_port": port,
        "auth_type": auth, "thumbprint": thumbprint, "primary_server": reply.get("primary_server", ""),
        "trust_group": reply.get("trust_group"), "frequency": frequency,
        "recovery_history": int(inv.get("RecoveryHistory", 0)), "vss_frequency": inv.get("VSSSnapshotFrequencyHour"),
        "compression": inv.get("CompressionEnabled", True), "bypass_proxy": inv.get("BypassProxyServer", False),
        "replicate_kvp": inv.get("ReplicateHostKvpItems", True),
        "auto_resync": inv.get("AutoResynchronizeEnabled", False),
        "auto_resync_start_s": int(inv.get("AutoResynchronizeIntervalStart", dt.timedelta(hours=18.5)).total_seconds()),
        "auto_resync_end_s": int(inv.get("AutoResynchronizeIntervalEnd", dt.timedelta(hours=6)).total_seconds()),
        "replicated": replicated, "relationship": "Simple", "dirty": {}, "log_bytes": 0,
        "stats": new_statistics(at), "last_replication_time": None, "last_cycle": None, "ir_start_time": None,
        "failing_cycles": 0, "test_vm_id": None,
    }
    vmms_event(host, EVENT_REPLICATION_ENABLED, "Information",
               f"Replication is enabled for virtual machine '{vm['name']}' to Replica server '{server}'. "
               f"(Virtual machine ID {vm['id']})", vm=vm["name"])


def primary_record(vm: dict[str, Any], command: str, states: set[str] | None = None) -> dict[str, Any]:
    """The replication record of a primary VM, checked against the allowed states."""
    rep = vm.get("replication")
    if rep is None:
        raise not_enabled(vm, command)
    if rep["mode"] != "Primary" or (states is not None and rep["state"] not in states):
        raise invalid_state(vm, command)
    return rep


def background_initial_replication(host: Host) -> bool:
    """Whether network initial replications of this host run after the cmdlet returns (set by the control plane).

    # ASSUMPTION: on Windows the copy runs after Start-VMInitialReplication returns and the VM shows
    # InitialReplicationInProgress meanwhile (fact sheet §2.4). By default the simulator finishes the copy
    # inside the cmdlet (callers see Replicating at once); a topology (``initial_replication: background``)
    # or the control plane switches to the background form.
    """
    return bool(section(host).get("background_initial_replication"))


def begin_initial_replication(host: Host, vm: dict[str, Any]) -> None:
    """Mark the copy as running: InitialReplicationInProgress, change tracking restarted, event 29170."""
    rep = vm["replication"]
    rep.update(state="InitialReplicationInProgress", ir_mode="network")
    take_dirty(rep)
    vmms_event(host, EVENT_IR_STARTED, "Information",
               f"Initial replication started for virtual machine '{vm['name']}'. (Virtual machine ID {vm['id']})")


def send_initial_copy(host: Host, vm: dict[str, Any], at: dt.datetime) -> int:
    """Copy the replicated disks to the replica over the network (no host state is changed)."""
    with connect_for(host, vm["replication"]) as channel:
        return send_initial(channel, host, vm, at)


def finish_initial_replication(host: Host, vm: dict[str, Any], at: dt.datetime, applied: int,
                               error: SimError | None, command: str) -> SimError | None:
    """Record the copy's outcome: Replicating (event 29171), or ready for another attempt (event 32022).

    Returns the error as the cmdlet reports it (None on success).
    """
    rep = vm["replication"]
    if error is not None:
        rep.update(state="ReadyForInitialReplication", ir_mode=None)
        wrapped = wrap(error, f"Hyper-V could not replicate changes for virtual machine '{vm['name']}'.", command)
        vmms_event(host, EVENT_COULD_NOT_REPLICATE, "Error", f"{wrapped.message} (Virtual machine ID {vm['id']})",
                   vm=vm["name"], hresult=error.hresult_hex)
        return wrapped
    rep.update(state="Replicating", ir_mode=None, last_replication_time=iso(at), last_cycle=iso(at),
               ir_start_time=None, initial_replication_size=applied, failing_cycles=0, stats=new_statistics(at),
               last_replication_type="Regular")
    vmms_event(host, EVENT_IR_COMPLETED, "Information",
               f"Initial replication completed for virtual machine '{vm['name']}' ({applied} bytes). "
               f"(Virtual machine ID {vm['id']})", vm=vm["name"])
    return None


def run_initial_replication(host: Host, vm: dict[str, Any], command: str) -> None:
    """Copy the disks to the replica over the network now; on failure stay ready for another attempt."""
    at = now(host)
    begin_initial_replication(host, vm)
    try:
        applied, failure = send_initial_copy(host, vm, at), None
    except SimError as error:
        applied, failure = 0, error
    wrapped = finish_initial_replication(host, vm, at, applied, failure, command)
    if wrapped is not None:
        raise wrapped from failure


@cmdlet(
    "Start-VMInitialReplication",
    Param("VMName", type="string[]", position=0, aliases=("Name",)),
    VM_PIPELINE,
    Param("DestinationPath", aliases=("IRLoc",)),
    Param("InitialReplicationStartTime", type="datetime", aliases=("IRTime",)),
    Param("UseBackup", type="switch"),
    Param("Passthru", type="switch"),
    AS_JOB, *REMOTING,
    summary="Send the initial copy now over the network, at a scheduled time (≤ 7 days), or to a folder.",
    not_modelled="-UseBackup, -VMReplication input, -AsJob, -ComputerName, -CimSession, -Credential",
    mutates=True, area="Hyper-V Replica",
)
def start_vm_initial_replication(inv: Invocation) -> list[PSObject]:
    """Start (or schedule, or export) the initial replication of primary VMs ready for it.

    Not modelled: -UseBackup, -VMReplication input objects, -AsJob, -ComputerName, -CimSession, -Credential.
    The network copy runs to completion inside the cmdlet, unless the lab switched this host to background
    initial replication (then the VM shows InitialReplicationInProgress until the scheduler has sent it).
    """
    command = "StartVMInitialReplication"
    refuse_unmodelled(inv)
    if inv.get("UseBackup"):
        raise NotModelledError("Start-VMInitialReplication -UseBackup")
    start = inv.get("InitialReplicationStartTime")
    current = now(inv.host)
    if start is not None and start - current > dt.timedelta(days=7):
        # ASSUMPTION: text for a start time beyond the documented 7-day limit.
        raise hyperv_error("The initial replication start time must be within 7 days from now",
                           fqid(command, "InvalidParameter"), "InvalidArgument", hresult=E_INVALIDARG)
    out = []
    targets = resolve_vms(inv, command, "VMName")
    if by_wildcard(inv):  # "Start-VMInitialReplication *": every VM whose initial replication is pending
        targets = [vm for vm in targets if (vm.get("replication") or {}).get("mode") == "Primary"
                   and vm["replication"]["state"] == "ReadyForInitialReplication"]
    for vm in targets:
        primary_record(vm, command, {"ReadyForInitialReplication"})
        rep = vm["replication"]
        if inv.has("DestinationPath"):
            _export_initial_copy(inv.host, vm, str(inv.get("DestinationPath")))
        elif start is not None and start > current:
            rep["ir_start_time"] = iso(start)
        elif background_initial_replication(inv.host):
            begin_initial_replication(inv.host, vm)  # the scheduler sends the copy outside the host lock
        else:
            run_initial_replication(inv.host, vm, command)
        if inv.get("Passthru"):
            out.append(vm_object(inv.host, vm))
    return out


def export_folder(destination: str, vm: dict[str, Any]) -> str:
    """The folder an initial copy to media goes to."""
    return f"{destination.rstrip(chr(92))}\\{vm['name']}_{vm['id']}"


def _export_initial_copy(host: Host, vm: dict[str, Any], destination: str) -> None:
    rep = vm["replication"]
    folder = export_folder(destination, vm)
    take_dirty(rep)
    for index in rep.get("replicated", range(len(vm["disks"]))):
        disk = vm["disks"][index]
        sparse_copy(host.real_path(disk["path"]), host.real_path(f"{folder}\\{disk['name']}"))
    rep.update(state="InitialReplicationInProgress", ir_mode="media", ir_export=folder)
    vmms_event(host, EVENT_IR_STARTED, "Information",
               f"Initial replication of virtual machine '{vm['name']}' was exported to '{folder}'. "
               f"(Virtual machine ID {vm['id']})", vm=vm["name"])


@cmdlet(
    "Import-VMInitialReplication",
    Param("VMName", type="string[]", position=0, aliases=("Name",)),
    VM_PIPELINE,
    Param("Path", position=1, mandatory=True, aliases=("IRLoc",)),
    Param("Passthru", type="switch"),
    AS_JOB, *REMOTING,
    summary="On the replica, load an initial copy exported to media by Start-VMInitialReplication -DestinationPath.",
    not_modelled="-AsJob, -ComputerName, -CimSession, -Credential",
    mutates=True, area="Hyper-V Replica",
)
def import_vm_initial_replication(inv: Invocation) -> list[PSObject]:
    """Copy the exported disk files over the replica VM's disks; the replica starts replicating.

    Not modelled: -AsJob, -ComputerName, -CimSession, -Credential.
    """
    command = "ImportVMInitialReplication"
    refuse_unmodelled(inv)
    out = []
    for vm in resolve_vms(inv, command, "VMName"):
        rep = vm.get("replication")
        if rep is None:
            raise not_enabled(vm, command)
        if rep["mode"] != "Replica" or rep["state"] != "WaitingForInitialReplication":
            raise invalid_state(vm, command)
        folder = str(inv.get("Path")).rstrip("\\")
        candidates = [folder, f"{folder}\\{vm['name']}_{vm['id']}"]
        source = next((c for c in candidates if all(inv.host.real_path(f"{c}\\{d['name']}").exists()
                                                     for d in vm["disks"])), None)
        if source is None:
            raise hyperv_error(f"The initial replication files for '{vm['name']}' were not found in '{folder}'",
                               fqid(command, "ObjectNotFound"), "ObjectNotFound", hresult=0x80070002, target=folder)
        for disk in vm["disks"]:
            target = inv.host.real_path(disk["path"])
            create_sparse(target, 0)
            sparse_copy(inv.host.real_path(f"{source}\\{disk['name']}"), target)
        rep.update(state="Replicating", last_replication_time=iso(now(inv.host)))
        if inv.get("Passthru"):
            out.append(vm_object(inv.host, vm))
    return out


def finish_media_initial_replication(host: Host, vm: dict[str, Any], replica_state: str) -> bool:
    """Primary side: once the replica imported the copy, start replicating (the scheduler asks)."""
    rep = vm["replication"]
    if replica_state != "Replicating":
        return False
    at = now(host)
    rep.update(state="Replicating", ir_mode=None, last_cycle=iso(at), last_replication_time=iso(at),
               stats=new_statistics(at), failing_cycles=0)
    vmms_event(host, EVENT_IR_COMPLETED, "Information",
               f"Initial replication completed for virtual machine '{vm['name']}'. (Virtual machine ID {vm['id']})")
    return True


def ir_due(rep: dict[str, Any], at: dt.datetime) -> bool:
    """Whether a scheduled initial replication should start."""
    start = parse_time(rep.get("ir_start_time"))
    return rep["state"] == "ReadyForInitialReplication" and start is not None and start <= at


@cmdlet(
    "Test-VMReplicationConnection",
    Param("ReplicaServerName", position=0, mandatory=True, aliases=("ReplicaServer",)),
    Param("ReplicaServerPort", type="int", position=1, mandatory=True, aliases=("ReplicaPort",),
          validate_range=(1, 65535)),
    Param("AuthenticationType", position=2, mandatory=True, aliases=("AuthType",),
          validate_set=("Kerberos", "Certificate")),
    Param("CertificateThumbprint", position=3, aliases=("Thumbprint", "Cert")),
    Param("BypassProxyServer", type="bool"),
    *REMOTING,
    summary="Check that this host can reach and authenticate to a replica server.",
    not_modelled="-ComputerName, -CimSession, -Credential",
    area="Hyper-V Replica",
)
def test_vm_replication_connection(inv: Invocation) -> list[str]:
    """Open the channel and ping; success is Microsoft's documented sentence.

    Not modelled: -ComputerName, -CimSession, -Credential; proxies (-BypassProxyServer is accepted, no proxy exists).
    """
    command = "TestVMReplicationConnection"
    refuse_unmodelled(inv)
    auth = inv.get("AuthenticationType")
    thumbprint = ""
    if auth == "Certificate":
        if not inv.get("CertificateThumbprint"):
            raise hyperv_error("A certificate thumbprint is required for certificate-based authentication. Specify "
                               "-CertificateThumbprint", fqid(command, "InvalidParameter"), "InvalidArgument",
                               hresult=E_INVALIDARG)
        thumbprint = check_thumbprint(inv.host, str(inv.get("CertificateThumbprint")),
                                      fqid(command, "InvalidParameter"))
    try:
        with connect(inv.host, str(inv.get("ReplicaServerName")), int(inv.get("ReplicaServerPort")), auth,
                     thumbprint) as channel:
            channel.call("ping", {})
    except SimError as error:
        raise wrap(error, "The connection to the Replica server failed.", command) from error
    return [SUCCESS_TEXT]
