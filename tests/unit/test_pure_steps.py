"""Pure parts of the steps: hosts-file rewriting, certificate selection, PKI output, remediation, secrets."""

from __future__ import annotations

import datetime as dt
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import ExtendedKeyUsageOID
from hypothesis import example, given
from hypothesis import strategies as st

from hvrepl.errors import AuthenticationError, PowerShellError, StepError
from hvrepl.pki import PrivateCA, thumbprint
from hvrepl.plan import parse_plan
from hvrepl.remediation import describe, remediation_for
from hvrepl.secrets import Secret
from hvrepl.session import HostSession
from hvrepl.steps import RunContext
from hvrepl.steps.certificates import (
    CLIENT_AUTH,
    SERVER_AUTH,
    TEST_ROOT_SUBJECT,
    Certificates,
    best_certificate,
    certificate_problems,
    parse_time,
)
from hvrepl.steps.hosts_file import MARK, desired_hosts_text, parse_entries
from hvrepl.transport.mock import MockTransport
from tests.unit.fakes import ok
from tests.unit.test_plan import GOOD

WANTED = {"hyper-v-prim.test.net": "192.168.101.209", "hyper-v-repl.test.net": "192.168.101.213"}
ADDRESSES = st.sampled_from(["10.0.0.1", "192.168.101.209", "192.168.101.213", "127.0.0.1"])
NAMES = st.sampled_from(["hyper-v-prim.test.net", "HYPER-V-REPL.test.net", "localhost", "other.lan"])
LINE = st.one_of(
    st.just("# a comment"),
    st.just(""),
    st.builds(lambda a, n, c: f"{a}\t{' '.join(n)}" + (" # note" if c else ""), ADDRESSES,
              st.lists(NAMES, min_size=1, max_size=3), st.booleans()),
)


@given(st.lists(LINE, max_size=8), st.booleans())
# The right line twice (the second in other case, with a comment): random lines rarely hit it, and a
# rewrite that only dropped wrong addresses would keep both.
@example(["192.168.101.209\thyper-v-prim.test.net", "192.168.101.209\tHYPER-V-PRIM.test.net # note"], False)
def test_hosts_rewrite_properties(lines: list[str], crlf: bool) -> None:
    """Each wanted name ends on exactly one right line; other lines survive; rewriting is idempotent."""
    newline = "\r\n" if crlf else "\n"
    text = newline.join(lines) + (newline if lines else "")
    new = desired_hosts_text(text, WANTED)
    entries = parse_entries(new)
    for name, address in WANTED.items():
        assert [a for a, names in entries if name in names] == [address]
    for line in lines:
        if not any(n in line.lower() for n in WANTED):
            assert line in new.splitlines()
    assert desired_hosts_text(new, WANTED) == new


def test_hosts_rewrite_keeps_a_correct_file_untouched() -> None:
    """A file already right comes back byte-identical."""
    text = "# header\r\n192.168.101.209 hyper-v-prim.test.net\r\n192.168.101.213 hyper-v-repl.test.net\r\n"
    assert desired_hosts_text(text, WANTED) == text
    assert MARK in desired_hosts_text("", WANTED)


def test_hosts_rewrite_drops_a_duplicate_of_a_right_line() -> None:
    """A second, correct line for a name goes; the first stays byte for byte, the other name is added."""
    text = "192.168.101.209 hyper-v-prim.test.net\r\n192.168.101.209 HYPER-V-PRIM.test.net other.lan\r\n"
    assert desired_hosts_text(text, WANTED) == (
        "192.168.101.209 hyper-v-prim.test.net\r\n"
        "192.168.101.209\tother.lan\r\n"
        f"192.168.101.213\thyper-v-repl.test.net\t{MARK}\r\n"
    )


NOW = dt.datetime(2026, 11, 29, 12, 0, tzinfo=dt.UTC)


def cert(**changes: Any) -> dict[str, Any]:
    """A usable certificate record as certs_get returns it."""
    base = {"thumbprint": "A" * 40, "subject": "CN=hyper-v-prim.test.net", "issuer": TEST_ROOT_SUBJECT,
            "dns": ["hyper-v-prim.test.net"], "eku": [SERVER_AUTH, CLIENT_AUTH], "has_key": True,
            "not_after": "2027-11-29T12:00:00.0000000Z"}
    base.update(changes)
    return base


def test_certificate_problems_in_plain_words() -> None:
    """Each defect is named; a good certificate has none."""
    fqdn = "hyper-v-prim.test.net"
    assert certificate_problems(cert(), fqdn, NOW, 30) == []
    assert "name mismatch" in certificate_problems(cert(dns=["x.test.net"], subject="CN=x"), fqdn, NOW, 30)[0]
    assert certificate_problems(cert(has_key=False), fqdn, NOW, 30) == ["no private key"]
    assert "Client Authentication" in certificate_problems(cert(eku=[SERVER_AUTH]), fqdn, NOW, 30)[0]
    assert "expired" in certificate_problems(cert(not_after="2026-01-01T00:00:00Z"), fqdn, NOW, 30)[0]
    assert "expires soon" in certificate_problems(cert(not_after="2026-12-10T00:00:00Z"), fqdn, NOW, 30)[0]


def test_parse_time_accepts_windows_seven_digit_fractions() -> None:
    """ToString('o') on Windows gives 7 fractional digits and an offset."""
    assert parse_time("2027-11-29T12:00:00.1234567+00:00") == dt.datetime(2027, 11, 29, 12, 0, 0, 123456,
                                                                          tzinfo=dt.UTC)


def test_best_certificate_prefers_longest_valid() -> None:
    """The usable certificate lasting longest wins; unusable ones are ignored."""
    store = {"now": NOW.isoformat(), "my": [cert(thumbprint="1" * 40),
                                           cert(thumbprint="2" * 40, not_after="2028-01-01T00:00:00Z"),
                                           cert(thumbprint="3" * 40, not_after="2030-01-01T00:00:00Z",
                                                has_key=False)]}
    chosen = best_certificate(store, "hyper-v-prim.test.net", 30)
    assert chosen is not None
    assert chosen["thumbprint"] == "2" * 40
    assert best_certificate({"now": NOW.isoformat(), "my": None}, "x", 30) is None


def _observed(prim_my: list[dict[str, Any]], repl_my: list[dict[str, Any]], prim_root: list[str],
              repl_root: list[str]) -> dict[str, Any]:
    return {"Hyper-v-prim": {"now": NOW.isoformat(), "my": prim_my, "root": prim_root, "ca": []},
            "Hyper-v-repl": {"now": NOW.isoformat(), "my": repl_my, "root": repl_root, "ca": []}}


def _ctx(data: dict[str, Any] | None = None) -> RunContext:
    plan = parse_plan(data or GOOD)
    return RunContext(plan=plan, sessions={})


def test_certificate_plan_fresh_hosts_and_resume() -> None:
    """Fresh: make both and import the root. Killed after making the replica's on the primary: reuse it."""
    ctx = _ctx()
    diff: Any = Certificates(ctx.plan.primary).plan(ctx, _observed([], [], [], []))
    assert diff.new_cert == {"Hyper-v-prim": True, "Hyper-v-repl": True}
    assert diff.staged == {}
    staged = cert(thumbprint="C" * 40, dns=["hyper-v-repl.test.net"], subject="CN=hyper-v-repl.test.net")
    prim = cert()
    diff = Certificates(ctx.plan.primary).plan(ctx, _observed([prim, staged], [], [TEST_ROOT_SUBJECT], []))
    assert diff.new_cert == {"Hyper-v-prim": False, "Hyper-v-repl": True}
    assert diff.staged == {"Hyper-v-repl": "C" * 40}
    assert ctx.thumbprints["Hyper-v-prim"] == "A" * 40


def test_certificate_plan_nothing_to_do_and_rotation() -> None:
    """All in place -> None; a certificate inside the renewal window -> a new one."""
    ctx = _ctx()
    repl = cert(thumbprint="B" * 40, dns=["hyper-v-repl.test.net"], subject="CN=hyper-v-repl.test.net")
    roots = [TEST_ROOT_SUBJECT]
    assert Certificates(ctx.plan.primary).plan(ctx, _observed([cert()], [repl], roots, roots)) is None
    assert ctx.thumbprints == {"Hyper-v-prim": "A" * 40, "Hyper-v-repl": "B" * 40}
    soon = cert(not_after="2026-12-05T00:00:00Z")
    diff: Any = Certificates(ctx.plan.primary).plan(ctx, _observed([soon], [repl], roots, roots))
    assert diff.new_cert == {"Hyper-v-prim": True, "Hyper-v-repl": False}


def test_existing_mode_reports_problems() -> None:
    """Mode existing never creates: a thumbprint without a key is a StepError naming the problem."""
    data = dict(GOOD, certificates={"mode": "existing", "thumbprints": {"Hyper-v-prim": "A" * 40,
                                                                        "Hyper-v-repl": "B" * 40}})
    ctx = _ctx(data)
    repl = cert(thumbprint="B" * 40, dns=["hyper-v-repl.test.net"], has_key=False)
    roots = [TEST_ROOT_SUBJECT]
    try:
        Certificates(ctx.plan.primary).plan(ctx, _observed([cert()], [repl], roots, roots))
    except StepError as exc:
        assert exc.host == "Hyper-v-repl"
        assert "no private key" in str(exc)
    else:
        raise AssertionError("a certificate without a key was accepted")


def test_private_ca_certificates_and_3des_pfx() -> None:
    """Host certs: SAN = FQDN, both EKUs, chosen validity; PFX uses 3DES (OID 1.2.840.113549.1.12.1.3)."""
    password = Secret("pfx-pass")
    ca = PrivateCA("a-b", 90, now=NOW)
    issued = ca.issue("hyper-v-repl.test.net", password)
    key, leaf, extra = pkcs12.load_key_and_certificates(issued.pfx, b"pfx-pass")
    assert key is not None
    assert leaf is not None
    assert extra == []
    assert thumbprint(leaf) == issued.thumbprint
    eku = leaf.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert set(eku) == {ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH}
    assert (leaf.not_valid_after_utc - NOW).days == 90
    assert leaf.issuer == ca.cert.subject
    pbe_3des_oid_der = bytes.fromhex("060a2a864886f70d010c0103")
    assert pbe_3des_oid_der in issued.pfx
    assert b"pfx-pass" not in issued.pfx


def test_remediation_table() -> None:
    """Known HRESULTs and transport errors get a fix; unknown ones none."""
    assert "revocation" in (remediation_for(PowerShellError("x", hresult=-2146885614)) or "")
    assert "AES-256" in (remediation_for(PowerShellError("x", hresult="0x80070056")) or "")
    assert "credentials" not in (remediation_for(PowerShellError("x", hresult="0x12345678")) or "")
    assert "password" in (remediation_for(AuthenticationError("401")) or "")
    assert "authorization entry" in (remediation_for(PowerShellError("x", hresult="0x80070005")) or "")
    assert "revoked" in (remediation_for(PowerShellError("x", hresult="0x80092010")) or "")
    assert "powered on" in (remediation_for(PowerShellError("x", hresult="0x00002EFD")) or "")
    error = StepError("boom", host="h", step="s", phase="apply")
    error.__cause__ = PowerShellError("boom", fqid="Id,Cmd", hresult="0x800B010F")
    text = describe(error)
    assert "HRESULT 0x800B010F" in text
    assert "Fix: name mismatch" in text


def test_pfx_password_travels_on_stdin_only() -> None:
    """Import sends the password on stdin; it never appears in the script text."""
    seen: list[tuple[str, str | None]] = []

    def handler(script: str, stdin: str | None) -> Any:
        seen.append((script, stdin))
        if "cert_import_pfx" in script.splitlines()[0]:
            return ok({"thumbprints": ["D" * 40]})
        if "file_decode" in script.splitlines()[0]:
            import hashlib  # noqa: PLC0415 - only this fake needs it

            return ok({"sha256": hashlib.sha256(b"PFXBYTES").hexdigest()})
        return ok({"written": True})

    ctx = _ctx()
    ctx.pfx_password = Secret("TopSecretPfxPassword")
    session = HostSession("Hyper-v-repl", MockTransport("Hyper-v-repl", handler))
    step = Certificates(ctx.plan.primary)
    assert step._import_pfx(ctx, session, b"PFXBYTES") == "D" * 40
    assert all("TopSecretPfxPassword" not in script for script, _ in seen)
    assert [stdin for _, stdin in seen if stdin] == ["TopSecretPfxPassword\n"]
