"""Console commands about the host's identity and network: ``hostname``, ``ipconfig`` and ``ping``.

``ipconfig`` prints Windows' layout (dotted labels, colon in a fixed column) for one Ethernet
adapter holding the host's virtual IPv4 address. ``ping`` is refused: the simulator never sends
traffic.
"""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING

from simulator.cmd.api import CmdCall, CmdResult, cmd_command
from simulator.core.errors import NotModelledError
from simulator.services.identity import model

if TYPE_CHECKING:
    from simulator.core.host import Host

CRLF = "\r\n"
# ASSUMPTION: a /24 network without a default gateway or DNS server, as in a small lab.
SUBNET_MASK = "255.255.255.0"
ADAPTER = "Ethernet"
LABEL_WIDTH = 34


def _line(label: str, value: str) -> str:
    """``   Label . . . . : value``: dots on even columns of a 34-wide label field, as ipconfig prints."""
    field = label + "".join("." if column % 2 == 0 else " " for column in range(len(label), LABEL_WIDTH))
    return f"   {field}: {value}{CRLF}"


def mac_address(host: Host) -> str:
    """A stable Hyper-V-style MAC (00-15-5D-…) derived from the host name."""
    digest = hashlib.sha256(str(host.info["name"]).lower().encode()).digest()
    return "-".join(f"{b:02X}" for b in (0x00, 0x15, 0x5D, *digest[:3]))


@cmd_command("hostname", summary="prints the active host name",
             not_modelled="setting the name (hostname with arguments fails as on Windows)")
def hostname(call: CmdCall) -> CmdResult:
    """``hostname``: the active DNS host name. Not modelled: nothing (arguments fail as on Windows)."""
    if call.argv:
        return CmdResult(stderr="sethostname: Use the Network Control Panel Applet to set hostname." + CRLF,
                         exit_code=1)
    return CmdResult(stdout=model.host_name(call.host) + CRLF)


def _ipconfig_all(host: Host) -> str:
    suffix = model.primary_dns_suffix(host)
    out = CRLF + "Windows IP Configuration" + CRLF + CRLF
    out += _line("Host Name", model.host_name(host))
    out += _line("Primary Dns Suffix ", suffix)
    out += _line("Node Type", "Hybrid")
    out += _line("IP Routing Enabled", "No")
    out += _line("WINS Proxy Enabled", "No")
    if suffix:
        out += _line("DNS Suffix Search List", suffix)
    out += CRLF + f"Ethernet adapter {ADAPTER}:" + CRLF + CRLF
    out += _line("Connection-specific DNS Suffix ", "")
    out += _line("Description", "Microsoft Hyper-V Network Adapter")
    out += _line("Physical Address", mac_address(host))
    out += _line("DHCP Enabled", "No")
    out += _line("Autoconfiguration Enabled", "Yes")
    out += _line("IPv4 Address", f"{model.virtual_address(host)}(Preferred) ")
    out += _line("Subnet Mask", SUBNET_MASK)
    out += _line("Default Gateway", "")
    out += _line("NetBIOS over Tcpip", "Enabled")
    return out


def _ipconfig(host: Host) -> str:
    out = CRLF + "Windows IP Configuration" + CRLF + CRLF + CRLF
    out += f"Ethernet adapter {ADAPTER}:" + CRLF + CRLF
    out += _line("Connection-specific DNS Suffix ", "")
    out += _line("IPv4 Address", model.virtual_address(host))
    out += _line("Subnet Mask", SUBNET_MASK)
    out += _line("Default Gateway", "")
    return out


@cmd_command("ipconfig", summary="ipconfig and ipconfig /all for one adapter with the virtual IPv4 address",
             not_modelled="IPv6 addresses, /release, /renew, /displaydns, /registerdns, /showclassid, /setclassid")
def ipconfig(call: CmdCall) -> CmdResult:
    """``ipconfig [/all | /flushdns]``. Not modelled: IPv6, DHCP operations, /displaydns, /registerdns."""
    switches = [arg.lower().replace("-", "/", 1) for arg in call.argv]
    if not switches:
        return CmdResult(stdout=_ipconfig(call.host))
    if switches == ["/all"]:
        return CmdResult(stdout=_ipconfig_all(call.host))
    if switches == ["/flushdns"]:
        # Nothing is cached: resolution reads the hosts file every time.
        return CmdResult(stdout=CRLF + "Windows IP Configuration" + CRLF + CRLF
                         + "Successfully flushed the DNS Resolver Cache." + CRLF)
    raise NotModelledError(f"ipconfig {' '.join(call.argv)}")


@cmd_command("ping", summary="refused: the simulator never sends network traffic",
             not_modelled="everything (no ICMP is ever sent)")
def ping(call: CmdCall) -> CmdResult:
    """``ping``: always refused. Not modelled: everything; the simulator sends no traffic."""
    raise NotModelledError("ping (the simulator never sends network traffic)")


@cmd_command("shutdown", summary="shutdown /r: an instant restart (pending name and suffix become active)",
             not_modelled="/s, /h, /l, /a, /p, /i, /m (remote), /o, /hybrid; the /t delay (the restart is instant)")
def shutdown(call: CmdCall) -> CmdResult:
    """``shutdown /r [/f] [/t N] [/c text] [/d …]``: restart now.

    Not modelled: shutting down (/s, /p, /h), logging off, aborting (/a), remote computers (/m).
    """
    switches = [arg.lower().replace("-", "/", 1) for arg in call.argv]
    if "/r" not in switches:
        raise NotModelledError(f"shutdown {' '.join(call.argv)} (only shutdown /r is modelled)")
    index = 0
    while index < len(switches):
        switch = switches[index]
        if switch in ("/t", "/c", "/d"):
            index += 1
            if index >= len(switches):
                return CmdResult(stderr="The parameter is incorrect.(87)" + CRLF, exit_code=87)
        elif switch not in ("/r", "/f"):
            raise NotModelledError(f"shutdown {call.argv[index]}")
        index += 1
    # ASSUMPTION: the /t delay is not waited for; the restart happens before the command returns.
    model.restart(call.host)
    return CmdResult()
