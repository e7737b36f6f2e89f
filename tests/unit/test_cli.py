"""The command line: --help explains every command, and an invalid plan, inventory or missing secret exits 2
on every command without a single connection reaching the host (proven with a listening socket)."""

from __future__ import annotations

import argparse
import json
import socket
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from hvrepl.cli import DESCRIPTIONS, Main, build_parser
from tests.unit.test_plan import GOOD, with_change

COMMANDS = {"plan": [], "run": [], "verify": [], "status": [], "doctor": [],
            "failover": ["--vm", "VM01", "--test"], "reverse": ["--vm", "VM01"]}


def subparsers(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    """Command name -> its parser."""
    action = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return dict(action.choices)


def test_help_explains_every_command(capsys: pytest.CaptureFixture[str]) -> None:
    """`hvrepl --help` lists each command with a summary; `hvrepl X --help` describes it and every option."""
    with pytest.raises(SystemExit) as done:
        Main()(["--help"])
    assert done.value.code == 0
    top = capsys.readouterr().out
    commands = subparsers(build_parser())
    for name in COMMANDS:
        assert f"    {name} " in top, name
        with pytest.raises(SystemExit) as exited:
            Main()([name, "--help"])
        assert exited.value.code == 0, name
        text = " ".join(capsys.readouterr().out.split())
        assert " ".join(DESCRIPTIONS[name].split())[:60] in text, name
        assert "--json" in text, f"{name} lacks --json"
        for action in commands[name]._actions:
            if action.option_strings and action.dest != "help":
                assert action.help and action.help.strip(), f"{name} {action.option_strings} has no help"


@pytest.fixture(name="listener")
def _listener() -> Iterator[tuple[str, list[int]]]:
    """A TCP listener on 127.0.0.1 (port 0) that counts connections and closes each at once."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    server.settimeout(0.1)
    accepted: list[int] = []
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                connection, _ = server.accept()
            except OSError:
                continue
            accepted.append(1)
            connection.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield f"https://127.0.0.1:{server.getsockname()[1]}/wsman", accepted
    finally:
        stop.set()
        thread.join()
        server.close()


def write_lab(folder: Path, url: str) -> None:
    """A lab.json whose two hosts are the listener."""
    (folder / "lab.json").write_text(json.dumps({"hosts": [
        {"name": n, "winrm": {"url": url, "username": "Administrator", "password": "x"}}
        for n in ("Hyper-v-prim", "Hyper-v-repl")]}), encoding="utf-8")


BAD_PLANS: list[tuple[str, Any, str]] = [
    ("primary.name", "Sixteen-chars-xx", "primary.name: NetBIOS name must be at most 15 characters"),
    ("replica.name", "repl_1", "replica.name: NetBIOS name contains illegal characters '_'"),
    ("vms.0.frequency_seconds", 60, "vms[0].frequency_seconds: frequency_seconds must be one of 30, 300, 900"),
    ("vms.0.recovery_points", 25, "vms[0].recovery_points: Input should be less than or equal to 24"),
    ("replica_server.storage_location", "Replica", "replica_server.storage_location: must be an absolute Windows"),
]


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_invalid_plan_exits_2_and_dials_nothing(tmp_path: Path, command: str, listener: tuple[str, list[int]],
                                                capsys: pytest.CaptureFixture[str]) -> None:
    """Each rule: exit 2, file/field/rule on stderr, and no connection at the host's address. Control: the same
    command with the valid plan does dial the listener."""
    url, accepted = listener
    write_lab(tmp_path, url)
    plan_file = tmp_path / "plan.yaml"
    for field, value, message in BAD_PLANS:
        plan_file.write_text(yaml.safe_dump(with_change(field, value)), encoding="utf-8")
        code = Main()([command, str(plan_file), "--lab", str(tmp_path), *COMMANDS[command]])
        assert code == 2, field
        assert f"{plan_file}: {message}" in capsys.readouterr().err
    assert accepted == []
    plan_file.write_text(yaml.safe_dump(GOOD), encoding="utf-8")
    assert Main()([command, str(plan_file), "--lab", str(tmp_path), *COMMANDS[command]]) == 1
    assert accepted, "control: a valid plan must reach the listener"


def test_missing_secret_exits_2_and_dials_nothing(tmp_path: Path, listener: tuple[str, list[int]],
                                                  monkeypatch: pytest.MonkeyPatch,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    """An inventory whose password variable is unset, or whose password file is missing: exit 2, nothing dialled."""
    url, accepted = listener
    plan_file = tmp_path / "plan.yaml"
    plan_file.write_text(yaml.safe_dump(GOOD), encoding="utf-8")
    inventory = tmp_path / "inventory.yaml"
    monkeypatch.delenv("HVREPL_TEST_PW", raising=False)
    for source, words in (({"password_env": "HVREPL_TEST_PW"}, "hosts.Hyper-v-prim.password_env: environment "
                                                              "variable HVREPL_TEST_PW is not set"),
                          ({"password_file": str(tmp_path / "nope")}, "cannot read password file")):
        inventory.write_text(yaml.safe_dump({"hosts": {
            name: {"url": url, "username": "Administrator", **source} for name in ("Hyper-v-prim", "Hyper-v-repl")}}),
            encoding="utf-8")
        for command, extra in COMMANDS.items():
            code = Main()([command, str(plan_file), "--target", "real", "--inventory", str(inventory), *extra])
            assert code == 2
            assert words in capsys.readouterr().err
    assert accepted == []
