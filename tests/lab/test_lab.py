"""The lab: lab.json, the CLI actions, snapshots, clock and faults through the hosts' control planes."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hvrepl.cli import main
from hvrepl.lab.lab import Lab, parse_duration
from hvrepl.lab.labfile import LabError, check_topology, host_topology, load_topology
from hvrepl.lab.process import is_running


@given(hours=st.integers(0, 1000), minutes=st.integers(0, 59), seconds=st.integers(0, 59))
def test_parse_duration_sums_units(hours: int, minutes: int, seconds: int) -> None:
    """1h30m5s style durations add up; each unit is what it says."""
    assert parse_duration(f"{hours}h{minutes}m{seconds}s") == hours * 3600 + minutes * 60 + seconds


@pytest.mark.parametrize(("text", "seconds"), [("1y", 365 * 86400), ("2d", 172800), ("90", 90), ("1.5h", 5400)])
def test_parse_duration_examples(text: str, seconds: float) -> None:
    """The examples the help text gives."""
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["", "h", "1x", "1h and more", "-1h"])
def test_parse_duration_rejects_garbage(text: str) -> None:
    """Anything else is refused with the examples."""
    with pytest.raises(LabError, match="not a duration"):
        parse_duration(text)


def test_default_topology_is_the_walkthrough_pair() -> None:
    """Two fresh hosts, no suffix, VM01 with a 64 MiB disk on the primary."""
    topo = load_topology(None)
    hosts = {h["name"]: h for h in topo["hosts"]}
    assert hosts["Hyper-v-prim"]["address"] == "192.168.101.209"
    assert hosts["Hyper-v-repl"]["address"] == "192.168.101.213"
    assert all(h["dns_suffix"] is None for h in hosts.values())
    assert hosts["Hyper-v-prim"]["vms"][0]["disks"] == [{"name": "VM01.vhdx", "size_mb": 64}]


@pytest.mark.parametrize("document", [{}, {"hosts": []}, {"hosts": [{"name": "A", "address": "1.2.3.4"},
                                                                  {"name": "a", "address": "1.2.3.5"}]},
                                      {"hosts": [{"name": "A"}]}])
def test_bad_topologies_are_refused(document: dict[str, object]) -> None:
    """Empty, duplicate names (case-insensitive), no virtual address."""
    with pytest.raises(LabError, match=r"t\.yaml"):
        check_topology(document, "t.yaml")


@pytest.mark.slow
def test_lab_file_describes_running_hosts(lab: Lab) -> None:
    """lab.json: mode 0600, every field the engine and the hosts need, loopback addresses only."""
    path = lab.directory / "lab.json"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    document = json.loads(path.read_text(encoding="utf-8"))
    assert document["backend"] == "process"
    virtual = {h["name"]: h["virtual_address"] for h in document["hosts"]}
    assert virtual == {"Hyper-v-prim": "192.168.101.209", "Hyper-v-repl": "192.168.101.213"}
    for entry in document["hosts"]:
        assert entry["address"].startswith("127.")
        assert entry["winrm"]["url"].startswith(f"https://{entry['address']}:")
        assert entry["control_url"].startswith(f"https://{entry['address']}:")
        assert Path(entry["winrm"]["ca_bundle"]).is_file()
        assert entry["winrm"]["username"] and entry["winrm"]["password"]
        assert Path(entry["state_dir"]).is_dir()
        assert is_running(entry["pid"], Path(entry["state_dir"]))
    assert len({e["address"] for e in document["hosts"]}) == 2


@pytest.mark.slow
def test_snapshot_restore_brings_state_back(lab: Lab) -> None:
    """A clock moved after a snapshot is back where it was after restore (read through /_sim/state)."""
    lab.snapshot("t1")
    before = lab.state("Hyper-v-prim")["clock"]
    lab.advance_clock(parse_duration("2d"))
    moved = lab.state("Hyper-v-prim")["clock"]
    assert moved != before
    lab.restore("t1")
    assert lab.state("Hyper-v-prim")["clock"] == before


@pytest.mark.slow
def test_cut_shows_in_status_and_restore_lifts_it(lab: Lab) -> None:
    """A cut link is visible on both hosts; restoring the link lifts it on both."""
    lab.cut("Hyper-v-prim", "192.168.101.213")
    rows = {r["name"]: r for r in lab.status()}
    assert "192.168.101.213" in rows["Hyper-v-prim"]["faults"]["cut"]
    assert "192.168.101.209" in rows["Hyper-v-repl"]["faults"]["cut"]
    lab.restore_link("Hyper-v-prim", "Hyper-v-repl")
    assert all(not r["faults"]["cut"] for r in lab.status())


@pytest.mark.slow
def test_host_down_and_reset(lab: Lab) -> None:
    """host-down marks replication down; reset returns to the start state."""
    lab.host_down("Hyper-v-repl")
    assert {r["name"]: r["faults"]["down"] for r in lab.status()} == {"Hyper-v-prim": False, "Hyper-v-repl": True}
    lab.reset()
    assert not any(r["faults"]["down"] for r in lab.status())


@pytest.mark.slow
def test_unknown_host_is_named(lab: Lab) -> None:
    """Faults on a host the lab does not have fail with the list of hosts."""
    with pytest.raises(LabError, match="Hyper-v-prim"):
        lab.host_down("nope")


@pytest.mark.slow
def test_cli_up_status_down(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`hvrepl lab up|status|down` through the engine's CLI; hosts outlive the `up` call; a second up is refused."""
    lab_dir = str(tmp_path / "lab")
    assert main(["lab", "--state-dir", lab_dir, "up", "--ports", "mapped"]) == 0
    try:
        assert main(["lab", "--state-dir", lab_dir, "status"]) == 0
        out = capsys.readouterr().out
        assert out.count(" up ") >= 2
        assert main(["lab", "--state-dir", lab_dir, "up", "--ports", "mapped"]) == 1
        assert "already running" in capsys.readouterr().err
        assert main(["lab", "--state-dir", lab_dir, "clock", "advance", "1h"]) == 0
        assert main(["lab", "--state-dir", lab_dir, "fault", "cut", "Hyper-v-prim", "Hyper-v-repl"]) == 0
    finally:
        assert main(["lab", "--state-dir", lab_dir, "down"]) == 0
    assert main(["lab", "--state-dir", lab_dir, "status"]) == 1
    assert not any(Lab.open(lab_dir).is_alive(h) for h in Lab.open(lab_dir).hosts)


def test_no_lab_is_a_clear_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Commands on a folder without lab.json say how to start one."""
    assert main(["lab", "--state-dir", str(tmp_path), "status"]) == 1
    assert "hvrepl lab up" in capsys.readouterr().err


@pytest.mark.slow
def test_disk_full_and_revoke_unknown(lab: Lab) -> None:
    """disk-full sets the drive's capacity (free space follows); revoking an unknown thumbprint is a clear error."""
    result = lab.disk_full("Hyper-v-repl", "D", 1024)
    assert (result["drive"], result["capacity_bytes"]) == ("D", 1024)
    assert result["free_bytes"] <= 1024
    with pytest.raises(LabError, match="404"):
        lab.revoke("Hyper-v-prim", thumbprint="AB" * 20)


def test_host_topology_keeps_every_simulator_key() -> None:
    """The topology handed to a host keeps its pre-filled hosts entries (a lab can start with a wrong one)."""
    host = {
        "name": "Hyper-v-prim",
        "address": "192.168.101.209",
        "hosts_entries": [["192.168.101.99", "hyper-v-repl.test.net"]],
        "winrm": {"url": "https://127.0.0.1:5986/wsman"},
    }
    topology = host_topology(host)
    assert topology["hosts_entries"] == [["192.168.101.99", "hyper-v-repl.test.net"]]
    assert "winrm" not in topology
