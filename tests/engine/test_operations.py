"""Day-2 operations through the CLI: unplanned failover, then reverse (refused while the old primary runs)."""

from __future__ import annotations

import json

import pytest

from simulator.launcher import start_host
from tests.engine.conftest import Lab, plan_dict
from tests.engine.test_end_to_end import cli


def vm_power(lab: Lab, host: str, vm: str) -> str:
    """The VM's power state as the host records it (independent of the engine's reads)."""
    return str(next(v for v in lab.state(host)["hyperv"]["vms"] if v["name"] == vm)["state"])


def modes(lab: Lab, capsys: pytest.CaptureFixture[str], plan: str) -> dict[str, tuple[str, str]]:
    """(mode, state) of VM01 per host from `hvrepl status --json`."""
    code, status, _ = cli(lab, capsys, "status", plan)
    assert code == 0
    return {host: next((v["mode"], v["state"]) for v in vms if v["name"] == "VM01")
            for host, vms in status["status"].items()}


def restart(lab: Lab, name: str) -> None:
    """Start a stopped host again from its state directory (same address) and update lab.json."""
    lab_file = lab.directory / "lab.json"
    data = json.loads(lab_file.read_text(encoding="utf-8"))
    entry = next(e for e in data["hosts"] if e["name"] == name)
    host = start_host(lab.directory / name, name, address=entry["address"], lab_file=lab_file)
    lab.hosts[name] = host
    entry["winrm"] = {"url": host.info["winrm"]["https_url"], "auth": "basic", "username": host.info["username"],
                      "password": host.info["password"], "ca_bundle": host.info["ca_bundle"]}
    entry["control_url"] = host.info["control_url"]
    lab_file.write_text(json.dumps(data), encoding="utf-8")


@pytest.mark.slow
def test_unplanned_failover_then_reverse(lab: Lab, capsys: pytest.CaptureFixture[str]) -> None:
    """Unplanned failover is refused while the primary answers and runs the VM (split brain), and works with
    the primary down. When the primary is back with VM01 running, reverse stops (host, step, fix) and turns
    nothing off; --stop-old-primary turns it off, reverses and starts the initial replication back; a second
    reverse has nothing to do."""
    plan = str(lab.write_plan(plan_dict()))
    code, report, err = cli(lab, capsys, "run", plan, "--allow-reboot", "--health-timeout", "120")
    assert code == 0, (report, err)
    code, refused, _ = cli(lab, capsys, "failover", plan, "--vm", "VM01", "--unplanned")
    assert code == 1
    assert (refused["error"]["host"], refused["error"]["step"]) == ("Hyper-v-prim", "failover")
    assert "split brain" in refused["error"]["message"]
    assert "--planned" in refused["error"]["remediation"]
    assert modes(lab, capsys, plan)["Hyper-v-repl"] == ("Replica", "Replicating")

    lab.hosts["Hyper-v-prim"].stop()
    code, done, err = cli(lab, capsys, "failover", plan, "--vm", "VM01", "--unplanned")
    assert code == 0, (done, err)
    assert "Hyper-v-prim: unreachable" in done["done"][0]
    assert "--stop-old-primary" in " ".join(done["done"])
    code, refused, _ = cli(lab, capsys, "failover", plan, "--vm", "VM01", "--planned")
    assert code == 1  # a planned failover needs the primary
    restart(lab, "Hyper-v-prim")
    assert vm_power(lab, "Hyper-v-prim", "VM01") == "Running"  # back after the outage: two copies run
    assert modes(lab, capsys, plan)["Hyper-v-repl"] == ("Replica", "FailedOver")

    code, refused, err = cli(lab, capsys, "reverse", plan, "--vm", "VM01")
    assert code == 1
    assert refused["ok"] is False
    assert (refused["error"]["host"], refused["error"]["step"]) == ("Hyper-v-prim", "reverse")
    assert "--stop-old-primary" in refused["error"]["remediation"]
    assert "Fix:" in err
    assert vm_power(lab, "Hyper-v-prim", "VM01") == "Running"  # nothing was turned off
    assert modes(lab, capsys, plan)["Hyper-v-repl"] == ("Replica", "FailedOver")

    code, done, err = cli(lab, capsys, "reverse", plan, "--vm", "vm01", "--stop-old-primary")
    assert code == 0, (done, err)
    assert any("turned off" in line for line in done["done"])
    assert any("initial replication" in line for line in done["done"])
    assert vm_power(lab, "Hyper-v-prim", "VM01") == "Off"
    assert modes(lab, capsys, plan) == {"Hyper-v-prim": ("Replica", "Replicating"),
                                        "Hyper-v-repl": ("Primary", "Replicating")}

    code, again, _ = cli(lab, capsys, "reverse", plan, "--vm", "VM01")
    assert code == 0
    assert "nothing to do" in again["done"][0]


@pytest.mark.slow
def test_reverse_without_a_failover_is_refused(lab: Lab, capsys: pytest.CaptureFixture[str]) -> None:
    """Reversing a VM that was never failed over is an invalid state (exit 1), and changes nothing."""
    plan = str(lab.write_plan(plan_dict()))
    code, report, err = cli(lab, capsys, "run", plan, "--allow-reboot", "--health-timeout", "120")
    assert code == 0, (report, err)
    code, refused, _ = cli(lab, capsys, "reverse", plan, "--vm", "VM01", "--stop-old-primary")
    assert code == 1
    assert "failed over" in refused["error"]["message"]
    assert vm_power(lab, "Hyper-v-prim", "VM01") == "Running"
    code, refused, _ = cli(lab, capsys, "reverse", plan, "--vm", "VM99")
    assert code == 2
    assert "not in the plan" in refused["error"]["message"]
