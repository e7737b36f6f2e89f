"""Two real ``python -m simulator serve`` processes replicating over loopback, driven by pywinrm.

Proves the wiring with helper B's server: on_host_start gets the runtime (address, lab file, ephemeral
ports), the listener publishes its port, the primary finds the replica through the lab file, and the
control plane's faults act on a running host.
"""

from __future__ import annotations

import ssl
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import winrm

from simulator.launcher import RunningHost, start_host
from tests.simulator.replication.support import REPLICA_FQDN, Lab, build_lab

pytestmark = pytest.mark.slow

SUCCESS = "The connection to the specified Replica server with the specified parameters was successful."


@pytest.fixture(name="served", scope="module")
def _served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Lab, RunningHost, RunningHost]]:
    base = tmp_path_factory.mktemp("served")
    lab = build_lab(base, start=False)
    primary = start_host(lab.primary.state_dir, "Hyper-v-prim", lab_file=lab.lab_file)
    try:
        replica = start_host(lab.replica.state_dir, "Hyper-v-repl", lab_file=lab.lab_file)
    except Exception:
        primary.stop()
        raise
    try:
        yield lab, primary, replica
    finally:
        replica.stop()
        primary.stop()


def _run_ps(running: RunningHost, script: str) -> Any:
    info = running.info
    session = winrm.Session(info["winrm"]["https_url"], auth=(info["username"], info["password"]),
                            transport="ssl", ca_trust_path=info["ca_bundle"])
    return session.run_ps(script)


def _verify(running: RunningHost) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=running.info["ca_bundle"])


def _control(running: RunningHost, path: str, body: dict[str, Any]) -> httpx.Response:
    info = running.info
    return httpx.post(f"{info['control_url']}/replication/{path}", json=body, verify=_verify(running),
                      headers={"Authorization": f"Bearer {info['control_token']}"}, timeout=30)


def _test_connection(lab: Lab, primary: RunningHost) -> Any:
    return _run_ps(primary, f"Test-VMReplicationConnection -ReplicaServerName '{REPLICA_FQDN}' -ReplicaServerPort 443 "
                            f"-AuthenticationType Certificate -CertificateThumbprint '{lab.primary_tp}'")


def test_connection_between_processes(served: tuple[Lab, RunningHost, RunningHost]) -> None:
    """Test-VMReplicationConnection over WinRM succeeds across two host processes."""
    lab, primary, _replica = served
    result = _test_connection(lab, primary)
    assert result.status_code == 0, result.std_err
    assert result.std_out.decode().strip() == SUCCESS


def test_cut_and_restore_through_control_plane(served: tuple[Lab, RunningHost, RunningHost]) -> None:
    """A cut injected through the replica's control plane makes the primary's test fail with 0x00002EFD."""
    lab, primary, replica = served
    assert _control(replica, "network/cut", {"peer": "Hyper-v-prim"}).status_code == 200
    try:
        failed = _test_connection(lab, primary)
        assert failed.status_code == 1
        assert b"0x00002EFD" in failed.std_err
    finally:
        assert _control(replica, "network/restore", {"peer": None}).status_code == 200
    assert _test_connection(lab, primary).status_code == 0


def test_listener_port_published(served: tuple[Lab, RunningHost, RunningHost]) -> None:
    """The replica's status shows its published listener (an ephemeral port on its address)."""
    _lab, _primary, replica = served
    info = replica.info
    status = httpx.get(f"{info['control_url']}/replication/status", verify=_verify(replica),
                       headers={"Authorization": f"Bearer {info['control_token']}"}, timeout=30).json()
    listener = status["listeners"]["443"]
    assert listener["address"] == "127.0.0.1"
    assert listener["port"] not in (0, 443)
