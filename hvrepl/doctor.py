"""``hvrepl doctor``: every read-only check, each problem explained in plain words with its fix."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from hvrepl.errors import AuthenticationError, HvreplError
from hvrepl.events import recent_problems
from hvrepl.plan import HostSpec, Plan
from hvrepl.powershell import as_list
from hvrepl.remediation import remediation_for
from hvrepl.session import HostSession
from hvrepl.steps.certificates import certificate_problems, parse_time
from hvrepl.steps.firewall import RULE_NAME
from hvrepl.steps.hosts_file import HOSTS_PATH, parse_entries
from hvrepl.transfer import TEMP_FOLDER, TEMP_PATTERN


@dataclass(frozen=True)
class Finding:
    """One diagnosis."""

    host: str
    topic: str
    ok: bool
    explanation: str


def _identity(plan: Plan, host: str, data: dict[str, Any]) -> Finding:
    spec = next(h for h in plan.hosts() if h.name == host)
    active = f"{data['hostname']}.{data['domain']}".lower()
    if active == spec.fqdn:
        return Finding(host, "name", True, f"FQDN is {spec.fqdn}")
    pending = f"{data.get('nv_hostname') or data['hostname']}.{data.get('nv_domain') or ''}".lower()
    extra = " (already set, waiting for a restart)" if pending == spec.fqdn else ""
    return Finding(host, "name", False, f"name mismatch: the host is {active}, the plan and its certificate "
                   f"expect {spec.fqdn}{extra}. Run `hvrepl run --allow-reboot` or restart the host.")


def diagnose_host(plan: Plan, host: str, session: HostSession,
                  seen_certs: dict[str, dict[str, Any]] | None = None) -> list[Finding]:
    """All checks on one host; its certificate data is left in ``seen_certs`` for the cross-host trust check."""
    findings = [_identity(plan, host, session.call("identity_get"))]
    text = str(session.call("hosts_get", path=HOSTS_PATH)["text"] or "")
    entries = parse_entries(text)
    for h in plan.hosts():
        found = [a for a, names in entries if h.fqdn in names]
        ok = found == [h.address]
        findings.append(Finding(host, "hosts entry", ok, f"{h.fqdn} -> {found or 'missing'}" + (
            "" if ok else f": the hosts file must map {h.fqdn} to {h.address} once, or the peer's name cannot "
                          "be resolved (0x00002EE7)")))
    rule = session.call("firewall_get", rule=RULE_NAME)
    findings.append(Finding(host, "firewall", rule["enabled"] == "True",
                            f"rule {RULE_NAME} enabled: {rule['enabled']}" + (
                                "" if rule["enabled"] == "True" else
                                " — the replica listener is unreachable until it is enabled (0x00002EFD)")))
    revocation = session.call("revocation_get")["value"]
    if plan.revocation_check == "disable" or revocation != 1:
        findings.append(Finding(host, "revocation check", revocation == 1,
                                "DisableCertRevocationCheck = 1" if revocation == 1 else
                                "revocation check is on: test-root and private-CA certificates have no reachable "
                                "CRL, so replication fails with 0x80092012 or 0x80092013 — set "
                                "revocation_check: disable"))
    certs = session.call("certs_get", names=[h.fqdn for h in plan.hosts()],
                         thumbprints=list((plan.certificates.thumbprints or {}).values()),
                         temp_folder=TEMP_FOLDER, temp_pattern=TEMP_PATTERN)
    now = parse_time(str(certs["now"]))
    spec = next(h for h in plan.hosts() if h.name == host)
    mine = own_certificates(plan, spec, certs)
    if seen_certs is not None:
        seen_certs[host] = certs
    if not mine:
        findings.append(Finding(host, "certificate", False, f"no certificate for {spec.fqdn} in LocalMachine\\My"))
    for cert in mine:
        problems = certificate_problems(cert, spec.fqdn, now, plan.certificates.renew_within_days)
        if cert["issuer"] not in as_list(certs["root"]):
            problems.append(f"untrusted root: issuer {cert['issuer']} is not in LocalMachine\\Root (0x800B0109)")
        findings.append(Finding(host, "certificate", not problems,
                                f"{cert['thumbprint']} valid until {cert['not_after'][:10]}"
                                + ("" if not problems else ": " + "; ".join(problems))))
    findings.append(_pfx_import(host, as_list(certs.get("temp"))))
    return findings


def own_certificates(plan: Plan, spec: HostSpec, certs: dict[str, Any]) -> list[dict[str, Any]]:
    """The host's own certificates in its My store: naming its FQDN, or the thumbprint the plan gives."""
    given = (plan.certificates.thumbprints or {}).get(spec.name)
    return [c for c in as_list(certs["my"])
            if spec.fqdn in [str(n).lower() for n in as_list(c.get("dns"))] or c["thumbprint"] == given]


def diagnose_trust(plan: Plan, seen_certs: dict[str, dict[str, Any]]) -> list[Finding]:
    """Each host must trust the issuer of the peer's certificate, or the peer is refused (0x800B0109)."""
    out = []
    for spec in plan.hosts():
        peer = plan.peer_of(spec)
        if spec.name not in seen_certs or peer.name not in seen_certs:
            continue
        roots = as_list(seen_certs[peer.name]["root"])
        for cert in own_certificates(plan, spec, seen_certs[spec.name]):
            trusted = cert["issuer"] in roots
            out.append(Finding(peer.name, "root trust", trusted,
                               f"issuer {cert['issuer']} of {spec.name}'s certificate {cert['thumbprint']} is "
                               + ("in LocalMachine\\Root" if trusted else
                                  f"not in LocalMachine\\Root: untrusted root, {peer.name} refuses {spec.name}'s "
                                  "certificate (0x800B0109). Import the issuing root there (`hvrepl run` does it)")))
    return out


def _pfx_import(host: str, leftovers: list[Any]) -> Finding:
    """Temporary files of an interrupted certificate transfer (a PFX holds a private key)."""
    if not leftovers:
        return Finding(host, "PFX import", True,
                       f"no certificate transfer files left in {TEMP_FOLDER}; hvrepl protects PFX files with "
                       "3DES/SHA1, the form Server 2016 imports (an AES-256 PFX made elsewhere fails there with "
                       "'The specified network password is not correct.')")
    return Finding(host, "PFX import", False,
                   f"files of an interrupted certificate transfer are left in {TEMP_FOLDER}: "
                   f"{', '.join(map(str, leftovers))}; a .pfx among them holds a private key. `hvrepl run` "
                   "removes them and finishes the import (or delete them). If an import failed with 'The "
                   "specified network password is not correct.' on Server 2016, the PFX was AES-256 protected: "
                   "export it with 3DES/SHA1 (TripleDES-SHA1)")


def diagnose_checkpoints(plan: Plan, session: HostSession) -> list[Finding]:
    """VMs that cannot be enabled because of checkpoints."""
    data = session.call("vms_get", names=[vm.name for vm in plan.vms])
    out = []
    for vm in as_list(data["vms"]):
        if not vm.get("exists"):
            out.append(Finding(plan.primary.name, "vm", False, f"VM {vm['name']} does not exist"))
            continue
        points = as_list(vm.get("checkpoints"))
        blocked = bool(points) and vm["state"] == "Disabled"
        out.append(Finding(plan.primary.name, "checkpoints", not blocked,
                           f"VM {vm['name']}: {vm['state']}" + (
                               f"; has checkpoints {', '.join(map(str, points))}: delete or merge them before "
                               "replication can be enabled" if blocked else "")))
    return out


def diagnose_replication(plan: Plan, session: HostSession) -> list[Finding]:
    """State and health of every plan VM that replicates, with the newest VMMS errors when unhealthy."""
    seen = {str(v["name"]).lower(): v for v in as_list(session.call("replication_status")["vms"])}
    out = []
    for vm in plan.vms:
        item = seen.get(vm.name.lower())
        if item is None:
            continue  # not enabled yet: the checkpoints finding covers what blocks it
        healthy = item["state"] == "Replicating" and item["health"] == "Normal"
        text = f"VM {vm.name}: {item['state']}, health {item['health']}, last replication {item.get('last') or '-'}"
        if item["state"] == "InitialReplicationInProgress":
            # Not a fault: the first copy is still being sent (health shows Warning meanwhile).
            text += ("; the initial copy is still being sent — nothing to fix, check again with `hvrepl status` "
                     "(Measure-VMReplication shows the bytes sent so far)")
            healthy = True
        elif not healthy:
            events = recent_problems(session)
            text += "; " + ("; ".join(f"event {e['id']}: {' '.join(str(e['message']).split())[:200]}"
                                      for e in events) or "no VMMS errors logged")
        out.append(Finding(plan.primary.name, "replication", healthy, text))
    return out


def diagnose(plan: Plan, sessions: dict[str, HostSession]) -> list[Finding]:
    """Run every check on both hosts; connection problems become findings too."""
    findings: list[Finding] = []
    seen_certs: dict[str, dict[str, Any]] = {}
    for h in plan.hosts():
        try:
            findings += diagnose_host(plan, h.name, sessions[h.name], seen_certs)
            if h is plan.primary and plan.vms:
                findings += diagnose_checkpoints(plan, sessions[h.name])
                findings += diagnose_replication(plan, sessions[h.name])
        except AuthenticationError as exc:
            findings.append(Finding(h.name, "WinRM authentication", False,
                                    f"{exc}: {remediation_for(exc)}"))
        except HvreplError as exc:
            findings.append(Finding(h.name, "connection", False, f"{exc} {remediation_for(exc) or ''}".strip()))
    return findings + diagnose_trust(plan, seen_certs)
