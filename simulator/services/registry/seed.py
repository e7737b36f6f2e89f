"""The registry keys a new Windows Server host has that matter to the simulator, built from its topology.

Only what some subsystem or the Hyper-V Replica recipe reads is seeded: the TCP/IP identity values,
the computer name keys, the OS version, the Virtualization key (whose ``Replication`` subkey does
not exist until someone creates it) and the UAC policy key.
"""

from __future__ import annotations

from typing import Any

from simulator.services.registry.model import RegistryTree

TCPIP_PARAMETERS = r"HKEY_LOCAL_MACHINE\SYSTEM\CurrentControlSet\Services\Tcpip\Parameters"
COMPUTER_NAME = r"HKEY_LOCAL_MACHINE\SYSTEM\CurrentControlSet\Control\ComputerName\ComputerName"
ACTIVE_COMPUTER_NAME = r"HKEY_LOCAL_MACHINE\SYSTEM\CurrentControlSet\Control\ComputerName\ActiveComputerName"
CURRENT_VERSION = r"HKEY_LOCAL_MACHINE\SOFTWARE\Microsoft\Windows NT\CurrentVersion"
VIRTUALIZATION = CURRENT_VERSION + r"\Virtualization"
POLICIES_SYSTEM = r"HKEY_LOCAL_MACHINE\SOFTWARE\Microsoft\Windows\CurrentVersion\Policies\System"
DNS_CLIENT_POLICY = r"HKEY_LOCAL_MACHINE\SOFTWARE\Policies\Microsoft\System\DNSClient"

# os -> (ProductName, CurrentBuild, ReleaseId)
OS_RELEASES: dict[str, tuple[str, str, str]] = {
    "2016": ("Windows Server 2016 Datacenter", "14393", "1607"),
    "2019": ("Windows Server 2019 Datacenter", "17763", "1809"),
    "2022": ("Windows Server 2022 Datacenter", "20348", "2009"),
}

NETBIOS_MAX = 15


def os_release(os_version: str) -> tuple[str, str, str]:
    """(ProductName, CurrentBuild, ReleaseId) for ``"2016"``, ``"2019"`` or ``"2022"``."""
    try:
        return OS_RELEASES[str(os_version)]
    except KeyError:
        msg = f"unknown Windows Server version {os_version!r} (expected one of {sorted(OS_RELEASES)})"
        raise ValueError(msg) from None


def seed_registry(state: dict[str, Any], topology: dict[str, Any], host_name: str, os_version: str) -> None:
    """Fill ``state["registry"]`` for a new host."""
    tree = RegistryTree(state)
    suffix = topology.get("dns_suffix") or ""
    netbios = host_name.upper()[:NETBIOS_MAX]

    def put(path: str, *values: tuple[str, str, Any]) -> None:
        node, _ = tree.create_key(path)
        for name, value_type, data in values:
            tree.set_value(node, name, value_type, data)

    put(
        TCPIP_PARAMETERS,
        ("Hostname", "REG_SZ", host_name),
        ("NV Hostname", "REG_SZ", host_name),
        ("Domain", "REG_SZ", suffix),
        ("NV Domain", "REG_SZ", suffix),
        ("SearchList", "REG_SZ", ""),
        ("DataBasePath", "REG_EXPAND_SZ", r"%SystemRoot%\System32\drivers\etc"),
        ("EnableICMPRedirect", "REG_DWORD", 1),
    )
    put(COMPUTER_NAME, ("ComputerName", "REG_SZ", netbios))
    put(ACTIVE_COMPUTER_NAME, ("ComputerName", "REG_SZ", netbios))
    product, build, release = os_release(os_version)
    put(
        CURRENT_VERSION,
        ("ProductName", "REG_SZ", product),
        ("CurrentBuild", "REG_SZ", build),
        ("CurrentBuildNumber", "REG_SZ", build),
        ("CurrentVersion", "REG_SZ", "6.3"),
        ("CurrentMajorVersionNumber", "REG_DWORD", 10),
        ("CurrentMinorVersionNumber", "REG_DWORD", 0),
        ("EditionID", "REG_SZ", "ServerDatacenter"),
        ("InstallationType", "REG_SZ", "Server"),
        ("ReleaseId", "REG_SZ", release),
        ("SystemRoot", "REG_SZ", r"C:\Windows"),
    )
    put(VIRTUALIZATION)
    put(
        POLICIES_SYSTEM,
        ("ConsentPromptBehaviorAdmin", "REG_DWORD", 5),
        ("ConsentPromptBehaviorUser", "REG_DWORD", 3),
        ("EnableInstallerDetection", "REG_DWORD", 1),
        ("EnableLUA", "REG_DWORD", 1),
        ("EnableVirtualization", "REG_DWORD", 1),
        ("FilterAdministratorToken", "REG_DWORD", 0),
        ("PromptOnSecureDesktop", "REG_DWORD", 1),
        ("ValidateAdminCodeSignatures", "REG_DWORD", 0),
    )
    put(r"HKEY_LOCAL_MACHINE\SOFTWARE\Policies\Microsoft\Windows")
