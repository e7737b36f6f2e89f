"""The replication control plane: faults and clock through HTTP, with their effect on real connections."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from simulator.core.host import Host
from simulator.services import filesystem
from simulator.services.certs import store
from simulator.services.replication import control, network, winerrors
from simulator.services.replication.api import open_channel
from simulator.services.replication.winerrors import ReplicationConnectionError
from tests.simulator.replication.support import REPLICA_FQDN, Lab, build_lab, set_revocation_check

TOKEN = "test-control-token"


def _client(host: Host) -> TestClient:
    app = FastAPI()
    app.state.runtime = SimpleNamespace(host=host, control_token=TOKEN,
                                        authenticator=SimpleNamespace(check_basic=lambda _header: False))
    app.include_router(control.router)
    return TestClient(app, headers={"Authorization": f"Bearer {TOKEN}"})


@pytest.fixture(name="lab")
def _lab(tmp_path: Path) -> Iterator[Lab]:
    lab = build_lab(tmp_path)
    yield lab
    lab.stop()


def _connects(lab: Lab) -> bool:
    try:
        with lab.primary.transaction():
            open_channel(lab.primary, REPLICA_FQDN, 443, lab.primary_tp).close()
    except ReplicationConnectionError as exc:
        assert exc.hresult == winerrors.CANNOT_CONNECT.hresult, exc.message
        return False
    return True


def test_requires_credentials(lab: Lab) -> None:
    """Without the token every endpoint answers 401 and nothing changes."""
    client = _client(lab.primary)
    response = client.post("/_sim/replication/network/cut", json={"peer": "Hyper-v-repl"},
                           headers={"Authorization": "Bearer wrong"})
    assert response.status_code == 401
    assert network.faults(lab.primary)["cut"] == []


def test_cut_and_restore(lab: Lab) -> None:
    """cut -> connections fail; restore -> they work again."""
    client = _client(lab.primary)
    assert client.post("/_sim/replication/network/cut", json={"peer": "hyper-v-repl"}).json()["faults"]["cut"] == [
        "hyper-v-repl"]
    assert not _connects(lab)
    assert client.post("/_sim/replication/network/restore", json={"peer": "HYPER-V-REPL"}).status_code == 200
    assert _connects(lab)


def test_host_down_and_up(lab: Lab) -> None:
    """Replication down on the replica refuses the primary until it is up again."""
    client = _client(lab.replica)
    client.post("/_sim/replication/host/down", json={"down": True})
    assert not _connects(lab)
    client.post("/_sim/replication/host/down", json={"down": False})
    assert _connects(lab)


def test_revoke_by_thumbprint_on_the_checking_host(lab: Lab) -> None:
    """Revoking the replica's certificate in the primary's view (with a reachable CRL) -> 0x80092010."""
    from tests.simulator.replication.support import make_host_cert  # noqa: PLC0415 - local to this test

    cert, key = make_host_cert(lab.root, REPLICA_FQDN, cdp="http://crl.lab/root.crl")
    thumb = lab.install_replica_cert(cert, key)  # only the replica has it: found through the lab file
    assert store.find_certificate(lab.primary, thumb) is None
    set_revocation_check(lab.primary, disabled=False)
    unknown = _client(lab.primary).post("/_sim/replication/certificates/revoke", json={"thumbprint": "AB" * 20})
    assert unknown.status_code == 404
    answer = _client(lab.primary).post("/_sim/replication/certificates/revoke", json={"thumbprint": thumb})
    assert answer.json()["revoked"] == format(cert.serial_number, "X")
    with pytest.raises(ReplicationConnectionError) as caught, lab.primary.transaction():
        open_channel(lab.primary, REPLICA_FQDN, 443, lab.primary_tp)
    assert caught.value.hresult == winerrors.REVOKED.hresult


def test_rate_limit_slows_a_stream(lab: Lab) -> None:
    """A 1 MiB/s cap makes a 512 KiB upload take about half a second."""
    import time  # noqa: PLC0415

    from tests.simulator.replication.test_transport import ECHO  # noqa: PLC0415 - registers the echo operation

    _client(lab.primary).post("/_sim/replication/network/rate", json={"bytes_per_second": 1024 * 1024})
    with lab.primary.transaction():
        channel = open_channel(lab.primary, REPLICA_FQDN, 443, lab.primary_tp)
    with channel:
        start = time.monotonic()
        reply, _ = channel.call(ECHO, {}, [b"x" * (512 * 1024)])
        elapsed = time.monotonic() - start
    assert reply["size"] == 512 * 1024
    assert elapsed >= 0.4


def test_disk_capacity(lab: Lab) -> None:
    """The disk-full fault shrinks the drive's virtual capacity."""
    answer = _client(lab.replica).post("/_sim/replication/disk/capacity", json={"drive": "D:", "capacity_bytes": 1000})
    assert answer.status_code == 200
    assert filesystem.capacity_bytes(lab.replica, "D") == 1000
    assert _client(lab.replica).post("/_sim/replication/disk/capacity",
                                     json={"drive": "Q", "capacity_bytes": 1}).status_code == 404


def test_clock_advance_and_rate(lab: Lab) -> None:
    """advance moves the simulated clock (and is durable); rate accelerates it."""
    client = _client(lab.primary)
    before = lab.primary.clock.now()
    client.post("/_sim/replication/clock/advance", json={"seconds": 3600})
    moved = lab.primary.clock.now() - before
    assert 3600 <= moved.total_seconds() < 3660
    reopened = Host.open(lab.primary.state_dir)
    assert reopened.state["clock"]["offset_seconds"] >= 3600
    client.post("/_sim/replication/clock/rate", json={"rate": 1000})
    first = lab.primary.clock.now()
    import time  # noqa: PLC0415

    time.sleep(0.05)
    assert (lab.primary.clock.now() - first).total_seconds() >= 40
    client.post("/_sim/replication/clock/rate", json={"rate": 1})
    assert lab.primary.state["clock"]["rate"] == 1


def test_guest_write_and_events(lab: Lab) -> None:
    """guest/write reaches Hyper-V (unknown VM -> 409 with its error); events lists VMMS events."""
    client = _client(lab.primary)
    bad = client.post("/_sim/replication/guest/write",
                      json={"vm": "NoSuchVM", "offset": 0, "data_base64": base64.b64encode(b"x").decode()})
    assert bad.status_code == 409
    assert "NoSuchVM" in bad.json()["detail"]["message"]
    _connects_with_bad_name(lab)
    events: list[dict[str, Any]] = client.get("/_sim/replication/events").json()
    assert any(e["id"] == winerrors.EVENT_CONNECT_FAILED for e in events)


def _connects_with_bad_name(lab: Lab) -> None:
    with pytest.raises(ReplicationConnectionError, match=r"could not be resolved \(0x00002EE7\)"), \
            lab.primary.transaction():
        open_channel(lab.primary, "unknown.test.net", 443, lab.primary_tp)
