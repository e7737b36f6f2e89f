"""Convergence after a kill -9 at any point, and idempotence for any valid plan (hypothesis)."""

from __future__ import annotations

import contextlib
import io
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from hvrepl.cli import Main
from tests.engine.conftest import Lab, plan_dict, running_lab

ROOT = Path(__file__).resolve().parents[2]


def certs_for(lab: Lab, host: str, fqdn: str) -> list[str]:
    """Thumbprints of certificates naming ``fqdn`` in the host's LocalMachine\\My (read from /_sim/state)."""
    store = lab.state(host).get("certs", {}).get("LocalMachine", {}).get("My", {})
    found = []
    for thumbprint, record in store.items():
        cert = x509.load_pem_x509_certificate(str(record["cert_pem"]).encode())
        try:
            names = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value.get_values_for_type(
                x509.DNSName)
        except x509.ExtensionNotFound:
            names = []
        if fqdn in [n.lower() for n in names]:
            found.append(thumbprint)
    return found


def run_cli(lab: Lab, plan: Path, *extra: str) -> dict[str, Any]:
    """`hvrepl run` in-process with --json; returns the report."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(io.StringIO()):
        code = Main()(["run", str(plan), "--lab", str(lab.directory), "--json",
                                                 "--allow-reboot",
                       "--health-timeout", "120", *extra])
    report = json.loads(out.getvalue().splitlines()[-1])
    report["exit_code"] = code
    return report


@pytest.mark.slow
@pytest.mark.parametrize(("after_step", "delay"), [("identity", 0.0), ("firewall_rule", 0.4), ("certificates", 0.0),
                                                   ("replica_server", 0.0), ("vm_replication", 0.0)])
def test_killed_run_converges_without_duplicates(lab: Lab, after_step: str, delay: float) -> None:
    """kill -9 the CLI right after a step (or inside the next); a new run converges with no duplicates."""
    plan = lab.write_plan(plan_dict())
    child = subprocess.Popen([sys.executable, "-m", "hvrepl", "run", str(plan), "--lab", str(lab.directory),
                              "--allow-reboot"], cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                             text=True, env={**os.environ, "PYTHONUNBUFFERED": "1"})
    assert child.stderr is not None
    seen = []
    for line in child.stderr:
        seen.append(line)
        if f" {after_step} " in line and (after_step != "firewall_rule" or line.startswith("Hyper-v-repl")):
            break
    time.sleep(delay)
    if child.poll() is None:
        os.kill(child.pid, signal.SIGKILL)
    child.wait()
    assert any(f" {after_step} " in line for line in seen), seen
    report = run_cli(lab, plan)
    assert report["exit_code"] == 0, report
    assert run_cli(lab, plan)["changes"] == 0
    for host, fqdn in (("Hyper-v-prim", "hyper-v-prim.test.net"), ("Hyper-v-repl", "hyper-v-repl.test.net")):
        assert len(certs_for(lab, host, fqdn)) == 1
        assert certs_for(lab, "Hyper-v-prim", "hyper-v-repl.test.net") == []  # no stray replica key
        hosts_file = next(v for k, v in lab.files(host).items() if k.lower().endswith("etc/hosts")).decode()
        for name in ("hyper-v-prim.test.net", "hyper-v-repl.test.net"):
            assert sum(name in line.lower().split("#")[0].split() for line in hosts_file.splitlines()) == 1
        assert len(lab.state(host)["hyperv"]["authorization"]) == 1


DNS_SUFFIXES = st.lists(st.from_regex(r"[a-z0-9]([a-z0-9-]{0,8}[a-z0-9])?", fullmatch=True), min_size=1,
                        max_size=3).map(".".join)


@st.composite
def vm_settings(draw: st.DrawFn) -> dict[str, Any]:
    """Replication settings of VM01: any frequency, recovery points, and VSS hours only with points."""
    points = draw(st.integers(0, 24))
    vm: dict[str, Any] = {"name": "VM01", "frequency_seconds": draw(st.sampled_from([30, 300, 900])),
                          "recovery_points": points}
    if points and draw(st.booleans()):
        vm["vss_frequency_hours"] = draw(st.integers(1, 12))
    return vm


@st.composite
def valid_plans(draw: st.DrawFn) -> dict[str, Any]:
    """Plan changes the lab can satisfy: host names and virtual addresses are the lab's, the rest varies."""
    suffix = draw(DNS_SUFFIXES)
    return {
        "primary": {"name": "Hyper-v-prim", "dns_suffix": suffix, "address": "192.168.101.209"},
        "replica": {"name": "Hyper-v-repl", "dns_suffix": draw(st.sampled_from([suffix, "other.lan"])),
                    "address": "192.168.101.213"},
        "certificates": draw(st.sampled_from([{"mode": "testroot"},
                                              {"mode": "private-ca", "validity_days": 400}])),
        "revocation_check": "disable",
        "replica_server": draw(st.fixed_dictionaries({
            "storage_location": st.sampled_from(["D:\\Hyper-V\\Replica", "C:\\Replica Store\\VMs"]),
            "trust_group": st.sampled_from(["Replication", "Group 'A'"]),
            "port": st.sampled_from([443, 8443])})),
        "vms": draw(st.lists(vm_settings(), min_size=0, max_size=1)),
    }


@pytest.mark.slow
@settings(max_examples=2, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(changes=valid_plans())
@example(changes={"certificates": {"mode": "private-ca", "validity_days": 400}, "revocation_check": "disable",
                  "replica_server": {"storage_location": "D:\\Hyper-V\\Replica", "trust_group": "Replication",
                                     "port": 8443},
                  "vms": [{"name": "VM01", "frequency_seconds": 30, "recovery_points": 1}]})
def test_any_valid_plan_is_idempotent(tmp_path_factory: pytest.TempPathFactory, changes: dict[str, Any]) -> None:
    """Run twice: the second run reports no change."""
    with running_lab(tmp_path_factory.mktemp("lab")) as lab:
        plan = lab.write_plan(plan_dict(**changes))
        first = run_cli(lab, plan)
        assert first["exit_code"] == 0, first
        assert run_cli(lab, plan)["changes"] == 0
