"""Issue 2, SOAP side over the wire: malformed bodies POSTed to a *started* host's HTTPS endpoint.

The in-process property test (tests/simulator/wsman/test_malformed.py) covers the bodies in depth; this
one sends a sample of the same generator through uvicorn, TLS and Basic auth, where a crash would show as
a 500 without a WS-Man fault, or as a dropped connection.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest
import requests
from hypothesis import HealthCheck, given, settings

from simulator.launcher import RunningHost
from tests.acceptance.support import state_of
from tests.simulator.wsman.test_malformed import FAULT_NS, malformed


@pytest.mark.slow
def test_malformed_soap_gets_a_fault_over_https(host: RunningHost) -> None:
    before = state_of(host)
    session = requests.Session()
    session.auth = (host.info["username"], host.info["password"])

    @settings(max_examples=80, deadline=None, derandomize=True,
              suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(body=malformed())
    def check(body: bytes) -> None:
        reply = session.post(host.info["winrm"]["https_url"], data=body, timeout=30,
                             verify=host.info["ca_bundle"],  # per request: the environment beats session.verify
                             headers={"Content-Type": "application/soap+xml;charset=UTF-8"})
        assert b"Traceback" not in reply.content
        if not body:
            assert reply.status_code == 200
        elif reply.status_code != 200:
            assert reply.status_code == 500, reply.content[:300]
            assert ET.fromstring(reply.content).find(f".//{FAULT_NS}WSManFault") is not None

    check()
    after = state_of(host)
    assert after == before
