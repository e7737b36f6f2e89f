"""The whole recipe through the CLI against two simulated hosts (real pywinrm over HTTPS)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from hvrepl.cli import Main
from tests.engine.conftest import Lab, plan_dict


def cli(lab: Lab, capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, dict[str, Any], str]:
    """Run the CLI with --json; return exit code, parsed stdout and stderr."""
    code = Main()([*args, "--lab", str(lab.directory), "--json"])
    captured = capsys.readouterr()
    lines = [line for line in captured.out.splitlines() if line.startswith("{")]
    return code, (json.loads(lines[-1]) if lines else {}), captured.err


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


@pytest.mark.slow
def test_checkpoints_stop_the_run(lab: Lab, capsys: pytest.CaptureFixture[str]) -> None:
    """A VM with a checkpoint is refused with its name and the fix, before anything is enabled for it."""
    plan = lab.write_plan(plan_dict())
    assert Main()(["run", str(plan), "--lab", str(lab.directory), "--allow-reboot", "--check"]) == 0
    capsys.readouterr()
    from hvrepl.inventory import load_lab  # noqa: PLC0415 - test-local helper use
    from hvrepl.plan import load_plan  # noqa: PLC0415
    from hvrepl.transport.winrm import WinRMTransport  # noqa: PLC0415

    connection = load_lab(lab.directory, load_plan(plan))["Hyper-v-prim"]
    with WinRMTransport(connection) as transport:
        result = transport.run_ps("Checkpoint-VM -Name VM01 -SnapshotName before-update")
        assert result.exit_code == 0, result.stderr
    code, report, _ = cli(lab, capsys, "run", str(plan), "--allow-reboot", "--health-timeout", "30")
    assert code == 1
    failed = next(s for s in report["steps"] if s["status"] == "failed")
    assert failed["step"] == "vm_replication"
    assert "before-update" in failed["error"]["message"]
    assert "Remove-VMSnapshot" in failed["error"]["remediation"]
