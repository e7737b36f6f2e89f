"""A host session: runs engine templates on one host and returns their JSON data, logging what it sent."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from hvrepl.errors import PowerShellError
from hvrepl.powershell import MAX_SCRIPT_CHARS, PowerShellValue, render, wrap
from hvrepl.transport.base import Transport

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Script:
    """One script ready to send: template name, bound values, and the exact wrapped text."""

    template: str
    text: str
    reads_stdin: bool = False
    body: str = ""

    @classmethod
    def build(cls, template: str, **values: PowerShellValue) -> Script:
        """Render ``hvrepl/ps/<template>.ps1`` with quoted values and wrap it."""
        return cls._make(template, False, values)

    @classmethod
    def build_with_stdin(cls, template: str, **values: PowerShellValue) -> Script:
        """Like :meth:`build`, for a script that reads its secret lines from stdin (``$HvreplStdin``)."""
        return cls._make(template, True, values)

    @classmethod
    def _make(cls, template: str, reads_stdin: bool, values: dict[str, PowerShellValue]) -> Script:
        # The first line names the template: handy in a host's process list/event log and in tests.
        body = render(template, **values)
        text = f"# hvrepl {template}\n" + wrap(body, reads_stdin=reads_stdin)
        if len(text) > MAX_SCRIPT_CHARS:
            log.warning("script %s is %d characters (limit %d): it may exceed cmd.exe's command line",
                        template, len(text), MAX_SCRIPT_CHARS)
        return cls(template, text, reads_stdin, body)


@dataclass
class HostSession:
    """Runs scripts on one host through a transport; counts them."""

    name: str
    transport: Transport
    sent: list[str] = field(default_factory=list)

    def run(self, script: Script, *, stdin: str | None = None) -> Any:
        """Send a script and return its ``data``; raises PowerShellError/TransportError/ProtocolError."""
        if script.reads_stdin != (stdin is not None):
            raise ValueError(f"script {script.template}: stdin must be given exactly when the script reads it")
        log.info("%s: running %s", self.name, script.template)
        self.sent.append(script.template)
        try:
            return self.transport.run_ps(script.text, stdin=stdin).json
        except PowerShellError as exc:
            exc.host = exc.host or self.name  # a pair step (certificates) reports the host that failed
            raise

    def call(self, template: str, **values: PowerShellValue) -> Any:
        """Build and run a template that does not read stdin."""
        return self.run(Script.build(template, **values))
