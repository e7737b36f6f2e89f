"""``serve --topology`` keys that other subsystems read: drive capacities (the filesystem's virtual size)."""

from __future__ import annotations

from pathlib import Path

import pytest

from simulator.launcher import start_host
from simulator.topology import TopologyError, validate_host
from tests.acceptance.support import Remote


def test_drive_with_a_capacity_is_served(tmp_path: Path) -> None:
    topology = {"name": "HV1", "drives": ["C", {"letter": "e", "capacity_gib": 1}], "vms": []}
    with start_host(tmp_path, "HV1", topology=topology) as host:
        remote = Remote(host, "pywinrm", "basic", True)
        assert remote.ok(r"Test-Path E:\; Test-Path D:\ ").split() == ["True", "False"]
        free = int(remote.ok("(Get-PSDrive E).Free").strip())
        assert 0 < free <= 1024**3


@pytest.mark.parametrize(("drives", "message"), [
    (["C", {"letter": "E", "capacity_gib": -1}], "capacity_gib: <positive number>"),
    (["C", {"letter": "E", "size": 1}], "capacity_gib: <positive number>"),
    (["C", {"letter": "EE"}], "must be single letters"),
    (["D"], "include C"),
    (["C", "c"], "name a letter twice"),
])
def test_bad_drives_are_refused(drives: object, message: str) -> None:
    with pytest.raises(TopologyError, match=message):
        validate_host({"name": "HV1", "drives": drives})
