"""Header parsing of a WS-Management request on its own: OperationTimeout (capped), envelope size, refusals.

Added after a mutation spot-check: removing the 60-second cap on OperationTimeout left the suite green
(the client tests only use short timeouts).
"""

from __future__ import annotations

import pytest

from simulator.wsman.envelope import NS, parse_request
from simulator.wsman.faults import WSManFault

SCHEMA_VALIDATION = 2150858817  # 0x80338041 ERROR_WSMAN_SCHEMA_VALIDATION_ERROR


def envelope(*headers: str, action: str = "http://schemas.xmlsoap.org/ws/2004/09/transfer/Get") -> bytes:
    """A minimal request envelope with the given extra header elements."""
    return (
        f'<s:Envelope xmlns:s="{NS["s"]}" xmlns:a="{NS["a"]}" xmlns:w="{NS["w"]}"><s:Header>'
        f"<a:Action>{action}</a:Action><a:MessageID>uuid:00000000-0000-0000-0000-000000000001</a:MessageID>"
        f"<w:ResourceURI>http://schemas.microsoft.com/wbem/wsman/1/windows/shell/cmd</w:ResourceURI>"
        f"{''.join(headers)}</s:Header><s:Body/></s:Envelope>"
    ).encode()


@pytest.mark.parametrize(("duration", "seconds"), [
    ("PT20.000S", 20.0),
    ("PT0M45.5S", 45.5),
    ("PT60S", 60.0),
    ("PT61S", 60.0),          # above the service's MaxTimeoutms: capped, not faulted (module's ASSUMPTION)
    ("PT600.000S", 60.0),
    ("PT90M", 60.0),
])
def test_operation_timeout_is_read_and_capped_at_sixty_seconds(duration: str, seconds: float) -> None:
    request = parse_request(envelope(f"<w:OperationTimeout>{duration}</w:OperationTimeout>"))
    assert request.operation_timeout == seconds


def test_defaults_without_optional_headers() -> None:
    request = parse_request(envelope())
    assert (request.operation_timeout, request.max_envelope_size, request.selectors, request.options) == (
        60.0, 153600, {}, {})


def test_selectors_options_and_envelope_size() -> None:
    request = parse_request(envelope(
        '<w:MaxEnvelopeSize s:mustUnderstand="true">512000</w:MaxEnvelopeSize>',
        '<w:SelectorSet><w:Selector Name="ShellId">ABC</w:Selector></w:SelectorSet>',
        '<w:OptionSet><w:Option Name="WINRS_NOPROFILE">TRUE</w:Option></w:OptionSet>',
    ))
    assert (request.max_envelope_size, request.selectors, request.options) == (
        512000, {"ShellId": "ABC"}, {"WINRS_NOPROFILE": "TRUE"})


@pytest.mark.parametrize("data", [
    envelope("<w:OperationTimeout>20 seconds</w:OperationTimeout>"),
    envelope("<w:MaxEnvelopeSize>big</w:MaxEnvelopeSize>"),
    envelope(action=""),
    b"<not-soap/>",
    b"<s:Envelope",
    b'<!DOCTYPE x [<!ENTITY e "boom">]><x>&e;</x>',
])
def test_malformed_headers_are_a_schema_validation_fault(data: bytes) -> None:
    with pytest.raises(WSManFault) as info:
        parse_request(data)
    assert (info.value.code, info.value.subcode) == (SCHEMA_VALIDATION, "w:SchemaValidationError")
    assert info.value.reason.startswith("The SOAP XML in the message does not match the corresponding XML schema")
