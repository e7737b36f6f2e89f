"""A transport driven by a plain function, for unit tests (no sockets, no simulator)."""

from __future__ import annotations

from collections.abc import Callable

from hvrepl.transport.base import PSResult

Handler = Callable[[str, str | None], PSResult]


class MockTransport:
    """Calls ``handler(script, stdin)`` for every script and records the scripts it was given."""

    def __init__(self, host: str, handler: Handler) -> None:
        self.host = host
        self.handler = handler
        self.scripts: list[str] = []
        self.closed = False

    def run_ps(self, script: str, *, stdin: str | None = None) -> PSResult:
        """Record and delegate."""
        self.scripts.append(script)
        return self.handler(script, stdin)

    def close(self) -> None:
        """Mark closed."""
        self.closed = True
