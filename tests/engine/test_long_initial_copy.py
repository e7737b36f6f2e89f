"""A first copy that outlasts the run's wait: the run says what it waits for, ends saying the copy carries
on (exit 1, not a fault), and a later run verifies the end state with no change.

The lab's background initial replication (Start-VMInitialReplication returns at once and the state shows
InitialReplicationInProgress, as on Windows) and a slow replication link make the copy take seconds.
"""

from __future__ import annotations

import base64
import os
import time

import pytest
import requests

from tests.engine.conftest import Lab, plan_dict
from tests.engine.test_end_to_end import cli


def control(lab: Lab, host: str, path: str, body: dict[str, object]) -> None:
    """POST to the host's /_sim control plane."""
    info = lab.hosts[host].info
    response = requests.post(f"{info['control_url']}/{path}", json=body, verify=info["ca_bundle"], timeout=30,
                             headers={"Authorization": f"Bearer {info['control_token']}"})
    response.raise_for_status()


@pytest.mark.slow
def test_run_ends_while_the_first_copy_still_runs_then_a_later_run_verifies(
    lab: Lab, capsys: pytest.CaptureFixture[str]
) -> None:
    plan = str(lab.write_plan(plan_dict()))
    control(lab, "Hyper-v-prim", "replication/guest/write",
            {"vm": "VM01", "offset": 0, "data_base64": base64.b64encode(os.urandom(2 * 1024 * 1024)).decode()})
    control(lab, "Hyper-v-prim", "replication/initial-replication/background", {"enabled": True})
    control(lab, "Hyper-v-prim", "replication/network/rate", {"bytes_per_second": 256 * 1024})

    code, report, err = cli(lab, capsys, "run", plan, "--allow-reboot", "--health-timeout", "2")
    assert code == 1, err
    failed = next(s for s in report["steps"] if s["status"] == "failed")
    assert (failed["host"], failed["step"]) == ("Hyper-v-prim", "replication_health")
    assert "initial replication still in progress" in err and "hvrepl status" in err
    assert "waiting (" in err and "VM01 InitialReplicationInProgress/Warning" in err  # said while waiting

    control(lab, "Hyper-v-prim", "replication/network/rate", {"bytes_per_second": None})
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        code, status, _ = cli(lab, capsys, "status", plan)
        if status["status"]["Hyper-v-prim"][0]["state"] == "Replicating":
            break
        time.sleep(0.5)
    else:
        pytest.fail(f"the initial copy did not finish within 60 s of lifting the rate limit: {status}")
    code, report, err = cli(lab, capsys, "run", plan)
    assert code == 0, err
    assert report["changes"] == 0
