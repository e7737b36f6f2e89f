"""Topology files as people write them: YAML 1.1 words such as ``Off`` keep their meaning as values."""

from __future__ import annotations

from pathlib import Path

import pytest

from simulator.topology import TopologyError, load_host_topology


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
