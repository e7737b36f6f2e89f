"""PowerShell cmdlets about the host's identity: Rename-Computer, Restart-Computer, the CIM/WMI classes
Win32_ComputerSystem and Win32_OperatingSystem, Get-ComputerInfo, and ``$env:COMPUTERNAME``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from simulator.core.errors import NotModelledError, SimError
from simulator.ps.api import Invocation, Param, cmdlet, environment_source
from simulator.ps.objects import PSObject
from simulator.services.identity import model
from simulator.services.registry.seed import os_release

if TYPE_CHECKING:
    from simulator.core.host import Host

RENAME_FQID = "{},Microsoft.PowerShell.Commands.RenameComputerCommand"
CIMV2 = ("root/cimv2", "root\\cimv2")


@environment_source
def identity_environment(host: Host) -> dict[str, str]:
    """COMPUTERNAME and the local-account logon variables; no USERDNSDOMAIN in a workgroup."""
    name = model.computer_name(host)
    return {"COMPUTERNAME": name, "USERDOMAIN": name, "USERDOMAIN_ROAMINGPROFILE": name,
            "LOGONSERVER": f"\\\\{name}"}


@cmdlet(
    "Rename-Computer",
    Param("NewName", position=0, mandatory=True),
    Param("Force", "switch"),
    Param("Restart", "switch"),
    summary="set the pending computer name (active after a restart)",
    not_modelled="-ComputerName, -DomainCredential, -LocalCredential, -PassThru, -Protocol, -WsmanAuthentication",
    mutates=True,
    area="identity",
)
def rename_computer(inv: Invocation) -> None:
    """Rename-Computer -NewName X [-Force] [-Restart]: sets NV Hostname; warns that a restart is needed.

    Not modelled: renaming remote computers, domain credentials, -PassThru.
    """
    new_name = str(inv.get("NewName"))
    current = model.computer_name(inv.host)
    if new_name.lower() == model.host_name(inv.host).lower():
        inv.write_error(SimError(
            f"Skip computer '{current}' with new name '{new_name}' because the new name is the same as the "
            "current name.",
            RENAME_FQID.format("NewNameIsOldName"), "InvalidArgument",
            exception_type="System.InvalidOperationException", target=current))
        return
    # ASSUMPTION: names over 15 characters are refused like names with illegal characters.
    if not model.valid_computer_name(new_name):
        inv.write_error(SimError(
            f"Skip computer '{current}' with new name '{new_name}' because the new name is not valid. The new "
            "computer name might contain not allowed characters.",
            RENAME_FQID.format("InvalidNewName"), "InvalidArgument",
            exception_type="System.InvalidOperationException", target=current))
        return
    with inv.host.transaction():
        model.rename(inv.host, new_name)
        if inv.get("Restart"):
            model.restart(inv.host)
            return
    inv.session.write_warning(f"The changes will take effect after you restart the computer {current}.")


@cmdlet(
    "Restart-Computer",
    Param("Force", "switch"),
    Param("Wait", "switch"),
    Param("ComputerName", "string[]", position=0),
    summary="instant reboot: pending name and DNS suffix become active",
    not_modelled="-Wait, -For, -Timeout, -ComputerName (remote), -Credential, -AsJob",
    mutates=True,
    area="identity",
)
def restart_computer(inv: Invocation) -> None:
    """Restart-Computer [-Force]: reboots instantly; the caller's session survives (ASSUMPTION in model.restart).

    Not modelled: -Wait, restarting other computers, -Credential, -AsJob.
    """
    if inv.get("Wait"):
        raise NotModelledError("Restart-Computer -Wait")
    for name in inv.get("ComputerName") or []:
        if name.lower() not in {"localhost", ".", model.computer_name(inv.host).lower(),
                                model.host_name(inv.host).lower(), model.fqdn(inv.host).lower()}:
            raise NotModelledError(f"Restart-Computer -ComputerName {name} (restarting another computer)")
    # ASSUMPTION: without -Force the restart still succeeds, the WinRM session being the only logon.
    model.restart(inv.host)


# ------------------------------------------------------------------------------------ CIM / WMI
def _cim_type(class_name: str, wmi: bool) -> str:
    if wmi:
        return f"System.Management.ManagementObject#root\\cimv2\\{class_name}"
    return f"Microsoft.Management.Infrastructure.CimInstance#root/cimv2/{class_name}"


def _dmtf(moment: dt.datetime) -> str:
    """A DMTF datetime as WMI gives it (``yyyymmddHHMMSS.ffffff+UUU``, UTC offset in minutes)."""
    return moment.astimezone(dt.UTC).strftime("%Y%m%d%H%M%S.%f") + "+000"


def computer_system(host: Host, wmi: bool) -> PSObject:
    """Win32_ComputerSystem of a workgroup host."""
    name = model.computer_name(host)
    props: dict[str, Any] = {
        "Name": name,
        "Caption": name,
        "Domain": model.WORKGROUP,
        "Workgroup": model.WORKGROUP,
        "PartOfDomain": False,
        "DomainRole": 2,  # Standalone Server
        "DNSHostName": model.host_name(host),
        "Manufacturer": "Microsoft Corporation",
        "Model": "Simulated Hyper-V host",
        "PrimaryOwnerName": "Windows User",
        "SystemType": "x64-based PC",
    }
    if wmi:
        props.update({"__CLASS": "Win32_ComputerSystem", "__NAMESPACE": "root\\cimv2", "__SERVER": name})
    return PSObject(_cim_type("Win32_ComputerSystem", wmi), props, to_string=name,
                    default_display=["Name", "PrimaryOwnerName", "Domain", "Model", "Manufacturer"])


def operating_system(host: Host, wmi: bool) -> PSObject:
    """Win32_OperatingSystem: caption, version and last boot time (a DMTF string through WMI)."""
    product, build, _ = os_release(host.os_version)
    booted = model.last_boot(host)
    caption = f"Microsoft {product}"
    props: dict[str, Any] = {
        "Caption": caption,
        "Version": f"10.0.{build}",
        "BuildNumber": build,
        "CSName": model.computer_name(host),
        "OSArchitecture": "64-bit",
        "ProductType": 3,  # Server
        "SystemDirectory": "C:\\Windows\\system32",
        "WindowsDirectory": "C:\\Windows",
        "LastBootUpTime": _dmtf(booted) if wmi else booted,
        "LocalDateTime": _dmtf(host.clock.now()) if wmi else host.clock.now(),
        "Name": f"{caption}|C:\\Windows|\\Device\\Harddisk0\\Partition2",
    }
    if wmi:
        props.update({"__CLASS": "Win32_OperatingSystem", "__NAMESPACE": "root\\cimv2",
                      "__SERVER": model.computer_name(host)})
    return PSObject(_cim_type("Win32_OperatingSystem", wmi), props, to_string=props["Name"],
                    default_display=["SystemDirectory", "Organization", "BuildNumber", "RegisteredUser",
                                     "SerialNumber", "Version"])


CLASSES: dict[str, Callable[[Host, bool], PSObject]] = {
    "win32_computersystem": computer_system,
    "win32_operatingsystem": operating_system,
}


def _instances(inv: Invocation, class_name: str, wmi: bool, cmdlet_name: str) -> list[PSObject]:
    namespace = inv.get("Namespace")
    if namespace is not None and str(namespace).lower() not in CIMV2:
        raise NotModelledError(f"{cmdlet_name} -Namespace {namespace}")
    if inv.get("Filter") is not None:
        raise NotModelledError(f"{cmdlet_name} -Filter")
    build = CLASSES.get(class_name.lower())
    if build is None:
        raise NotModelledError(f"{cmdlet_name} of the class {class_name}")
    return [build(inv.host, wmi)]


@cmdlet(
    "Get-CimInstance",
    Param("ClassName", position=0, mandatory=True),
    Param("Namespace"),
    Param("Filter"),
    summary="Win32_ComputerSystem and Win32_OperatingSystem of the local host",
    not_modelled="every other class, -Filter, -Query, -CimSession, -ComputerName, -KeyOnly, -Property",
    area="identity",
)
def get_cim_instance(inv: Invocation) -> list[PSObject]:
    """Get-CimInstance Win32_ComputerSystem | Win32_OperatingSystem.

    Not modelled: other classes, -Filter, -Query, remote sessions.
    """
    return _instances(inv, str(inv.get("ClassName")), wmi=False, cmdlet_name="Get-CimInstance")


@cmdlet(
    "Get-WmiObject",
    Param("Class", position=0, mandatory=True),
    Param("Namespace"),
    Param("Filter"),
    summary="Win32_ComputerSystem and Win32_OperatingSystem of the local host (WMI form, DMTF dates)",
    not_modelled="every other class, -Filter, -Query, -ComputerName, -Credential, -List",
    aliases=("gwmi",),
    area="identity",
)
def get_wmi_object(inv: Invocation) -> list[PSObject]:
    """Get-WmiObject Win32_ComputerSystem | Win32_OperatingSystem.

    Not modelled: other classes, -Filter, -Query, remote computers.
    """
    return _instances(inv, str(inv.get("Class")), wmi=True, cmdlet_name="Get-WmiObject")


@cmdlet(
    "Get-ComputerInfo",
    Param("Property", "string[]", position=0),
    summary="a subset of ComputerInfo: Cs* name/domain properties and Os*/Windows* version and boot time",
    not_modelled="hardware, BIOS, hotfix, locale and most other properties; wildcards in -Property",
    area="identity",
)
def get_computer_info(inv: Invocation) -> list[PSObject]:
    """Get-ComputerInfo [-Property names]: the identity and OS properties only.

    Not modelled: hardware, BIOS, hotfix and locale properties (asking for one fails loudly).
    """
    host = inv.host
    product, build, release = os_release(host.os_version)
    booted = model.last_boot(host)
    props: dict[str, Any] = {
        "WindowsProductName": product,
        "WindowsInstallationType": "Server",
        "WindowsEditionId": "ServerDatacenter",
        "WindowsVersion": release,
        "CsDNSHostName": model.host_name(host),
        "CsDomain": model.WORKGROUP,
        "CsDomainRole": "StandaloneServer",
        "CsName": model.computer_name(host),
        "CsPartOfDomain": False,
        "CsWorkgroup": model.WORKGROUP,
        "OsName": f"Microsoft {product}",
        "OsVersion": f"10.0.{build}",
        "OsBuildNumber": build,
        "OsLastBootUpTime": booted,
        "OsUptime": host.clock.now() - booted,
    }
    wanted = inv.get("Property")
    if wanted:
        missing = [name for name in wanted if not any(name.lower() == key.lower() for key in props)]
        if missing:
            raise NotModelledError(f"Get-ComputerInfo properties {', '.join(missing)}")
        props = {key: value for key, value in props.items() if key.lower() in {n.lower() for n in wanted}}
    return [PSObject("Microsoft.PowerShell.Commands.ComputerInfo", props)]
