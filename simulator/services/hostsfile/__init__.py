"""The hosts file ``C:\\Windows\\System32\\drivers\\etc\\hosts``: Windows' default content and its parser.

The file is a real file on the host's C: drive, read and written by the generic file cmdlets like
any other; name resolution (:func:`simulator.services.identity.resolve`) parses it on every lookup,
so an edit takes effect at once, as with the Windows DNS client's hosts-file watcher.
"""

from __future__ import annotations

import ipaddress
import logging
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from simulator.core.host import Host

log = logging.getLogger(__name__)

HOSTS_PATH = "C:\\Windows\\System32\\drivers\\etc\\hosts"

# The file as Windows Server 2016 ships it (every line a comment), with CRLF line ends.
DEFAULT_LINES = (
    "# Copyright (c) 1993-2009 Microsoft Corp.",
    "#",
    "# This is a sample HOSTS file used by Microsoft TCP/IP for Windows.",
    "#",
    "# This file contains the mappings of IP addresses to host names. Each",
    "# entry should be kept on an individual line. The IP address should",
    "# be placed in the first column followed by the corresponding host name.",
    "# The IP address and the host name should be separated by at least one",
    "# space.",
    "#",
    "# Additionally, comments (such as these) may be inserted on individual",
    "# lines or following the machine name denoted by a '#' symbol.",
    "#",
    "# For example:",
    "#",
    "#      102.54.94.97     rhino.acme.com          # source server",
    "#       38.25.63.10     x.acme.com              # x client host",
    "",
    "# localhost name resolution is handled within DNS itself.",
    "#\t127.0.0.1       localhost",
    "#\t::1             localhost",
)
DEFAULT_CONTENT = "\r\n".join(DEFAULT_LINES) + "\r\n"


def parse(text: str) -> list[tuple[str, list[str]]]:
    """The entries of a hosts file, in order: ``[(ip, [names…]), …]``.

    ``#`` starts a comment (whole line or trailing); fields are separated by spaces or tabs; a
    line whose first field is not an IP address is ignored, as the Windows resolver ignores it.
    """
    entries: list[tuple[str, list[str]]] = []
    for line in text.lstrip("\ufeff").splitlines():
        fields = line.split("#", 1)[0].split()
        if len(fields) < 2:
            continue
        try:
            ipaddress.ip_address(fields[0])
        except ValueError:
            log.debug("hosts file line ignored (not an address): %r", line)
            continue
        entries.append((fields[0], fields[1:]))
    return entries


def read(host: Host) -> str:
    """The hosts file's text ('' if someone deleted it). Bytes that are not UTF-8 read as cp1252."""
    path = host.real_path(HOSTS_PATH)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return ""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def lookup(host: Host, name: str) -> list[str]:
    """The address the hosts file gives for ``name`` (case-insensitive): ``[ip]``, or ``[]``.

    ASSUMPTION: the first line naming the host wins, later lines for the same name are ignored.
    """
    wanted = name.rstrip(".").lower()
    for address, names in parse(read(host)):
        if wanted in (n.rstrip(".").lower() for n in names):
            return [address]
    return []


def initial_state(host: Host, topology: dict[str, Any]) -> None:
    """Create the default hosts file (topology key ``hosts_entries``: extra ``[ip, name…]`` lines)."""
    path = host.real_path(HOSTS_PATH)
    path.parent.mkdir(parents=True, exist_ok=True)
    content = DEFAULT_CONTENT
    for entry in topology.get("hosts_entries") or []:
        content += "\t".join(str(part) for part in entry) + "\r\n"
    path.write_bytes(content.encode("ascii"))
