"""One exception hierarchy for the engine, so the CLI can map any failure to an exit code and a fix.

Tree::

    HvreplError
    ├── ConfigError            bad plan/inventory/flags; raised before any host is contacted (exit 2)
    ├── TransportError         talking WS-Management failed
    │   ├── ConnectError       TCP/TLS could not be set up (incl. server certificate not trusted)
    │   ├── AuthenticationError  HTTP 401: credentials rejected
    │   ├── TimeoutError       ReadTimeout, OperationTimeout (retryable)
    │   ├── WSManFault         a SOAP fault with a WSManFault code
    │   └── ProtocolError      the script answered, but not with the one JSON object it must emit
    ├── PowerShellError        the script caught an ErrorRecord: fqid, category, hresult (0x%08X), message
    ├── StepError              a step failed: host, step, phase (check/plan/apply/verify), remediation
    │   ├── DriftDetected      verify re-read disagrees with the desired state after apply
    │   ├── RebootRequired     a change needs a restart and --allow-reboot was not given
    │   └── CheckpointsPresent a VM has checkpoints, so replication cannot be enabled
    └── InvalidStateError      an operation was asked for in a state that does not allow it
"""

# ruff: noqa: N818 - exceptions named for the condition they signal (style-anchors: DriftDetected, WSManFault)

from __future__ import annotations

from typing import Any

__all__ = [
    "AuthenticationError",
    "CheckpointsPresent",
    "ConfigError",
    "ConnectError",
    "DriftDetected",
    "HvreplError",
    "InvalidStateError",
    "OperationTimeout",
    "PowerShellError",
    "ProtocolError",
    "ReadTimeout",
    "RebootRequired",
    "StepError",
    "TimeoutError",
    "TransportError",
    "WSManFault",
    "format_hresult",
]


def format_hresult(value: int | str | None) -> str | None:
    """Render an HRESULT as ``0x%08X`` whatever form it arrived in (signed int, unsigned, or text)."""
    if value is None or value == "":
        return None
    if isinstance(value, str):
        text = value.strip()
        try:
            number = int(text[2:], 16) if text.lower().startswith("0x") else int(text)
        except ValueError:
            return text
    else:
        number = value
    return f"0x{number & 0xFFFFFFFF:08X}"


class HvreplError(Exception):
    """Base of every error hvrepl raises on purpose."""

    exit_code = 1


class ConfigError(HvreplError):
    """The plan, inventory or command line is invalid; nothing was sent to any host."""

    exit_code = 2

    def __init__(self, message: str, *, file: str | None = None, field: str | None = None) -> None:
        self.file = file
        self.field = field
        prefix = ": ".join(part for part in (file, field) if part)
        super().__init__(f"{prefix}: {message}" if prefix else message)


class TransportError(HvreplError):
    """WS-Management could not carry the command."""

    def __init__(self, message: str, *, host: str | None = None) -> None:
        self.host = host
        super().__init__(message)


class ConnectError(TransportError):
    """The connection (TCP or TLS) could not be established."""


class AuthenticationError(TransportError):
    """The server rejected the credentials (HTTP 401)."""


class TimeoutError(TransportError):
    """No answer in time."""


class ReadTimeout(TimeoutError):
    """The HTTP read timed out."""


class OperationTimeout(TimeoutError):
    """WSManFault 2150858793 (0x80338029) on Receive: retryable."""


class WSManFault(TransportError):
    """A SOAP fault carrying a WSManFault code."""

    def __init__(self, message: str, *, code: int | None = None, reason: str | None = None,
                 host: str | None = None) -> None:
        self.code = code
        self.reason = reason
        super().__init__(message, host=host)


class ProtocolError(TransportError):
    """The script's output did not end with the JSON object every engine script emits."""


class PowerShellError(HvreplError):
    """A PowerShell ErrorRecord reported by an engine script's catch block."""

    def __init__(self, message: str, *, fqid: str | None = None, category: str | None = None,
                 hresult: int | str | None = None) -> None:
        self.message = message
        self.fqid = fqid
        self.category = category
        self.hresult = format_hresult(hresult)
        self.host: str | None = None  # set by the session that ran the script
        parts = [message]
        if self.fqid:
            parts.append(f"FullyQualifiedErrorId: {self.fqid}")
        if self.hresult:
            parts.append(f"HRESULT: {self.hresult}")
        super().__init__(" | ".join(parts))


class StepError(HvreplError):
    """A step failed on a host; carries where it happened and what to do about it."""

    def __init__(self, message: str, *, host: str, step: str, phase: str,
                 remediation: str | None = None) -> None:
        self.host = host
        self.step = step
        self.phase = phase
        self.remediation = remediation
        self.message = message
        self.events: list[dict[str, Any]] = []  # recent Hyper-V-VMMS-Admin errors, when collected
        super().__init__(f"{host}: step {step} ({phase}): {message}")

    @property
    def fqid(self) -> str | None:
        """FullyQualifiedErrorId of the PowerShell error behind this one, if any."""
        cause = self.__cause__
        return cause.fqid if isinstance(cause, PowerShellError) else None

    @property
    def hresult(self) -> str | None:
        """HRESULT (0x%08X) of the PowerShell error behind this one, if any."""
        cause = self.__cause__
        return cause.hresult if isinstance(cause, PowerShellError) else None


class DriftDetected(StepError):
    """After apply, an independent re-read still differs from the desired state."""


class RebootRequired(StepError):
    """The change takes effect only after a restart, and restarting was not allowed."""


class CheckpointsPresent(StepError):
    """Replication cannot be enabled while the VM has checkpoints."""


class InvalidStateError(HvreplError):
    """An operation does not fit the current state ("Cannot 'x' while 'y'; expected 'z'")."""

    def __init__(self, *, action: str, current: str, expected: str) -> None:
        self.action = action
        self.current = current
        self.expected = expected
        super().__init__(f"Cannot {action!r} while the state is {current!r}; expected {expected!r}")

