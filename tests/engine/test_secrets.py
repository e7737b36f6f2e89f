"""Canary secrets (a WinRM password and a PFX password) never appear in anything hvrepl writes: plan output
(text and --json), run/verify/status/doctor output, logs at debug level, or the text of a failure."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import pytest
import yaml

from hvrepl.cli import Main
from hvrepl.inventory import Connection
from simulator.core.host import Host
from tests.conftest import make_host
from tests.engine.conftest import plan_dict, topology
from tests.engine.inprocess import InProcessTransport

WINRM_CANARY = "Canary-WinRM-Pass-4711"
PFX_CANARY = "Canary-PFX-Pass-0815"


@pytest.fixture(name="hosts")
def _hosts(tmp_path: Path) -> dict[str, Host]:
    """Two fresh in-process hosts and a lab.json carrying the WinRM canary."""
    (tmp_path / "lab.json").write_text(json.dumps({"hosts": [
        {"name": n, "winrm": {"url": "https://127.0.0.1:9/wsman", "username": "Administrator",
                              "password": WINRM_CANARY}} for n in ("Hyper-v-prim", "Hyper-v-repl")]}),
        encoding="utf-8")
    vm = {"name": "VM01", "generation": 2, "state": "Running", "disks": [{"name": "VM01.vhdx", "size_mb": 4}]}
    return {"Hyper-v-prim": make_host(tmp_path / "prim", topology("Hyper-v-prim", "192.168.101.209", [vm])),
            "Hyper-v-repl": make_host(tmp_path / "repl", topology("Hyper-v-repl", "192.168.101.213"))}


def test_no_secret_in_any_output(tmp_path: Path, hosts: dict[str, Host], capsys: pytest.CaptureFixture[str],
                                 caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every command, text and --json, -vv; a run whose PFX import fails (the password sent is changed on the
    way, as a wrong password would be): the failure is reported, and no canary appears anywhere."""
    broken: list[str] = []

    def factory(connection: Connection) -> InProcessTransport:
        transport = InProcessTransport(hosts[connection.name], connection.name)
        original = transport.run_ps

        def run_ps(script: str, *, stdin: str | None = None) -> Any:
            if broken and script.startswith("# hvrepl cert_import_pfx"):
                stdin = "Wrong-" + (stdin or "")
            return original(script, stdin=stdin)

        transport.run_ps = run_ps  # type: ignore[method-assign]  # fault injection on the way to the host
        return transport

    plan = tmp_path / "plan.yaml"
    plan.write_text(yaml.safe_dump(plan_dict(certificates={"mode": "private-ca"})), encoding="utf-8")
    monkeypatch.setenv("HVREPL_TEST_PFX", PFX_CANARY)
    caplog.set_level(logging.DEBUG)
    common = [str(plan), "--lab", str(tmp_path), "-vv"]
    written = []
    codes = {}
    for command in (["plan"], ["run", "--check", "--pfx-password-env", "HVREPL_TEST_PFX"], ["verify"],
                    ["status"], ["doctor"]):
        for extra in ([], ["--json"]):
            codes[command[0]] = Main(transport_factory=factory)([command[0], *common, *command[1:], *extra])
            captured = capsys.readouterr()
            written.append(captured.out + captured.err)
    assert codes["plan"] == 0
    assert "Import-PfxCertificate" in "".join(written)  # the plan shows the import script, not the password
    broken.append("pfx")
    for extra in ([], ["--json"]):
        code = Main(transport_factory=factory)(["run", *common, "--allow-reboot", "--pfx-password-env",
                                                "HVREPL_TEST_PFX", *extra])
        captured = capsys.readouterr()
        written.append(captured.out + captured.err)
        assert code == 1
    report = json.loads(written[-1].splitlines()[0])
    failed = next(s for s in report["steps"] if s["status"] == "failed")
    assert (failed["step"], failed["error"]["hresult"]) == ("certificates", "0x80070056"), failed
    written.append(caplog.text)
    for text in written:
        assert WINRM_CANARY not in text
        assert PFX_CANARY not in text
