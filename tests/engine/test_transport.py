"""The WinRM transport against a simulated host: auth modes, and third-party errors mapped at the boundary."""

from __future__ import annotations

import socket

import pytest

from hvrepl.errors import AuthenticationError, ConnectError
from hvrepl.inventory import Connection
from hvrepl.secrets import Secret
from hvrepl.session import HostSession
from hvrepl.transport.winrm import WinRMTransport
from tests.engine.conftest import Lab


def connection(lab: Lab, **changes: object) -> Connection:
    """Basic over HTTPS with the lab's CA bundle, with overrides."""
    info = lab.hosts["Hyper-v-prim"].info
    values: dict[str, object] = {"name": "Hyper-v-prim", "url": info["winrm"]["https_url"], "auth": "basic",
                                 "username": info["username"], "password": Secret(info["password"]),
                                 "ca_bundle": info["ca_bundle"]}
    values.update(changes)
    return Connection(**values)  # type: ignore[arg-type]  # test overrides


def identity(conn: Connection) -> dict[str, str]:
    """One engine script over a fresh session; the shell is reused for the second call."""
    transport = WinRMTransport(conn)
    try:
        session = HostSession(conn.name, transport)
        first = session.call("identity_get")
        session.call("identity_get")
        assert transport.requests >= 7  # Create + 2 x (Command, Receive, Signal): one shell for both
        return dict(first)
    finally:
        transport.close()


@pytest.mark.slow
def test_auth_modes_and_error_mapping(lab: Lab) -> None:
    """Basic/HTTPS and NTLM/HTTP (encrypted) work; 401, untrusted TLS and a closed port map to hvrepl errors."""
    assert identity(connection(lab))["hostname"] == "Hyper-v-prim"
    http_url = lab.hosts["Hyper-v-prim"].info["winrm"]["http_url"]
    assert identity(connection(lab, url=http_url, auth="ntlm", ca_bundle=None))["hostname"] == "Hyper-v-prim"
    with pytest.raises(AuthenticationError, match="rejected"):
        identity(connection(lab, password=Secret("Wrong-1")))
    with pytest.raises(ConnectError, match="TLS"):
        identity(connection(lab, ca_bundle=None))
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    with pytest.raises(ConnectError, match="cannot connect"):
        identity(connection(lab, url=f"https://127.0.0.1:{closed_port}/wsman"))
