"""Load and validate host and lab topologies (YAML or JSON) before any host state is created.

A topology is the initial state of one simulated host (see the common brief); a lab file holds
``hosts: [...]``. Validation happens here, once, with messages naming the file, the host and the
field, so that ``python -m simulator serve`` can refuse a bad file with exit code 2 instead of
building a half-valid host.
"""

from __future__ import annotations

import ipaddress
import json
import re
from pathlib import Path
from typing import Any

import yaml

OS_VERSIONS = ("2016", "2019", "2022")
VM_STATES = ("Running", "Off")
# NetBIOS computer names: 1-15 characters, letters, digits and hyphens, not all digits.
_NETBIOS = re.compile(r"^[A-Za-z0-9-]{1,15}$")
_DNS_LABEL = re.compile(r"^(?!-)[A-Za-z0-9-]{1,63}(?<!-)$")
_VM_NAME_FORBIDDEN = set('\\/:*?"<>|')
_HOST_KEYS = {"name", "os", "dns_suffix", "address", "drives", "vms", "hosts_entries", "initial_replication"}
# How Start-VMInitialReplication over the network behaves: "inline" finishes the copy inside the cmdlet
# (deterministic, the default); "background" returns at once with InitialReplicationInProgress, as Windows does.
INITIAL_REPLICATION_MODES = ("inline", "background")
# a hosts-file host name: DNS labels separated by dots (an optional trailing dot)
_HOSTS_NAME = re.compile(r"^(?!-)[A-Za-z0-9-]{1,63}(?<!-)(\.(?!-)[A-Za-z0-9-]{1,63}(?<!-))*\.?$")
_VM_KEYS = {"name", "generation", "state", "memory_mb", "disks", "checkpoints"}


class _Yaml12BoolLoader(yaml.SafeLoader):
    """SafeLoader reading only true/false as booleans (YAML 1.2): ``state: Off`` stays the VM state "Off"
    instead of YAML 1.1's boolean false (so do on/off/yes/no and their capitalisations)."""


_Yaml12BoolLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:bool"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Yaml12BoolLoader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)


class TopologyError(ValueError):
    """A topology file is unreadable or describes a host Windows could not have."""


def read_document(path: Path) -> Any:
    """Parse a YAML or JSON file (JSON is YAML, but JSON errors read better from json)."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise TopologyError(f"{path}: cannot read the file: {exc.strerror}") from exc
    try:
        if Path(path).suffix.lower() == ".json":
            return json.loads(text)
        return yaml.load(text, Loader=_Yaml12BoolLoader)  # noqa: S506 - a SafeLoader subclass
    except (json.JSONDecodeError, yaml.YAMLError) as exc:
        raise TopologyError(f"{path}: not valid YAML/JSON: {exc}") from exc


def validate_host(topology: Any, where: str = "topology") -> dict[str, Any]:
    """Check one host topology; returns a normalised copy (os as a string, drives upper-case)."""
    if not isinstance(topology, dict):
        raise TopologyError(f"{where}: a host topology must be a mapping, got {type(topology).__name__}")
    unknown = sorted(set(topology) - _HOST_KEYS)
    if unknown:
        raise TopologyError(f"{where}: unknown field(s) {', '.join(unknown)}; allowed: {', '.join(sorted(_HOST_KEYS))}")
    topo = dict(topology)
    name = topo.get("name")
    if not isinstance(name, str) or not _NETBIOS.match(name) or name.isdigit():
        raise TopologyError(
            f"{where}: name {name!r} is not a valid computer name (1-15 letters, digits or hyphens, not all digits)"
        )
    os_version = str(topo.get("os", "2016"))
    if os_version not in OS_VERSIONS:
        raise TopologyError(f"{where}: os {os_version!r} is not one of {', '.join(OS_VERSIONS)}")
    topo["os"] = os_version
    suffix = topo.get("dns_suffix")
    if suffix is not None and (
        not isinstance(suffix, str) or not all(_DNS_LABEL.match(p) for p in suffix.split("."))
    ):
        raise TopologyError(f"{where}: dns_suffix {suffix!r} is not a valid DNS suffix")
    address = topo.get("address")
    if address is not None:
        try:
            ipaddress.IPv4Address(str(address))
        except ValueError as exc:
            raise TopologyError(f"{where}: address {address!r} is not an IPv4 address") from exc
        topo["address"] = str(address)
    mode = topo.get("initial_replication", "inline")
    if mode not in INITIAL_REPLICATION_MODES:
        raise TopologyError(f"{where}: initial_replication {mode!r} is not one of "
                            f"{', '.join(INITIAL_REPLICATION_MODES)}")
    topo["drives"] = _validate_drives(topo.get("drives", ["C", "D"]), where)
    topo["hosts_entries"] = _validate_hosts_entries(topo.get("hosts_entries", []), where)
    vms = topo.get("vms", [])
    if not isinstance(vms, list):
        raise TopologyError(f"{where}: vms must be a list")
    seen: set[str] = set()
    for index, vm in enumerate(vms):
        vm_name = _validate_vm(vm, f"{where}.vms[{index}]")
        if vm_name.lower() in seen:
            raise TopologyError(f"{where}.vms[{index}]: duplicate VM name {vm_name!r}")
        seen.add(vm_name.lower())
    return topo


def _validate_drives(drives: Any, where: str) -> list[Any]:
    """Drive letters (``D``) or mappings ``{letter: D, capacity_gib: 100}`` (the filesystem's virtual capacity)."""
    if not isinstance(drives, list) or not drives:
        raise TopologyError(f"{where}: drives must be a non-empty list of drive letters")
    checked: list[Any] = []
    for entry in drives:
        if isinstance(entry, dict):
            unknown = sorted(set(entry) - {"letter", "capacity_gib"})
            capacity = entry.get("capacity_gib", 500)
            if unknown or isinstance(capacity, bool) or not isinstance(capacity, int | float) or capacity <= 0:
                raise TopologyError(f"{where}: drive {entry!r} must be {{letter: X, capacity_gib: <positive number>}}")
            checked.append({"letter": str(entry.get("letter", "")).upper().rstrip(":"), "capacity_gib": capacity})
        else:
            checked.append(str(entry).upper().rstrip(":"))
    letters = [d["letter"] if isinstance(d, dict) else d for d in checked]
    if any(len(d) != 1 or not d.isalpha() for d in letters) or "C" not in letters:
        raise TopologyError(f"{where}: drives {drives!r} must be single letters and include C")
    if len(set(letters)) != len(letters):
        raise TopologyError(f"{where}: drives {drives!r} name a letter twice")
    return checked


def _validate_hosts_entries(entries: Any, where: str) -> list[list[str]]:
    """``hosts_entries``: a list of ``[ip, name, …]`` lines for the hosts file (IPv4 or IPv6, ASCII names)."""
    if entries is None:
        return []
    if not isinstance(entries, list):
        raise TopologyError(f"{where}: hosts_entries must be a list of [address, name, ...] lists")
    checked = []
    for index, entry in enumerate(entries):
        here = f"{where}.hosts_entries[{index}]"
        if not isinstance(entry, list) or len(entry) < 2 or not all(isinstance(p, str) for p in entry):
            raise TopologyError(f"{here}: must be a list of an address and at least one host name (strings)")
        try:
            ipaddress.ip_address(entry[0])
        except ValueError as exc:
            raise TopologyError(f"{here}: {entry[0]!r} is not an IP address") from exc
        for name in entry[1:]:
            if len(name) > 253 or not _HOSTS_NAME.match(name):
                raise TopologyError(f"{here}: {name!r} is not a valid host name")
        checked.append(list(entry))
    return checked


def _validate_vm(vm: Any, where: str) -> str:
    if not isinstance(vm, dict):
        raise TopologyError(f"{where}: a VM must be a mapping")
    unknown = sorted(set(vm) - _VM_KEYS)
    if unknown:
        raise TopologyError(f"{where}: unknown field(s) {', '.join(unknown)}; allowed: {', '.join(sorted(_VM_KEYS))}")
    name = vm.get("name")
    if not isinstance(name, str) or not name.strip() or len(name) > 100 or set(name) & _VM_NAME_FORBIDDEN:
        raise TopologyError(f"{where}: name {name!r} is not a valid VM name")
    if vm.get("generation", 2) not in (1, 2):
        raise TopologyError(f"{where}: generation must be 1 or 2")
    if vm.get("state", "Off") not in VM_STATES:
        raise TopologyError(f"{where}: state must be one of {', '.join(VM_STATES)}")
    memory = vm.get("memory_mb", 1024)
    if not isinstance(memory, int) or not 32 <= memory <= 12 * 1024 * 1024:
        raise TopologyError(f"{where}: memory_mb must be an integer from 32 to 12582912")
    for kind in ("disks", "checkpoints"):
        items = vm.get(kind, [])
        if not isinstance(items, list) or not all(isinstance(i, dict) and isinstance(i.get("name"), str)
                                                  for i in items):
            raise TopologyError(f"{where}: {kind} must be a list of mappings with a name")
    for disk in vm.get("disks", []):
        size = disk.get("size_mb", 64)
        if not isinstance(size, int) or size <= 0:
            raise TopologyError(f"{where}: disk {disk['name']!r} size_mb must be a positive integer")
    return name


def load_host_topology(path: Path) -> dict[str, Any]:
    """Load a file holding one host topology (or a lab file with exactly one host)."""
    document = read_document(path)
    if isinstance(document, dict) and "hosts" in document:
        hosts = document["hosts"]
        if not isinstance(hosts, list) or len(hosts) != 1:
            raise TopologyError(f"{path}: a lab file with several hosts; pick one host (use --lab-file for the lab)")
        document = hosts[0]
    return validate_host(document, str(path))


def load_lab(path: Path) -> dict[str, Any]:
    """Load a lab file: ``hosts`` (each a valid host topology, unique names) plus lab-level keys."""
    document = read_document(path)
    if not isinstance(document, dict) or not isinstance(document.get("hosts"), list):
        raise TopologyError(f"{path}: a lab file needs a 'hosts' list")
    names: set[str] = set()
    hosts = []
    for index, entry in enumerate(document["hosts"]):
        # lab.json written by the lab carries runtime keys beside the topology ones
        host = {k: v for k, v in entry.items() if k in _HOST_KEYS} if isinstance(entry, dict) else entry
        checked = validate_host(host, f"{path}: hosts[{index}]")
        if checked["name"].lower() in names:
            raise TopologyError(f"{path}: hosts[{index}]: duplicate host name {checked['name']!r}")
        names.add(checked["name"].lower())
        hosts.append(checked)
    return {**document, "hosts": hosts}
