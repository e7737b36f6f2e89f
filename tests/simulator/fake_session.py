"""A stand-in for the interpreter's session, for tests that call cmdlet handlers directly.

It records non-terminating errors and warnings and has a current location; invoking a script block
fails the test, since handler-level tests never need one (scripts go through ``run_script``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from simulator.core.errors import SimError


@dataclass
class FakeSession:
    """The interpreter services a cmdlet handler may use (see ``simulator.ps.api.Session``)."""

    location: str = "C:\\Users\\Administrator"
    errors: list[SimError] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def write_error(self, error: SimError) -> None:
        """Record a non-terminating error."""
        self.errors.append(error)

    def write_warning(self, text: str) -> None:
        """Record a warning."""
        self.warnings.append(text)

    def invoke(self, block: Any, dollar_underscore: Any = None, args: list[Any] | None = None) -> list[Any]:
        """Handler-level tests never run script blocks."""
        raise AssertionError("a handler-level test must not invoke script blocks; use run_script")
