"""Topology files as people write them: YAML 1.1 words such as ``Off`` keep their meaning as values."""

from __future__ import annotations

from pathlib import Path

import pytest

from simulator.services.hyperv.replication import background_initial_replication
from simulator.topology import TopologyError, load_host_topology
from tests.conftest import make_host


def test_vm_state_off_written_bare_in_yaml_is_the_state_off(tmp_path: Path) -> None:
    path = tmp_path / "host.yaml"
    path.write_text(
        "name: HV1\nos: 2019\nvms:\n  - name: A\n    state: Off\n  - name: B\n    state: Running\n",
        encoding="utf-8",
    )
    topology = load_host_topology(path)
    assert [vm["state"] for vm in topology["vms"]] == ["Off", "Running"]
    assert topology["os"] == "2019"


@pytest.mark.parametrize("word", ["off", "no", "yes", "on", "true"])
def test_other_yaml_words_are_still_refused_as_states(tmp_path: Path, word: str) -> None:
    path = tmp_path / "host.yaml"
    path.write_text(f"name: HV1\nvms:\n  - name: A\n    state: {word}\n", encoding="utf-8")
    with pytest.raises(TopologyError, match=r"vms\[0\]: state must be one of Running, Off"):
        load_host_topology(path)


@pytest.mark.parametrize(("written", "background"), [(None, False), ("inline", False), ("background", True)])
def test_initial_replication_mode_from_the_topology(tmp_path: Path, written: str | None, background: bool) -> None:
    """`initial_replication: background` makes Start-VMInitialReplication return at once, as on Windows."""
    path = tmp_path / "host.yaml"
    path.write_text("name: HV1\n" + (f"initial_replication: {written}\n" if written else ""), encoding="utf-8")
    host = make_host(tmp_path / "state", load_host_topology(path))
    assert background_initial_replication(host) is background


def test_an_unknown_initial_replication_mode_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "host.yaml"
    path.write_text("name: HV1\ninitial_replication: later\n", encoding="utf-8")
    with pytest.raises(TopologyError, match="initial_replication 'later' is not one of inline, background"):
        load_host_topology(path)
