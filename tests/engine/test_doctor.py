"""`hvrepl doctor` through the CLI on two configured simulated hosts (in-process): each of the ten named
problems is introduced the way it happens on a real host, and doctor must name it in plain words."""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import json
from pathlib import Path
from typing import Any

import yaml
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from hvrepl.cli import Main
from hvrepl.engine import run_steps
from hvrepl.errors import AuthenticationError
from hvrepl.inventory import Connection
from hvrepl.plan import parse_plan
from hvrepl.session import HostSession
from hvrepl.steps import RunContext, build_steps
from hvrepl.steps.certificates import parse_time
from simulator.services.certs import store
from tests.conftest import make_host
from tests.engine.conftest import plan_dict, topology
from tests.engine.inprocess import InProcessTransport

VM01 = {"name": "VM01", "generation": 2, "state": "Running", "disks": [{"name": "VM01.vhdx", "size_mb": 4}]}


class Doctor:
    """Two in-process hosts set up by the engine, and `hvrepl doctor --json` run against them."""

    def __init__(self, tmp_path: Path) -> None:
        self.hosts = {"Hyper-v-prim": make_host(tmp_path / "prim", topology("Hyper-v-prim", "192.168.101.209",
                                                                            [VM01])),
                      "Hyper-v-repl": make_host(tmp_path / "repl", topology("Hyper-v-repl", "192.168.101.213"))}
        self.rejected: set[str] = set()
        self.plan_file = tmp_path / "plan.yaml"
        self.plan_file.write_text(yaml.safe_dump(plan_dict(certificates={"mode": "private-ca"})), encoding="utf-8")
        (tmp_path / "lab.json").write_text(json.dumps({"hosts": [
            {"name": n, "winrm": {"url": "https://127.0.0.1:9/wsman", "username": "u", "password": "p"}}
            for n in self.hosts]}), encoding="utf-8")
        self.lab = tmp_path
        setup = parse_plan(plan_dict(certificates={"mode": "private-ca"}, vms=[]))
        ctx = RunContext(plan=setup, sessions={n: self.session(n) for n in self.hosts}, allow_reboot=True,
                         reboot_wait_seconds=5, reconnect=self.session)
        report = run_steps(ctx, build_steps(setup))
        assert report.failed is None, report.failed.error if report.failed else None

    def session(self, name: str) -> HostSession:
        """An engine session to one host."""
        return HostSession(name, InProcessTransport(self.hosts[name], name))

    def transport(self, connection: Connection) -> InProcessTransport:
        """The CLI's transport factory: in-process; hosts marked rejected answer every request with a 401."""
        transport = InProcessTransport(self.hosts[connection.name], connection.name)
        if connection.name in self.rejected:
            def unauthorized(script: str, *, stdin: str | None = None) -> Any:
                raise AuthenticationError(f"{connection.name}: the WinRM credentials were rejected (HTTP 401)")

            transport.run_ps = unauthorized  # type: ignore[method-assign]  # as WinRMTransport after a 401
        return transport

    def run(self) -> tuple[int, dict[tuple[str, str], list[tuple[bool, str]]]]:
        """Exit code and findings by (host, topic)."""
        out = io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(io.StringIO()):
            code = Main(transport_factory=self.transport)(["doctor", str(self.plan_file), "--lab", str(self.lab),
                                                           "--json"])
        findings: dict[tuple[str, str], list[tuple[bool, str]]] = {}
        for f in json.loads(out.getvalue().splitlines()[-1])["findings"]:
            findings.setdefault((f["host"], f["topic"]), []).append((f["ok"], f["explanation"]))
        return code, findings

    def ps(self, host: str, script: str) -> Any:
        """Run PowerShell on a host as an administrator would."""
        result = InProcessTransport(self.hosts[host], host).run_ps(script)
        assert result.exit_code == 0, result.stderr
        return result.stdout

    def add_certificate(self, host: str, fqdn: str, *, days: float, server_only: bool = False) -> None:
        """A self-signed certificate with a key for ``fqdn`` valid for ``days`` from the host's clock."""
        now = parse_time(str(self.session(host).call("certs_get", names=[], thumbprints=[],
                                                     temp_folder="C:\\Windows\\Temp", temp_pattern="x")["now"]))
        key = ec.generate_private_key(ec.SECP256R1())
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, fqdn)])
        usages = [ExtendedKeyUsageOID.SERVER_AUTH] + ([] if server_only else [ExtendedKeyUsageOID.CLIENT_AUTH])
        cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
                .serial_number(x509.random_serial_number())
                .not_valid_before(now - dt.timedelta(days=400)).not_valid_after(now + dt.timedelta(days=days))
                .add_extension(x509.SubjectAlternativeName([x509.DNSName(fqdn)]), critical=False)
                .add_extension(x509.ExtendedKeyUsage(usages), critical=False)
                .sign(key, hashes.SHA256()))
        with self.hosts[host].transaction():
            store.add_certificate(self.hosts[host], cert, key)


def problem(findings: dict[tuple[str, str], list[tuple[bool, str]]], host: str, topic: str, words: str) -> str:
    """The explanation of a reported problem containing ``words`` (fails when there is none)."""
    texts = [text for ok, text in findings.get((host, topic), []) if not ok and words in text]
    assert texts, (host, topic, words, findings.get((host, topic)))
    return texts[0]


def test_doctor_names_each_of_the_ten_problems(tmp_path: Path) -> None:
    """A configured pair is clean; then each problem is introduced and named, in plain words with its fix."""
    doctor = Doctor(tmp_path)
    code, findings = doctor.run()
    assert [k for k, v in findings.items() if not all(ok for ok, _ in v)] == []
    assert code == 0
    assert {topic for _, topic in findings} >= {"name", "hosts entry", "firewall", "revocation check",
                                                "certificate", "root trust", "PFX import", "checkpoints"}

    doctor.ps("Hyper-v-prim", "Checkpoint-VM -Name VM01 -SnapshotName before-update")
    _, findings = doctor.run()
    assert "delete or merge" in problem(findings, "Hyper-v-prim", "checkpoints", "before-update")

    doctor.ps("Hyper-v-repl", "Remove-ItemProperty -Path 'HKLM:\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion"
                              "\\Virtualization\\Replication' -Name DisableCertRevocationCheck")
    _, findings = doctor.run()
    assert "revocation_check: disable" in problem(findings, "Hyper-v-repl", "revocation check", "0x80092012")

    doctor.ps("Hyper-v-repl", "Set-ItemProperty -Path 'HKLM:\\SYSTEM\\CurrentControlSet\\Services\\Tcpip"
                              "\\Parameters' -Name Domain -Value 'other.lan'")
    _, findings = doctor.run()
    problem(findings, "Hyper-v-repl", "name", "name mismatch: the host is hyper-v-repl.other.lan")

    doctor.ps("Hyper-v-prim", "Set-Content -Path 'C:\\Windows\\System32\\drivers\\etc\\hosts' "
                              "-Value '192.168.101.209 hyper-v-prim.test.net'")
    _, findings = doctor.run()
    assert "0x00002EE7" in problem(findings, "Hyper-v-prim", "hosts entry", "hyper-v-repl.test.net -> missing")

    doctor.ps("Hyper-v-repl", "Disable-NetFirewallRule -Name 'VIRT-HVRHTTPSL-In-TCP-NoScope'")
    _, findings = doctor.run()
    problem(findings, "Hyper-v-repl", "firewall", "unreachable")

    prim_issuer = store.list_certificates(doctor.hosts["Hyper-v-prim"], "My")[0].certificate.issuer
    with doctor.hosts["Hyper-v-repl"].transaction():
        for entry in store.list_certificates(doctor.hosts["Hyper-v-repl"], "Root"):
            if entry.certificate.subject == prim_issuer:
                store.remove_certificate(doctor.hosts["Hyper-v-repl"], entry.thumbprint, "Root")
    _, findings = doctor.run()
    assert "0x800B0109" in problem(findings, "Hyper-v-repl", "root trust", "untrusted root")

    doctor.add_certificate("Hyper-v-prim", "hyper-v-prim.test.net", days=300, server_only=True)
    doctor.add_certificate("Hyper-v-prim", "hyper-v-prim.test.net", days=10)
    doctor.add_certificate("Hyper-v-repl", "hyper-v-repl.test.net", days=-3)
    _, findings = doctor.run()
    problem(findings, "Hyper-v-prim", "certificate", "missing EKU Client Authentication")
    problem(findings, "Hyper-v-prim", "certificate", "expires soon")
    problem(findings, "Hyper-v-repl", "certificate", "expired on")

    doctor.ps("Hyper-v-repl", "Set-Content -Path 'C:\\Windows\\Temp\\hvrepl-0123456789ab.pfx' -Value 'x'")
    _, findings = doctor.run()
    assert "private key" in problem(findings, "Hyper-v-repl", "PFX import", "hvrepl-0123456789ab.pfx")

    doctor.rejected.add("Hyper-v-repl")
    code, findings = doctor.run()
    assert "password" in problem(findings, "Hyper-v-repl", "WinRM authentication", "401")
    assert code == 1


def test_verify_exits_1_on_drift_and_changes_nothing(tmp_path: Path) -> None:
    """`hvrepl verify --json` on the configured pair: exit 0; after the firewall rule is turned off on the
    replica: exit 1 naming that host and step, and the rule stays off (verify is read-only)."""
    doctor = Doctor(tmp_path)
    plan_file = tmp_path / "plan-no-vms.yaml"
    plan_file.write_text(yaml.safe_dump(plan_dict(certificates={"mode": "private-ca"}, vms=[])), encoding="utf-8")

    def verify() -> tuple[int, dict[str, Any], str]:
        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = Main(transport_factory=doctor.transport)(["verify", str(plan_file), "--lab", str(doctor.lab),
                                                             "--json"])
        return code, json.loads(out.getvalue().splitlines()[-1]), err.getvalue()

    code, report, _ = verify()
    assert (code, report["ok"], report["changes"]) == (0, True, 0)
    doctor.ps("Hyper-v-repl", "Disable-NetFirewallRule -Name 'VIRT-HVRHTTPSL-In-TCP-NoScope'")
    code, report, err = verify()
    assert (code, report["ok"], report["changes"]) == (1, False, 1)
    assert [(s["host"], s["step"]) for s in report["steps"] if s["status"] == "would change"] == [
        ("Hyper-v-repl", "firewall_rule")]
    assert "differ from the plan" in err
    rule = doctor.ps("Hyper-v-repl", "(Get-NetFirewallRule -Name 'VIRT-HVRHTTPSL-In-TCP-NoScope').Enabled")
    assert rule.strip() == "False"
