"""A two-host simulated lab for engine tests: real processes, real pywinrm over HTTPS, a lab.json."""

from __future__ import annotations

import contextlib
import json
import random
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests
import yaml

from hvrepl.errors import HvreplError
from hvrepl.inventory import load_lab
from hvrepl.plan import parse_plan
from hvrepl.session import Script
from hvrepl.transport.winrm import WinRMTransport
from simulator.launcher import RunningHost, start_host

PRIMARY_VIRTUAL = "192.168.101.209"
REPLICA_VIRTUAL = "192.168.101.213"


def plan_dict(**changes: Any) -> dict[str, Any]:
    """The walkthrough plan (issue 3), with top-level overrides."""
    plan: dict[str, Any] = {
        "primary": {"name": "Hyper-v-prim", "dns_suffix": "test.net", "address": PRIMARY_VIRTUAL},
        "replica": {"name": "Hyper-v-repl", "dns_suffix": "test.net", "address": REPLICA_VIRTUAL},
        "certificates": {"mode": "testroot"},
        "revocation_check": "disable",
        "replica_server": {"storage_location": "D:\\Hyper-V\\Replica", "trust_group": "Replication", "port": 443},
        "vms": [{"name": "VM01", "frequency_seconds": 300, "recovery_points": 0}],
    }
    plan.update(changes)
    return plan


def topology(name: str, virtual: str, vms: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """A fresh workgroup host (no DNS suffix yet)."""
    return {"name": name, "os": "2016", "dns_suffix": None, "address": virtual, "drives": ["C", "D"],
            "vms": vms or []}


@dataclass
class Lab:
    """Two running simulated hosts and the lab directory the CLI reads."""

    directory: Path
    hosts: dict[str, RunningHost]

    def write_plan(self, plan: dict[str, Any], name: str = "plan.yaml") -> Path:
        """Write a plan file into the lab directory."""
        path = self.directory / name
        path.write_text(yaml.safe_dump(plan, sort_keys=False), encoding="utf-8")
        return path

    def state(self, name: str) -> dict[str, Any]:
        """The host's /_sim/state (independent of the engine's own reads)."""
        info = self.hosts[name].info
        response = requests.get(info["control_url"] + "/state", verify=info["ca_bundle"], timeout=30,
                                headers={"Authorization": f"Bearer {info['control_token']}"})
        response.raise_for_status()
        return dict(response.json())

    def files(self, name: str) -> dict[str, bytes]:
        """Every file on the host's drives (the drive letter folders of its state dir), by relative path."""
        root = self.hosts[name].state_dir
        return {str(p.relative_to(root)): p.read_bytes() for letter in "CD" for p in (root / letter).rglob("*")
                if p.is_file()}

    def snapshot(self) -> dict[str, Any]:
        """Independent picture of both hosts: state tree (minus clock/shell noise) and drive files."""
        from tests.engine.test_end_to_end import strip_volatile  # noqa: PLC0415 - avoids an import cycle

        return {n: (strip_volatile(self.state(n)), self.files(n)) for n in self.hosts}


def _lab_entry(name: str, virtual: str, bind: str, state_dir: Path, topo: dict[str, Any]) -> dict[str, Any]:
    return {**topo, "name": name, "address": bind, "virtual_address": virtual, "state_dir": str(state_dir)}


@contextlib.contextmanager
def running_lab(directory: Path, primary_vms: list[dict[str, Any]] | None = None) -> Iterator[Lab]:
    """Primary with VM01 (running), replica empty; both know each other through lab.json."""
    directory.mkdir(parents=True, exist_ok=True)
    octet = random.randint(2, 250)  # spreads parallel labs over loopback addresses
    vms = primary_vms if primary_vms is not None else [
        {"name": "VM01", "generation": 2, "state": "Running", "disks": [{"name": "VM01.vhdx", "size_mb": 16}]}]
    spec = {
        "Hyper-v-prim": (PRIMARY_VIRTUAL, f"127.77.{octet}.9", topology("Hyper-v-prim", PRIMARY_VIRTUAL, vms)),
        "Hyper-v-repl": (REPLICA_VIRTUAL, f"127.77.{octet}.13", topology("Hyper-v-repl", REPLICA_VIRTUAL)),
    }
    lab_file = directory / "lab.json"
    entries = [_lab_entry(n, v, b, directory / n, t) for n, (v, b, t) in spec.items()]
    lab_file.write_text(json.dumps({"backend": "process", "hosts": entries}), encoding="utf-8")
    running: dict[str, RunningHost] = {}
    try:
        for name, (_virtual, bind, topo) in spec.items():
            running[name] = start_host(directory / name, name, topology=topo, address=bind, lab_file=lab_file)
        for entry in entries:
            info = running[entry["name"]].info
            entry["fqdn"] = info.get("fqdn")
            entry["winrm"] = {"url": info["winrm"]["https_url"], "auth": "basic", "username": info["username"],
                              "password": info["password"], "ca_bundle": info["ca_bundle"]}
            entry["control_url"] = info["control_url"]
        lab_file.write_text(json.dumps({"backend": "process", "hosts": entries}), encoding="utf-8")
        yield Lab(directory, running)
    finally:
        for host in running.values():
            host.stop()


def stdin_reaches_scripts(lab: Lab) -> bool:
    """Does the simulated powershell.exe give WinRS stdin to -EncodedCommand scripts as $input?"""
    connection = load_lab(lab.directory, parse_plan(plan_dict()))["Hyper-v-prim"]
    probe = Script._make("temp_cleanup", True, {"folder": "C:\\Windows\\Temp", "pattern": "hvrepl-probe-*"})
    script = probe.text.replace("$result = @{ removed = $removed }", "$result = @{ first = $HvreplStdin[0] }")
    with WinRMTransport(connection) as transport:
        try:
            return bool(transport.run_ps(script, stdin="probe\n").json.get("first") == "probe")
        except HvreplError:
            return False


@pytest.fixture(name="lab")
def _lab(tmp_path: Path) -> Iterator[Lab]:
    """A fresh two-host lab for one test."""
    with running_lab(tmp_path) as lab:
        yield lab
