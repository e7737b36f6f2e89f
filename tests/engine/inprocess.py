"""An in-process transport to a simulated Host object (no WinRM), for step tests that need no network.

It runs the engine's wrapped script with the simulator's interpreter. Stdin: real powershell.exe gives
the lines sent on WinRS stdin to the script as ``$input``; the simulator's runner does not model that
yet, so this test transport binds them in the script text instead (tests only; the WinRM transport
never does this).
"""

from __future__ import annotations

from typing import Any

from hvrepl.powershell import quote
from hvrepl.transport.base import PSResult
from simulator.core.host import Host
from simulator.ps.runner import run_script

STDIN_LINE = "$HvreplStdin = @($input)"


class InProcessTransport:
    """run_ps against a Host object in this process."""

    def __init__(self, host: Host, name: str) -> None:
        self.sim_host = host
        self.host = name
        self.requests = 0

    def run_ps(self, script: str, *, stdin: str | None = None) -> PSResult:
        """Run the script; emulate ``$input`` from ``stdin``."""
        self.requests += 1
        if stdin is not None:
            assert STDIN_LINE in script
            lines = [line for line in stdin.splitlines() if line]
            script = script.replace(STDIN_LINE, f"$HvreplStdin = {quote(lines)}")
        result = run_script(self.sim_host, script)
        return PSResult(result.stdout, result.stderr, result.exit_code)

    def close(self) -> None:
        """Nothing to release."""


class StdinAsLiteralTransport:
    """Wraps a real (WinRM) transport; binds stdin lines as literals instead of sending them (test shim).

    Used only to exercise the steps after ``certificates`` while the simulator does not model ``$input``;
    the real-stdin path is covered by test_end_to_end.
    """

    def __init__(self, inner: Any) -> None:
        self.inner: Any = inner
        self.host = inner.host

    @property
    def requests(self) -> int:
        """Requests of the inner transport."""
        return int(getattr(self.inner, "requests", 0))

    def run_ps(self, script: str, *, stdin: str | None = None) -> PSResult:
        """Inline stdin, then run over the inner transport without stdin."""
        if stdin is not None:
            lines = [line for line in stdin.splitlines() if line]
            script = script.replace(STDIN_LINE, f"$HvreplStdin = {quote(lines)}")
        return self.inner.run_ps(script)

    def close(self) -> None:
        """Close the inner transport."""
        self.inner.close()
