"""Step: a usable certificate on each host, and each host trusting both certificates' issuers.

Usable = in LocalMachine\\My, private key present, Server + Client Authentication EKUs, the host's FQDN
in its DNS names, and more than ``renew_within_days`` of validity left (fact sheet §3). An existing
usable certificate is always found and reused before anything is created, so a run killed half way
and started again makes no duplicates. Modes: ``testroot`` (New-SelfSignedCertificate -TestRoot on the
primary, recipe §9), ``private-ca`` (made here by :mod:`hvrepl.pki`), ``existing`` (thumbprints given;
only checked). Temporary files on the hosts are removed in ``finally`` and leftovers of killed runs at
the start. The PFX password goes over stdin (see :mod:`hvrepl.powershell`).
"""

from __future__ import annotations

import base64
import datetime as dt
import logging
from dataclasses import dataclass, field
from typing import Any

from hvrepl.errors import HvreplError, StepError
from hvrepl.pki import PrivateCA
from hvrepl.plan import HostSpec
from hvrepl.secrets import generate_password
from hvrepl.session import HostSession, Script
from hvrepl.steps.base import Diff, RunContext, Step
from hvrepl.transfer import TEMP_FOLDER, TEMP_PATTERN, cleanup_temp, push_file, temp_path

log = logging.getLogger(__name__)

SERVER_AUTH = "1.3.6.1.5.5.7.3.1"
CLIENT_AUTH = "1.3.6.1.5.5.7.3.2"
# ASSUMPTION (fact sheet §10.9): -TestRoot signs with one "CertReq Test Root" per machine; trust is
# matched by subject.
TEST_ROOT_SUBJECT = "CN=CertReq Test Root, OU=For Test Purposes Only"


def parse_time(text: str) -> dt.datetime:
    """ISO 8601 from ``ToString('o')`` (7 fractional digits on Windows) -> aware datetime."""
    text = text.strip().replace("Z", "+00:00")
    if "." in text:
        head, tail = text.split(".", 1)
        digits = "".join(ch for ch in tail if ch.isdigit())
        zone = tail[len(digits):]
        text = f"{head}.{digits[:6].ljust(6, '0')}{zone}"
    value = dt.datetime.fromisoformat(text)
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


def certificate_problems(cert: dict[str, Any], fqdn: str, now: dt.datetime, renew_days: int) -> list[str]:
    """Why ``cert`` cannot serve Hyper-V Replica for ``fqdn`` (empty list = usable). Pure."""
    problems = []
    names = [str(n).lower() for n in cert.get("dns") or []]
    subject_cn = str(cert.get("subject", "")).removeprefix("CN=").split(",")[0].lower()
    if fqdn.lower() not in names and subject_cn != fqdn.lower():
        problems.append(f"name mismatch: certificate is for {names or subject_cn}, host FQDN is {fqdn}")
    if not cert.get("has_key"):
        problems.append("no private key")
    ekus = set(cert.get("eku") or [])
    for oid, label in ((SERVER_AUTH, "Server Authentication"), (CLIENT_AUTH, "Client Authentication")):
        if oid not in ekus:
            problems.append(f"missing EKU {label} ({oid})")
    not_after = parse_time(str(cert["not_after"]))
    if not_after <= now:
        problems.append(f"expired on {not_after:%Y-%m-%d}")
    elif not_after <= now + dt.timedelta(days=renew_days):
        problems.append(f"expires soon ({not_after:%Y-%m-%d}, within {renew_days} days)")
    return problems


def best_certificate(store: dict[str, Any], fqdn: str, renew_days: int) -> dict[str, Any] | None:
    """The usable certificate for ``fqdn`` in a host's My store that lasts longest, or None. Pure."""
    now = parse_time(str(store["now"]))
    usable = [c for c in _list(store.get("my")) if not certificate_problems(c, fqdn, now, renew_days)]
    return max(usable, key=lambda c: parse_time(str(c["not_after"]))) if usable else None


def _list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


@dataclass
class CertDiff(Diff):
    """Diff plus the decisions apply carries out."""

    new_cert: dict[str, bool] = field(default_factory=dict)
    staged: dict[str, str] = field(default_factory=dict)
    leftovers: list[str] = field(default_factory=list)  # replica certificates (with key) left on the primary
    need_root: dict[str, bool] = field(default_factory=dict)
    temp_files: dict[str, list[str]] = field(default_factory=dict)  # left by an interrupted run, per host

    @property
    def only_cleanup(self) -> bool:
        """Nothing to make or import: only temporary files of an interrupted run to remove."""
        return not any(self.new_cert.values()) and not any(self.need_root.values()) and not self.leftovers


class Certificates(Step):
    """Both hosts' replication certificates (a pair step: runs on primary and replica)."""

    name = "certificates"

    @property
    def target(self) -> str:
        """Reported for both hosts."""
        return "both"

    def check(self, ctx: RunContext) -> dict[str, Any]:
        """My (certificates naming either FQDN), Root and CA subjects, and the host's clock, per host."""
        names = [h.fqdn for h in ctx.plan.hosts()]
        # Given thumbprints are listed whatever their names, so a mismatch is reported as such.
        thumbs = list((ctx.plan.certificates.thumbprints or {}).values())
        return {h.name: ctx.session(h).call("certs_get", names=names, thumbprints=thumbs, temp_folder=TEMP_FOLDER,
                                            temp_pattern=TEMP_PATTERN) for h in ctx.plan.hosts()}

    def plan(self, ctx: RunContext, observed: dict[str, Any]) -> Diff | None:
        """Decide which certificates to make and which roots to import; None when all is in place.

        No I/O; the thumbprints of certificates kept are recorded in ``ctx.thumbprints`` for later steps.
        """
        mode = ctx.plan.certificates.mode
        renew = ctx.plan.certificates.renew_within_days
        hosts = ctx.plan.hosts()
        best = {h.name: best_certificate(observed[h.name], h.fqdn, renew) for h in hosts}
        temp_files = {h.name: [str(n) for n in _list(observed[h.name].get("temp"))] for h in hosts
                      if _list(observed[h.name].get("temp"))}
        if mode == "existing":
            self._plan_existing(ctx, observed)
            if not temp_files:
                return None
            return CertDiff(before={"temporary files": temp_files}, after={"temporary files": "removed"},
                            scripts=[Script.build("temp_cleanup", folder=TEMP_FOLDER, pattern=TEMP_PATTERN)],
                            temp_files=temp_files)
        roots = {h.name: set(_list(observed[h.name].get("root"))) for h in hosts}
        diff = CertDiff(before={}, after={})
        for h in hosts:
            cert = best[h.name]
            trusted_both = cert is not None and all(cert["issuer"] in roots[x.name] for x in hosts)
            fixable = cert is not None and mode == "testroot" and cert["issuer"] == TEST_ROOT_SUBJECT
            diff.new_cert[h.name] = cert is None or not (trusted_both or fixable)
            diff.before[h.name] = None if cert is None else {"thumbprint": cert["thumbprint"],
                                                               "not_after": cert["not_after"],
                                                               "issuer": cert["issuer"]}
            if not diff.new_cert[h.name] and cert is not None:
                ctx.thumbprints[h.name] = cert["thumbprint"]
        if mode == "testroot":
            primary, replica = hosts
            staged = best_certificate(observed[primary.name], replica.fqdn, renew)
            if diff.new_cert[replica.name] and staged is not None:
                diff.staged[replica.name] = staged["thumbprint"]
            elif not diff.new_cert[replica.name]:
                # A run killed after the import leaves the replica's key on the primary: remove it.
                diff.leftovers = [str(c["thumbprint"]) for c in _list(observed[primary.name].get("my"))
                                  if replica.fqdn in [str(n).lower() for n in _list(c.get("dns"))]
                                  and primary.fqdn not in [str(n).lower() for n in _list(c.get("dns"))]]
            for h in hosts:
                diff.need_root[h.name] = TEST_ROOT_SUBJECT not in roots[h.name]
        else:
            any_new = any(diff.new_cert.values())
            for h in hosts:
                diff.need_root[h.name] = any_new
        diff.temp_files = temp_files
        if diff.only_cleanup and not diff.temp_files:
            return None
        diff.after = {h.name: ("new certificate" if diff.new_cert[h.name] else "keep") for h in hosts}
        diff.after["root imported on"] = [n for n, v in diff.need_root.items() if v]
        if diff.leftovers:
            diff.after["removed from the primary"] = diff.leftovers
        if diff.temp_files:
            diff.before["temporary files"] = diff.temp_files
            diff.after["temporary files"] = "removed"
        diff.scripts = [] if diff.only_cleanup else self._preview(ctx, diff)
        diff.scripts.append(Script.build("temp_cleanup", folder=TEMP_FOLDER, pattern=TEMP_PATTERN))
        return diff

    def _plan_existing(self, ctx: RunContext, observed: dict[str, Any]) -> None:
        thumbs = ctx.plan.certificates.thumbprints or {}
        for h in ctx.plan.hosts():
            store = observed[h.name]
            wanted = thumbs[h.name]
            cert = next((c for c in _list(store.get("my")) if str(c["thumbprint"]).upper() == wanted), None)
            if cert is None:
                raise StepError(f"certificate {wanted} for {h.fqdn} is not in Cert:\\LocalMachine\\My",
                                host=h.name, step=self.name, phase="plan",
                                remediation="install the certificate with its private key, or fix the thumbprint")
            problems = certificate_problems(cert, h.fqdn, parse_time(str(store["now"])), 0)
            for peer in ctx.plan.hosts():
                if cert["issuer"] not in _list(observed[peer.name].get("root")):
                    problems.append(f"issuer {cert['issuer']} is not trusted (Root) on {peer.name}")
            if problems:
                raise StepError("; ".join(problems), host=h.name, step=self.name, phase="plan",
                                remediation="fix or replace the certificate (both EKUs, key, FQDN, trusted root)")
            ctx.thumbprints[h.name] = wanted

    def _preview(self, ctx: RunContext, diff: CertDiff) -> list[Script]:
        """The scripts apply will send, with placeholders for values known only then."""
        primary, replica = ctx.plan.hosts()
        out = []
        if ctx.plan.certificates.mode == "testroot":
            for h in (primary, replica):
                if diff.new_cert[h.name] and h.name not in diff.staged:
                    out.append(Script.build("cert_new_testroot", fqdn=h.fqdn))
            out.append(Script.build("cert_trust_testroot", subject=TEST_ROOT_SUBJECT))
            if diff.new_cert[replica.name]:
                out.append(Script.build_with_stdin("cert_export_pfx", path="<temp .pfx>",
                                                   thumbprint=diff.staged.get(replica.name, "<new thumbprint>")))
                out.append(Script.build_with_stdin("cert_import_pfx", path="<temp .pfx>"))
            if diff.need_root[replica.name]:
                out.append(Script.build("cert_export_root", path="<temp .cer>", subject=TEST_ROOT_SUBJECT))
                out.append(Script.build("cert_import_root", path="<temp .cer>"))
            out += [Script.build("cert_remove", thumbprint=t) for t in diff.leftovers]
        else:
            for h in (primary, replica):
                if diff.new_cert[h.name]:
                    out.append(Script.build_with_stdin("cert_import_pfx", path="<temp .pfx>"))
            out.append(Script.build("cert_import_root", path="<temp .cer>"))
        return out

    def apply(self, ctx: RunContext, diff: Diff) -> None:
        """Make, move and import what the plan decided; always clean temporary files."""
        assert isinstance(diff, CertDiff)
        sessions = [ctx.session(h) for h in ctx.plan.hosts()]
        for session in sessions:
            cleanup_temp(session)
        if diff.only_cleanup:  # the files of an interrupted run were all there was to do
            return
        try:
            if ctx.plan.certificates.mode == "testroot":
                self._apply_testroot(ctx, diff)
            else:
                self._apply_private_ca(ctx, diff)
        finally:
            for session in sessions:
                try:
                    cleanup_temp(session)
                except HvreplError as exc:
                    log.warning("%s: could not remove temporary files: %s", session.name, exc)

    def _password(self, ctx: RunContext) -> str:
        if ctx.pfx_password is None:
            ctx.pfx_password = generate_password()
        return ctx.pfx_password.reveal()

    def _import_pfx(self, ctx: RunContext, session: HostSession, pfx: bytes) -> str:
        path = temp_path(".pfx")
        push_file(session, path, pfx)
        data = session.run(Script.build_with_stdin("cert_import_pfx", path=path), stdin=self._password(ctx) + "\n")
        return str(_list(data["thumbprints"])[0]).upper()

    def _import_root(self, session: HostSession, der: bytes) -> None:
        path = temp_path(".cer")
        push_file(session, path, der)
        session.run(Script.build("cert_import_root", path=path))

    def _apply_testroot(self, ctx: RunContext, diff: CertDiff) -> None:
        primary, replica = ctx.plan.hosts()
        on_primary = ctx.session(primary)
        on_replica = ctx.session(replica)
        if diff.new_cert[primary.name]:
            made = on_primary.call("cert_new_testroot", fqdn=primary.fqdn)
            ctx.thumbprints[primary.name] = str(made["thumbprint"]).upper()
        replica_tp = None
        if diff.new_cert[replica.name]:
            replica_tp = diff.staged.get(replica.name)
            if replica_tp is None:
                replica_tp = str(on_primary.call("cert_new_testroot", fqdn=replica.fqdn)["thumbprint"]).upper()
        on_primary.call("cert_trust_testroot", subject=TEST_ROOT_SUBJECT)
        if replica_tp is not None:
            exported = on_primary.run(Script.build_with_stdin("cert_export_pfx", path=temp_path(".pfx"),
                                                              thumbprint=replica_tp), stdin=self._password(ctx) + "\n")
            ctx.thumbprints[replica.name] = self._import_pfx(ctx, on_replica, base64.b64decode(exported["data"]))
        if diff.need_root[replica.name] or replica_tp is not None:
            cer = on_primary.call("cert_export_root", path=temp_path(".cer"), subject=TEST_ROOT_SUBJECT)
            self._import_root(on_replica, base64.b64decode(cer["data"]))
        # The replica's private key has no business staying on the primary.
        for thumbprint in ([replica_tp] if replica_tp is not None else []) + diff.leftovers:
            on_primary.call("cert_remove", thumbprint=thumbprint)

    def _apply_private_ca(self, ctx: RunContext, diff: CertDiff) -> None:
        hosts = ctx.plan.hosts()
        ca = PrivateCA(f"{hosts[0].name}-{hosts[1].name}", ctx.plan.certificates.validity_days)
        secret = ctx.pfx_password or generate_password()
        ctx.pfx_password = secret
        for h in hosts:
            self._import_root(ctx.session(h), ca.der())
        for h in hosts:
            if diff.new_cert[h.name]:
                issued = ca.issue(h.fqdn, secret)
                ctx.thumbprints[h.name] = self._import_pfx(ctx, ctx.session(h), issued.pfx)

    def verify(self, ctx: RunContext) -> None:
        """Look each chosen certificate up by thumbprint; key, EKUs and a trusted issuer on both hosts."""
        hosts: tuple[HostSpec, HostSpec] = ctx.plan.hosts()
        for h in hosts:
            tp = ctx.thumbprints.get(h.name)
            if tp is None:
                raise self.drift(f"no certificate was chosen for {h.name}")
            seen = ctx.session(h).call("cert_verify", thumbprint=tp)
            ekus = set(_list(seen["eku"]))
            if not seen["has_key"] or not {SERVER_AUTH, CLIENT_AUTH} <= ekus or int(seen["issuer_trusted"]) < 1:
                raise self.drift(f"certificate {tp} on {h.name} is not usable: {seen}")
