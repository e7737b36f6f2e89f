"""The lab: lab.json, the CLI actions, snapshots, clock and faults through the hosts' control planes."""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import stat
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hvrepl.cli import main
from hvrepl.errors import ConnectError
from hvrepl.lab.lab import Lab, parse_duration
from hvrepl.lab.labfile import LabError, check_topology, host_topology, load_topology
from hvrepl.lab.process import is_running
from hvrepl.testing.plugin import LabHostHandle

MARKER = "C:\\lab-test-marker.txt"


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
        assert {"name", "fqdn", "virtual_address", "winrm", "control_url"} <= set(entry)  # the issue's schema
        assert {"url", "auth", "username", "password", "ca_bundle"} <= set(entry["winrm"])
        assert entry["winrm"]["auth"] == "basic"
        assert entry["fqdn"] == entry["name"]  # no primary DNS suffix yet
        port = int(entry["winrm"]["url"].rsplit(":", 1)[1].split("/")[0])
        assert entry["ports"]["5986"] == port  # the port map: Windows port -> where the host listens
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
def test_replication_down_keeps_winrm_and_reset_lifts_it(lab: Lab) -> None:
    """replication-down stops only the replication service: the host still answers WinRM; reset lifts it."""
    lab.replication_down("Hyper-v-repl")
    assert {r["name"]: r["faults"]["down"] for r in lab.status()} == {"Hyper-v-prim": False, "Hyper-v-repl": True}
    assert LabHostHandle(lab, "Hyper-v-repl").run_ps("$result = $env:COMPUTERNAME") == "HYPER-V-REPL"
    lab.reset()
    assert not any(r["faults"]["down"] for r in lab.status())


def _clock(lab: Lab, name: str) -> dt.datetime:
    return dt.datetime.fromisoformat(str(lab.control(name).get("/health")["time"]))


@pytest.mark.slow
@pytest.mark.parametrize("hard", [False, True], ids=["shutdown", "power-cut"])
def test_host_down_stops_the_host_and_host_up_brings_it_back_as_it_was(lab: Lab, hard: bool) -> None:
    """host-down: the host's process is gone, WinRM and the control plane refuse, status says down.
    host-up: same URL, same files, and the clock advances it missed while off."""
    replica = LabHostHandle(lab, "Hyper-v-repl")
    replica.run_ps(f"New-Item -Path '{MARKER}' -ItemType File -Value 'kept' | Out-Null")
    pid, url = lab.host("Hyper-v-repl").pid, replica.winrm["url"]
    assert pid is not None
    lab.host_down("Hyper-v-repl", hard=hard)
    assert not is_running(pid, lab.host("Hyper-v-repl").state_dir)
    with pytest.raises(ConnectError, match="cannot connect"):  # powered off: nothing listens any more
        replica.run_ps("$result = 1")
    rows = {r["name"]: r for r in lab.status()}
    assert (rows["Hyper-v-repl"]["running"], rows["Hyper-v-repl"]["powered_off"]) == (False, True)
    assert rows["Hyper-v-prim"]["running"]
    assert Lab.open(lab.directory).host("Hyper-v-repl").entry["power"]["state"] == "off"  # lab.json says so
    lab.advance_clock(parse_duration("2d"))
    lab.host_up("Hyper-v-repl")
    assert lab.host("Hyper-v-repl").winrm["url"] == url
    assert LabHostHandle(lab, "Hyper-v-repl").run_ps(f"$result = [string](Get-Content -Path '{MARKER}')") == "kept"
    gap = abs((_clock(lab, "Hyper-v-prim") - _clock(lab, "Hyper-v-repl")).total_seconds())
    assert gap < 60, f"the replica's clock is {gap:.0f} s away from the primary's after power-on"
    assert all(r["running"] for r in lab.status())


@pytest.mark.slow
def test_host_down_twice_and_up_while_up_are_refused(lab: Lab) -> None:
    """Powering off an off host or on a running one says what to do instead."""
    with pytest.raises(LabError, match="not powered off"):
        lab.host_up("Hyper-v-prim")
    lab.host_down("Hyper-v-prim")
    with pytest.raises(LabError, match="already powered off"):
        lab.host_down("Hyper-v-prim")
    with pytest.raises(LabError, match="powered off"):
        lab.snapshot("while-off")


@pytest.mark.slow
def test_a_host_powered_off_by_another_process_is_seen_and_reset(lab: Lab) -> None:
    """`hvrepl lab fault host-down` from elsewhere (a shell, the CLI) while this Lab object is held: its status
    sees the host off, its reset powers it on, and its down stops the process the other one started."""
    cli = ["lab", "--state-dir", str(lab.directory), "fault"]
    assert main([*cli, "host-down", "Hyper-v-repl"]) == 0
    assert {r["name"]: r["powered_off"] for r in lab.status()} == {"Hyper-v-prim": False, "Hyper-v-repl": True}
    lab.reset()
    assert all(r["running"] for r in lab.status())
    assert main([*cli, "host-down", "Hyper-v-prim"]) == 0
    assert main([*cli, "host-up", "Hyper-v-prim"]) == 0  # started by that other Lab object
    lab.refresh()
    restarted = lab.host("Hyper-v-prim")
    assert restarted.pid is not None and is_running(restarted.pid, restarted.state_dir)
    assert LabHostHandle(lab, "Hyper-v-prim").run_ps("$result = $env:COMPUTERNAME") == "HYPER-V-PRIM"


@pytest.mark.slow
def test_reset_powers_an_off_host_back_on(lab: Lab) -> None:
    """reset (and so the pytest plugin's restore) brings a powered-off host back up."""
    lab.host_down("Hyper-v-prim", hard=True)
    lab.reset()
    assert all(r["running"] and not r["powered_off"] for r in lab.status())
    assert LabHostHandle(lab, "Hyper-v-prim").run_ps("$result = $env:COMPUTERNAME") == "HYPER-V-PRIM"


@pytest.mark.slow
def test_unknown_host_is_named(lab: Lab) -> None:
    """Faults on a host the lab does not have fail with the list of hosts."""
    with pytest.raises(LabError, match="Hyper-v-prim"):
        lab.host_down("nope")
    with pytest.raises(LabError, match="Hyper-v-prim"):
        lab.replication_down("nope")


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
        capsys.readouterr()
        assert main(["lab", "--state-dir", lab_dir, "fault", "host-down", "Hyper-v-repl"]) == 0
        assert main(["lab", "--state-dir", lab_dir, "status"]) == 1  # a host is down
        status = capsys.readouterr().out
        assert re.search(r"Hyper-v-repl\s+down\b.*powered-off", status), status
        assert re.search(r"Hyper-v-prim\s+up\b", status), status
        assert main(["lab", "--state-dir", lab_dir, "fault", "host-up", "Hyper-v-repl"]) == 0
        assert main(["lab", "--state-dir", lab_dir, "status"]) == 0
    finally:
        assert main(["lab", "--state-dir", lab_dir, "down"]) == 0
    assert main(["lab", "--state-dir", lab_dir, "status"]) == 1
    assert not any(Lab.open(lab_dir).is_alive(h) for h in Lab.open(lab_dir).hosts)


def test_cli_json_on_every_lab_action(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`--json`: one JSON object per action on stdout (hosts for up/status, no password); errors too. The
    lab folder can be named after the action (`hvrepl lab up --state-dir DIR`) as well as before it."""
    lab_dir = str(tmp_path / "lab")

    def as_json(*argv: str) -> tuple[int, dict[str, object]]:
        code = main(["lab", *argv, "--state-dir", lab_dir, "--json"])  # as the issue writes it: flags after
        out = capsys.readouterr().out
        return code, json.loads(out)  # exactly one object: anything else on stdout fails here

    code, up = as_json("up", "--ports", "mapped")
    try:
        assert code == 0 and up["ok"] is True and up["action"] == "up"
        hosts = up["hosts"]
        assert isinstance(hosts, list) and {h["name"] for h in hosts} == {"Hyper-v-prim", "Hyper-v-repl"}
        password = json.loads((Path(lab_dir) / "lab.json").read_text())["hosts"][0]["winrm"]["password"]
        for argv in (["clock", "advance", "1h"], ["snapshot", "s1"], ["restore", "s1"],
                     ["fault", "cut", "Hyper-v-prim", "Hyper-v-repl"], ["fault", "restore", "Hyper-v-prim",
                                                                         "Hyper-v-repl"],
                     ["fault", "host-down", "Hyper-v-repl"]):
            code, document = as_json(*argv)
            assert code == 0 and document["ok"] is True and document["message"], (argv, document)
            assert password not in json.dumps(document)
        code, status = as_json("status")
        assert code == 1 and status["ok"] is False  # a host is powered off
        rows = {h["name"]: h for h in status["hosts"]}  # type: ignore[attr-defined]  # object: a list of dicts
        assert rows["Hyper-v-repl"]["running"] is False and rows["Hyper-v-prim"]["running"] is True
        assert password not in json.dumps(status)
        code, error = as_json("restore", "no-such-snapshot")
        assert code == 1 and error["ok"] is False and "no-such-snapshot" in str(error["error"])
    finally:
        assert main(["lab", "--state-dir", lab_dir, "down", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["action"] == "down"


TOPOLOGY = """
hosts:
  - name: Hyper-v-solo
    os: "2019"
    dns_suffix: corp.example
    address: 192.168.50.5
    initial_replication: background
    vms:
      - {name: APP01, generation: 1, state: Off, disks: [{name: APP01.vhdx, size_mb: 8}]}
"""


@pytest.mark.slow
def test_cli_up_with_a_topology_file(tmp_path: Path) -> None:
    """`lab up --topology FILE`: the hosts, OS, suffix and VMs of the file, not the walkthrough's."""
    topology = tmp_path / "topology.yaml"
    topology.write_text(TOPOLOGY, encoding="utf-8")
    lab_dir = tmp_path / "lab"
    assert main(["lab", "--state-dir", str(lab_dir), "up", "--topology", str(topology), "--ports", "mapped"]) == 0
    try:
        lab = Lab.open(lab_dir)
        assert [(h.name, h.entry["virtual_address"], h.entry["fqdn"]) for h in lab.hosts] == [
            ("Hyper-v-solo", "192.168.50.5", "Hyper-v-solo.corp.example")]
        solo = LabHostHandle(lab, "Hyper-v-solo")
        vm = solo.run_ps("$v = Get-VM -Name APP01; $result = @{ state = [string]$v.State; gen = $v.Generation }")
        assert vm == {"state": "Off", "gen": 1}
        assert lab.state("Hyper-v-solo")["hyperv"]["background_initial_replication"] is True
    finally:
        assert main(["lab", "--state-dir", str(lab_dir), "down"]) == 0


def test_no_lab_is_a_clear_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Commands on a folder without lab.json say how to start one."""
    assert main(["lab", "--state-dir", str(tmp_path), "status"]) == 1
    assert "hvrepl lab up" in capsys.readouterr().err


@pytest.mark.slow
def test_ports_are_real_as_root_else_mapped(tmp_path: Path) -> None:
    """`--ports auto`: WinRM on 5986 on each host's own 127.x address when we may bind it (root), else mapped."""
    lab = Lab.up(tmp_path / "lab")
    try:
        for host in lab.hosts:
            port = host.entry["ports"]["5986"]
            assert host.winrm["url"] == f"https://{host.entry['address']}:{port}/wsman"
            if os.geteuid() == 0:
                assert port == 5986
            else:
                assert port != 5986
            assert LabHostHandle(lab, host.name).run_ps("$result = $env:COMPUTERNAME") == host.name.upper()
    finally:
        lab.down()


@pytest.mark.slow
def test_revoke_marks_the_certificate_in_the_checking_hosts_view(lab: Lab, capsys: pytest.CaptureFixture[str]) -> None:
    """A certificate made on the primary, revoked as the replica sees it (API and CLI): its serial is on the
    replica's revocation list, not on the primary's."""
    primary = LabHostHandle(lab, "Hyper-v-prim")
    made = primary.run_ps("$c = New-SelfSignedCertificate -DnsName 'revoked.test.net' "
                          "-CertStoreLocation Cert:\\LocalMachine\\My; "
                          "$result = @{ thumbprint = $c.Thumbprint; serial = $c.SerialNumber }")
    serial = lab.revoke("Hyper-v-repl", thumbprint=made["thumbprint"])
    assert int(serial, 16) == int(made["serial"], 16)
    assert serial in lab.state("Hyper-v-repl")["certs"]["revoked"]
    assert serial not in lab.state("Hyper-v-prim")["certs"].get("revoked", [])
    assert main(["lab", "--state-dir", str(lab.directory), "fault", "revoke", "Hyper-v-prim",
                 "--serial", made["serial"]]) == 0
    assert f"certificate {serial} revoked as Hyper-v-prim sees it" in capsys.readouterr().out
    assert serial in lab.state("Hyper-v-prim")["certs"]["revoked"]


def test_revoke_reports_the_serial_as_the_revocation_list_keeps_it(lab: Lab) -> None:
    """Leading zeros and spaces (Windows shows serials both ways) name the same certificate; junk is refused."""
    assert lab.revoke("Hyper-v-repl", serial="00 0a bc") == "ABC"
    assert lab.state("Hyper-v-repl")["certs"]["revoked"] == ["ABC"]
    with pytest.raises(LabError, match=r"422.*pattern"):
        lab.revoke("Hyper-v-repl", serial="xyz")
    with pytest.raises(LabError, match=r"422.*not a hexadecimal number"):  # spaces only: no digits at all
        lab.revoke("Hyper-v-repl", serial="   ")


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
