"""The per-chunk fault lookups of a transfer must not resolve the state folder's path again each time."""

from __future__ import annotations

from pathlib import Path

import pytest

from simulator.core.host import Host
from simulator.services.replication import network


def test_current_faults_resolves_the_state_dir_once(sim_host: Host, monkeypatch: pytest.MonkeyPatch) -> None:
    """A thousand lookups (one transfer's chunks) resolve the state folder at most once."""
    calls: list[Path] = []
    original = Path.resolve

    def counting(self: Path, strict: bool = False) -> Path:
        calls.append(self)
        return original(self, strict=strict)

    network._resolved.cache_clear()  # start from a cold cache
    monkeypatch.setattr(Path, "resolve", counting)
    for _ in range(1000):
        assert network.current_faults(sim_host)["cut"] == []
        assert network.rate_limit(sim_host) is None
    assert len(calls) <= 1


def test_faults_still_found_per_host(sim_host: Host) -> None:
    """The cached key still tells a host's pending fault change apart (a cut is seen at once)."""
    network.set_faults(sim_host, lambda faults: faults["cut"].append("*"))
    assert network.is_cut(sim_host, ["anything"])
    network.set_faults(sim_host, lambda faults: faults.update(cut=[]))
    assert not network.is_cut(sim_host, ["anything"])
