"""The Windows codes, texts and events of replication-transport failures, in one table.

Every way a primary can fail to reach or authenticate a replica server is a :class:`Failure`
(HRESULT, reason text as FormatMessage gives it, Hyper-V-VMMS-Admin event id). Raising it gives a
:class:`ReplicationConnectionError` (a :class:`~simulator.core.errors.SimError`) whose message has
the HRESULT in it, the way Hyper-V writes it: ``... (0x800B0109).``. Hyper-V cmdlets (helper E) may
catch it and rewrap ``error.reason``/``error.hresult`` in their own cmdlet text ("Hyper-V failed to
enable replication for virtual machine 'X': <reason> (0x...)").

WinHTTP errors are written as Hyper-V shows them in its documented messages, ``0x00002EE7``
(the plain Win32 code), not the ``0x80072EE7`` HRESULT_FROM_WIN32 form (fact sheet §5.1: "The server
name or address could not be resolved (0x00002EE7)").
"""

from __future__ import annotations

from dataclasses import dataclass

from simulator.core.errors import SimError

EVENT_LOG = "Microsoft-Windows-Hyper-V-VMMS-Admin"
FQID_PREFIX = "Microsoft.HyperV.PowerShell"

# ASSUMPTION (fact sheet §10.1): event ids for certificate/transport failures are not documented.
# 29210 is the Kerberos "failed to authenticate the Replica server" event; its certificate analogue is
# taken to be 29212. The other ids are picked from the replica range and marked as assumptions.
EVENT_REPLICA_AUTH_FAILED = 29212  # primary: the replica server's certificate failed a check
EVENT_CONNECT_FAILED = 29216  # ASSUMPTION: primary: name not resolved / cannot connect / aborted
EVENT_PRIMARY_AUTH_FAILED = 29230  # ASSUMPTION: replica: the primary's certificate failed a check
EVENT_NOT_AUTHORIZED = 29232  # ASSUMPTION: replica: no authorization entry matches the primary


@dataclass(frozen=True)
class Failure:
    """One failure kind: its HRESULT, the reason text and whether it is a certificate problem."""

    symbol: str
    hresult: int
    reason: str
    certificate: bool = False


UNTRUSTED_ROOT = Failure(
    "CERT_E_UNTRUSTEDROOT",
    0x800B0109,
    "A certificate chain processed, but terminated in a root certificate which is not trusted by the trust "
    "provider.",
    certificate=True,
)
# ASSUMPTION: when no issuer can be found at all (the peer's root is in neither store) Windows reports
# CERT_E_CHAINING; the usual replica case (a test root sent by the peer but not in Root) is UNTRUSTEDROOT.
CHAINING = Failure(
    "CERT_E_CHAINING",
    0x800B010A,
    "A certificate chain could not be built to a trusted root authority.",
    certificate=True,
)
# ASSUMPTION (fact sheet §10.2): a missing Client/Server Authentication EKU gives CERT_E_WRONG_USAGE.
WRONG_USAGE = Failure(
    "CERT_E_WRONG_USAGE", 0x800B0110, "The certificate is not valid for the requested usage.", certificate=True
)
CN_NO_MATCH = Failure(
    "CERT_E_CN_NO_MATCH", 0x800B010F, "The certificate's CN name does not match the passed value.", certificate=True
)
EXPIRED = Failure(
    "CERT_E_EXPIRED",
    0x800B0101,
    "A required certificate is not within its validity period when verifying against the current system clock "
    "or the timestamp in the signed file.",
    certificate=True,
)
# Fact sheet §5.2: a certificate without any CRL distribution point (New-SelfSignedCertificate, -TestRoot)
# cannot be checked at all -> CRYPT_E_NO_REVOCATION_CHECK; one whose CDP cannot be reached -> OFFLINE.
# (Same split as the certs subsystem's Test-Certificate.)
NO_REVOCATION_CHECK = Failure(
    "CRYPT_E_NO_REVOCATION_CHECK",
    0x80092012,
    "The revocation function was unable to check revocation for the certificate.",
    certificate=True,
)
REVOCATION_OFFLINE = Failure(
    "CRYPT_E_REVOCATION_OFFLINE",
    0x80092013,
    "The revocation function was unable to check revocation because the revocation server was offline.",
    certificate=True,
)
REVOKED = Failure("CRYPT_E_REVOKED", 0x80092010, "The certificate is revoked.", certificate=True)
NO_CERTIFICATE = Failure(
    "CRYPT_E_NOT_FOUND",
    0x80092004,
    "Cannot find object or property. The certificate with the specified thumbprint was not found in the "
    "local computer's Personal certificate store, or it has no private key.",
    certificate=True,
)
NAME_NOT_RESOLVED = Failure(
    "ERROR_WINHTTP_NAME_NOT_RESOLVED", 0x00002EE7, "The server name or address could not be resolved"
)
# ASSUMPTION (fact sheet §10.2): a closed port / listener down / no route is WinHTTP 12029.
CANNOT_CONNECT = Failure(
    "ERROR_WINHTTP_CANNOT_CONNECT", 0x00002EFD, "A connection with the server could not be established"
)
# The TLS handshake itself failed (e.g. a key usage OpenSSL will not sign or verify with).
SECURE_FAILURE = Failure(
    "ERROR_WINHTTP_SECURE_FAILURE", 0x00002F8F,
    "A security error occurred (the TLS handshake with the server failed)",
)
CONNECTION_ABORTED = Failure(
    "ERROR_WINHTTP_CONNECTION_ERROR", 0x00002EFE, "The connection with the server was terminated abnormally"
)
# ASSUMPTION (fact sheet §10.2): the text and code of an authorization refusal are not documented.
NOT_AUTHORIZED = Failure(
    "E_ACCESSDENIED",
    0x80070005,
    "The Replica server is not authorized to accept replication from this primary server. Add an authorization "
    "entry for the primary server on the Replica server or allow replication from any server",
)

BY_SYMBOL = {f.symbol: f for f in (UNTRUSTED_ROOT, CHAINING, WRONG_USAGE, CN_NO_MATCH, EXPIRED, REVOCATION_OFFLINE,
                                   NO_REVOCATION_CHECK, REVOKED, NO_CERTIFICATE, NAME_NOT_RESOLVED, CANNOT_CONNECT,
                                   CONNECTION_ABORTED, NOT_AUTHORIZED, SECURE_FAILURE)}


# ASSUMPTION: when the replica refuses the primary (its certificate or authorization), the primary's
# cmdlet reports the replica's code, with text saying the replica did the refusing.


class ReplicationConnectionError(SimError):
    """A primary could not reach or authenticate a replica server (raised by ``connect``/``Channel.call``).

    Attributes:
        failure: which :class:`Failure` it is.
        reason: the Windows reason text without the HRESULT (for cmdlet-specific wrapping).
        server: the replica server name that was dialled.
        detected_by: ``"primary"`` or ``"replica"``, the side that found the problem.
        detail: the simulator's diagnosis (e.g. "nothing listens on TCP 8443"), logged, never in the message.
    """

    def __init__(self, failure: Failure, server: str, detected_by: str, detail: str = "") -> None:
        hex_code = f"0x{failure.hresult:08X}"
        if failure.certificate and detected_by == "primary":
            lead = (f"Hyper-V failed to authenticate the Replica server '{server}' using certificate-based "
                    "authentication.")
        elif failure.certificate:
            lead = (f"The Replica server '{server}' failed to authenticate this primary server using "
                    "certificate-based authentication.")
        else:
            lead = f"Hyper-V failed to connect to the Replica server '{server}'."
        # The simulator's own diagnosis (which check, which port) stays out of the Windows text; see ``detail``.
        message = f"{lead} Error: {failure.reason} ({hex_code})."
        super().__init__(
            message,
            f"{failure.symbol},{FQID_PREFIX}.Replication",
            "AuthenticationError" if failure.certificate or failure is NOT_AUTHORIZED else "ConnectionError",
            hresult=failure.hresult,
            target=server,
            exception_type="Microsoft.HyperV.PowerShell.VirtualizationException",
            terminating=True,
        )
        self.failure = failure
        self.reason = failure.reason
        self.server = server
        self.detected_by = detected_by
        self.detail = detail


def failure_event_id(failure: Failure, detected_by: str) -> int:
    """The Hyper-V-VMMS-Admin event id logged on the host that detected ``failure``."""
    if detected_by == "replica":
        return EVENT_NOT_AUTHORIZED if failure is NOT_AUTHORIZED else EVENT_PRIMARY_AUTH_FAILED
    return EVENT_REPLICA_AUTH_FAILED if failure.certificate else EVENT_CONNECT_FAILED
