"""pytest plugin (entry point ``pytest11``): a simulated lab for users' own plan tests.

Fixtures:
    ``hv_lab``      the lab (started once per session — per xdist worker —, restored to its start state
                    before every test that uses it; a host a test powered off is powered on again);
    ``hv_host``     one host of that lab (the first; parametrise ``hv_host_name`` indirectly for another),
                    with ``run_ps``;
    ``hv_lab_topology`` override it (session scope) to start another topology (dict or path; None = walkthrough);
    ``hv_scenario`` the result of the scenario file named by ``@pytest.mark.scenario("file.yaml")``.
Options: ``--hv-lab-topology FILE``, ``--hv-lab-keep`` (leave the lab folder after the session).
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

SNAPSHOT = "hv-lab-test-start"


def pytest_addoption(parser: pytest.Parser) -> None:
    """The plugin's command-line options."""
    group = parser.getgroup("hvrepl", "hvrepl simulated lab")
    group.addoption("--hv-lab-topology", metavar="FILE", default=None,
                    help="lab topology for the hv_lab fixture (default: the walkthrough pair)")
    group.addoption("--hv-lab-keep", action="store_true", default=False,
                    help="keep the lab folder after the session (host logs, states)")


def pytest_configure(config: pytest.Config) -> None:
    """Register the marker (the project runs with --strict-markers)."""
    config.addinivalue_line("markers", "scenario(path): run this scenario file; its result is the hv_scenario "
                                       "fixture")


class LabHostHandle:
    """A lab host for a test: name, WinRM connection data, control plane, and ``run_ps``."""

    def __init__(self, lab: Any, name: str) -> None:
        self.lab = lab
        self.entry = lab.host(name)
        self.name = self.entry.name

    @property
    def winrm(self) -> dict[str, Any]:
        """url, auth, username, password, ca_bundle (from lab.json)."""
        return dict(self.entry.winrm)

    def state(self) -> dict[str, Any]:
        """The host's state tree (secrets masked) from its control plane."""
        return dict(self.lab.state(self.name))

    def run_ps(self, script: str) -> Any:
        """Run a PowerShell snippet over WinRM (pywinrm, as the engine does); it may set ``$result``."""
        from hvrepl.inventory import Connection  # noqa: PLC0415 - loaded only by tests that use it
        from hvrepl.powershell import wrap  # noqa: PLC0415 - same
        from hvrepl.secrets import Secret  # noqa: PLC0415 - same
        from hvrepl.transport.winrm import WinRMTransport  # noqa: PLC0415 - same

        winrm = self.winrm
        connection = Connection(name=self.name, url=str(winrm["url"]), auth=winrm.get("auth", "basic"),
                                username=str(winrm["username"]), password=Secret(str(winrm["password"])),
                                ca_bundle=winrm.get("ca_bundle"), control_url=self.entry.control_url)
        with WinRMTransport(connection) as transport:
            return transport.run_ps(wrap(script)).json


@pytest.fixture(scope="session")
def hv_lab_topology(request: pytest.FixtureRequest) -> dict[str, Any] | str | None:
    """The topology hv_lab starts (None = the walkthrough pair); override in your conftest."""
    return request.config.getoption("--hv-lab-topology")


@pytest.fixture(scope="session")
def _hv_lab_session(request: pytest.FixtureRequest, hv_lab_topology: dict[str, Any] | str | None) -> Iterator[Any]:
    from hvrepl.lab.lab import Lab  # noqa: PLC0415 - keeps the plugin cheap for sessions that never use it

    folder = Path(tempfile.mkdtemp(prefix="hv-lab-"))
    lab = Lab.up(folder / "lab", hv_lab_topology)
    lab.snapshot(SNAPSHOT)
    try:
        yield lab
    finally:
        lab.down()
        if not request.config.getoption("--hv-lab-keep"):
            shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def hv_lab(_hv_lab_session: Any) -> Any:
    """The session's lab, restored to its start state (hosts, files, clocks, faults) for this test."""
    _hv_lab_session.restore(SNAPSHOT)
    return _hv_lab_session


@pytest.fixture
def hv_host_name(request: pytest.FixtureRequest, hv_lab: Any) -> str:
    """Which host hv_host is (parametrise indirectly to choose); default the first host of the topology."""
    return str(getattr(request, "param", None) or hv_lab.hosts[0].name)


@pytest.fixture
def hv_host(hv_lab: Any, hv_host_name: str) -> LabHostHandle:
    """One host of the lab."""
    return LabHostHandle(hv_lab, hv_host_name)


@pytest.fixture
def hv_scenario(request: pytest.FixtureRequest) -> Any:
    """The :class:`hvrepl.scenario.runner.ScenarioResult` of the file named by ``@pytest.mark.scenario``."""
    from hvrepl.scenario.model import load_scenario  # noqa: PLC0415 - only for scenario tests
    from hvrepl.scenario.runner import run_scenario  # noqa: PLC0415 - same

    marker = request.node.get_closest_marker("scenario")
    if marker is None or not marker.args:
        raise pytest.UsageError("hv_scenario needs @pytest.mark.scenario('path/to/scenario.yaml')")
    path = Path(marker.args[0])
    if not path.is_absolute():
        path = Path(request.config.rootpath) / path
    return run_scenario(load_scenario(path))
