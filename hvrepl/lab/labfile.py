"""``lab.json``: where each lab host runs and how to reach it (WinRM, control plane), written mode 0600.

The same file is handed to every host (``--lab-file``) so hosts find each other for replication: an entry
maps a host's virtual address to the loopback (or container) address it really listens on. It holds the
generated WinRM passwords, hence the mode; nothing here logs or prints them.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

LAB_FILE = "lab.json"
DEFAULT_TOPOLOGY = "walkthrough-lab.yaml"
TOPOLOGY_KEYS = ("name", "os", "dns_suffix", "drives", "vms", "hosts_entries", "initial_replication")


class LabError(Exception):
    """The lab cannot do what was asked (message for the user; exit code 1)."""


@dataclass(frozen=True)
class LabHost:
    """One host entry of lab.json."""

    entry: dict[str, Any]

    @property
    def name(self) -> str:
        """The NetBIOS computer name."""
        return str(self.entry["name"])

    @property
    def control_url(self) -> str:
        """``https://ADDRESS:PORT/_sim``."""
        return str(self.entry["control_url"])

    @property
    def winrm(self) -> dict[str, Any]:
        """url, auth, username, password, ca_bundle."""
        return dict(self.entry.get("winrm") or {})

    @property
    def pid(self) -> int | None:
        """The host process id (process backend) or None."""
        pid = self.entry.get("pid")
        return int(pid) if pid else None

    @property
    def state_dir(self) -> Path:
        """The host's state folder."""
        return Path(self.entry["state_dir"])


def load_topology(path: str | Path | None) -> dict[str, Any]:
    """A lab topology (``hosts: […]`` + lab-level keys); the walkthrough pair when ``path`` is None."""
    if path is None:
        text = resources.files("hvrepl.data").joinpath(DEFAULT_TOPOLOGY).read_text(encoding="utf-8")
        source = f"hvrepl/data/{DEFAULT_TOPOLOGY}"
    else:
        try:
            text = Path(path).read_text(encoding="utf-8")
        except OSError as exc:
            raise LabError(f"{path}: cannot read the topology ({exc.strerror})") from None
        source = str(path)
    try:
        document = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise LabError(f"{source}: not valid YAML: {exc}") from None
    return check_topology(document, source)


def check_topology(document: Any, source: str) -> dict[str, Any]:
    """The checks the lab itself needs (a hosts list, unique names, virtual addresses); the hosts check the rest."""
    if not isinstance(document, dict) or not isinstance(document.get("hosts"), list) or not document["hosts"]:
        raise LabError(f"{source}: a lab topology needs a non-empty 'hosts' list")
    seen: set[str] = set()
    for index, host in enumerate(document["hosts"]):
        if not isinstance(host, dict) or not isinstance(host.get("name"), str):
            raise LabError(f"{source}: hosts[{index}]: each host needs a 'name'")
        if host["name"].lower() in seen:
            raise LabError(f"{source}: hosts[{index}]: duplicate host name {host['name']!r}")
        seen.add(host["name"].lower())
        if not host.get("address"):
            raise LabError(f"{source}: hosts[{index}]: 'address' (the host's virtual IPv4 address) is required")
    return document


def host_topology(host: dict[str, Any]) -> dict[str, Any]:
    """The topology handed to one host (its virtual address as ``address``).

    ``state: Off`` written unquoted is the boolean false in YAML 1.1 (what PyYAML reads): it is put back to "Off".
    """
    topology = {k: host[k] for k in (*TOPOLOGY_KEYS, "address") if k in host}
    if isinstance(topology.get("vms"), list):
        topology["vms"] = [{**vm, "state": "Off"} if isinstance(vm, dict) and vm.get("state") is False else vm
                           for vm in topology["vms"]]
    return topology


def write_lab_file(directory: Path, document: dict[str, Any]) -> Path:
    """Write ``DIR/lab.json`` atomically with mode 0600 (it holds passwords)."""
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    target = directory / LAB_FILE
    staging = directory / f".{LAB_FILE}.{os.getpid()}"
    fd = os.open(staging, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(document, handle, indent=1)
        handle.flush()
        os.fsync(handle.fileno())
    os.chmod(staging, 0o600)
    os.replace(staging, target)
    return target


def read_lab_file(directory: str | Path) -> dict[str, Any]:
    """Read ``DIR/lab.json``; LabError when there is no lab there."""
    path = Path(directory) / LAB_FILE
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise LabError(f"no lab in {directory} (no {LAB_FILE}); start one with `hvrepl lab up`") from None
    except (OSError, json.JSONDecodeError) as exc:
        raise LabError(f"{path}: unreadable lab file: {exc}") from None
    if not isinstance(document, dict) or not isinstance(document.get("hosts"), list):
        raise LabError(f"{path}: not a lab file (no 'hosts' list)")
    return document
