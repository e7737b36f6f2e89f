"""Calling certificate cmdlets and provider operations without the interpreter, for these tests.

Arguments are passed as the binder would hand them over (canonical names, converted values).
"""

from __future__ import annotations

from typing import Any

from simulator.core.host import Host
from simulator.ps import api
from tests.simulator.fake_session import FakeSession


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
