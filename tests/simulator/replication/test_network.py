"""The lab map: finding the peer behind a virtual address and where to dial it; fault matching."""

from __future__ import annotations

import json
import time
from pathlib import Path
from types import SimpleNamespace

import pytest

from simulator.core.host import Host
from simulator.services import replication
from simulator.services.replication import network


def _runtime(host: Host, lab_file: Path | None) -> network.Runtime:
    return network.Runtime(state_dir=host.state_dir, bind_address="127.0.0.5", lab_file=lab_file)


def test_peer_by_virtual_address(sim_host: Host, tmp_path: Path) -> None:
    """A virtual address maps to the lab entry that has it; unknown addresses map to nothing."""
    lab_file = tmp_path / "lab.json"
    lab_file.write_text(json.dumps({"hosts": [
        {"name": "Hyper-v-repl", "fqdn": "hyper-v-repl.test.net", "virtual_address": "192.168.101.213",
         "address": "127.0.0.7", "state_dir": str(tmp_path / "repl")},
        {"name": "broken"},  # no address / state dir: ignored
    ]}))
    runtime = _runtime(sim_host, lab_file)
    peer = network.find_peer(sim_host, runtime, "192.168.101.213")
    assert peer is not None
    assert (peer.name, peer.address, peer.state_dir) == ("Hyper-v-repl", "127.0.0.7", tmp_path / "repl")
    assert network.find_peer(sim_host, runtime, "192.168.101.99") is None
    assert network.find_peer(sim_host, None, "192.168.101.213") is None


def test_single_host_reaches_only_itself(sim_host: Host) -> None:
    """Without a lab file the host's own virtual address and loopback names reach the host itself."""
    runtime = _runtime(sim_host, None)
    own = network.find_peer(sim_host, runtime, str(sim_host.info["virtual_address"]))
    assert own is not None
    assert own.state_dir == sim_host.state_dir
    assert own.address == "127.0.0.5"
    loop = network.find_peer(sim_host, runtime, "127.0.0.1")
    assert loop is not None
    assert loop.state_dir == sim_host.state_dir
    assert network.find_peer(sim_host, runtime, "192.168.101.213") is None


def test_missing_lab_file_means_no_peers(tmp_path: Path) -> None:
    """A lab file that does not exist lists nobody."""
    assert network.lab_peers(tmp_path / "absent.json") == []


def test_endpoint_published_or_container_address(tmp_path: Path) -> None:
    """A visible state dir gives its published mapping (or nothing); an invisible one the lab address."""
    visible = network.Peer("a", "a.test.net", "192.168.1.1", "127.0.0.9", tmp_path)
    assert network.endpoint_of(visible, 443) is None
    network.publish_listeners(tmp_path, {443: ("127.0.0.9", 40443)})
    assert network.endpoint_of(visible, 443) == ("127.0.0.9", 40443)
    assert network.endpoint_of(visible, 8443) is None
    remote = network.Peer("b", "b.test.net", "192.168.1.2", "127.0.0.10", tmp_path / "elsewhere")
    assert network.endpoint_of(remote, 443) == ("127.0.0.10", 443)


def test_cut_matching(sim_host: Host) -> None:
    """Cuts match any of the peer's names case-insensitively; ``*`` cuts everything."""
    with sim_host.transaction():
        network.faults(sim_host)["cut"] = ["Hyper-V-Repl"]
    assert network.is_cut(sim_host, ["hyper-v-repl", ""])
    assert not network.is_cut(sim_host, ["hyper-v-prim.test.net"])
    with sim_host.transaction():
        network.faults(sim_host)["cut"] = ["*"]
    assert network.is_cut(sim_host, ["anything"])


def test_tick_resyncs_the_listener(sim_host: Host, monkeypatch: pytest.MonkeyPatch) -> None:
    """The background tick started by on_host_start re-reads the port; on_host_stop unpublishes."""
    monkeypatch.setattr(replication, "SCHEDULER_INTERVAL_SECONDS", 0.05)
    runtime = SimpleNamespace(state_dir=sim_host.state_dir, address="127.0.0.1", lab_file=None, ephemeral_ports=True)
    replication.on_host_start(sim_host, runtime)
    try:
        assert set(network.read_listeners(sim_host.state_dir)) == {443}
        with sim_host.transaction():
            sim_host.state["hyperv"]["server"]["certificate_port"] = 9443
        deadline = time.monotonic() + 10
        while set(network.read_listeners(sim_host.state_dir)) != {9443} and time.monotonic() < deadline:
            time.sleep(0.05)
        assert set(network.read_listeners(sim_host.state_dir)) == {9443}
    finally:
        replication.on_host_stop(sim_host)
    assert network.read_listeners(sim_host.state_dir) == {}


def test_only_loopback_or_docker_containers_are_dialled(tmp_path: Path) -> None:
    """Loopback always; a docker lab's container address yes; a virtual address or any other lab: never."""
    lab_file = tmp_path / "lab.json"
    assert network.may_dial("127.0.0.9", None)
    assert not network.may_dial("172.30.0.5", None)
    lab_file.write_text(json.dumps({"backend": "process", "hosts": [{"virtual_address": "192.168.101.213"}]}))
    assert not network.may_dial("172.30.0.5", lab_file)
    lab_file.write_text(json.dumps({"backend": "docker", "hosts": [{"virtual_address": "192.168.101.213"}]}))
    assert network.may_dial("172.30.0.5", lab_file)
    assert not network.may_dial("192.168.101.213", lab_file)
    assert not network.may_dial("not-an-address", lab_file)
