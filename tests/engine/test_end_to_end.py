"""The whole recipe through the CLI against two simulated hosts (real pywinrm over HTTPS)."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from hvrepl.cli import Main
from hvrepl.engine import run_steps
from hvrepl.errors import CheckpointsPresent
from hvrepl.inventory import load_lab
from hvrepl.plan import load_plan
from hvrepl.session import HostSession
from hvrepl.steps import RunContext
from hvrepl.steps.vm_replication import VMReplication
from hvrepl.transport.winrm import WinRMTransport
from tests.engine.conftest import Lab, plan_dict, stdin_reaches_scripts


def cli(lab: Lab, capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, dict[str, Any], str]:
    """Run the CLI with --json; return exit code, parsed stdout and stderr."""
    code = Main()([*args, "--lab", str(lab.directory), "--json"])
    captured = capsys.readouterr()
    lines = [line for line in captured.out.splitlines() if line.startswith("{")]
    return code, (json.loads(lines[-1]) if lines else {}), captured.err


@pytest.mark.slow
def test_secret_on_stdin_reaches_the_script(lab: Lab) -> None:
    """Contract with the simulator: WinRS stdin is the script's $input (as on Windows; Ansible relies on it).

    The PFX password travels this way (certificates step, testroot and private-ca).
    """
    assert stdin_reaches_scripts(lab), "simulator gap: powershell -EncodedCommand does not expose stdin as $input"


def strip_volatile(state: dict[str, Any]) -> dict[str, Any]:
    """Host state minus what changes by merely being read (clock, WinRM shells, counters)."""
    return {k: v for k, v in state.items() if k not in ("clock", "wsman", "shells", "events", "meta")}


@pytest.mark.slow
@pytest.mark.parametrize("mode", ["testroot", "private-ca"])
def test_recipe_end_to_end(lab: Lab, capsys: pytest.CaptureFixture[str], mode: str) -> None:
    """plan changes nothing; run converges (rebooting for the DNS suffix); a second run changes nothing."""
    plan = lab.write_plan(plan_dict(certificates={"mode": mode}))
    before = lab.snapshot()
    code, shown, _ = cli(lab, capsys, "plan", str(plan))
    assert code == 0, shown
    assert shown["changes"] > 0
    assert lab.snapshot() == before

    code, report, err = cli(lab, capsys, "run", str(plan), "--allow-reboot", "--health-timeout", "120")
    assert code == 0, (report, err)
    assert all(step["status"] in ("ok", "changed") for step in report["steps"])
    assert "Hyper-v-prim" in err  # one progress line per step on stderr

    code, again, _ = cli(lab, capsys, "run", str(plan))
    assert code == 0
    assert again["changes"] == 0, [s for s in again["steps"] if s["status"] != "ok"]

    code, verified, _ = cli(lab, capsys, "verify", str(plan))
    assert code == 0, verified
    code, status, _ = cli(lab, capsys, "status", str(plan))
    assert code == 0
    vm = next(v for v in status["status"]["Hyper-v-prim"] if v["name"] == "VM01")
    assert (vm["state"], vm["health"], vm["mode"]) == ("Replicating", "Normal", "Primary")
    code, doctor, _ = cli(lab, capsys, "doctor", str(plan))
    assert code == 0, [f for f in doctor["findings"] if not f["ok"]]
    assert any(f["topic"] == "replication" and f["ok"] for f in doctor["findings"])


@pytest.mark.slow
def test_without_allow_reboot_stops_cleanly(lab: Lab, capsys: pytest.CaptureFixture[str]) -> None:
    """A fresh host needs a restart for its DNS suffix: exit 1 naming host, step and the fix."""
    plan = lab.write_plan(plan_dict())
    code, report, err = cli(lab, capsys, "run", str(plan))
    assert code == 1
    failed = next(s for s in report["steps"] if s["status"] == "failed")
    assert (failed["host"], failed["step"]) == ("Hyper-v-prim", "identity")
    assert "--allow-reboot" in failed["error"]["remediation"]
    assert "restart" in err


def make_checkpoint(lab: Lab, plan_file: Any) -> None:
    """Checkpoint-VM on the primary, through WinRM like a user would."""
    connection = load_lab(lab.directory, load_plan(plan_file))["Hyper-v-prim"]
    with WinRMTransport(connection) as transport:
        result = transport.run_ps("Checkpoint-VM -Name VM01 -SnapshotName before-update")
        assert result.exit_code == 0, result.stderr


@pytest.mark.slow
def test_checkpoints_stop_vm_replication(lab: Lab) -> None:
    """A VM with a checkpoint is refused with its name and the fix, and nothing is enabled for it."""
    plan_file = lab.write_plan(plan_dict())
    make_checkpoint(lab, plan_file)
    plan = load_plan(plan_file)
    sessions = {n: HostSession(n, WinRMTransport(c)) for n, c in load_lab(lab.directory, plan).items()}
    ctx = RunContext(plan=plan, sessions=sessions, thumbprints={"Hyper-v-prim": "A" * 40})
    report = run_steps(ctx, [VMReplication(plan.primary)])
    error = report.failed.error if report.failed else None
    assert isinstance(error, CheckpointsPresent)
    assert "before-update" in str(error)
    assert "Remove-VMSnapshot" in (error.remediation or "")


@pytest.mark.slow
def test_doctor_explains_a_fresh_pair(lab: Lab, capsys: pytest.CaptureFixture[str]) -> None:
    """On fresh hosts doctor names each problem in plain words and exits 1."""
    plan_file = lab.write_plan(plan_dict())
    make_checkpoint(lab, plan_file)
    code, report, _ = cli(lab, capsys, "doctor", str(plan_file))
    assert code == 1
    problems = {(f["host"], f["topic"]) for f in report["findings"] if not f["ok"]}
    for host in ("Hyper-v-prim", "Hyper-v-repl"):
        for topic in ("name", "hosts entry", "firewall", "revocation check", "certificate"):
            assert (host, topic) in problems, (host, topic, report["findings"])
    assert ("Hyper-v-prim", "checkpoints") in problems
    text = json.dumps(report)
    assert "name mismatch" in text
    assert "0x80092012" in text


def vm_names(lab: Lab, host: str) -> list[str]:
    """The VMs of a host, read from its state (independent of the engine)."""
    return [str(vm["name"]) for vm in lab.state(host)["hyperv"]["vms"]]


@pytest.mark.slow
def test_failover_test_and_planned(lab: Lab, capsys: pytest.CaptureFixture[str]) -> None:
    """After a run: a test failover keeps replication; a planned one swaps the roles."""
    plan = lab.write_plan(plan_dict())
    code, report, err = cli(lab, capsys, "run", str(plan), "--allow-reboot", "--health-timeout", "120")
    assert code == 0, (report, err)
    code, done, _ = cli(lab, capsys, "failover", str(plan), "--vm", "VM01", "--test")
    assert code == 0, done
    assert "VM01 - Test" in json.dumps(done)
    assert "VM01 - Test" in vm_names(lab, "Hyper-v-repl")
    code, done, _ = cli(lab, capsys, "failover", str(plan), "--vm", "VM01", "--stop-test")
    assert code == 0 and "test failover ended" in json.dumps(done), done
    assert "VM01 - Test" not in vm_names(lab, "Hyper-v-repl")
    code, done, _ = cli(lab, capsys, "failover", str(plan), "--vm", "VM01", "--stop-test")
    assert code == 0 and "nothing to do" in json.dumps(done), done
    code, done, err = cli(lab, capsys, "failover", str(plan), "--vm", "VM01", "--planned")
    assert code == 0, (done, err)
    code, status, _ = cli(lab, capsys, "status", str(plan))
    modes = {host: next(v["mode"] for v in vms if v["name"] == "VM01") for host, vms in status["status"].items()}
    assert modes == {"Hyper-v-prim": "Replica", "Hyper-v-repl": "Primary"}


@pytest.mark.slow
def test_doctor_reports_rejected_credentials_and_never_echoes_them(lab: Lab, capsys: pytest.CaptureFixture[str],
                                                                    caplog: pytest.LogCaptureFixture) -> None:
    """A wrong WinRM password becomes a plain-words finding; neither password appears in any output."""
    plan = lab.write_plan(plan_dict())
    lab_file = lab.directory / "lab.json"
    data = json.loads(lab_file.read_text(encoding="utf-8"))
    real_password = data["hosts"][1]["winrm"]["password"]
    data["hosts"][1]["winrm"]["password"] = "Wrong-Password-123"
    lab_file.write_text(json.dumps(data), encoding="utf-8")
    caplog.set_level(logging.DEBUG)
    code = Main()(["doctor", str(plan), "--lab", str(lab.directory), "--json", "-vv"])
    captured = capsys.readouterr()
    assert code == 1
    report = json.loads([line for line in captured.out.splitlines() if line.startswith("{")][-1])
    auth = [f for f in report["findings"] if f["topic"] == "WinRM authentication"]
    assert [f["host"] for f in auth] == ["Hyper-v-repl"]
    assert "401" in auth[0]["explanation"]
    for secret in ("Wrong-Password-123", real_password, data["hosts"][0]["winrm"]["password"]):
        assert secret not in captured.out
        assert secret not in captured.err
        assert secret not in caplog.text


@pytest.mark.slow
def test_revocation_check_kept_fails_at_the_connection_test(lab: Lab, capsys: pytest.CaptureFixture[str]) -> None:
    """With revocation_check: keep, the run stops before enabling VMs, with the HRESULT and the fix."""
    plan = lab.write_plan(plan_dict(revocation_check="keep"))
    code, report, err = cli(lab, capsys, "run", str(plan), "--allow-reboot", "--health-timeout", "10")
    assert code == 1
    failed = next(s for s in report["steps"] if s["status"] == "failed")
    assert (failed["host"], failed["step"]) == ("Hyper-v-prim", "connection_test")
    assert failed["error"]["hresult"] in ("0x80092012", "0x80092013")
    assert "revocation_check: disable" in failed["error"]["remediation"]
    assert failed["error"]["events"], "the Hyper-V-VMMS-Admin events of the failure are attached"
    assert all(isinstance(e["id"], int) for e in failed["error"]["events"])
    assert "Fix:" in err
    assert not any(s["step"] == "vm_replication" for s in report["steps"])


@pytest.mark.slow
def test_no_secret_in_output_or_logs_of_a_full_run(lab: Lab) -> None:
    """hvrepl run -vv --json: neither the PFX password nor a WinRM password appears anywhere it writes."""
    plan = lab.write_plan(plan_dict())
    pfx_password = "Zq9-VerySecretPfxPassword-77"
    result = subprocess.run([sys.executable, "-m", "hvrepl", "run", str(plan), "--lab", str(lab.directory),
                             "--allow-reboot", "-vv", "--json", "--pfx-password-env", "HVREPL_TEST_PFX"],
                            capture_output=True, text=True, check=False, cwd=Path(__file__).resolve().parents[2],
                            env={**os.environ, "HVREPL_TEST_PFX": pfx_password})
    assert result.returncode == 0, result.stderr[-2000:]
    written = result.stdout + result.stderr
    assert "powershell" in written.lower()  # the scripts are there (debug logs + JSON), the secrets are not
    winrm_passwords = [h["winrm"]["password"] for h in json.loads((lab.directory / "lab.json").read_text())["hosts"]]
    for secret in (pfx_password, *winrm_passwords):
        assert secret not in written
