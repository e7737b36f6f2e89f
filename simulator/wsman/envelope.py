"""Parse WS-Management request envelopes and write response envelopes, namespace-exact.

Requests are read namespace-aware (prefixes differ between pywinrm and pypsrp); responses use the
prefixes and namespace URIs of real-host captures, because pypsrp matches exact qualified paths.
Anything that is not a well-formed SOAP 1.2 WS-Management request raises a schema-validation
:class:`~simulator.wsman.faults.WSManFault`.
"""

from __future__ import annotations

import re
import uuid
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from xml.sax.saxutils import escape

from simulator.wsman import faults

NS = {
    "s": "http://www.w3.org/2003/05/soap-envelope",
    "a": "http://schemas.xmlsoap.org/ws/2004/08/addressing",
    "x": "http://schemas.xmlsoap.org/ws/2004/09/transfer",
    "w": "http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd",
    "p": "http://schemas.microsoft.com/wbem/wsman/1/wsman.xsd",
    "rsp": "http://schemas.microsoft.com/wbem/wsman/1/windows/shell",
    "f": "http://schemas.microsoft.com/wbem/wsman/1/wsmanfault",
}
SHELL_CMD_URI = "http://schemas.microsoft.com/wbem/wsman/1/windows/shell/cmd"
ANONYMOUS = "http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous"
MAX_TIMEOUT_SECONDS = 60.0
_DURATION = re.compile(r"^PT(?:(\d+(?:\.\d+)?)M)?(?:(\d+(?:\.\d+)?)S)?$")
_ENVELOPE_OPEN = (
    f'<s:Envelope xml:lang="en-US" xmlns:s="{NS["s"]}" xmlns:a="{NS["a"]}" xmlns:x="{NS["x"]}" '
    f'xmlns:w="{NS["w"]}" xmlns:rsp="{NS["rsp"]}" xmlns:p="{NS["p"]}">'
)


def q(prefix: str, local: str) -> str:
    """Clark notation ``{uri}local`` for ElementTree lookups."""
    return f"{{{NS[prefix]}}}{local}"


@dataclass
class Request:
    """What the endpoint needs from one request envelope."""

    action: str
    message_id: str
    resource_uri: str
    body: ET.Element
    selectors: dict[str, str] = field(default_factory=dict)
    options: dict[str, str] = field(default_factory=dict)
    operation_timeout: float = 60.0
    max_envelope_size: int = 153600


def parse_duration(text: str) -> float:
    """``PT20S`` / ``PT1M30.5S`` → seconds."""
    match = _DURATION.match(text.strip())
    if not match or not any(match.groups()):
        raise faults.schema_error(f"bad duration {text[:40]!r}")
    minutes, seconds = match.groups()
    return float(minutes or 0) * 60 + float(seconds or 0)


def parse_request(data: bytes) -> Request:
    """Parse a request envelope; raises a schema-validation fault for anything malformed."""
    head = data[:4096].lower()
    if b"<!doctype" in head or b"<!entity" in data.lower():
        raise faults.schema_error("DTDs are not allowed")
    try:
        root = ET.fromstring(data)  # noqa: S314 - DTDs refused above, expat resolves no external entities
    except ET.ParseError as exc:
        raise faults.schema_error(f"the XML is not well formed ({exc})") from None
    if root.tag != q("s", "Envelope"):
        raise faults.schema_error("the root element is not a SOAP 1.2 Envelope")
    header = root.find(q("s", "Header"))
    body = root.find(q("s", "Body"))
    if header is None or body is None:
        raise faults.schema_error("the envelope needs a Header and a Body")

    def text(prefix: str, local: str) -> str | None:
        element = header.find(q(prefix, local))
        return None if element is None else (element.text or "").strip()

    action = text("a", "Action")
    message_id = text("a", "MessageID")
    resource_uri = text("w", "ResourceURI")
    if not action or not message_id:
        raise faults.schema_error("a:Action and a:MessageID are required")
    request = Request(action=action, message_id=message_id, resource_uri=resource_uri or "", body=body)
    timeout = text("w", "OperationTimeout")
    if timeout:
        # ASSUMPTION: the service caps OperationTimeout at its MaxTimeoutms (60000 by default) instead of faulting.
        request.operation_timeout = min(parse_duration(timeout), MAX_TIMEOUT_SECONDS)
    size = text("w", "MaxEnvelopeSize")
    if size:
        if not size.isdigit():
            raise faults.schema_error("w:MaxEnvelopeSize is not a number")
        request.max_envelope_size = int(size)
    selector_set = header.find(q("w", "SelectorSet"))
    if selector_set is not None:
        for selector in selector_set.findall(q("w", "Selector")):
            request.selectors[selector.get("Name", "")] = (selector.text or "").strip()
    option_set = header.find(q("w", "OptionSet"))
    if option_set is not None:
        for option in option_set.findall(q("w", "Option")):
            request.options[option.get("Name", "").upper()] = (option.text or "").strip()
    return request


def new_message_id() -> str:
    """A response MessageID as real hosts write it (upper-case GUID)."""
    return f"uuid:{str(uuid.uuid4()).upper()}"


def header(action: str, relates_to: str | None, message_id: str) -> bytes:
    """Envelope start and header; the caller appends ``<s:Body>…</s:Body></s:Envelope>``."""
    relates = f"<a:RelatesTo>{escape(relates_to)}</a:RelatesTo>" if relates_to else ""
    return (
        f"{_ENVELOPE_OPEN}<s:Header><a:Action>{escape(action)}</a:Action><a:MessageID>{message_id}</a:MessageID>"
        f"<a:To>{ANONYMOUS}</a:To>{relates}</s:Header>"
    ).encode()


def response(action: str, request: Request, body_xml: str) -> bytes:
    """A complete response envelope (UTF-8) whose RelatesTo echoes the request's MessageID."""
    return header(action, request.message_id, new_message_id()) + f"<s:Body>{body_xml}</s:Body></s:Envelope>".encode()


def option_true(request: Request, name: str) -> bool:
    """A boolean WinRS option (``TRUE``/``True``/``true``)."""
    return request.options.get(name.upper(), "").lower() == "true"
