"""The Hyper-V section of a host's state: VM records, enums with Windows' numbers, lookups and errors.

``host.state["hyperv"]`` holds ``vms`` (list of VM records), ``server`` (replica server settings)
and ``authorization`` (authorization entries). Everything is plain JSON data; the cmdlet modules
turn it into PowerShell objects (see ``objects.py``).
"""

from __future__ import annotations

import datetime as dt
import fnmatch
import re
import uuid
from typing import TYPE_CHECKING, Any

from simulator.core.errors import SimError
from simulator.ps.objects import enum_factory

if TYPE_CHECKING:
    from simulator.core.host import Host

NS = "Microsoft.HyperV.PowerShell"
DEFAULT_VHD_FOLDER = "C:\\Hyper-V\\Virtual Hard Disks"
DEFAULT_VM_FOLDER = "C:\\ProgramData\\Microsoft\\Windows\\Hyper-V"
VMMS_LOG = "Microsoft-Windows-Hyper-V-VMMS-Admin"
VMMS_PROVIDER = "Microsoft-Windows-Hyper-V-VMMS"

VM_STATE = enum_factory(f"{NS}.VMState", {
    "Other": 1, "Running": 2, "Off": 3, "Stopping": 4, "Saved": 6, "Paused": 9, "Starting": 10, "Reset": 11,
    "Saving": 32773, "Pausing": 32776, "Resuming": 32777, "FastSaved": 32779, "FastSaving": 32780,
})
REPLICATION_STATE_VALUES = {
    "Disabled": 0, "ReadyForInitialReplication": 1, "InitialReplicationInProgress": 2,
    "WaitingForInitialReplication": 3, "Replicating": 4, "PreparedForFailover": 5,
    "FailedOverWaitingCompletion": 6, "FailedOver": 7, "Suspended": 8, "Error": 9,
    "WaitingForStartResynchronize": 10, "Resynchronizing": 11, "ResynchronizeSuspended": 12,
    "RecoveryInProgress": 13, "FailbackInProgress": 14, "FailbackComplete": 15,
    "WaitingForUpdateCompletion": 16, "UpdateError": 17, "WaitingForRepurposeCompletion": 18,
    "PreparedForSyncReplication": 19, "PreparedForGroupReverseReplication": 20, "FiredrillInProgress": 21,
}
REPLICATION_STATE = enum_factory(f"{NS}.VMReplicationState", REPLICATION_STATE_VALUES)
REPLICATION_HEALTH_VALUES = {"NotApplicable": 0, "Normal": 1, "Warning": 2, "Critical": 3}
REPLICATION_HEALTH = enum_factory(f"{NS}.VMReplicationHealthState", REPLICATION_HEALTH_VALUES)
REPLICATION_MODE_VALUES = {"None": 0, "Primary": 1, "Replica": 2, "TestReplica": 3, "ExtendedReplica": 4}
REPLICATION_MODE = enum_factory(f"{NS}.VMReplicationMode", REPLICATION_MODE_VALUES)
RELATIONSHIP = enum_factory(f"{NS}.VMReplicationRelationshipType", {"Simple": 0, "Extended": 1})
REPLICATION_AUTH = enum_factory(f"{NS}.ReplicationAuthenticationType", {"Kerberos": 1, "Certificate": 2})
RECOVERY_AUTH = enum_factory(f"{NS}.RecoveryAuthenticationType",
                             {"Kerberos": 1, "Certificate": 2, "CertificateAndKerberos": 3})
CHECKPOINT_TYPE = enum_factory(f"{NS}.CheckpointType",
                               {"Disabled": 2, "Production": 3, "ProductionOnly": 4, "Standard": 5})
SNAPSHOT_TYPE_VALUES = {"Standard": 0, "Recovery": 1, "Planned": 2, "Missing": 5, "Replica": 6,
                        "AppConsistentReplica": 7, "SyncedReplica": 8}
SNAPSHOT_TYPE = enum_factory(f"{NS}.SnapshotType", SNAPSHOT_TYPE_VALUES)
REPLICATION_TYPE = enum_factory(f"{NS}.VMReplicationType",
                                {"None": 0, "Regular": 1, "ApplicationConsistent": 2, "Planned": 3})


# The table view's AuthType column: Microsoft's doc shows "Kerb" for Kerberos, the Server "8" blog "Cert".
# ASSUMPTION: "CertAndKerb" for CertificateAndKerberos (never shown in a document).
AUTH_TYPE_ABBREVIATIONS = {"Kerberos": "Kerb", "Certificate": "Cert", "CertificateAndKerberos": "CertAndKerb"}

# Windows' default table views (format.ps1xml): column label, property, optional divisor (bytes -> MB).
# Objects carry theirs in ``hidden["table_view"]`` for a formatter that renders labelled tables; the
# PSObject contract has no label field, so ``default_display`` lists the same properties.
TABLE_VIEWS: dict[str, list[tuple[str, str] | tuple[str, str, int] | tuple[str, str, dict[str, str]]]] = {
    "VirtualMachine": [("Name", "Name"), ("State", "State"), ("CPUUsage(%)", "CPUUsage"),
                       ("MemoryAssigned(M)", "MemoryAssigned", 1024 * 1024), ("Uptime", "Uptime"),
                       ("Status", "Status"), ("Version", "Version")],
    "VMReplicationServer": [("RepEnabled", "ReplicationEnabled"),
                            ("AuthType", "AllowedAuthenticationType", AUTH_TYPE_ABBREVIATIONS),
                            ("KerbAuthPort", "KerberosAuthenticationPort"),
                            ("CertAuthPort", "CertificateAuthenticationPort"),
                            ("AllowAnyServer", "ReplicationAllowedFromAnyServer")],
    "VMReplicationAuthorizationEntry": [("AllowedPS", "AllowedPrimaryServer"), ("StorageLoc", "ReplicaStorageLocation"),
                                        ("TrustGroup", "TrustGroup")],
    "VMReplication": [("VMName", "VMName"), ("State", "ReplicationState"), ("Health", "ReplicationHealth"),
                      ("Mode", "ReplicationMode"), ("FrequencySec", "ReplicationFrequencySec"),
                      ("PrimaryServer", "PrimaryServerName"), ("ReplicaServer", "ReplicaServerName"),
                      ("ReplicaPort", "ReplicaServerPort"), ("AuthType", "AuthenticationType"),
                      ("Relationship", "ReplicationRelationshipType")],
    "VMReplicationHealth": [("VMName", "VMName"), ("State", "ReplicationState"), ("Health", "ReplicationHealth"),
                            ("LReplTime", "LastReplicationTime"),
                            ("PReplSize(M)", "PendingReplicationSize", 1024 * 1024),
                            ("AvgLatency", "AverageReplicationLatency"),
                            ("AvgReplSize(M)", "AverageReplicationSize", 1024 * 1024),
                            ("Relationship", "ReplicationRelationshipType")],
}


def section(host: Host) -> dict[str, Any]:
    """The ``hyperv`` state section, created empty when missing."""
    hv: dict[str, Any] = host.state.setdefault("hyperv", {})
    hv.setdefault("vms", [])
    hv.setdefault("authorization", [])
    if "server" not in hv:
        hv["server"] = default_server_settings()
    key = str(host.state_dir)
    if key not in _RECOVERED:
        _RECOVERED.add(key)
        _recover_interrupted_applies(host, hv["vms"])
    return hv


_RECOVERED: set[str] = set()


def _recover_interrupted_applies(host: Host, records: list[dict[str, Any]]) -> None:
    """Once per process and host: roll back replication cycles a crash left half-applied."""
    from simulator.services.hyperv.crash_recovery import recover_vm  # noqa: PLC0415 - it imports this module

    for vm in records:
        recover_vm(host, vm)


def default_server_settings() -> dict[str, Any]:
    """Replica server settings of a never-configured host (WMI defaults, fact sheet §1.1).

    # ASSUMPTION: (§10.4) a never-configured 2016 host reports AllowedAuthenticationType Kerberos,
    # ReplicationAllowedFromAnyServer False and an empty DefaultStorageLocation; the WMI default for the
    # type is 0 ("not defined"), which the PowerShell enum cannot show.
    """
    return {
        "enabled": False,
        "auth_type": "Kerberos",
        "allow_any_server": False,
        "thumbprint": "",
        "default_storage": "",
        "kerberos_port": 80,
        "certificate_port": 443,
        "monitoring_interval_s": 43200,
        "monitoring_start_s": 9 * 3600,
    }


def vms(host: Host) -> list[dict[str, Any]]:
    """Every VM record on the host."""
    found: list[dict[str, Any]] = section(host)["vms"]
    return found


def new_guid() -> str:
    """A fresh GUID in .NET's lower-case ``D`` form."""
    return str(uuid.uuid4())


def now(host: Host) -> dt.datetime:
    """The host's simulated time."""
    return host.clock.now()


def iso(value: dt.datetime) -> str:
    """Stored form of a time."""
    return value.isoformat()


def parse_time(value: str | None) -> dt.datetime | None:
    """A stored time back as an aware datetime (None stays None)."""
    return None if not value else dt.datetime.fromisoformat(value)


def has_wildcard(pattern: str) -> bool:
    """Whether a PowerShell name argument contains wildcard characters."""
    return any(ch in pattern for ch in "*?[")


def wildcard_match(pattern: str, value: str) -> bool:
    """PowerShell ``-like`` semantics (case-insensitive, ``*``, ``?``, ``[a-z]``)."""
    regex = fnmatch.translate(pattern.lower())
    return re.match(regex, value.lower()) is not None


def hyperv_error(message: str, fqid: str, category: str = "InvalidOperation", *,
                 hresult: int | None = None, target: str | None = None) -> SimError:
    """A Hyper-V cmdlet error: Windows appends the HRESULT to the message, so do we."""
    text = message if hresult is None else f"{message} (0x{hresult & 0xFFFFFFFF:08X})."
    exception_type = "Microsoft.HyperV.PowerShell.VirtualizationException"
    return SimError(text, fqid, category, hresult=hresult, target=target, exception_type=exception_type)


def vm_not_found(name: str, command: str) -> SimError:
    """Windows' error for a VM name that matches nothing."""
    return hyperv_error(f'Hyper-V was unable to find a virtual machine with name "{name}".',
                        f"InvalidParameter,Microsoft.HyperV.PowerShell.Commands.{command}",
                        "InvalidArgument", target=name)


def select_vms(host: Host, names: list[str] | None, command: str, inv_error: Any = None) -> list[dict[str, Any]]:
    """VMs matching ``names`` (wildcards allowed); every name without a match is an error.

    A literal name that matches nothing raises (or, when ``inv_error`` is given, is written as a
    non-terminating error and skipped); a wildcard that matches nothing is silently empty, as on Windows.
    """
    if not names:
        return list(vms(host))
    selected: list[dict[str, Any]] = []
    for name in names:
        matches = [vm for vm in vms(host) if wildcard_match(name, vm["name"])] if has_wildcard(name) else [
            vm for vm in vms(host) if vm["name"].lower() == name.lower()]
        if not matches and not has_wildcard(name):
            error = vm_not_found(name, command)
            if inv_error is None:
                raise error
            inv_error(error)
        for vm in matches:
            if vm not in selected:
                selected.append(vm)
    return selected


def find_vm(host: Host, name: str) -> dict[str, Any] | None:
    """The VM with exactly this name (case-insensitive), or None."""
    for vm in vms(host):
        if vm["name"].lower() == name.lower():
            return vm
    return None


def find_vm_by_id(host: Host, vm_id: str) -> dict[str, Any] | None:
    """The VM with this GUID, or None."""
    for vm in vms(host):
        if vm["id"].lower() == vm_id.lower():
            return vm
    return None


def new_vm_record(name: str, generation: int = 2, state: str = "Off", memory_mb: int = 1024,
                  vm_id: str | None = None) -> dict[str, Any]:
    """A VM record with no disks, checkpoints or replication."""
    return {
        "id": vm_id or new_guid(),
        "name": name,
        "generation": int(generation),
        "state": state,
        "memory_mb": int(memory_mb),
        "path": DEFAULT_VM_FOLDER,
        "disks": [],
        "checkpoints": [],
        "replication": None,
        "started_at": None,
    }


def replication_of(vm: dict[str, Any]) -> dict[str, Any] | None:
    """The VM's replication record, or None when replication is not enabled."""
    rep: dict[str, Any] | None = vm.get("replication")
    return rep


def windows_time(value: dt.datetime) -> str:
    """``M/d/yyyy - h:mm:ss tt`` as Hyper-V writes it in checkpoint names (en-US)."""
    hour = value.hour % 12 or 12
    suffix = "AM" if value.hour < 12 else "PM"
    return f"{value.month}/{value.day}/{value.year} - {hour}:{value.minute:02d}:{value.second:02d} {suffix}"
