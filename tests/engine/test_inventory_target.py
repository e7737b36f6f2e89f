"""`--target real --inventory FILE` drives the same engine: pointed at the lab's hosts, with one host over
Basic/HTTPS (password from an environment variable) and the other over NTLM/HTTP with message encryption
(password from a file)."""

from __future__ import annotations

import contextlib
import io
import json
from pathlib import Path

import pytest
import yaml

from hvrepl.cli import Main
from tests.engine.conftest import Lab, plan_dict


@pytest.mark.slow
def test_inventory_target_plans_against_the_lab_hosts(lab: Lab, tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """plan --target real: exit 0, every step read on both hosts, nothing changed on them."""
    prim, repl = lab.hosts["Hyper-v-prim"].info, lab.hosts["Hyper-v-repl"].info
    password_file = tmp_path / "repl-password"
    password_file.write_text(repl["password"] + "\n", encoding="utf-8")
    monkeypatch.setenv("HVREPL_TEST_PRIM_PASSWORD", prim["password"])
    inventory = tmp_path / "inventory.yaml"
    inventory.write_text(yaml.safe_dump({"hosts": {
        "Hyper-v-prim": {"url": prim["winrm"]["https_url"], "auth": "basic", "username": prim["username"],
                         "password_env": "HVREPL_TEST_PRIM_PASSWORD", "ca_bundle": prim["ca_bundle"]},
        "hyper-v-repl.test.net": {"url": repl["winrm"]["http_url"], "auth": "ntlm", "username": repl["username"],
                                  "password_file": str(password_file)}}}), encoding="utf-8")
    plan = lab.write_plan(plan_dict())
    before = lab.snapshot()
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = Main()(["plan", str(plan), "--target", "real", "--inventory", str(inventory), "--json"])
    report = json.loads(out.getvalue().splitlines()[-1])
    assert code == 0, report
    assert {s["host"] for s in report["steps"]} >= {"Hyper-v-prim", "Hyper-v-repl"}
    assert report["changes"] > 0
    assert lab.snapshot() == before
