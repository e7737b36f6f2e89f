"""Plan validation: every rule gives a clear message naming file, field and rule, before any host is contacted."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from hvrepl.cli import Main
from hvrepl.errors import ConfigError
from hvrepl.plan import load_plan, parse_plan

GOOD: dict[str, Any] = {
    "primary": {"name": "Hyper-v-prim", "dns_suffix": "test.net", "address": "192.168.101.209"},
    "replica": {"name": "Hyper-v-repl", "dns_suffix": "test.net", "address": "192.168.101.213"},
    "certificates": {"mode": "testroot"},
    "revocation_check": "disable",
    "replica_server": {"storage_location": "D:\\Hyper-V\\Replica", "trust_group": "Replication", "port": 443},
    "vms": [{"name": "VM01", "frequency_seconds": 300, "recovery_points": 24, "vss_frequency_hours": 4,
             "initial_replication": "network"}],
}


def with_change(path: str, value: Any) -> dict[str, Any]:
    """A deep copy of GOOD with one dotted field replaced (list index as a number)."""
    data = yaml.safe_load(yaml.safe_dump(GOOD))
    node = data
    keys = path.split(".")
    for key in keys[:-1]:
        node = node[int(key)] if key.isdigit() else node[key]
    last = keys[-1]
    node[int(last) if last.isdigit() else last] = value
    return data


def test_good_plan_parses_and_derives_fqdns() -> None:
    """The issue's example plan is valid; FQDNs are name.suffix in lower case."""
    plan = parse_plan(GOOD)
    assert plan.primary.fqdn == "hyper-v-prim.test.net"
    assert plan.peer_of(plan.primary) is plan.replica


@pytest.mark.parametrize(("path", "value", "field", "words"), [
    ("primary.name", "A" * 16, "primary.name", "at most 15"),
    ("primary.name", "bad_name", "primary.name", "illegal"),
    ("replica.name", "has space", "replica.name", "illegal"),
    ("replica.name", "12345", "replica.name", "digits"),
    ("primary.name", "a*b", "primary.name", "illegal"),
    ("primary.dns_suffix", "-bad.net", "primary.dns_suffix", "not valid"),
    ("primary.dns_suffix", "a..b", "primary.dns_suffix", "not valid"),
    ("primary.address", "192.168.1.300", "primary.address", "IPv4"),
    ("primary.address", "fe80::1", "primary.address", "IPv4"),
    ("vms.0.frequency_seconds", 60, "vms[0].frequency_seconds", "30, 300, 900"),
    ("vms.0.recovery_points", 25, "vms[0].recovery_points", "24"),
    ("vms.0.recovery_points", -1, "vms[0].recovery_points", "0"),
    ("vms.0.vss_frequency_hours", 13, "vms[0].vss_frequency_hours", "12"),
    ("vms.0.name", "a/b", "vms[0].name", "illegal"),
    ("vms.0.name", "web[1]", "vms[0].name", "wildcard"),
    ("replica_server.port", 0, "replica_server.port", "1"),
    ("replica_server.port", 65536, "replica_server.port", "65535"),
    ("replica_server.storage_location", "Hyper-V\\Replica", "replica_server.storage_location", "absolute"),
    ("replica_server.storage_location", "/srv/replica", "replica_server.storage_location", "absolute"),
    ("certificates.mode", "letsencrypt", "certificates.mode", "testroot"),
    ("revocation_check", "maybe", "revocation_check", "disable"),
])
def test_each_rule_names_field_and_rule(path: str, value: Any, field: str, words: str) -> None:
    """A bad value is reported with the source, the field path and the rule."""
    with pytest.raises(ConfigError) as caught:
        parse_plan(with_change(path, value), source="plan.yaml")
    text = str(caught.value)
    assert f"plan.yaml: {field}:" in text
    assert words in text


def test_vss_without_recovery_points_is_refused() -> None:
    """VSS frequency only means something with recovery points."""
    data = with_change("vms.0.recovery_points", 0)
    with pytest.raises(ConfigError, match="only meaningful with recovery_points > 0"):
        parse_plan(data)


def test_all_problems_reported_at_once() -> None:
    """Several mistakes give several lines, not just the first."""
    data = with_change("primary.name", "X" * 20)
    data["vms"][0]["frequency_seconds"] = 7
    with pytest.raises(ConfigError) as caught:
        parse_plan(data)
    message = str(caught.value)
    assert "primary.name" in message
    assert "vms[0].frequency_seconds" in message


def test_duplicate_vms_and_same_hosts_refused() -> None:
    """Cross-field rules."""
    data = with_change("vms", [{"name": "VM01"}, {"name": "vm01"}])
    with pytest.raises(ConfigError, match="listed twice"):
        parse_plan(data)
    with pytest.raises(ConfigError, match="different hosts"):
        parse_plan(with_change("replica.name", "Hyper-v-prim"))


def test_existing_mode_needs_thumbprints_for_both_hosts() -> None:
    """Mode existing without (complete, well-formed) thumbprints is refused."""
    with pytest.raises(ConfigError, match="needs thumbprints"):
        parse_plan(with_change("certificates", {"mode": "existing"}))
    with pytest.raises(ConfigError, match="lacks Hyper-v-repl"):
        parse_plan(with_change("certificates", {"mode": "existing", "thumbprints": {"Hyper-v-prim": "A" * 40}}))
    with pytest.raises(ConfigError, match="40 hexadecimal"):
        parse_plan(with_change("certificates", {"mode": "existing", "thumbprints": {
            "Hyper-v-prim": "XYZ", "Hyper-v-repl": "A" * 40}}))


def test_unknown_keys_refused() -> None:
    """A typo in a key is an error, not silently ignored."""
    data = with_change("replica_server.trustgroup", "x")
    with pytest.raises(ConfigError, match=r"replica_server\.trustgroup"):
        parse_plan(data)


def test_load_plan_reports_yaml_and_missing_file(tmp_path: Path) -> None:
    """File-level problems name the file."""
    with pytest.raises(ConfigError, match="cannot read"):
        load_plan(tmp_path / "nope.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("primary: [unclosed", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"bad\.yaml: not valid YAML"):
        load_plan(bad)


def _no_transport(connection: object) -> Any:
    pytest.fail(f"a host was contacted: {connection}")


@pytest.mark.parametrize("command", ["plan", "run", "verify", "status", "doctor"])
def test_cli_invalid_plan_exit_2_without_contacting_hosts(tmp_path: Path, command: str,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    """Exit code 2, the rule on stderr, and the transport factory never called."""
    plan_file = tmp_path / "plan.yaml"
    plan_file.write_text(yaml.safe_dump(with_change("primary.name", "much-too-long-name")), encoding="utf-8")
    code = Main(transport_factory=_no_transport)([command, str(plan_file), "--lab", str(tmp_path)])
    assert code == 2
    assert "primary.name: NetBIOS name must be at most 15" in capsys.readouterr().err


def test_cli_missing_secret_exit_2_without_contacting_hosts(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    """An inventory whose password variable is unset fails validation, not at connect time."""
    plan_file = tmp_path / "plan.yaml"
    plan_file.write_text(yaml.safe_dump(GOOD), encoding="utf-8")
    inventory = tmp_path / "inventory.yaml"
    inventory.write_text(yaml.safe_dump({"hosts": {
        name: {"url": f"https://{name}:5986/wsman", "username": "Administrator", "password_env": "HVREPL_TEST_PW"}
        for name in ("Hyper-v-prim", "Hyper-v-repl")}}), encoding="utf-8")
    monkeypatch.delenv("HVREPL_TEST_PW", raising=False)
    code = Main(transport_factory=_no_transport)(["run", str(plan_file), "--target", "real",
                                                  "--inventory", str(inventory)])
    assert code == 2
    assert "HVREPL_TEST_PW is not set" in capsys.readouterr().err


def test_cli_real_target_needs_inventory(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """--target real without --inventory is a usage error (2)."""
    plan_file = tmp_path / "plan.yaml"
    plan_file.write_text(yaml.safe_dump(GOOD), encoding="utf-8")
    assert Main(transport_factory=_no_transport)(["plan", str(plan_file), "--target", "real"]) == 2
    assert "--inventory" in capsys.readouterr().err


def test_cli_pfx_password_env_must_be_set(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    """--pfx-password-env naming an unset variable is a usage error before any host is contacted."""
    plan_file = tmp_path / "plan.yaml"
    plan_file.write_text(yaml.safe_dump(GOOD), encoding="utf-8")
    (tmp_path / "lab.json").write_text('{"hosts": [{"name": "Hyper-v-prim", "winrm": {"url": "https://127.0.0.1:1/wsman",'
                                       ' "username": "a", "password": "b"}}, {"name": "Hyper-v-repl", "winrm": {'
                                       '"url": "https://127.0.0.1:2/wsman", "username": "a", "password": "b"}}]}',
                                       encoding="utf-8")
    monkeypatch.delenv("HVREPL_TEST_PFX", raising=False)
    code = Main(transport_factory=_no_transport)(["run", str(plan_file), "--lab", str(tmp_path),
                                                  "--pfx-password-env", "HVREPL_TEST_PFX"])
    assert code == 2
    assert "HVREPL_TEST_PFX is not set" in capsys.readouterr().err
