"""An in-process transport to a simulated Host object (no WinRM), for step tests that need no network.

It runs the engine's wrapped script with the simulator's interpreter and hands ``stdin`` over as
powershell.exe does over WinRS (the script's ``$input``).
"""

from __future__ import annotations

from hvrepl.transport.base import PSResult
from simulator.core.host import Host
from simulator.ps.runner import run_script


class InProcessTransport:
    """run_ps against a Host object in this process."""

    def __init__(self, host: Host, name: str) -> None:
        self.sim_host = host
        self.host = name
        self.requests = 0

    def run_ps(self, script: str, *, stdin: str | None = None) -> PSResult:
        """Run the script; ``stdin`` becomes its ``$input``."""
        self.requests += 1
        result = run_script(self.sim_host, script, stdin=stdin)
        return PSResult(result.stdout, result.stderr, result.exit_code)

    def close(self) -> None:
        """Nothing to release."""
