"""One started host per test module (a real ``python -m simulator serve`` process on free ports)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from simulator.launcher import RunningHost, start_host


@pytest.fixture(scope="module")
def running_host(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningHost]:
    """A simulated host serving WinRM (HTTPS Basic/NTLM, HTTP NTLM) for the whole module."""
    with start_host(tmp_path_factory.mktemp("host"), "Hyper-v-prim") as host:
        yield host


def https_url(host: RunningHost) -> str:
    """The WinRM HTTPS endpoint."""
    url: str = host.info["winrm"]["https_url"]
    return url


def http_url(host: RunningHost) -> str:
    """The WinRM HTTP endpoint."""
    url: str = host.info["winrm"]["http_url"]
    return url


def credentials(host: RunningHost) -> tuple[str, str]:
    """(username, password) of the host's administrator."""
    return host.info["username"], host.info["password"]


def pywinrm_session(host: RunningHost, transport: str = "ssl", **kwargs: Any) -> Any:
    """A pywinrm Session over HTTPS (Basic) or HTTP (NTLM), trusting the host's certificate."""
    import winrm  # noqa: PLC0415 - third-party client under test

    url = http_url(host) if transport == "ntlm" and not kwargs.pop("https", False) else https_url(host)
    return winrm.Session(url, auth=credentials(host), transport=transport, ca_trust_path=host.info["ca_bundle"],
                         **kwargs)
