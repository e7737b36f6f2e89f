"""Virtual addresses (192.168.x.y in a plan) live only inside the lab: during a whole walkthrough, with
replication between the hosts, every TCP connection any process makes (this test process running the
engine, and every host process) goes to a loopback address.

Each connection is seen through Python's audit hook ``socket.connect``: a ``sitecustomize`` put on the host
processes' PYTHONPATH installs the hook there; this process installs it directly.
"""

from __future__ import annotations

import ipaddress
import os
import sys
from pathlib import Path
from typing import Any

import pytest

from hvrepl.scenario.model import load_scenario
from hvrepl.scenario.runner import run_scenario

LOG_VARIABLE = "HVREPL_TEST_CONNECT_LOG"
SITECUSTOMIZE = f'''
import os, sys

def _record_connect(event, args):
    if event == "socket.connect" and isinstance(args[1], tuple) and os.environ.get("{LOG_VARIABLE}"):
        with open(os.environ["{LOG_VARIABLE}"], "a", encoding="utf-8") as log:
            log.write(f"{{os.getpid()}} {{args[1][0]}} {{args[1][1]}}\\n")

sys.addaudithook(_record_connect)
'''
_HOOKED: list[bool] = []


def _record_here(event: str, args: tuple[Any, ...]) -> None:
    target = os.environ.get(LOG_VARIABLE)
    if event == "socket.connect" and target and isinstance(args[1], tuple):
        with open(target, "a", encoding="utf-8") as log:
            log.write(f"{os.getpid()} {args[1][0]} {args[1][1]}\n")


@pytest.mark.slow
def test_a_whole_walkthrough_dials_only_loopback(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The walkthrough scenario passes; every recorded connection is to 127.0.0.0/8; hosts dialled each other."""
    (tmp_path / "sitecustomize.py").write_text(SITECUSTOMIZE, encoding="utf-8")
    log = tmp_path / "connects.log"
    monkeypatch.setenv(LOG_VARIABLE, str(log))
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(filter(None, [str(tmp_path), os.environ.get("PYTHONPATH")])))
    if not _HOOKED:  # an audit hook cannot be removed: install it once, it records only while the variable is set
        sys.addaudithook(_record_here)
        _HOOKED.append(True)
    path = Path(__file__).resolve().parents[2] / "scenarios" / "walkthrough.yaml"
    result = run_scenario(load_scenario(path))
    monkeypatch.delenv(LOG_VARIABLE)
    assert result.passed, result.reason
    records = [line.split() for line in log.read_text(encoding="utf-8").splitlines()]
    outside = {(host, port) for _, host, port in records if not ipaddress.ip_address(host).is_loopback}
    assert not outside, f"connections outside loopback: {sorted(outside)}"
    by_host_processes = {host for pid, host, _ in records if int(pid) != os.getpid()}
    assert by_host_processes - {"127.0.0.1"}, "no host dialled a peer's lab address: the hook did not load"
    assert any(int(pid) == os.getpid() for pid, _, _ in records), "the engine's connections were not recorded"
