"""A tiny stand-in for a Windows host at the level of the engine's templates (unit tests only).

It answers by template name (the script's first line) and reads bound values back from the script's
single-quoted literals, so the engine's flow (check/plan/apply/verify, check mode, stdin secrets) can be
tested without the simulator. The simulator-based tests in tests/engine/ are the faithful ones.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from hvrepl.powershell import SINGLE_QUOTES
from hvrepl.transport.base import PSResult

LITERAL = re.compile(f"[{SINGLE_QUOTES}]((?:[^{SINGLE_QUOTES}]|[{SINGLE_QUOTES}]{{2}})*)[{SINGLE_QUOTES}]")


def literals(script: str) -> list[str]:
    """Every single-quoted literal of the script body (the wrapper's own are skipped)."""
    body = script.split("try {", 1)[1].split("$out = @{ ok = $true", 1)[0]
    return [re.sub(f"([{SINGLE_QUOTES}])\\1", r"\1", m) for m in LITERAL.findall(body)]


def ok(data: Any) -> PSResult:
    """A successful script answer."""
    return PSResult(json.dumps({"ok": True, "data": data}) + "\r\n", "", 0)


def failure(message: str, fqid: str, hresult: str) -> PSResult:
    """A caught ErrorRecord."""
    return PSResult(json.dumps({"ok": False, "error": {"message": message, "fqid": fqid,
                                                       "category": "NotSpecified", "hresult": hresult}}), "", 1)


@dataclass
class FakeWindows:
    """State of one fake host; ``handler`` is given to MockTransport."""

    name: str
    firewall: str = "False"
    revocation: int | None = None
    hosts_text: str = "# Copyright (c) 1993-2009 Microsoft Corp.\r\n#\r\n# 127.0.0.1 localhost\r\n"
    hostname: str = ""
    domain: str = ""
    nv_hostname: str = ""
    nv_domain: str = ""
    restarts: int = 0
    stdin_seen: list[str | None] = field(default_factory=list, compare=False)
    overrides: dict[str, Callable[[str], PSResult]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.hostname = self.hostname or self.name
        self.nv_hostname = self.nv_hostname or self.hostname

    def handler(self, script: str, stdin: str | None) -> PSResult:
        """Dispatch on the template name."""
        template = script.splitlines()[0].removeprefix("# hvrepl ").strip()
        self.stdin_seen.append(stdin)
        if template in self.overrides:
            return self.overrides[template](script)
        values = literals(script)
        method = getattr(self, "t_" + template, None)
        if method is None:
            raise AssertionError(f"fake host has no answer for template {template}")
        return method(values)

    def t_events_recent(self, _: list[str]) -> PSResult:
        return ok({"events": [
            {"id": 29174, "level": 4, "time": "2026-11-29T10:00:00.0000000Z", "message": "statistics"},
            {"id": 32000, "level": 2, "time": "2026-11-29T10:01:00.0000000Z",
             "message": f"Hyper-V failed to enable replication on {self.name} (0x800B0109)."}]})

    def t_identity_get(self, _: list[str]) -> PSResult:
        return ok({"hostname": self.hostname, "domain": self.domain, "nv_hostname": self.nv_hostname,
                   "nv_domain": self.nv_domain})

    def t_identity_set(self, values: list[str]) -> PSResult:
        if len(values) == 4:  # [new name,] key path, 'NV Domain', suffix
            self.nv_hostname = values[0]
        self.nv_domain = values[-1]
        return ok({"reboot_required": True})

    def t_restart_computer(self, _: list[str]) -> PSResult:
        self.restarts += 1
        self.hostname, self.domain = self.nv_hostname, self.nv_domain
        return ok({"restarting": True})

    def t_identity_verify(self, _: list[str]) -> PSResult:
        return ok({"name": self.hostname.upper(), "domain": self.domain})

    def t_firewall_get(self, values: list[str]) -> PSResult:
        return ok({"name": values[0], "enabled": self.firewall})

    def t_firewall_enable(self, _: list[str]) -> PSResult:
        self.firewall = "True"
        return ok({"enabled": True})

    def t_firewall_verify(self, _: list[str]) -> PSResult:
        return ok({"enabled_count": 1 if self.firewall == "True" else 0})

    def t_revocation_get(self, _: list[str]) -> PSResult:
        return ok({"value": self.revocation})

    def t_revocation_set(self, _: list[str]) -> PSResult:
        self.revocation = 1
        return ok({"value": 1})

    def t_revocation_verify(self, _: list[str]) -> PSResult:
        return ok({"value": self.revocation})

    def t_hosts_get(self, _: list[str]) -> PSResult:
        return ok({"text": self.hosts_text})

    def t_hosts_set(self, values: list[str]) -> PSResult:
        self.hosts_text = values[1]
        return ok({"written": True})

    def t_hosts_verify(self, _: list[str]) -> PSResult:
        lines = self.hosts_text.splitlines()
        return ok({"lines": lines[0] if len(lines) == 1 else lines})
