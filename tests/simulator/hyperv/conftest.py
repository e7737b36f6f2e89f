"""Fixtures for Hyper-V tests: hosts with only the Hyper-V section seeded, independent of other subsystems."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from simulator.core.host import Host
from simulator.services import hyperv
from tests.conftest import DEFAULT_TOPOLOGY


def make_hv_host(state_dir: Path, topology: dict[str, Any] | None = None) -> Host:
    """A host whose state holds only what Hyper-V needs (no other subsystem's initial state)."""
    topo = dict(DEFAULT_TOPOLOGY if topology is None else topology)
    state_dir.mkdir(parents=True, exist_ok=True)
    state = {
        "format": 1,
        "info": {"name": topo.get("name", "Hyper-v-prim"), "os_version": str(topo.get("os", "2016")),
                 "address": "127.0.0.1", "virtual_address": topo.get("address")},
        "clock": {"offset_seconds": 0.0, "rate": 1.0, "rate_since": None},
        "events": [],
    }
    host = Host(state_dir=state_dir, state=state)
    for letter in host.drives:
        (state_dir / letter).mkdir(parents=True, exist_ok=True)
    with host.transaction():
        hyperv.initial_state(host, topo)
    return host


@pytest.fixture(name="hv_host")
def _hv_host(tmp_path: Path) -> Host:
    """The default topology's host (VM01 running, one 64 MiB disk), Hyper-V section only."""
    return make_hv_host(tmp_path / "host")
