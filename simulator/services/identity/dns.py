"""Name resolution as scripts see it: ``Resolve-DnsName`` and ``[System.Net.Dns]`` static methods.

Both answer from :func:`simulator.services.identity.model.resolve` (own names, ``localhost``, the
hosts file); no DNS server is modelled and no packet is ever sent.
"""

from __future__ import annotations

import ipaddress
from typing import TYPE_CHECKING, Any

from simulator.core.errors import NotModelledError, SimError
from simulator.ps.api import Invocation, Param, cmdlet, static_member
from simulator.ps.objects import PSObject, enum_factory
from simulator.services.identity import model

if TYPE_CHECKING:
    from simulator.core.host import Host

DNS_TYPES = ("System.Net.Dns", "Net.Dns")
RECORD_TYPE = enum_factory("Microsoft.DnsClient.Commands.RecordType", {"A": 1, "AAAA": 28, "A_AAAA": 65535})
SECTION = enum_factory("Microsoft.DnsClient.Commands.Section", {"Question": 0, "Answer": 1, "Authority": 2,
                                                                 "Additional": 3})
ADDRESS_FAMILY = enum_factory("System.Net.Sockets.AddressFamily", {"InterNetwork": 2, "InterNetworkV6": 23})
# ASSUMPTION: records of the host's own names carry TTL 1200, hosts-file records 86400 (the
# lifetime the DNS client cache gives them), localhost 0.
OWN_NAME_TTL = 1200
HOSTS_FILE_TTL = 86400
SOCKET_HRESULT = -2147467259  # 0x80004005, SocketException.HResult for WSAHOST_NOT_FOUND


def _ttl(host: Host, name: str) -> int:
    lowered = name.rstrip(".").lower()
    if lowered == model.LOCALHOST:
        return 0
    if lowered in {model.host_name(host).lower(), model.fqdn(host).lower(), model.computer_name(host).lower()}:
        return OWN_NAME_TTL
    return HOSTS_FILE_TTL


def dns_record(host: Host, name: str, address: str) -> PSObject:
    """A ``DnsRecord_A`` as Resolve-DnsName outputs it."""
    return PSObject(
        ["Microsoft.DnsClient.Commands.DnsRecord_A", "Microsoft.DnsClient.Commands.DnsRecord"],
        {"Name": name, "Type": RECORD_TYPE("A"), "TTL": _ttl(host, name), "Section": SECTION("Answer"),
         "IPAddress": address, "IP4Address": address, "CharacterSet": "Unicode", "DataLength": 4},
        default_display=["Name", "Type", "TTL", "Section", "IPAddress"],
    )


@cmdlet(
    "Resolve-DnsName",
    Param("Name", position=0, mandatory=True, from_pipeline=True, from_pipeline_by_property=True),
    Param("Type", position=1),
    summary="A records for own names, localhost and hosts-file entries",
    not_modelled="DNS servers, record types other than A (A_AAAA gives A only), PTR lookups, -Server, "
                 "-DnsOnly, -NoHostsFile, -CacheOnly",
    area="identity",
)
def resolve_dns_name(inv: Invocation) -> list[PSObject]:
    """Resolve-DnsName NAME [-Type A]: one A record per address; unresolved names write an error.

    Not modelled: DNS servers, IPv6 (AAAA), PTR lookups of addresses, the -Server/-DnsOnly switches.
    """
    name = str(inv.get("Name"))
    record_type = str(inv.get("Type") or "A_AAAA").upper()
    if record_type not in ("A", "A_AAAA"):
        raise NotModelledError(f"Resolve-DnsName -Type {record_type}")
    if model.is_address(name):
        raise NotModelledError("Resolve-DnsName of an address (PTR lookup)")
    addresses = model.resolve(inv.host, name)
    if not addresses:
        inv.write_error(SimError(
            f"{name} : DNS name does not exist",
            "DNS_ERROR_RCODE_NAME_ERROR,Microsoft.DnsClient.Commands.ResolveDnsName",
            "ResourceUnavailable",
            hresult=SOCKET_HRESULT,
            exception_type="System.ComponentModel.Win32Exception",
            target=name,
        ))
        return []
    return [dns_record(inv.host, name, address) for address in addresses]


# ---------------------------------------------------------------------------- [System.Net.Dns]
def ip_address_object(address: str) -> PSObject:
    """A ``System.Net.IPAddress`` (IPv4)."""
    packed = ipaddress.IPv4Address(address).packed
    return PSObject(
        "System.Net.IPAddress",
        {"Address": int.from_bytes(packed, "little"), "AddressFamily": ADDRESS_FAMILY("InterNetwork"),
         "IsIPv6Multicast": False, "IsIPv6LinkLocal": False, "IsIPv6SiteLocal": False, "IsIPv6Teredo": False,
         "IsIPv4MappedToIPv6": False, "IPAddressToString": address},
        to_string=address,
        methods={"ToString": lambda: address, "GetAddressBytes": lambda: packed},
    )


def no_such_host(method: str, args: int) -> SimError:
    """The MethodInvocationException PowerShell shows when the SocketException WSAHOST_NOT_FOUND is thrown."""
    return SimError(
        f'Exception calling "{method}" with "{args}" argument(s): "No such host is known"',
        "SocketException",
        "NotSpecified",
        hresult=SOCKET_HRESULT,
        exception_type="System.Management.Automation.MethodInvocationException",
        terminating=True,
    )


def _text(value: Any) -> str:
    return value.text() if isinstance(value, PSObject) else str(value)


def host_entry(host: Host, name: str, method: str) -> PSObject:
    """``System.Net.IPHostEntry`` for a name or an address literal."""
    if model.is_address(name):
        canonical = model.reverse(host, name)
        if canonical is None:
            raise no_such_host(method, 1)
        return PSObject("System.Net.IPHostEntry", {"HostName": canonical, "Aliases": [],
                                                   "AddressList": [ip_address_object(name)]})
    addresses = model.resolve(host, name)
    if not addresses:
        raise no_such_host(method, 1)
    lowered = name.rstrip(".").lower()
    own = {model.LOCALHOST, model.host_name(host).lower(), model.fqdn(host).lower(), model.computer_name(host).lower()}
    # Own names map to the FQDN; a hosts-file name to the first name on its line.
    canonical = model.fqdn(host) if lowered in own else (model.reverse(host, addresses[0]) or name)
    return PSObject("System.Net.IPHostEntry", {"HostName": canonical, "Aliases": [],
                                               "AddressList": [ip_address_object(a) for a in addresses]})


@static_member(DNS_TYPES, "GetHostAddresses")
def get_host_addresses(host: Host, name: Any) -> list[PSObject]:
    """[System.Net.Dns]::GetHostAddresses(name): IPAddress objects, or "No such host is known"."""
    text = _text(name)
    addresses = model.resolve(host, text)
    if not addresses:
        raise no_such_host("GetHostAddresses", 1)
    return [ip_address_object(address) for address in addresses]


@static_member(DNS_TYPES, "GetHostEntry")
def get_host_entry(host: Host, name: Any) -> PSObject:
    """[System.Net.Dns]::GetHostEntry(nameOrAddress)."""
    return host_entry(host, _text(name), "GetHostEntry")


@static_member(DNS_TYPES, "GetHostByName")
def get_host_by_name(host: Host, name: Any) -> PSObject:
    """[System.Net.Dns]::GetHostByName(name) (obsolete, still used for ``.HostName`` = the FQDN)."""
    return host_entry(host, _text(name), "GetHostByName")


@static_member(DNS_TYPES, "Resolve")
def dns_resolve(host: Host, name: Any) -> PSObject:
    """[System.Net.Dns]::Resolve(name) (obsolete)."""
    return host_entry(host, _text(name), "Resolve")


@static_member(DNS_TYPES, "GetHostName")
def get_host_name(host: Host) -> str:
    """[System.Net.Dns]::GetHostName(): the active host name (without the suffix)."""
    return model.host_name(host)
