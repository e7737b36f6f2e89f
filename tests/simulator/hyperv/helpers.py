"""Test helpers: call Hyper-V cmdlet handlers directly, with a minimal fake interpreter session.

``call`` bypasses PowerShell's binder (arguments are given by canonical parameter name), so these
tests exercise the handlers' own rules; binder rules are tested through the runner when it exists.
"""

from __future__ import annotations

from typing import Any

from simulator.core.host import Host
from simulator.ps.api import Invocation, find_cmdlet
from tests.simulator.fake_session import FakeSession


def call(host: Host, name: str, session: FakeSession | None = None, input_object: Any = None,
         **args: Any) -> list[Any]:
    """Run cmdlet ``name`` with ``args`` (canonical names) inside a host transaction; return its output."""
    spec = find_cmdlet(name)
    assert spec is not None, f"{name} is not registered"
    known = {p.name for p in spec.params}
    unknown = set(args) - known
    assert not unknown, f"{name} has no parameter(s) {unknown}"
    inv = Invocation(host=host, args=dict(args), session=session or FakeSession(), input=input_object, name=name)
    with host.transaction():
        result = spec.handler(inv)
        return list(result or [])
