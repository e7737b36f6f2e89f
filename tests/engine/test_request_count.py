"""The WinRM request count of one full `hvrepl run` (the README's figure), counted twice: by hvrepl's own
counter (reported as ``winrm_requests`` in --json) and independently, at the HTTP layer under pywinrm."""

from __future__ import annotations

import contextlib
import io
import json
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from hvrepl.cli import Main
from tests.engine.conftest import Lab, plan_dict


@contextlib.contextmanager
def http_requests_to(url_prefixes: list[str]) -> Iterator[list[str]]:
    """Record every HTTP request sent through requests to the given WinRM URLs."""
    sent: list[str] = []
    original = requests.Session.send

    def send(self: requests.Session, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:
        if any(str(request.url).startswith(prefix) for prefix in url_prefixes):
            sent.append(str(request.url))
        return original(self, request, **kwargs)

    requests.Session.send = send  # type: ignore[method-assign]  # counting probe, restored below
    try:
        yield sent
    finally:
        requests.Session.send = original  # type: ignore[method-assign]  # restore


def run(lab: Lab, plan: str) -> tuple[dict[str, Any], int]:
    """`hvrepl run --json` in-process; the report and the HTTP requests counted under pywinrm."""
    urls = [h.info["winrm"]["https_url"] for h in lab.hosts.values()]
    out = io.StringIO()
    with http_requests_to(urls) as sent, contextlib.redirect_stdout(out), \
            contextlib.redirect_stderr(io.StringIO()):
        code = Main()(["run", plan, "--lab", str(lab.directory), "--json", "--allow-reboot",
                       "--health-timeout", "120"])
    report = json.loads(out.getvalue().splitlines()[-1])
    assert code == 0, report
    return report, len(sent)


@pytest.mark.slow
@pytest.mark.parametrize("mode", ["testroot", "private-ca"])
def test_winrm_requests_of_a_full_run(lab: Lab, mode: str, capsys: pytest.CaptureFixture[str]) -> None:
    """First run (fresh hosts, with the reboots) and second run (no change): reported == counted on the wire."""
    plan = str(lab.write_plan(plan_dict(certificates={"mode": mode})))
    first, first_http = run(lab, plan)
    second, second_http = run(lab, plan)
    assert first["winrm_requests"] == first_http
    assert second["winrm_requests"] == second_http
    assert second["changes"] == 0
    assert 0 < second_http < first_http
    with capsys.disabled():
        print(f"\nWinRM requests, {mode}: full run {first_http}, second run {second_http}")
