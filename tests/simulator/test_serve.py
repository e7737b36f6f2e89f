"""``python -m simulator serve`` as a process: flags, host.json, restart, SIGTERM, kill -9, control plane."""

from __future__ import annotations

import json
import socket
import stat
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
import winrm

from simulator.control.router import mask_secrets
from simulator.launcher import HostStartError, RunningHost, start_host

SERVE = [sys.executable, "-m", "simulator", "serve"]


def control(host: RunningHost, method: str, path: str, **kwargs: Any) -> requests.Response:
    """Call the control plane with the host's bearer token."""
    headers = {"Authorization": f"Bearer {host.info['control_token']}"}
    return requests.request(method, host.info["control_url"] + path, headers=headers,
                            verify=host.info["ca_bundle"], timeout=30, **kwargs)


def run_cmd(host: RunningHost, line: str) -> Any:
    session = winrm.Session(host.info["winrm"]["https_url"], auth=(host.info["username"], host.info["password"]),
                            transport="ssl", ca_trust_path=host.info["ca_bundle"])
    return session.run_cmd(line)


@pytest.fixture(scope="module")
def host(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningHost]:
    topology = {"name": "Hyper-v-repl", "os": "2019", "address": "192.168.101.213", "dns_suffix": "lab.local"}
    with start_host(tmp_path_factory.mktemp("serve"), "Hyper-v-repl", topology=topology) as running:
        yield running


def test_help_explains_every_flag() -> None:
    text = subprocess.run([*SERVE, "--help"], capture_output=True, text=True, check=True).stdout
    for flag in ("--name", "--state-dir", "--dns-suffix", "--address", "--os", "--topology", "--https-port",
                 "--http-port", "--lab-file", "--allow-unencrypted"):
        assert flag in text


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--name", "x", "--https-port", "abc"], "invalid int value"),
        (["--name", "x", "--os", "2012"], "invalid choice"),
        (["--name", "waytoolongcomputername"], "not a valid computer name"),
        (["--name", "ok", "--dns-suffix", "bad..suffix"], "not a valid DNS suffix"),
        (["--name", "ok", "--address", "10.1.2.3"], "only loopback"),
    ],
)
def test_bad_flags_exit_2_naming_the_problem(tmp_path: Path, args: list[str], message: str) -> None:
    done = subprocess.run([*SERVE, "--state-dir", str(tmp_path / "s"), *args], capture_output=True, text=True,
                          timeout=60, check=False)
    assert done.returncode == 2
    assert message in done.stderr
    assert not (tmp_path / "s" / "state.json").exists()


def test_bad_topology_file_exit_2(tmp_path: Path) -> None:
    topology = tmp_path / "t.yaml"
    topology.write_text("name: HOST1\nvms:\n  - name: VM01\n    state: Paused\n", encoding="utf-8")
    done = subprocess.run([*SERVE, "--state-dir", str(tmp_path / "s"), "--topology", str(topology)],
                          capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 2
    assert "vms[0]: state must be one of Running, Off" in done.stderr


def test_port_in_use_is_a_clear_error(tmp_path: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        with pytest.raises(HostStartError, match=f"HTTPS port 127.0.0.1:{port} is already in use"):
            start_host(tmp_path / "s", "HOST1", https_port=port)


def test_host_json_describes_the_host(host: RunningHost) -> None:
    path = host.state_dir / "host.json"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    info = json.loads(path.read_text(encoding="utf-8"))
    assert (info["name"], info["fqdn"], info["virtual_address"], info["os"]) == (
        "Hyper-v-repl", "Hyper-v-repl.lab.local", "192.168.101.213", "2019")
    assert host.ready_line == f"hvsim ready Hyper-v-repl {info['winrm']['https_url']}"
    assert info["pid"] == host.pid
    assert len(info["password"]) >= 16
    pem = Path(info["ca_bundle"]).read_text(encoding="ascii")
    assert "PRIVATE KEY" not in pem


def test_control_plane_requires_credentials(host: RunningHost) -> None:
    url = host.info["control_url"] + "/health"
    assert requests.get(url, verify=host.info["ca_bundle"], timeout=10).status_code == 401
    assert requests.get(url, verify=host.info["ca_bundle"], timeout=10,
                        auth=(host.info["username"], "wrong")).status_code == 401
    basic = requests.get(url, verify=host.info["ca_bundle"], timeout=10,
                         auth=(host.info["username"], host.info["password"]))
    assert basic.json()["name"] == "Hyper-v-repl"
    assert control(host, "GET", "/health").json()["status"] == "ok"


def test_state_is_returned_with_secrets_masked(host: RunningHost) -> None:
    """A certificate with a private key on the host: /state shows it, with the key masked and nothing else."""
    session = winrm.Session(host.info["winrm"]["https_url"], auth=(host.info["username"], host.info["password"]),
                            transport="ssl", ca_trust_path=host.info["ca_bundle"])
    made = session.run_ps("(New-SelfSignedCertificate -DnsName masked.test.net "
                          "-CertStoreLocation Cert:\\LocalMachine\\My).Thumbprint")
    assert made.status_code == 0, made.std_err
    thumbprint = made.std_out.decode().strip()
    state = control(host, "GET", "/state").json()
    assert state["info"]["name"] == "Hyper-v-repl"
    record = state["certs"]["LocalMachine"]["My"][thumbprint]
    assert record["key_pem"] == "***"
    assert record["cert_pem"].startswith("-----BEGIN CERTIFICATE-----")  # masking is targeted, not wholesale
    text = json.dumps(state)
    assert "PRIVATE KEY-----" not in text
    assert host.info["password"] not in text


def test_mask_secrets_masks_secret_keys_and_private_key_text_only() -> None:
    tree = {"certs": {"My": {"AB": {"cert_pem": "CERT", "key_pem": "KEY", "exportable": True}}},
            "pfx_password": "pw", "token": "", "notes": ["kept", "-----BEGIN PRIVATE KEY-----\nAAAA"],
            "test_root": {"private_key": None, "subject": "CN=Root"}}
    assert mask_secrets(tree) == {
        "certs": {"My": {"AB": {"cert_pem": "CERT", "key_pem": "***", "exportable": True}}},
        "pfx_password": "***", "token": "", "notes": ["kept", "***"],
        "test_root": {"private_key": None, "subject": "CN=Root"}}
    assert tree["pfx_password"] == "pw"  # a copy: the host's own state keeps its secrets


def test_snapshot_and_restore_bring_back_files_and_state(host: RunningHost) -> None:
    assert run_cmd(host, r"echo before> C:\marker.txt").status_code == 0
    assert control(host, "POST", "/snapshot", json={"name": "base"}).status_code == 200
    before = control(host, "GET", "/state").json()["clock"]["offset_seconds"]
    assert run_cmd(host, r"echo after> C:\marker.txt & echo new> C:\extra.txt").status_code == 0
    control(host, "POST", "/clock/advance", json={"seconds": 3600})
    assert control(host, "POST", "/restore", json={"name": "base"}).status_code == 200
    assert run_cmd(host, r"type C:\marker.txt").std_out == b"before\r\n"
    assert run_cmd(host, r"type C:\extra.txt").status_code == 1
    assert control(host, "GET", "/state").json()["clock"]["offset_seconds"] == before
    assert control(host, "POST", "/restore", json={"name": "nosuch"}).status_code == 404
    assert control(host, "POST", "/snapshot", json={"name": "../escape"}).status_code == 422


def test_clock_advance_and_events(host: RunningHost) -> None:
    first = control(host, "POST", "/clock/advance", json={"seconds": 86400}).json()
    second = control(host, "POST", "/clock/advance", json={"seconds": 60}).json()
    assert second["offset_seconds"] - first["offset_seconds"] == 60
    assert control(host, "POST", "/clock/advance", json={"seconds": -5}).status_code == 422
    assert isinstance(control(host, "GET", "/events", params={"since": 0}).json(), list)


def test_restart_keeps_state_password_and_certificate(tmp_path: Path) -> None:
    with start_host(tmp_path, "HOST1") as first:
        control(first, "POST", "/clock/advance", json={"seconds": 1234})
        run_cmd(first, r"echo kept> C:\kept.txt")
        info = first.info
        assert first.stop() == 0  # SIGTERM: clean exit
    with start_host(tmp_path, "HOST1") as second:
        assert second.info["password"] == info["password"]
        assert Path(second.info["ca_bundle"]).read_bytes() == Path(info["ca_bundle"]).read_bytes()
        assert control(second, "GET", "/state").json()["clock"]["offset_seconds"] == 1234
        assert run_cmd(second, r"type C:\kept.txt").std_out == b"kept\r\n"


@pytest.mark.slow
def test_kill_9_during_a_burst_of_writes_loses_no_acknowledged_change(tmp_path: Path) -> None:
    running = start_host(tmp_path, "HOST1")
    acknowledged: list[float] = []
    stop = threading.Event()

    def writer() -> None:
        while not stop.is_set():
            try:
                reply = control(running, "POST", "/clock/advance", json={"seconds": 1})
            except requests.RequestException:
                return
            if reply.status_code == 200:
                acknowledged.append(reply.json()["offset_seconds"])

    threads = [threading.Thread(target=writer) for _ in range(3)]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + 60
    while len(acknowledged) < 60 and time.monotonic() < deadline:
        threading.Event().wait(0.02)
    assert len(acknowledged) >= 60, "the control plane stopped acknowledging writes"
    running.kill()
    stop.set()
    for thread in threads:
        thread.join()
    with start_host(tmp_path, "HOST1") as restarted:
        offset = control(restarted, "GET", "/state").json()["clock"]["offset_seconds"]
    assert offset >= max(acknowledged)
    assert offset <= max(acknowledged) + 3  # at most the in-flight, unacknowledged writes on top


def test_coverage_lists_every_registered_command_and_check_detects_staleness(tmp_path: Path) -> None:
    from simulator.cmd import api as cmd_api  # noqa: PLC0415 - filled by render()
    from simulator.coverage import render, run  # noqa: PLC0415 - same
    from simulator.ps import api as ps_api  # noqa: PLC0415 - same

    text = render()
    for spec in ps_api.CMDLETS.values():
        assert f"#### {spec.name}" in text
    for command in cmd_api.CMD_COMMANDS.values():
        assert f"| {command.name} |" in text
    output = tmp_path / "COVERAGE.md"
    assert run(check=True, output=str(output)) == 1
    assert run(check=False, output=str(output)) == 0
    assert run(check=True, output=str(output)) == 0
    output.write_text(output.read_text(encoding="utf-8") + "stale\n", encoding="utf-8")
    assert run(check=True, output=str(output)) == 1


def test_allow_unencrypted_accepts_basic_over_http(tmp_path: Path) -> None:
    with start_host(tmp_path, "HOST1", extra_args=["--allow-unencrypted"]) as running:
        session = winrm.Session(running.info["winrm"]["http_url"], transport="plaintext",
                                auth=(running.info["username"], running.info["password"]))
        assert session.run_cmd("echo plain").std_out == b"plain\r\n"


def test_replication_control_router_is_mounted_when_present(host: RunningHost) -> None:
    import importlib  # noqa: PLC0415 - only this test looks at the optional module

    module = importlib.import_module("simulator.services.replication.control")
    reply = control(host, "GET", "/replication/status")
    assert (reply.status_code != 404) is hasattr(module, "router")
    unauthenticated = requests.get(host.info["control_url"] + "/replication/status", verify=host.info["ca_bundle"],
                                   timeout=10)
    assert unauthenticated.status_code in (401, 404)


@pytest.mark.slow
def test_kill_9_after_acknowledged_reg_add_keeps_every_value(tmp_path: Path) -> None:
    """Registry writes through cmd.exe (reg add) acknowledged before a kill -9 are all there after restart."""
    running = start_host(tmp_path, "HOST1")
    acknowledged: list[int] = []
    stop = threading.Event()

    def writer() -> None:
        session = winrm.Session(running.info["winrm"]["https_url"], transport="ssl",
                                auth=(running.info["username"], running.info["password"]),
                                ca_trust_path=running.info["ca_bundle"])
        index = 0
        while not stop.is_set():
            try:
                result = session.run_cmd(f"reg add HKLM\\SOFTWARE\\Burst /v V{index} /t REG_DWORD /d {index} /f")
            except Exception:  # the host was killed mid-request: that write was never acknowledged
                return
            if result.status_code == 0:
                acknowledged.append(index)
            index += 1

    thread = threading.Thread(target=writer)
    thread.start()
    deadline = time.monotonic() + 60
    while len(acknowledged) < 15 and time.monotonic() < deadline:
        threading.Event().wait(0.02)
    running.kill()
    stop.set()
    thread.join()
    assert len(acknowledged) >= 15
    with start_host(tmp_path, "HOST1") as restarted:
        listing = run_cmd(restarted, "reg query HKLM\\SOFTWARE\\Burst").std_out.decode("cp437")
    for index in acknowledged:
        assert f"V{index} " in listing


def test_clock_rate_accelerates_and_keeps_what_elapsed(host: RunningHost) -> None:
    import datetime as dt  # noqa: PLC0415 - only this test parses times

    def now() -> dt.datetime:
        return dt.datetime.fromisoformat(control(host, "GET", "/health").json()["time"])

    before_offset = control(host, "GET", "/state").json()["clock"]["offset_seconds"]
    assert control(host, "POST", "/clock/rate", json={"rate": 3600}).status_code == 200
    first = now()
    time.sleep(0.5)
    assert (now() - first).total_seconds() >= 1000  # half a real second is half an hour
    assert control(host, "POST", "/clock/rate", json={"rate": 1}).json()["rate"] == 1
    assert control(host, "GET", "/state").json()["clock"]["offset_seconds"] - before_offset >= 1000
    assert control(host, "POST", "/clock/rate", json={"rate": 0.5}).status_code == 422


def test_every_serve_flag_on_the_command_line_shapes_the_host(tmp_path: Path) -> None:
    """--name --state-dir --dns-suffix --address --os --topology given directly to ``serve`` (flags over
    the file), host.json's fields and mode, and exactly one line on stdout from start to SIGTERM."""
    topology = tmp_path / "topology.yaml"
    topology.write_text(
        "name: FROMFILE\nos: '2016'\ndns_suffix: null\naddress: 192.168.101.209\n"
        "vms:\n  - name: VMX\n    generation: 2\n    state: Off\n    disks: [{name: VMX.vhdx, size_mb: 1}]\n",
        encoding="utf-8",
    )
    address = f"127.0.{(time.time_ns() // 1000) % 200 + 20}.{(time.time_ns() // 7) % 200 + 20}"
    state_dir = tmp_path / "state"
    argv = [*SERVE, "--name", "FLAGHOST", "--state-dir", str(state_dir), "--dns-suffix", "flags.test",
            "--address", address, "--os", "2022", "--topology", str(topology), "--https-port", "0",
            "--http-port", "0"]
    log_path = tmp_path / "host.log"
    with log_path.open("wb") as log_file:
        process = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=log_file, stdin=subprocess.DEVNULL)
    try:
        assert process.stdout is not None
        ready = process.stdout.readline().decode("utf-8").strip()
        assert ready, log_path.read_text(encoding="utf-8", errors="replace")
        info = json.loads((state_dir / "host.json").read_text(encoding="utf-8"))
        assert stat.S_IMODE((state_dir / "host.json").stat().st_mode) == 0o600
        assert ready == f"hvsim ready FLAGHOST https://{address}:{info['winrm']['https_port']}/wsman"
        assert (info["name"], info["fqdn"], info["address"], info["os"]) == (
            "FLAGHOST", "FLAGHOST.flags.test", address, "2022")
        assert info["virtual_address"] == "192.168.101.209"
        assert info["winrm"]["https_url"] == f"https://{address}:{info['winrm']['https_port']}/wsman"
        assert info["winrm"]["http_url"] == f"http://{address}:{info['winrm']['http_port']}/wsman"
        assert info["username"] == "Administrator"
        assert len(info["password"]) >= 16
        assert "BEGIN CERTIFICATE" in Path(info["ca_bundle"]).read_text(encoding="ascii")
        session = winrm.Session(info["winrm"]["https_url"], auth=(info["username"], info["password"]),
                                transport="ssl", ca_trust_path=info["ca_bundle"])
        assert session.run_cmd("hostname").std_out.strip() == b"FLAGHOST"
        assert b"Primary Dns Suffix  . . . . . . . : flags.test" in session.run_cmd("ipconfig", ["/all"]).std_out
        product = session.run_cmd("reg", ["query", r'"HKLM\SOFTWARE\Microsoft\Windows NT\CurrentVersion"', "/v",
                                          "ProductName"]).std_out
        assert b"Windows Server 2022" in product
        vms = session.run_ps("Get-VM | ForEach-Object { \"$($_.Name):$($_.State)\" }")
        assert vms.std_out.split() == [b"VMX:Off"], vms.std_err
    finally:
        process.terminate()
        rest, _ = process.communicate(timeout=30)
    assert process.returncode == 0
    assert rest == b""  # the ready line is the only line the host prints
