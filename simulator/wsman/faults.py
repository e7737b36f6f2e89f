"""WS-Management faults as a Windows WinRM service sends them (HTTP 500, SOAP 1.2 ``s:Fault``).

Clients decide what happened from ``f:WSManFault/@Code`` (2150858793 = "no output yet, ask again",
2150858843 = unknown shell …), so every failure of the endpoint is raised as :class:`WSManFault`
and rendered by :func:`render_fault`, never as a bare HTTP 500 with a traceback.
"""

from __future__ import annotations

from dataclasses import dataclass
from xml.sax.saxutils import escape, quoteattr

# Codes as they appear (decimal) in the Code attribute on real hosts.
OPERATION_TIMEOUT = 2150858793
SHELL_NOT_FOUND = 2150858843
SCHEMA_VALIDATION = 2150858817
ACTION_NOT_SUPPORTED = 2150858754
INVALID_RESOURCE_URI = 2150858811
MAX_ENVELOPE_SIZE_EXCEEDED = 2150858824
INVALID_PARAMETER = 87


@dataclass
class WSManFault(Exception):  # noqa: N818 - named after the WS-Man element it renders
    """A fault to send back. ``provider_fault`` wraps the message as the shell plugin does (code 87)."""

    code: int
    reason: str
    subcode: str = "w:InternalError"
    sender: bool = True
    fault_detail: str | None = None
    provider_fault: bool = False

    def __str__(self) -> str:
        return f"WSManFault {self.code}: {self.reason}"


def operation_timeout() -> WSManFault:
    """Receive found no output before OperationTimeout expired (clients ask again)."""
    return WSManFault(
        OPERATION_TIMEOUT,
        "The WS-Management service cannot complete the operation within the time specified in OperationTimeout.  ",
        "w:TimedOut",
        sender=False,
    )


def shell_not_found() -> WSManFault:
    """The ShellId selector names no open shell."""
    # ASSUMPTION: subcode w:InvalidSelectors (reference §8: exact subcode not confirmed).
    return WSManFault(
        SHELL_NOT_FOUND,
        "The request for the Windows Remote Shell with ShellId failed because the shell was not found on the "
        "server. Possible causes are: the specified ShellId is incorrect or the shell no longer exists on the "
        "server. Provide the correct ShellId or create a new shell and retry the operation. ",
        "w:InvalidSelectors",
    )


def command_not_found() -> WSManFault:
    """A CommandId that names no command of the shell (recorded real-host shape)."""
    return WSManFault(
        SHELL_NOT_FOUND,
        "The Windows Remote Shell received a request to perform an operation on a command identifier that does "
        "not exist. Either the command has completed execution or the client specified an invalid command "
        "identifier. ",
        "w:InvalidSelectors",
        fault_detail="http://schemas.dmtf.org/wbem/wsman/1/wsman/faultDetail/UnexpectedSelectors",
    )


def invalid_parameter() -> WSManFault:
    """A bad or missing CommandId and similar argument errors (recorded real-host shape)."""
    return WSManFault(
        INVALID_PARAMETER,
        "The parameter is incorrect. ",
        "w:InvalidParameter",
        fault_detail="http://schemas.dmtf.org/wbem/wsman/1/wsman/faultDetail/InvalidValue",
        provider_fault=True,
    )


def schema_error(detail: str) -> WSManFault:
    """The request is not a well-formed WS-Management envelope."""
    return WSManFault(
        SCHEMA_VALIDATION,
        f"The SOAP XML in the message does not match the corresponding XML schema definition. "
        f"Change the XML and retry. {detail}",
        "w:SchemaValidationError",
    )


def action_not_supported(action: str) -> WSManFault:
    """An a:Action the endpoint does not implement."""
    # ASSUMPTION: code 2150858754 with a:ActionNotSupported (reference marks it unconfirmed).
    return WSManFault(
        ACTION_NOT_SUPPORTED,
        f"The WS-Management service does not support the specified action: {action[:200]} ",
        "a:ActionNotSupported",
    )


def invalid_resource_uri() -> WSManFault:
    """A ResourceURI other than the cmd shell (PSRP and WMI are not modelled)."""
    return WSManFault(
        INVALID_RESOURCE_URI,
        "The WS-Management service cannot process the request. The resource URI is not supported by the "
        "simulator (not modelled by the simulator: only the cmd shell resource URI). ",
        "w:DestinationUnreachable",
    )


def envelope_too_large(limit: int) -> WSManFault:
    """A request larger than the service's MaxEnvelopeSizekb."""
    # ASSUMPTION: code ERROR_WSMAN_MAX_ENVELOPE_SIZE_EXCEEDED (reference §6.1, not verified on a host).
    return WSManFault(
        MAX_ENVELOPE_SIZE_EXCEEDED,
        f"The WS-Management service cannot process the request because the request is larger than the "
        f"configured maximum envelope size of {limit // 1024} KB. ",
        "w:EncodingLimit",
    )


def render_fault(fault: WSManFault, relates_to: str | None, machine: str, message_id: str) -> bytes:
    """The SOAP 1.2 fault envelope (UTF-8) for ``fault``."""
    from simulator.wsman.envelope import NS, header  # noqa: PLC0415 - envelope imports faults

    value = "s:Sender" if fault.sender else "s:Receiver"
    reason = escape(fault.reason)
    message = (
        f'<f:Message><f:ProviderFault provider="Shell cmd plugin" path="%systemroot%\\system32\\winrscmd.dll">'
        f"{reason}</f:ProviderFault></f:Message>"
        if fault.provider_fault
        else f"<f:Message>{reason}</f:Message>"
    )
    detail = f"<w:FaultDetail>{escape(fault.fault_detail)}</w:FaultDetail>" if fault.fault_detail else ""
    body = (
        f"<s:Body><s:Fault><s:Code><s:Value>{value}</s:Value><s:Subcode><s:Value>{escape(fault.subcode)}"
        f'</s:Value></s:Subcode></s:Code><s:Reason><s:Text xml:lang="en-US">{reason}</s:Text></s:Reason>'
        f'<s:Detail>{detail}<f:WSManFault xmlns:f="{NS["f"]}" Code="{fault.code}" Machine={quoteattr(machine)}>'
        f"{message}</f:WSManFault></s:Detail></s:Fault></s:Body>"
    )
    return header("http://schemas.dmtf.org/wbem/wsman/1/wsman/fault", relates_to, message_id) + body.encode() + (
        b"</s:Envelope>"
    )
