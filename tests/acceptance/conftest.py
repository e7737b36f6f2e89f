"""Started hosts for the acceptance tests: one ``python -m simulator serve`` process per module.

Each test gets the module's host restored to the snapshot taken right after start (``/_sim/restore``),
so tests are isolated without paying a process start each; ``remote`` is parametrised over every client
library and auth mode of :data:`tests.acceptance.support.CLIENT_MODES`.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from simulator.launcher import RunningHost, start_host
from tests.acceptance.support import CLIENT_MODES, MODE_IDS, Remote, control

PRIMARY_TOPOLOGY = {
    "name": "Hyper-v-prim",
    "os": "2016",
    "address": "192.168.101.209",
    "vms": [{"name": "VM01", "state": "Running", "disks": [{"name": "VM01.vhdx", "size_mb": 4}]}],
    "hosts_entries": [["192.168.101.213", "Hyper-v-repl.test.net", "Hyper-v-repl"]],
}
CLEAN = "acceptance-clean"


@pytest.fixture(scope="module")
def started_host(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningHost]:
    """The module's host, with a snapshot of its first state named ``acceptance-clean``."""
    with start_host(tmp_path_factory.mktemp("accept"), "Hyper-v-prim", topology=PRIMARY_TOPOLOGY) as host:
        control(host, "POST", "/snapshot", json={"name": CLEAN})
        yield host


@pytest.fixture
def host(started_host: RunningHost) -> RunningHost:
    """The module's host, brought back to its first state."""
    control(started_host, "POST", "/restore", json={"name": CLEAN})
    return started_host


@pytest.fixture(params=CLIENT_MODES, ids=MODE_IDS)
def remote(request: pytest.FixtureRequest, host: RunningHost) -> Remote:
    """The clean host through one client library and auth mode."""
    library, auth, tls = request.param
    return Remote(host, library, auth, tls)
