"""Started hosts for the acceptance tests: two ``python -m simulator serve`` processes for the session.

``host`` is a Server 2016 primary, ``peer_host`` a Server 2019 replica. Each test gets them restored to the
snapshot taken right after start (``/_sim/restore``), so tests are isolated without paying a process start
each; ``remote`` is parametrised over every client library and auth mode of
:data:`tests.acceptance.support.CLIENT_MODES`. Tests about starting, stopping or killing hosts start their own.
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


PEER_TOPOLOGY = {"name": "Hyper-v-repl", "os": "2019", "address": "192.168.101.213", "vms": []}


@pytest.fixture(scope="session")
def started_host(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningHost]:
    """The primary (Server 2016), with a snapshot of its first state named ``acceptance-clean``."""
    with start_host(tmp_path_factory.mktemp("accept"), "Hyper-v-prim", topology=PRIMARY_TOPOLOGY) as host:
        control(host, "POST", "/snapshot", json={"name": CLEAN})
        yield host


@pytest.fixture(scope="session")
def started_peer(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningHost]:
    """The replica (Server 2019, ``--os 2019`` through its topology), snapshot ``acceptance-clean``."""
    with start_host(tmp_path_factory.mktemp("peer"), "Hyper-v-repl", topology=PEER_TOPOLOGY) as host:
        control(host, "POST", "/snapshot", json={"name": CLEAN})
        yield host


@pytest.fixture
def host(started_host: RunningHost) -> RunningHost:
    """The primary, brought back to its first state."""
    control(started_host, "POST", "/restore", json={"name": CLEAN})
    return started_host


@pytest.fixture
def peer_host(started_peer: RunningHost) -> RunningHost:
    """The replica, brought back to its first state."""
    control(started_peer, "POST", "/restore", json={"name": CLEAN})
    return started_peer


@pytest.fixture(params=CLIENT_MODES, ids=MODE_IDS)
def remote(request: pytest.FixtureRequest, host: RunningHost) -> Remote:
    """The clean host through one client library and auth mode."""
    library, auth, tls = request.param
    return Remote(host, library, auth, tls)
