"""Port and protocol values of firewall rules, checked and spelled as Windows stores them.

Shared by the NetSecurity cmdlets and ``netsh advfirewall`` (``443``, ``5000-5010``, ``Any``, ``RPC``;
``TCP``/``UDP``/``ICMPv4``/``ICMPv6``/``Any`` or a protocol number).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from simulator.core.errors import SimError

_PORT = re.compile(r"^(\d{1,5})(?:-(\d{1,5}))?$")
_PORT_KEYWORDS = {
    "any": "Any", "rpc": "RPC", "rpcepmap": "RPCEPMap", "iphttps": "IPHTTPS", "playtodiscovery": "PlayToDiscovery",
}


def normalise_ports(values: Iterable[Any], command: str, parameter: str) -> list[str]:
    """Port list values (``443``, ``5000-5010``, ``Any``, ``RPC``) in Windows' spelling.

    Raises:
        SimError: for a value Windows would refuse (out of 0–65535, garbage).
    """
    result: list[str] = []
    for raw in values:
        for part in str(raw).split(","):
            text = part.strip()
            keyword = _PORT_KEYWORDS.get(text.lower().replace("-", ""))
            if keyword is not None:
                result.append(keyword)
                continue
            found = _PORT.match(text)
            if found is None or any(int(g) > 65535 for g in found.groups() if g is not None):
                # ASSUMPTION: the text of the CIM provider's "invalid port" error.
                raise SimError(
                    f"The port '{text}' is not valid. Specify a port number from 0 to 65535, a range, or a keyword.",
                    f"Windows System Error 87,{command}",
                    "InvalidArgument",
                    hresult=0x80070057,
                    target=parameter,
                    exception_type="Microsoft.Management.Infrastructure.CimException",
                )
            result.append(text)
    return result or ["Any"]


def normalise_protocol(value: Any) -> str:
    text = str(value).strip()
    known = {"tcp": "TCP", "udp": "UDP", "icmpv4": "ICMPv4", "icmpv6": "ICMPv6", "any": "Any", "6": "TCP", "17": "UDP",
             "1": "ICMPv4", "58": "ICMPv6"}
    if text.lower() in known:
        return known[text.lower()]
    if text.isdigit() and int(text) <= 255:
        return text
    raise SimError(
        "The specified protocol is not valid.",  # ASSUMPTION: exact CIM text unknown
        "Windows System Error 87,New-NetFirewallRule",
        "InvalidArgument",
        hresult=0x80070057,
        exception_type="Microsoft.Management.Infrastructure.CimException",
    )


def ports_need_tcp_udp(protocol: str, command: str) -> SimError:
    # ASSUMPTION: Windows refuses ports on a rule whose protocol is not TCP/UDP; the text is ours.
    return SimError(
        f"The port filter is not valid for protocol '{protocol}'. Specify -Protocol TCP or UDP to use ports.",
        f"Windows System Error 87,{command}",
        "InvalidArgument",
        hresult=0x80070057,
        exception_type="Microsoft.Management.Infrastructure.CimException",
    )
