"""The remediation table: known Windows failure modes (HRESULT, FullyQualifiedErrorId) -> what to do."""

from __future__ import annotations

from dataclasses import dataclass

from hvrepl.errors import (
    AuthenticationError,
    ConnectError,
    HvreplError,
    PowerShellError,
    ProtocolError,
    StepError,
)


@dataclass(frozen=True)
class Remedy:
    """A known failure: its plain-words cause and its fix."""

    cause: str
    fix: str


BY_HRESULT: dict[str, Remedy] = {
    "0x800B0109": Remedy("untrusted root: the peer's certificate chains to a root not in Cert:\\LocalMachine\\Root",
                         "import the issuing root into LocalMachine\\Root on both hosts (`hvrepl run` does it)"),
    "0x800B010F": Remedy("name mismatch: the certificate's name is not the FQDN the host was reached by",
                         "make the certificate's CN/SAN equal the host FQDN; check the primary DNS suffix and hosts "
                         "entries (`hvrepl doctor`)"),
    "0x800B0101": Remedy("expired certificate", "rotate the certificates: `hvrepl run` renews them and updates the "
                                                "replica server and every VM"),
    "0x80092012": Remedy("revocation check failed: the certificate has no reachable CRL",
                         "set revocation_check: disable (DisableCertRevocationCheck = 1 on both hosts)"),
    "0x80092013": Remedy("revocation server offline", "set revocation_check: disable, or make the CRL reachable"),
    "0x800B010E": Remedy("revocation could not be checked", "set revocation_check: disable"),
    "0x800B010C": Remedy("the certificate was revoked", "issue new certificates (`hvrepl run` after removing them)"),
    "0x800B0110": Remedy("missing EKU: the certificate is not valid for client and server authentication",
                         "use certificates with both Client (1.3.6.1.5.5.7.3.2) and Server (1.3.6.1.5.5.7.3.1) "
                         "Authentication"),
    "0x800B0106": Remedy("missing EKU", "use certificates with both Client and Server Authentication"),
    "0x00002EE7": Remedy("the replica's name could not be resolved",
                         "add both FQDNs to the hosts files (`hvrepl run` does it)"),
    "0x00002EFD": Remedy("cannot connect to the replica's HTTPS listener",
                         "check the replica is powered on and reachable, then enable firewall rule "
                         "VIRT-HVRHTTPSL-In-TCP-NoScope and the replica server on the port"),
    "0x80070005": Remedy("the replica refused the primary: no authorization entry allows it",
                         "add an authorization entry for the primary on the replica "
                         "(New-VMReplicationAuthorizationEntry; `hvrepl run` does it)"),
    "0x80092010": Remedy("the certificate was revoked by its issuer",
                         "issue new certificates and select them (`hvrepl run` after removing the revoked ones)"),
    "0x00002EFE": Remedy("the connection was terminated abnormally (TLS/certificate rejected by the peer)",
                         "run `hvrepl doctor`: check trust, names, EKUs and the authorization entry"),
    "0x00002F8F": Remedy("TLS/certificate validation failure", "run `hvrepl doctor`"),
    "0x80070056": Remedy("PFX import failed: wrong password or an AES-256 protected PFX on Server 2016",
                         "protect the PFX with 3DES/SHA1 (private-ca mode does) and check the password"),
    "0x80090010": Remedy("access denied creating a machine certificate",
                         "connect as a local Administrator; for other admin accounts set "
                         "LocalAccountTokenFilterPolicy = 1"),
    "0x8007139F": Remedy("the VM or its replication is not in a state that allows this operation",
                         "check `hvrepl status`; to reverse, turn the VM off on the old primary (Stop-VM) first"),
    "0x80070057": Remedy("a parameter was rejected by Hyper-V", "check the plan values (frequency 30/300/900 …)"),
}


def remediation_for(error: BaseException) -> str | None:
    """The fix for a failure, when it is a known one."""
    if isinstance(error, StepError) and error.remediation:
        return error.remediation
    cause = error.__cause__ if isinstance(error, StepError) else error
    if isinstance(cause, AuthenticationError):
        return ("WinRM authentication failed: check the username/password source in the inventory; Basic needs "
                "a local account and HTTPS, NTLM uses the form HOST\\user")
    if isinstance(cause, ConnectError):
        return "cannot reach WinRM: check the URL, that WinRM listens (5986/5985) and the CA bundle"
    if isinstance(cause, ProtocolError):
        return "the host did not answer as Windows PowerShell 5.1 does; run with -v and check the output"
    if isinstance(cause, PowerShellError):
        remedy = BY_HRESULT.get(cause.hresult or "")
        if remedy is not None:
            return f"{remedy.cause}: {remedy.fix}"
        if cause.fqid and "NamedParameterNotFound" in cause.fqid:
            return "the host's PowerShell lacks a parameter hvrepl used: is it Windows Server 2016 or later?"
    return None


def describe(error: HvreplError) -> str:
    """One paragraph for the user: what failed, where, the Windows identifiers, and the fix."""
    lines = [str(error)]
    fqid = getattr(error, "fqid", None)
    hresult = getattr(error, "hresult", None)
    if fqid or hresult:
        lines.append("Windows error: " + ", ".join(p for p in (fqid and f"id {fqid}", hresult and f"HRESULT {hresult}")
                                                  if p))
    for event in getattr(error, "events", []):
        message = " ".join(str(event.get("message", "")).split())
        lines.append(f"Event {event.get('id')} on {event.get('host')} ({event.get('time', '')[:19]}): {message[:300]}")
    fix = remediation_for(error)
    if fix:
        lines.append(f"Fix: {fix}")
    return "\n".join(lines)
