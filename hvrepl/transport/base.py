"""The transport contract: run one PowerShell script on one host and return its raw result."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol, Self

from hvrepl.powershell import parse_result


@dataclass(frozen=True)
class PSResult:
    """What a script run produced: decoded stdout/stderr, the exit code, and the parsed JSON ``data``."""

    stdout: str
    stderr: str
    exit_code: int

    @property
    def json(self) -> Any:
        """The ``data`` of the script's JSON answer; raises PowerShellError/ProtocolError on failure."""
        return parse_result(self.stdout, self.exit_code, self.stderr)


class Transport(Protocol):
    """A session to one host. Implementations raise only hvrepl.errors.TransportError subclasses."""

    host: str

    def run_ps(self, script: str, *, stdin: str | None = None) -> PSResult:
        """Run ``script`` (already wrapped) with powershell.exe; ``stdin`` is sent and closed if given."""
        ...

    def close(self) -> None:
        """Release the shell and connection."""
        ...


class CountingTransport:
    """Wraps a transport and counts scripts run (the WS-Man request count comes from the WinRM layer)."""

    def __init__(self, inner: Transport) -> None:
        self.inner = inner
        self.host = inner.host
        self.scripts = 0

    @property
    def requests(self) -> int:
        """WS-Management requests sent so far, when the inner transport counts them, else scripts run."""
        return int(getattr(self.inner, "requests", self.scripts))

    def run_ps(self, script: str, *, stdin: str | None = None) -> PSResult:
        """Run and count."""
        self.scripts += 1
        return self.inner.run_ps(script, stdin=stdin)

    def close(self) -> None:
        """Close the inner transport."""
        self.inner.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
