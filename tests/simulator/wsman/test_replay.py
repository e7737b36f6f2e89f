"""Replay the recorded real-host WinRS exchanges (pypsrp fixtures) and compare the simulator's answers' shapes.

Ids, host names and output text differ naturally; element names, namespaces, attributes, the place of
ShellId and CommandId, stream names and End markers, CommandState, ExitCode and fault codes must match.
"""

from __future__ import annotations

import re
import uuid
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import requests
import yaml

from simulator.launcher import RunningHost
from tests.simulator.wsman.conftest import credentials, https_url

FIXTURES = Path(__file__).parent / "fixtures" / "real-winrs"  # pypsrp's recordings, MIT (see LICENSE-pypsrp)
SHELL = "{http://schemas.microsoft.com/wbem/wsman/1/windows/shell}"
IGNORED_HEADER = {"{http://schemas.microsoft.com/wbem/wsman/1/wsman.xsd}ActivityId"}  # real hosts' tracing id
# Commands whose output the simulator produces differently (a directory listing, a slow PowerShell script
# that writes before sleeping): only the envelope and CommandState shapes are compared for them.
LOOSE = {"test_client_execute_cmd.yml", "test_winrs_operation_timeout.yml", "test_winrs_extra_opts.yml",
         "test_winrs_send.yml"}


def shape(xml: str) -> set[tuple[str, tuple[str, ...]]]:
    """(path of qualified tag names, sorted attribute names) of every element except the values."""
    found: set[tuple[str, tuple[str, ...]]] = set()

    def walk(element: ET.Element, path: str) -> None:
        here = f"{path}/{element.tag}"
        if element.tag in IGNORED_HEADER:
            return
        found.add((here, tuple(sorted(element.attrib))))
        for child in element:
            walk(child, here)

    walk(ET.fromstring(xml), "")
    return found


def key_values(xml: str) -> dict[str, str]:
    """Values that must match: actions, fault code, command state, stream names with End markers."""
    root = ET.fromstring(xml)
    values: dict[str, str] = {}
    action = root.find(".//{http://schemas.xmlsoap.org/ws/2004/08/addressing}Action")
    values["action"] = "" if action is None else (action.text or "")
    fault = root.find(".//{http://schemas.microsoft.com/wbem/wsman/1/wsmanfault}WSManFault")
    if fault is not None:
        values["fault"] = fault.get("Code", "")
    state = root.find(f".//{SHELL}CommandState")
    if state is not None:
        values["state"] = state.get("State", "")
    ends = sorted(s.get("Name", "") for s in root.iter(f"{SHELL}Stream") if s.get("End"))
    values["ends"] = ",".join(ends)
    return values


def replay(host: RunningHost, messages: list[dict[str, str]]) -> list[tuple[str, str]]:
    """Send each recorded request (ids replaced by ours) and pair the recorded and simulated answers."""
    session = requests.Session()
    session.auth = credentials(host)
    ids: dict[str, str] = {}
    pairs = []
    for message in messages:
        request = message["request"]
        for recorded, ours in ids.items():
            request = request.replace(recorded, ours)
        request = re.sub(r"uuid:[0-9A-Fa-f-]{36}</wsa:MessageID>", f"uuid:{str(uuid.uuid4()).upper()}</wsa:MessageID>",
                         request)
        reply = session.post(https_url(host), data=request.encode(),
                             headers={"Content-Type": "application/soap+xml;charset=UTF-8"}, timeout=60,
                             verify=host.info["ca_bundle"])  # per request: REQUESTS_CA_BUNDLE beats session.verify
        assert reply.status_code in (200, 500), reply.status_code
        recorded_reply = message["response"]
        for tag in ("Selector", "CommandId"):
            recorded_ids = re.findall(rf"<\w+:{tag}[^>]*>([0-9A-F-]{{36}})<", recorded_reply)
            our_ids = re.findall(rf"<\w+:{tag}[^>]*>([0-9A-F-]{{36}})<", reply.text)
            ids.update(zip(recorded_ids, our_ids, strict=False))
        pairs.append((recorded_reply, reply.text))
    return pairs


def test_fixtures_are_present() -> None:
    assert len(list(FIXTURES.glob("*.yml"))) >= 10


@pytest.mark.parametrize("fixture", sorted(p.name for p in FIXTURES.glob("*.yml")))
def test_replayed_exchange_has_the_recorded_shape(running_host: RunningHost, fixture: str) -> None:
    messages = yaml.safe_load((FIXTURES / fixture).read_text(encoding="utf-8"))["messages"]
    if fixture == "test_winrs_operation_timeout.yml":  # timing-dependent: keep it short, drop the timeouts
        messages = [{**m, "request": m["request"].replace("Start-Sleep 30", "Start-Sleep 1")} for m in messages
                    if 'Code="2150858793"' not in m["response"]]
    for index, (recorded, simulated) in enumerate(replay(running_host, messages)):
        where = f"{fixture} message {index}"
        want, got = key_values(recorded), key_values(simulated)
        assert got["action"] == want["action"], where
        assert got.get("fault") == want.get("fault"), where
        if fixture in LOOSE and "state" in want:
            assert got.get("state", "").endswith(("Done", "Running")), where
            continue
        assert got == want, where
        assert shape(simulated) == shape(recorded), where
