"""Property: with any sequence of injected faults, a connection succeeds exactly when no fault blocks it."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from simulator.core.host import Host
from simulator.services.replication import network, winerrors
from simulator.services.replication.api import open_channel
from simulator.services.replication.winerrors import ReplicationConnectionError
from tests.simulator.replication.support import PRIMARY_FQDN, REPLICA_FQDN, Lab, build_lab

# How each side may name the other when a cut is injected (the lab cuts by name and virtual address).
PRIMARY_NAMES = ["Hyper-v-prim", PRIMARY_FQDN, "192.168.101.209"]
REPLICA_NAMES = ["Hyper-v-repl", REPLICA_FQDN, "192.168.101.213"]
UNRELATED = ["hyper-v-other.test.net", "192.168.101.99"]

fault_step = st.one_of(
    st.tuples(st.just("cut"), st.sampled_from(["primary", "replica"]),
              st.sampled_from(PRIMARY_NAMES + REPLICA_NAMES + UNRELATED)),
    st.tuples(st.just("restore"), st.sampled_from(["primary", "replica"]), st.none()),
    st.tuples(st.just("down"), st.sampled_from(["primary", "replica"]), st.booleans()),
)


@pytest.fixture(name="lab", scope="module")
def _lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    lab = build_lab(tmp_path_factory.mktemp("faults"))
    yield lab
    lab.stop()


@dataclass
class SideModel:
    """What one host's faults should be."""

    cut: list[str] = field(default_factory=list)
    down: bool = False


def _blocked(primary: SideModel, replica: SideModel) -> bool:
    if primary.down or replica.down:
        return True
    primary_cut = {n.lower() for n in primary.cut}
    replica_cut = {n.lower() for n in replica.cut}
    return bool(primary_cut & {n.lower() for n in REPLICA_NAMES}
                or replica_cut & {n.lower() for n in PRIMARY_NAMES})


def _apply(host: Host, model: SideModel) -> None:
    def change(faults: dict[str, Any]) -> None:
        faults.update(cut=list(model.cut), down=model.down)

    network.set_faults(host, change)


@pytest.mark.slow
@settings(max_examples=15)
@given(steps=st.lists(fault_step, min_size=1, max_size=4))
def test_connection_outcome_follows_the_faults(lab: Lab, steps: list[tuple[str, str, Any]]) -> None:
    """After each step the primary connects iff neither side is down and no cut names the other side."""
    hosts = {"primary": lab.primary, "replica": lab.replica}
    model = {side: SideModel() for side in hosts}
    for side, host in hosts.items():
        _apply(host, model[side])
    for action, side, arg in steps:
        if action == "cut":
            model[side].cut.append(str(arg))
        elif action == "restore":
            model[side].cut.clear()
        else:
            model[side].down = bool(arg)
        _apply(hosts[side], model[side])
        try:
            with lab.primary.transaction():
                open_channel(lab.primary, REPLICA_FQDN, 443, lab.primary_tp).close()
            connected = True
        except ReplicationConnectionError as exc:
            assert exc.hresult == winerrors.CANNOT_CONNECT.hresult, exc.message
            connected = False
        assert connected is not _blocked(model["primary"], model["replica"]), (steps, model)
