"""Hypothesis: malformed or hostile SOAP bodies always get a WS-Man fault, never a traceback or a state change."""

from __future__ import annotations

import hashlib
import json
import uuid
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from starlette.testclient import TestClient

from simulator.app import Runtime, create_app
from simulator.wsman.auth import Account, Authenticator
from tests.conftest import make_host

PASSWORD = "Sim-Test-Password-9a"
FAULT_NS = "{http://schemas.microsoft.com/wbem/wsman/1/wsmanfault}"
ENVELOPE = (
    '<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" '
    'xmlns:a="http://schemas.xmlsoap.org/ws/2004/08/addressing" '
    'xmlns:w="http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd" '
    'xmlns:rsp="http://schemas.microsoft.com/wbem/wsman/1/windows/shell">'
    "<s:Header><a:Action>{action}</a:Action><a:MessageID>uuid:{mid}</a:MessageID>"
    "<w:ResourceURI>{uri}</w:ResourceURI><w:OperationTimeout>{timeout}</w:OperationTimeout>"
    '<w:SelectorSet><w:Selector Name="ShellId">{shell}</w:Selector></w:SelectorSet></s:Header>'
    "<s:Body>{body}</s:Body></s:Envelope>"
)
ACTIONS = [
    "http://schemas.xmlsoap.org/ws/2004/09/transfer/Create",
    "http://schemas.microsoft.com/wbem/wsman/1/windows/shell/Command",
    "http://schemas.microsoft.com/wbem/wsman/1/windows/shell/Receive",
    "http://schemas.microsoft.com/wbem/wsman/1/windows/shell/Send",
    "http://schemas.microsoft.com/wbem/wsman/1/windows/shell/Signal",
    "http://schemas.xmlsoap.org/ws/2004/09/transfer/Delete",
    "http://schemas.xmlsoap.org/ws/2004/09/enumeration/Enumerate",
]
URIS = ["http://schemas.microsoft.com/wbem/wsman/1/windows/shell/cmd",
        "http://schemas.microsoft.com/powershell/Microsoft.PowerShell", "wmi/root/cimv2/Win32_Service", ""]
BODIES = [
    "", "<rsp:Shell/>", "<rsp:CommandLine><rsp:Command>echo x &gt; C:\\owned.txt</rsp:Command></rsp:CommandLine>",
    '<rsp:Receive><rsp:DesiredStream CommandId="X">stdout</rsp:DesiredStream></rsp:Receive>',
    '<rsp:Send><rsp:Stream Name="stdin" CommandId="X">!!!</rsp:Stream></rsp:Send>',
    "<rsp:Signal><rsp:Code>bogus</rsp:Code></rsp:Signal>", "<x>unclosed", "<!DOCTYPE x [<!ENTITY a 'b'>]>",
]


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[TestClient, Runtime]]:
    host = make_host(tmp_path_factory.mktemp("malformed"), {"name": "Hyper-v-prim", "os": "2016"})
    account = Account("Administrator", PASSWORD, "HYPER-V-PRIM")
    runtime = Runtime(host=host, state_dir=host.state_dir, name="Hyper-v-prim", fqdn="Hyper-v-prim",
                      address="127.0.0.1", authenticator=Authenticator(account, allow_unencrypted=False),
                      control_token="t" * 32)
    with TestClient(create_app(runtime), base_url="https://testserver") as test_client:
        yield test_client, runtime


def fingerprint(runtime: Runtime) -> str:
    """Digest of the state tree and of every file's size and modification time."""
    digest = hashlib.sha256(json.dumps(runtime.host.state, sort_keys=True, default=str).encode())
    for path in sorted(Path(runtime.state_dir).rglob("*")):
        if path.is_file() and path.name != "state.json":
            info = path.stat()
            digest.update(f"{path}:{info.st_size}:{info.st_mtime_ns}".encode())
    return digest.hexdigest()


envelopes = st.builds(
    lambda action, uri, timeout, shell, body: ENVELOPE.format(action=action, mid=uuid.uuid4(), uri=uri,
                                                              timeout=timeout, shell=shell, body=body),
    st.sampled_from(ACTIONS) | st.text(max_size=40),
    st.sampled_from(URIS),
    st.sampled_from(["PT20S", "PT0.5S", "P1D", "PTxS", "", "PT99999999999999999999S"]),
    st.sampled_from(["", "not-a-guid", str(uuid.uuid4()).upper()]) | st.text(max_size=20),
    st.sampled_from(BODIES),
)


@st.composite
def malformed(draw: st.DrawFn) -> bytes:
    """A broken or hostile request body."""
    base = draw(envelopes).encode()
    kind = draw(st.sampled_from(["as-is", "truncate", "splice", "bytes", "utf16"]))
    if kind == "truncate":
        return base[: draw(st.integers(0, len(base)))]
    if kind == "splice":
        at = draw(st.integers(0, len(base)))
        return base[:at] + draw(st.binary(max_size=30)) + base[at:]
    if kind == "bytes":
        return draw(st.binary(min_size=1, max_size=300))
    if kind == "utf16":
        return base.decode().encode("utf-16")
    return base


@settings(max_examples=300, deadline=None)
@given(body=malformed())
def test_malformed_requests_get_a_fault_and_change_nothing(client: tuple[TestClient, Runtime], body: bytes) -> None:
    test_client, runtime = client
    before = fingerprint(runtime)
    reply = test_client.post("/wsman", content=body, auth=("Administrator", PASSWORD),
                             headers={"Content-Type": "application/soap+xml;charset=UTF-8"})
    assert b"Traceback" not in reply.content
    if not body:  # the empty POST clients send to set up an authenticated session
        assert (reply.status_code, reply.content) == (200, b"")
    elif reply.status_code == 200:  # a well-formed Create (or a Signal acknowledged) is allowed to succeed
        ET.fromstring(reply.content)
    else:
        assert reply.status_code == 500
        fault = ET.fromstring(reply.content).find(f".//{FAULT_NS}WSManFault")
        assert fault is not None
        assert int(fault.get("Code", "0")) > 0
    runtime.shells.close_all()
    assert fingerprint(runtime) == before
