"""Replica server settings: Get-VMReplicationServer and Set-VMReplicationServer with the fact sheet §1.1 rules."""

from __future__ import annotations

import datetime as dt
import importlib
import logging
from typing import TYPE_CHECKING, Any

from simulator.core.errors import NotModelledError
from simulator.ps.api import Invocation, Param, cmdlet
from simulator.ps.objects import PSEnum, PSObject
from simulator.services.hyperv.authorization import entries, entry_object, validate_storage
from simulator.services.hyperv.state import NS, RECOVERY_AUTH, TABLE_VIEWS, hyperv_error, section

if TYPE_CHECKING:
    from simulator.core.host import Host

log = logging.getLogger(__name__)

SERVER_TYPE = f"{NS}.VMReplicationServer"
HTTPS_RULE = "VIRT-HVRHTTPSL-In-TCP-NoScope"
HTTP_RULE = "VIRT-HVRHTTPL-In-TCP-NoScope"
E_INVALIDARG = 0x80070057
ALLOWED_MONITORING_HOURS = (1, 2, 3, 4, 6, 8, 12, 24, 48, 72, 96, 120, 144, 168)
FQID = "InvalidParameter,Microsoft.HyperV.PowerShell.Commands.SetVMReplicationServer"
STATUS = {"Unknown": 0, "Other": 1, "Ok": 2, "Degraded": 3, "Stopped": 10}


def server_settings(host: Host) -> dict[str, Any]:
    """The stored replica server settings (see ``state.default_server_settings`` for the keys)."""
    settings: dict[str, Any] = section(host)["server"]
    return settings


def uses_certificate(auth_type: str) -> bool:
    """Whether an AllowedAuthenticationType includes certificate (HTTPS) authentication."""
    return auth_type in {"Certificate", "CertificateAndKerberos"}


def server_object(host: Host) -> PSObject:
    """The ``VMReplicationServer`` object."""
    s = server_settings(host)
    status = "Ok" if s["enabled"] else "Stopped"
    return PSObject(SERVER_TYPE, {
        "ReplicationEnabled": s["enabled"],
        "AllowedAuthenticationType": RECOVERY_AUTH(s["auth_type"]),
        "ReplicationAllowedFromAnyServer": s["allow_any_server"],
        "CertificateThumbprint": s["thumbprint"] or None,
        "DefaultStorageLocation": s["default_storage"] or None,
        "KerberosAuthenticationPort": s["kerberos_port"],
        "CertificateAuthenticationPort": s["certificate_port"],
        "KerberosAuthenticationPortMapping": None,
        "CertificateAuthenticationPortMapping": None,
        "MonitoringInterval": dt.timedelta(seconds=s["monitoring_interval_s"]),
        "MonitoringStartTime": dt.timedelta(seconds=s["monitoring_start_s"]),
        "AuthorizationEntries": [entry_object(host, e) for e in entries(host)],
        "OperationalStatus": [PSEnum(f"{NS}.VMReplicationServerOperationalStatus", status, STATUS[status])],
        "StatusDescriptions": ["OK" if s["enabled"] else "Stopped"],
        "ComputerName": host.info["name"],
        "IsDeleted": False,
    }, default_display=["ReplicationEnabled", "AllowedAuthenticationType", "KerberosAuthenticationPort",
                        "CertificateAuthenticationPort", "ReplicationAllowedFromAnyServer"],
        to_string=SERVER_TYPE, hidden={"table_view": TABLE_VIEWS["VMReplicationServer"]})


@cmdlet(
    "Get-VMReplicationServer",
    summary="Show the replica server settings of this host.",
    not_modelled="-ComputerName, -CimSession, -Credential",
    area="Hyper-V",
)
def get_vm_replication_server(inv: Invocation) -> list[PSObject]:
    """Return the VMReplicationServer object.

    Not modelled: -ComputerName, -CimSession, -Credential.
    """
    return [server_object(inv.host)]


def check_thumbprint(host: Host, thumbprint: str, command_fqid: str) -> str:
    """A thumbprint must name a LocalMachine\\My certificate with a private key and both EKUs."""
    from simulator.services.certs.store import find_certificate, usable_for_replication  # noqa: PLC0415 - optional

    normalised = thumbprint.replace(" ", "").upper()
    entry = find_certificate(host, normalised)
    if entry is None:
        # ASSUMPTION: Windows' exact text is undocumented; CRYPT_E_NOT_FOUND is the store's own code.
        raise hyperv_error(f"The certificate with thumbprint '{normalised}' was not found in the local computer's "
                           "Personal certificate store", command_fqid, "ObjectNotFound", hresult=0x80092004,
                           target=normalised)
    problems = usable_for_replication(entry, host.clock.now())
    if problems:
        # ASSUMPTION: Windows' text is undocumented; the HRESULT is the first problem's CryptoAPI code.
        raise hyperv_error(f"The certificate with thumbprint '{normalised}' cannot be used for Hyper-V Replica: "
                           + "; ".join(problems), command_fqid, "InvalidArgument", hresult=problem_hresult(problems[0]),
                           target=normalised)
    return normalised


def problem_hresult(problem: str) -> int:
    """The CryptoAPI code of a certificate problem reported by ``usable_for_replication``."""
    if "private key" in problem:
        return 0x8009000D  # NTE_NO_KEY
    if "expired" in problem or "not yet valid" in problem:
        return 0x800B0101  # CERT_E_EXPIRED
    return 0x800B0110  # CERT_E_WRONG_USAGE (missing EKU, not X.509 v3)


def _move_firewall_port(host: Host, rule_name: str, port: int) -> None:
    """Hyper-V moves the built-in listener rule along with the port (fact sheet §1.1)."""
    try:
        from simulator.services.firewall.rules import set_local_port  # noqa: PLC0415 - optional subsystem
    except ImportError:  # pragma: no cover - firewall subsystem absent
        log.warning("firewall subsystem missing: rule %s keeps its port", rule_name)
        return
    try:
        set_local_port(host, rule_name, port)
    except KeyError:
        log.warning("firewall rule %s not found: its port was not moved to %s", rule_name, port)


@cmdlet(
    "Set-VMReplicationServer",
    Param("ReplicationEnabled", type="bool", position=0, aliases=("RepEnabled",)),
    Param("AllowedAuthenticationType", position=1, aliases=("AuthType",),
          validate_set=("Kerberos", "Certificate", "CertificateAndKerberos")),
    Param("ReplicationAllowedFromAnyServer", type="bool", position=2, aliases=("AllowAnyServer",)),
    Param("CertificateThumbprint", aliases=("Thumbprint",), from_pipeline_by_property=True),
    Param("DefaultStorageLocation", aliases=("StorageLoc",)),
    Param("KerberosAuthenticationPort", type="int", aliases=("KerbAuthPort",), validate_range=(1, 65535)),
    Param("CertificateAuthenticationPort", type="int", aliases=("CertAuthPort",), validate_range=(1, 65535)),
    Param("KerberosAuthenticationPortMapping", type="hashtable"),
    Param("CertificateAuthenticationPortMapping", type="hashtable"),
    Param("MonitoringInterval", type="timespan"),
    Param("MonitoringStartTime", type="timespan"),
    Param("Force", type="switch"),
    Param("Passthru", type="switch"),
    summary="Configure this host as a Replica server (auth type, certificate, ports, any-server, storage).",
    not_modelled="-KerberosAuthenticationPortMapping, -CertificateAuthenticationPortMapping (clusters), "
                 "-ComputerName, -CimSession, -Credential, -WhatIf, -Confirm",
    mutates=True, area="Hyper-V",
)
def set_vm_replication_server(inv: Invocation) -> list[PSObject]:
    """Validate every rule first, then apply; moves the listener firewall rule with the port.

    Not modelled: the cluster port mappings, -ComputerName, -CimSession, -Credential, -WhatIf/-Confirm.
    """
    host = inv.host
    for mapping in ("KerberosAuthenticationPortMapping", "CertificateAuthenticationPortMapping"):
        if inv.has(mapping):
            raise NotModelledError(f"Set-VMReplicationServer -{mapping} (failover clusters)")
    current = server_settings(host)
    new = dict(current)
    if inv.has("ReplicationEnabled"):
        new["enabled"] = bool(inv.get("ReplicationEnabled"))
    if inv.has("AllowedAuthenticationType"):
        new["auth_type"] = inv.get("AllowedAuthenticationType")
    if inv.has("DefaultStorageLocation"):
        new["default_storage"] = validate_storage(host, inv.get("DefaultStorageLocation"), "SetVMReplicationServer")
    if inv.has("ReplicationAllowedFromAnyServer"):
        new["allow_any_server"] = bool(inv.get("ReplicationAllowedFromAnyServer"))
        if new["allow_any_server"] and not inv.has("DefaultStorageLocation"):
            # ASSUMPTION: (§10.3) the text Windows gives is undocumented; this one names the rule.
            raise hyperv_error("The default storage location must be specified when replication is allowed from "
                               "any server. Specify -DefaultStorageLocation", FQID, "InvalidArgument",
                               hresult=E_INVALIDARG)
    if inv.has("KerberosAuthenticationPort"):
        new["kerberos_port"] = int(inv.get("KerberosAuthenticationPort"))
    if inv.has("CertificateAuthenticationPort"):
        if not uses_certificate(new["auth_type"]):
            # ASSUMPTION: text undocumented; the rule is from the cmdlet help.
            raise hyperv_error("The certificate authentication port can be set only when the allowed "
                               "authentication type is Certificate or CertificateAndKerberos", FQID,
                               "InvalidArgument", hresult=E_INVALIDARG)
        new["certificate_port"] = int(inv.get("CertificateAuthenticationPort"))
    if inv.has("CertificateThumbprint"):
        new["thumbprint"] = check_thumbprint(host, str(inv.get("CertificateThumbprint")), FQID)
    if new["enabled"] and uses_certificate(new["auth_type"]) and not new["thumbprint"]:
        # ASSUMPTION: certificate authentication cannot be enabled without a certificate.
        raise hyperv_error("A certificate thumbprint is required for certificate-based authentication. Specify "
                           "-CertificateThumbprint", FQID, "InvalidArgument", hresult=E_INVALIDARG)
    if inv.has("MonitoringInterval"):
        interval: dt.timedelta = inv.get("MonitoringInterval")
        if interval.total_seconds() % 3600 or int(interval.total_seconds() // 3600) not in ALLOWED_MONITORING_HOURS:
            # ASSUMPTION: text undocumented; allowed values from the cmdlet help.
            raise hyperv_error(f"The monitoring interval {interval} is not valid. Allowed values are 1, 2, 3, 4, "
                               "6, 8, 12 or 24 hours, or 2 to 7 days", FQID, "InvalidArgument", hresult=E_INVALIDARG)
        new["monitoring_interval_s"] = int(interval.total_seconds())
    if inv.has("MonitoringStartTime"):
        start: dt.timedelta = inv.get("MonitoringStartTime")
        new["monitoring_start_s"] = int(start.total_seconds()) % 86400
    if new["certificate_port"] != current["certificate_port"]:
        _move_firewall_port(host, HTTPS_RULE, new["certificate_port"])
    if new["kerberos_port"] != current["kerberos_port"]:
        _move_firewall_port(host, HTTP_RULE, new["kerberos_port"])
    moved = new["certificate_port"] != current["certificate_port"]
    current.update(new)
    if moved:
        _rebind_listener(host)
    return [server_object(host)] if inv.get("Passthru") else []


def _rebind_listener(host: Host) -> None:
    """The Replica service re-registers its HTTPS URL on the new port at once (not at the next tick)."""
    try:
        listener = importlib.import_module("simulator.services.replication.listener")
    except ModuleNotFoundError:  # pragma: no cover - the replication transport is optional
        return
    listener.sync(host)
