"""Helpers for the PowerShell interpreter tests: run a script on the in-process simulated host."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from simulator.core.host import Host
from simulator.ps.runner import ScriptResult, run_script

Run = Callable[[str], ScriptResult]


@pytest.fixture(name="ps")
def _ps(sim_host: Host) -> Run:
    """``ps(script)`` runs the script on a fresh simulated host and returns the ScriptResult."""

    def run(script: str) -> ScriptResult:
        return run_script(sim_host, script)

    return run


def lines(result: ScriptResult) -> list[str]:
    """stdout split into lines (CRLF), without the final empty one."""
    text = result.stdout
    assert "\n" not in text.replace("\r\n", ""), "stdout must use CRLF line ends"
    return text.split("\r\n")[:-1] if text else []
