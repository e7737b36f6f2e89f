"""``Test-Certificate``: chain, validity, usage, name and revocation of a certificate as this host sees them.

Revocation is checked by default, so a New-SelfSignedCertificate certificate (no CRL distribution
point) fails here exactly as it fails Hyper-V Replica until revocation checking is turned off.
"""

from __future__ import annotations

from typing import Any

from cryptography.x509.oid import ObjectIdentifier

from simulator.core.errors import NotModelledError, SimError
from simulator.ps import api
from simulator.services.certs import chain, support

COMMAND = "TestCertificateCommand"
CHAIN_STATUS = {
    "CERT_E_UNTRUSTEDROOT": ["CERT_TRUST_IS_UNTRUSTED_ROOT"],
    "CERT_E_CHAINING": ["CERT_TRUST_IS_PARTIAL_CHAIN"],
    "CERT_E_EXPIRED": ["CERT_TRUST_IS_NOT_TIME_VALID"],
    "CERT_E_WRONG_USAGE": ["CERT_TRUST_IS_NOT_VALID_FOR_USAGE"],
    "CRYPT_E_REVOKED": ["CERT_TRUST_IS_REVOKED"],
    "CRYPT_E_NO_REVOCATION_CHECK": ["CERT_TRUST_REVOCATION_STATUS_UNKNOWN"],
    "CRYPT_E_REVOCATION_OFFLINE": ["CERT_TRUST_REVOCATION_STATUS_UNKNOWN", "CERT_TRUST_IS_OFFLINE_REVOCATION"],
}


@api.cmdlet(
    "Test-Certificate",
    api.Param("Cert", "object", position=0, mandatory=True, from_pipeline=True),
    api.Param("Policy", validate_set=("BASE", "SSL", "AUTHENTICODE", "NTAUTH")),
    api.Param("DNSName"),
    api.Param("EKU", "string[]"),
    api.Param("AllowUntrustedRoot", "switch"),
    api.Param("User", "switch"),
    summary="Verify a certificate's chain, validity, EKUs, DNS name and revocation; outputs True/False.",
    not_modelled="-Policy AUTHENTICODE/NTAUTH, -URLRetrievalTimeout, OCSP.",
    area="certs",
)
def test_certificate(inv: api.Invocation) -> list[Any]:
    """Output True when the certificate passes; otherwise a warning (chain status), an error, and False.

    Not modelled: the AUTHENTICODE and NTAUTH policies, -URLRetrievalTimeout, OCSP responders.
    """
    policy = inv.get("Policy", "BASE")
    if policy in ("AUTHENTICODE", "NTAUTH"):
        raise NotModelledError(f"Test-Certificate -Policy {policy}")
    results: list[Any] = []
    for entry in support.certificates_from(inv, inv.get("Cert"), COMMAND):
        failure = chain.check_certificate(
            inv.host, entry.certificate, now=inv.host.clock.now(),
            location="CurrentUser" if inv.get("User") else "LocalMachine",
            allow_untrusted_root=bool(inv.get("AllowUntrustedRoot")),
            ekus=tuple(ObjectIdentifier(oid) for oid in inv.get("EKU", [])),
            dns_name=inv.get("DNSName"),
        )
        if failure is None:
            results.append(True)
            continue
        statuses = CHAIN_STATUS.get(failure.symbol)
        if statuses:
            inv.session.write_warning("Chain status:\n" + "\n".join(f"\t{s}" for s in statuses))
        inv.write_error(SimError(failure.text(), f"System.Security.Cryptography.CryptographicException,"
                                 f"{support.PKI}.{COMMAND}", "NotSpecified", hresult=failure.hresult,
                                 exception_type="System.Security.Cryptography.CryptographicException",
                                 target=entry.thumbprint))
        results.append(False)
    return results
