"""Inventory and lab files: password sources, masking, refusals."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import pytest
import yaml

from hvrepl.errors import ConfigError
from hvrepl.inventory import InventoryHost, load_inventory, load_lab, resolve_password
from hvrepl.plan import parse_plan
from hvrepl.secrets import MASK, Secret, generate_password
from tests.unit.test_plan import GOOD


def entry(**extra: object) -> InventoryHost:
    """An inventory host with the given password source."""
    return InventoryHost.model_validate({"url": "https://h:5986/wsman", "username": "Administrator", **extra})


def test_password_sources(tmp_path: Path) -> None:
    """Environment, file and prompt each give the secret; the prompt is refused without a TTY."""
    assert resolve_password("h", entry(password_env="PW"), source="inv", environ={"PW": "s3cret"}).reveal() == "s3cret"
    pw_file = tmp_path / "pw"
    pw_file.write_text("from-file\n", encoding="utf-8")
    assert resolve_password("h", entry(password_file=str(pw_file)), source="inv").reveal() == "from-file"
    prompted = resolve_password("h", entry(password_prompt=True), source="inv", prompt=lambda _: "typed",
                                stdin_is_tty=True)
    assert prompted.reveal() == "typed"
    with pytest.raises(ConfigError, match="not a TTY"):
        resolve_password("h", entry(password_prompt=True), source="inv", stdin_is_tty=False)


def test_exactly_one_password_source_and_no_basic_over_http() -> None:
    """Zero or two sources, or Basic over plain HTTP, are refused."""
    with pytest.raises(ValueError, match="exactly one"):
        entry()
    with pytest.raises(ValueError, match="exactly one"):
        entry(password_env="A", password_file="b")
    with pytest.raises(ValueError, match="clear"):
        InventoryHost.model_validate({"url": "http://h:5985/wsman", "username": "u", "password_env": "A"})


def test_secret_is_masked_everywhere() -> None:
    """repr/str/f-strings never show the value."""
    secret = Secret("hunter2-very-secret")
    assert "hunter2" not in repr(secret)
    assert "hunter2" not in f"{secret} {secret!r} {[secret]}"
    assert str(secret) == MASK
    assert generate_password() != generate_password()


def test_ignore_validation_warns_loudly(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """server_cert_validation: ignore is accepted with a warning naming the host."""
    inventory = tmp_path / "inv.yaml"
    inventory.write_text(yaml.safe_dump({"hosts": {
        name: {"url": "https://x:5986/wsman", "username": "u", "password_env": "PW",
               "server_cert_validation": "ignore"} for name in ("Hyper-v-prim", "Hyper-v-repl")}}), encoding="utf-8")
    with caplog.at_level(logging.WARNING):
        conns = load_inventory(inventory, parse_plan(GOOD), environ={"PW": "x"})
    assert not conns["Hyper-v-prim"].verify
    assert "VALIDATION IS OFF" in caplog.text


def test_lab_file(tmp_path: Path) -> None:
    """lab.json hosts are matched by name or FQDN; a missing host is a ConfigError."""
    lab: dict[str, Any] = {"backend": "process", "hosts": [
        {"name": "Hyper-v-prim", "fqdn": "hyper-v-prim.test.net", "virtual_address": "192.168.101.209",
         "winrm": {"url": "https://127.0.0.2:5986/wsman", "auth": "basic", "username": "Administrator",
                   "password": "pw1", "ca_bundle": "/tmp/ca.pem"}, "control_url": "https://127.0.0.2:5986/_sim"}]}
    (tmp_path / "lab.json").write_text(json.dumps(lab), encoding="utf-8")
    with pytest.raises(ConfigError, match="no host named Hyper-v-repl"):
        load_lab(tmp_path, parse_plan(GOOD))
    lab["hosts"].append({"name": "other", "fqdn": "hyper-v-repl.test.net", "winrm": {
        "url": "https://127.0.0.3:5986/wsman", "username": "Administrator", "password": "pw2"}})
    (tmp_path / "lab.json").write_text(json.dumps(lab), encoding="utf-8")
    conns = load_lab(tmp_path, parse_plan(GOOD))
    assert conns["Hyper-v-repl"].url == "https://127.0.0.3:5986/wsman"
    assert conns["Hyper-v-prim"].password.reveal() == "pw1"
    assert "pw1" not in repr(conns["Hyper-v-prim"])
