"""The same end-to-end run against real Windows servers, when HVREPL_TEST_INVENTORY names them.

Set HVREPL_TEST_INVENTORY (inventory YAML) and HVREPL_TEST_PLAN (plan YAML). Skipped otherwise: this is
the only skip in the engine tests. It changes the servers (that is its point): use lab machines.
"""

from __future__ import annotations

import json
import os

import pytest

from hvrepl.cli import Main

INVENTORY = os.environ.get("HVREPL_TEST_INVENTORY")
PLAN = os.environ.get("HVREPL_TEST_PLAN")

pytestmark = [
    pytest.mark.real_host,
    pytest.mark.skipif(not (INVENTORY and PLAN), reason="HVREPL_TEST_INVENTORY and HVREPL_TEST_PLAN not set"),
]


def _cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, dict[str, object]]:
    code = Main()([*args, "--target", "real", "--inventory", str(INVENTORY), "--json"])
    lines = [x for x in capsys.readouterr().out.splitlines() if x.startswith("{")]
    return code, (json.loads(lines[-1]) if lines else {})


def test_real_hosts_converge_and_stay_converged(capsys: pytest.CaptureFixture[str]) -> None:
    """run succeeds with --allow-reboot, a second run changes nothing, verify passes."""
    code, report = _cli(capsys, "run", str(PLAN), "--allow-reboot")
    assert code == 0, report
    code, again = _cli(capsys, "run", str(PLAN))
    assert code == 0
    assert again["changes"] == 0, again
    code, verified = _cli(capsys, "verify", str(PLAN))
    assert code == 0, verified
