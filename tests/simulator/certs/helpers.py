"""Calling certificate cmdlets and provider operations without the interpreter, for these tests.

Arguments are passed as the binder would hand them over (canonical names, converted values).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from simulator.core.errors import SimError
from simulator.core.host import Host
from simulator.ps import api


@dataclass
class FakeSession:
    """Just enough of the interpreter: collects errors and warnings, has a current location."""

    location: str = "C:\\Users\\Administrator"
    errors: list[SimError] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def write_error(self, error: SimError) -> None:
        self.errors.append(error)

    def write_warning(self, text: str) -> None:
        self.warnings.append(text)

    def invoke(self, block: Any, dollar_underscore: Any = None, args: list[Any] | None = None) -> list[Any]:
        raise NotImplementedError


def call(host: Host, name: str, *, session: FakeSession | None = None, **args: Any) -> list[Any]:
    """Run one registered cmdlet with already-bound arguments; returns its output as a list."""
    import simulator.services.certs  # noqa: F401, PLC0415 - registers the cmdlets

    spec = api.find_cmdlet(name)
    assert spec is not None, name
    inv = api.Invocation(host=host, args=args, session=session or FakeSession(), name=name)
    with host.transaction():
        return list(spec.handler(inv) or [])


def invocation(host: Host, location: str = "C:\\Users\\Administrator") -> api.Invocation:
    """An Invocation for calling provider methods directly."""
    return api.Invocation(host=host, args={}, session=FakeSession(location=location))
