"""Fixtures shared by every test layer: an in-process simulated host and hypothesis profiles."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, settings

from simulator.core.host import Host, HostInfo

settings.register_profile("dev", max_examples=40, deadline=None)
settings.register_profile(
    "ci", max_examples=80, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci" if os.environ.get("CI") else "dev"))

DEFAULT_TOPOLOGY: dict[str, Any] = {
    "name": "Hyper-v-prim",
    "os": "2016",
    "dns_suffix": None,
    "address": "192.168.101.209",
    "vms": [
        {"name": "VM01", "generation": 2, "state": "Running", "disks": [{"name": "VM01.vhdx", "size_mb": 64}]},
    ],
}


def make_host(state_dir: Path, topology: dict[str, Any] | None = None) -> Host:
    """A new simulated host in ``state_dir`` built from ``topology`` (the default one when None)."""
    topo = dict(DEFAULT_TOPOLOGY if topology is None else topology)
    info = HostInfo(
        name=topo.get("name", "Hyper-v-prim"),
        os_version=str(topo.get("os", "2016")),
        virtual_address=topo.get("address"),
    )
    return Host.open(state_dir, info, topo)


@pytest.fixture(name="sim_host")
def _sim_host(tmp_path: Path) -> Host:
    """A fresh in-process simulated host (no WinRM), for subsystem tests."""
    return make_host(tmp_path / "host")
