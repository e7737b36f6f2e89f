"""The certificates step on two simulated hosts in-process: every mode, resume, rotation, no duplicates."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from hvrepl.engine import error_json, run_steps
from hvrepl.errors import DriftDetected
from hvrepl.plan import parse_plan
from hvrepl.remediation import describe
from hvrepl.session import HostSession
from hvrepl.steps import RunContext
from hvrepl.steps.certificates import Certificates
from simulator.core.host import Host
from simulator.services.certs import store
from tests.conftest import make_host
from tests.engine.conftest import plan_dict, topology
from tests.engine.inprocess import InProcessTransport
from tests.unit.fakes import ok


@pytest.fixture(name="pair")
def _pair(tmp_path: Path) -> dict[str, Host]:
    """Two fresh simulated hosts (in-process Host objects)."""
    return {name: make_host(tmp_path / name, topology(name, address))
            for name, address in (("Hyper-v-prim", "192.168.101.209"), ("Hyper-v-repl", "192.168.101.213"))}


def context(pair: dict[str, Host], mode: str, **options: Any) -> RunContext:
    """A run context over in-process transports."""
    plan = parse_plan(plan_dict(certificates={"mode": mode}))
    sessions = {n: HostSession(n, InProcessTransport(h, n)) for n, h in pair.items()}
    return RunContext(plan=plan, sessions=sessions, **options)


def my_store(host: Host) -> list[store.CertEntry]:
    """Certificates in LocalMachine\\My (independent read through the simulator's Python API)."""
    return store.list_certificates(host, "My")


def root_subjects(host: Host) -> set[str]:
    """Subjects in LocalMachine\\Root."""
    return {e.certificate.subject.rfc4514_string() for e in store.list_certificates(host, "Root")}


@pytest.mark.parametrize("mode", ["testroot", "private-ca"])
def test_certificates_triad(pair: dict[str, Host], mode: str) -> None:
    """Check mode changes nothing; run makes one usable certificate per host, trusted both ways; rerun is ok."""
    ctx = context(pair, mode, check_mode=True)
    report = run_steps(ctx, [Certificates(ctx.plan.primary)])
    assert report.results[0].status == "would change"
    assert all(my_store(h) == [] for h in pair.values())

    ctx = context(pair, mode)
    report = run_steps(ctx, [Certificates(ctx.plan.primary)])
    assert report.results[0].status == "changed", report.results[0].error
    for name, host in pair.items():
        entries = my_store(host)
        assert len(entries) == 1, [e.thumbprint for e in entries]
        assert entries[0].thumbprint == ctx.thumbprints[name]
        assert entries[0].private_key is not None
        assert store.usable_for_replication(entries[0]) == []
        issuer = entries[0].certificate.issuer.rfc4514_string()
        assert all(issuer in root_subjects(other) for other in pair.values())
        temp = host.real_path("C:\\Windows\\Temp")
        assert not list(temp.glob("hvrepl-*")) if temp.exists() else True
        # the replica's key made on the primary (testroot) is deleted with its certificate, not left behind
        assert store.orphaned_keys(host) == [], name

    again = run_steps(context(pair, mode), [Certificates(ctx.plan.primary)])
    assert again.results[0].status == "ok"


def test_pfx_password_never_in_scripts(pair: dict[str, Host]) -> None:
    """The generated PFX password travels only on stdin."""
    ctx = context(pair, "testroot")
    sent: list[str] = []
    stdins: list[str] = []
    for session in ctx.sessions.values():
        transport = session.transport
        original = transport.run_ps

        def spy(script: str, *, stdin: str | None = None, _run: Any = original) -> Any:
            sent.append(script)
            stdins.append(stdin or "")
            return _run(script, stdin=stdin)

        transport.run_ps = spy  # type: ignore[method-assign]  # test spy
    run_steps(ctx, [Certificates(ctx.plan.primary)])
    assert ctx.pfx_password is not None
    assert sent
    assert all(ctx.pfx_password.reveal() not in script for script in sent)
    assert any(ctx.pfx_password.reveal() in text for text in stdins)  # it did travel, on stdin


def test_resume_reuses_the_certificate_left_on_the_primary(pair: dict[str, Host]) -> None:
    """Killed after the replica's certificate was made on the primary: the next run exports that one."""
    ctx = context(pair, "testroot")
    made = ctx.sessions["Hyper-v-prim"].call("cert_new_testroot", fqdn="hyper-v-repl.test.net")
    report = run_steps(ctx, [Certificates(ctx.plan.primary)])
    assert report.results[0].status == "changed", report.results[0].error
    assert ctx.thumbprints["Hyper-v-repl"] == made["thumbprint"]
    assert [e.thumbprint for e in my_store(pair["Hyper-v-repl"])] == [made["thumbprint"]]
    assert [e.thumbprint for e in my_store(pair["Hyper-v-prim"])] == [ctx.thumbprints["Hyper-v-prim"]]


def test_rotation_replaces_a_certificate_about_to_expire(pair: dict[str, Host]) -> None:
    """With renew_within_days beyond the validity, the next run makes new certificates."""
    ctx = context(pair, "private-ca")
    run_steps(ctx, [Certificates(ctx.plan.primary)])
    old = dict(ctx.thumbprints)
    data = plan_dict(certificates={"mode": "private-ca", "validity_days": 365, "renew_within_days": 365})
    rotated = RunContext(plan=parse_plan(data), sessions=ctx.sessions)
    report = run_steps(rotated, [Certificates(rotated.plan.primary)])
    assert report.results[0].status == "changed", report.results[0].error
    assert set(rotated.thumbprints.values()).isdisjoint(old.values())


def test_replica_key_left_on_the_primary_is_removed(pair: dict[str, Host]) -> None:
    """Killed after the import on the replica but before the clean-up: the next run removes the copy."""
    ctx = context(pair, "testroot")
    run_steps(ctx, [Certificates(ctx.plan.primary)])
    replica_tp = ctx.thumbprints["Hyper-v-repl"]
    entry = store.find_certificate(pair["Hyper-v-repl"], replica_tp)
    assert entry is not None
    with pair["Hyper-v-prim"].transaction():
        store.add_certificate(pair["Hyper-v-prim"], entry.certificate, entry.private_key)
    report = run_steps(context(pair, "testroot"), [Certificates(ctx.plan.primary)])
    assert report.results[0].status == "changed", report.results[0].error
    assert [e.thumbprint for e in my_store(pair["Hyper-v-prim"])] == [ctx.thumbprints["Hyper-v-prim"]]
    assert store.orphaned_keys(pair["Hyper-v-prim"]) == []  # Remove-Item -DeleteKey: the key went too
    assert run_steps(context(pair, "testroot"), [Certificates(ctx.plan.primary)]).results[0].status == "ok"


def temp_files(host: Host) -> list[str]:
    """hvrepl's temporary files in the host's C:\\Windows\\Temp (read from its file system)."""
    temp = host.real_path("C:\\Windows\\Temp")
    return sorted(p.name for p in temp.glob("hvrepl-*")) if temp.exists() else []


@pytest.mark.parametrize("mode", ["testroot", "private-ca"])
def test_temporary_pfx_removed_when_the_import_fails(pair: dict[str, Host], mode: str) -> None:
    """The PFX is on the host when its import fails (wrong password): the file is removed all the same,
    and the error carries the Windows HRESULT and the fix but never the password."""
    ctx = context(pair, mode)
    replica = ctx.sessions["Hyper-v-repl"].transport
    original = replica.run_ps
    seen_files: list[list[str]] = []

    def wrong_password(script: str, *, stdin: str | None = None) -> Any:
        if script.startswith("# hvrepl cert_import_pfx"):
            seen_files.append(temp_files(pair["Hyper-v-repl"]))
            stdin = "Not-The-Password-1\n"
        return original(script, stdin=stdin)

    replica.run_ps = wrong_password  # type: ignore[method-assign]  # test spy
    report = run_steps(ctx, [Certificates(ctx.plan.primary)])
    failed = report.failed
    assert failed is not None and failed.error is not None
    assert seen_files and any(name.endswith(".pfx") for name in seen_files[0]), seen_files
    assert temp_files(pair["Hyper-v-repl"]) == []
    assert temp_files(pair["Hyper-v-prim"]) == []
    assert failed.error.hresult == "0x80070056"
    assert (failed.error.host, failed.error.step) == ("Hyper-v-repl", "certificates")  # not "both"
    assert "password" in (failed.error.remediation or "")
    assert ctx.pfx_password is not None
    assert ctx.pfx_password.reveal() not in describe(failed.error)
    assert ctx.pfx_password.reveal() not in str(error_json(failed.error))


def test_files_of_an_interrupted_transfer_are_removed_by_the_next_run(pair: dict[str, Host]) -> None:
    """A run killed between the import and the clean-up leaves a PFX in Temp; the next run removes it."""
    ctx = context(pair, "testroot")
    run_steps(ctx, [Certificates(ctx.plan.primary)])
    ctx.sessions["Hyper-v-repl"].transport.run_ps(
        "Set-Content -Path 'C:\\Windows\\Temp\\hvrepl-0123456789ab.pfx' -Value 'key material'")
    assert temp_files(pair["Hyper-v-repl"]) == ["hvrepl-0123456789ab.pfx"]
    check = run_steps(context(pair, "testroot", check_mode=True), [Certificates(ctx.plan.primary)])
    assert check.results[0].status == "would change"
    assert temp_files(pair["Hyper-v-repl"]) == ["hvrepl-0123456789ab.pfx"]
    report = run_steps(context(pair, "testroot"), [Certificates(ctx.plan.primary)])
    assert report.results[0].status == "changed", report.results[0].error
    assert temp_files(pair["Hyper-v-repl"]) == []
    assert [e.thumbprint for e in my_store(pair["Hyper-v-repl"])] == [ctx.thumbprints["Hyper-v-repl"]]
    assert run_steps(context(pair, "testroot"), [Certificates(ctx.plan.primary)]).results[0].status == "ok"


def test_existing_mode_triad(pair: dict[str, Host]) -> None:
    """Mode existing with installed thumbprints: nothing to change, never creates; a thumbprint whose issuer
    the peer does not trust stops the step naming the host and the problem."""
    made = context(pair, "private-ca")
    run_steps(made, [Certificates(made.plan.primary)])
    before = {name: [e.thumbprint for e in my_store(h)] for name, h in pair.items()}
    data = plan_dict(certificates={"mode": "existing", "thumbprints": dict(made.thumbprints)})
    for check_mode in (True, False, False):
        ctx = RunContext(plan=parse_plan(data), sessions=made.sessions, check_mode=check_mode)
        report = run_steps(ctx, [Certificates(ctx.plan.primary)])
        assert report.results[0].status == "ok", report.results[0].error
        assert ctx.thumbprints == made.thumbprints
        assert {name: [e.thumbprint for e in my_store(h)] for name, h in pair.items()} == before
    root = store.list_certificates(pair["Hyper-v-repl"], "Root")
    issuer = store.find_certificate(pair["Hyper-v-prim"], made.thumbprints["Hyper-v-prim"])
    assert issuer is not None
    with pair["Hyper-v-repl"].transaction():
        for entry in root:
            if entry.certificate.subject == issuer.certificate.issuer:
                store.remove_certificate(pair["Hyper-v-repl"], entry.thumbprint, "Root")
    ctx = RunContext(plan=parse_plan(data), sessions=made.sessions)
    failed = run_steps(ctx, [Certificates(ctx.plan.primary)]).failed
    assert failed is not None and failed.error is not None
    assert failed.error.host == "Hyper-v-prim"
    assert "not trusted (Root) on Hyper-v-repl" in str(failed.error)


@pytest.mark.parametrize("change", [{"issuer_trusted": 0}, {"has_key": False}, {"eku": ["1.3.6.1.5.5.7.3.1"]}])
def test_verify_refuses_a_certificate_the_host_cannot_use(pair: dict[str, Host], change: dict[str, Any]) -> None:
    """The real cert_verify answer, with one property changed on the way back: the step reports drift."""
    ctx = context(pair, "testroot")
    for session in ctx.sessions.values():
        original = session.transport.run_ps

        def run_ps(script: str, *, stdin: str | None = None, _run: Any = original) -> Any:
            result = _run(script, stdin=stdin)
            if script.startswith("# hvrepl cert_verify"):
                return ok({**result.json, **change})
            return result

        session.transport.run_ps = run_ps  # type: ignore[method-assign]  # answer altered on the way back
    failed = run_steps(ctx, [Certificates(ctx.plan.primary)]).failed
    assert failed is not None and isinstance(failed.error, DriftDetected), change
    assert failed.error.phase == "verify"
    assert "is not usable" in str(failed.error)
