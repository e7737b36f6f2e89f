"""`hvrepl demo` as a user runs it: a fresh process, exit 0, replication Normal shown, the lab taken down."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from hvrepl.demo import walkthrough_plan
from hvrepl.plan import Plan

WALKTHROUGH_PROGRESS = [(h, s) for s in ("identity", "hosts_file", "firewall_rule", "revocation_check",
                                           "replica_server", "authorization_entry")
                        for h in ("Hyper-v-prim", "Hyper-v-repl")] + [
    ("both", "certificates"), ("Hyper-v-prim", "vm_replication"), ("Hyper-v-prim", "initial_replication")]


def test_demo_plan_is_the_walkthrough() -> None:
    """The shipped plan validates and uses the test.net suffix on both hosts."""
    plan = Plan.model_validate(walkthrough_plan())
    assert (plan.primary.fqdn, plan.replica.fqdn) == ("hyper-v-prim.test.net", "hyper-v-repl.test.net")
    assert [vm.name for vm in plan.vms] == ["VM01"]


@pytest.mark.slow
def test_demo_end_to_end(tmp_path: Path) -> None:
    """Exit 0; status shows VM01 Replicating/Normal; a test failover ran; no host process is left."""
    env = {**os.environ, "TMPDIR": str(tmp_path), "PYTHONUNBUFFERED": "1"}
    done = subprocess.run([sys.executable, "-m", "hvrepl", "demo"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          text=True, timeout=600, env=env, check=False)
    output = done.stdout  # stdout and stderr as a terminal interleaves them
    assert done.returncode == 0, output[-4000:]
    assert re.search(r"Hyper-v-prim\s+VM01\s+Replicating\s+Normal", output), output[-4000:]
    run_stage = output.split("[3] ", 1)[1].split("[4] ", 1)[0]
    for host, step in WALKTHROUGH_PROGRESS:  # progress: one line per host and step, as it happens
        assert re.search(rf"^{host}\s+{step}\s+changed\s+\d+\.\d+s$", run_stage, re.MULTILINE), run_stage
    assert "test failover started" in output
    assert "Lab stopped." in output
    leftovers = [p for p in Path("/proc").glob("[0-9]*/cmdline")
                 if str(tmp_path).encode() in _read(p) and b"simulator" in _read(p)]
    assert not leftovers
    assert not list(tmp_path.glob("hvrepl-demo-*"))  # a passing demo removes its lab state


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError:
        return b""


@pytest.mark.slow
def test_demo_interrupted_takes_the_lab_down(tmp_path: Path) -> None:
    """Ctrl-C (SIGINT) right after the lab is up: exit 1, 'Lab stopped.', no host process left."""
    import signal  # noqa: PLC0415 - only here
    import time  # noqa: PLC0415 - same

    env = {**os.environ, "TMPDIR": str(tmp_path), "PYTHONUNBUFFERED": "1"}
    demo = subprocess.Popen([sys.executable, "-m", "hvrepl", "demo"], stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, env=env)
    assert demo.stdout is not None
    seen = []
    deadline = time.monotonic() + 120
    for line in demo.stdout:
        seen.append(line)
        if line.startswith("[2]") or time.monotonic() > deadline:
            break
    demo.send_signal(signal.SIGINT)
    rest, _ = demo.communicate(timeout=120)
    output = "".join(seen) + rest
    assert demo.returncode == 1, output
    assert "Lab stopped." in output
    assert "Demo FAILED." in output
    kept = list(tmp_path.glob("hvrepl-demo-*"))
    assert len(kept) == 1 and f"kept in {kept[0]}" in output  # a failed demo keeps its state to look at
    leftovers = [p for p in Path("/proc").glob("[0-9]*/cmdline")
                 if str(tmp_path).encode() in _read(p) and b"simulator" in _read(p)]
    assert not leftovers


@pytest.mark.slow
def test_demo_json_prints_one_summary_on_stdout(tmp_path: Path) -> None:
    """--json: stdout is exactly one JSON object (every stage ok, with times); the narration went to stderr."""
    import json  # noqa: PLC0415 - only here

    env = {**os.environ, "TMPDIR": str(tmp_path), "PYTHONUNBUFFERED": "1"}
    done = subprocess.run([sys.executable, "-m", "hvrepl", "demo", "--json"], capture_output=True, text=True,
                          timeout=600, env=env, check=False)
    assert done.returncode == 0, done.stderr[-4000:]
    summary = json.loads(done.stdout)  # nothing else on stdout
    assert summary["ok"] is True and summary["command"] == "demo" and summary["kept"] is None
    assert [s["number"] for s in summary["stages"]] == [1, 2, 3, 4, 5, 6]
    assert all(s["ok"] and s["seconds"] >= 0 for s in summary["stages"])
    assert "Demo succeeded" in done.stderr and re.search(r"Hyper-v-prim\s+VM01\s+Replicating\s+Normal", done.stderr)
    assert re.search(r"^HOST\s+VM\s+STATE\s+HEALTH\s+MODE\s+LAST REPLICATION", done.stderr, re.MULTILINE)
