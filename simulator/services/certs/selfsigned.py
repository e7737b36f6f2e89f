"""``New-SelfSignedCertificate`` of the Windows Server 2016 PKI module, including ``-TestRoot``.

Turns the cmdlet's parameters into a :class:`~simulator.services.certs.issue.CertRequest`, signs
it (itself, with ``-Signer``, or with the machine's "CertReq Test Root") and stores the result with
its key in ``Cert:\\LocalMachine\\My`` or ``Cert:\\CurrentUser\\My``.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from cryptography.x509.oid import ExtendedKeyUsageOID, ObjectIdentifier

from simulator.core.errors import NotModelledError, ParameterBindingError, SimError
from simulator.ps import api
from simulator.services.certs import issue, store, support, views

log = logging.getLogger(__name__)

COMMAND = "NewSelfSignedCertificateCommand"
FQID_SUFFIX = f"{support.PKI}.{COMMAND}"
TYPES = ("Custom", "CodeSigningCert", "DocumentEncryptionCert", "SSLServerAuthentication",
         "DocumentEncryptionCertLegacyCsp")
DOCUMENT_ENCRYPTION = ObjectIdentifier("1.3.6.1.4.1.311.80.1")
# ASSUMPTION (fact sheet §4.1, §10.7): the default type's EKUs are Client + Server Authentication,
# in that order, as third-party output shows.
TYPE_EKUS: dict[str, list[ObjectIdentifier] | None] = {
    "SSLServerAuthentication": [ExtendedKeyUsageOID.CLIENT_AUTH, ExtendedKeyUsageOID.SERVER_AUTH],
    "CodeSigningCert": [ExtendedKeyUsageOID.CODE_SIGNING],
    "DocumentEncryptionCert": [DOCUMENT_ENCRYPTION],
    "Custom": None,
}
# ASSUMPTION (fact sheet §10.8): the parameter metadata's default DigitalSignature,KeyEncipherment
# is taken as the actual default (the help's prose says None).
TYPE_KEY_USAGE = {
    "SSLServerAuthentication": ["DigitalSignature", "KeyEncipherment"],
    "CodeSigningCert": ["DigitalSignature"],
    "DocumentEncryptionCert": ["KeyEncipherment", "DataEncipherment"],
    "Custom": ["DigitalSignature", "KeyEncipherment"],
}
EXT_EKU, EXT_SAN, EXT_BASIC = "2.5.29.37", "2.5.29.17", "2.5.29.19"


def _error(message: str, fqid: str, category: str = "InvalidArgument", hresult: int | None = None) -> SimError:
    return SimError(message, f"{fqid},{FQID_SUFFIX}", category, hresult=hresult,
                    exception_type="System.ArgumentException" if hresult is None else "System.Exception")


def _one_year_later(moment: dt.datetime) -> dt.datetime:
    try:
        return moment.replace(year=moment.year + 1)
    except ValueError:  # 29 February
        return moment.replace(year=moment.year + 1, day=28)


def apply_text_extension(request: issue.CertRequest, text: str) -> None:
    """Apply one ``-TextExtension`` (``2.5.29.37={text}oid,oid``, SAN, Basic Constraints)."""
    try:
        _apply_text_extension(request, text)
    except ValueError as exc:  # a malformed OID or number inside the value
        raise _error(issue.INVALID_PARAMETER, "System.Exception", "NotSpecified", hresult=0x80070057) from exc


def _apply_text_extension(request: issue.CertRequest, text: str) -> None:
    oid, sep, value = text.partition("=")
    if not sep:
        raise _error(f"The text extension '{text}' is not valid.", "InvalidTextExtension")
    if "{critical}" in value.lower():
        request.critical.add(oid.strip())
        start = value.lower().index("{critical}")
        value = value[:start] + value[start + len("{critical}"):]
    if not value.lower().startswith("{text}"):
        raise NotModelledError(f"New-SelfSignedCertificate -TextExtension in a form other than {{text}}: {text!r}")
    value = value[len("{text}"):]
    oid = oid.strip()
    if oid == EXT_EKU:
        request.ekus = [ObjectIdentifier(o.strip()) for o in value.split(",") if o.strip()]
        if not request.ekus:
            # ASSUMPTION: CertEnroll refuses an empty EKU list as an invalid parameter (0x80070057),
            # as it refuses other malformed values; an empty EKU extension is not valid DER.
            msg = "an Enhanced Key Usage text extension needs at least one OID"
            raise ValueError(msg)
    elif oid == EXT_SAN:
        # ASSUMPTION: a SAN text extension replaces the names taken from -DnsName.
        request.dns_names, request.ip_addresses = [], []
        for part in value.split("&"):
            kind, _, name = part.partition("=")
            if kind.strip().lower() == "dns":
                request.dns_names.append(name.strip())
            elif kind.strip().lower() in ("ipaddress", "ip"):
                request.ip_addresses.append(name.strip())
            else:
                raise NotModelledError(f"New-SelfSignedCertificate SAN entry of kind {kind.strip()!r}")
    elif oid == EXT_BASIC:
        settings = {k.strip().lower(): v.strip().lower() for k, _, v in (p.partition("=") for p in value.split("&"))}
        request.ca = settings.get("ca", "false") in ("true", "1")
        if "pathlength" in settings:
            request.path_length = int(settings["pathlength"])
    else:
        raise NotModelledError(f"New-SelfSignedCertificate -TextExtension with OID {oid}")


def _target_store(inv: api.Invocation) -> str:
    path = inv.get("CertStoreLocation")
    if path is None:
        location = inv.session.location
        if not location.lower().startswith("cert:"):
            # ASSUMPTION: wording when no store is given and the current location is not Cert:.
            raise _error("The CertStoreLocation parameter must be specified when the current location is "
                         "not a certificate store.", "CertStoreLocationRequired")
        path = location
    from simulator.services.certs import provider  # noqa: PLC0415 - avoid a cycle at import time

    parts = provider.split_path(path)
    if len(parts) in (1, 2) and parts[0] in store.LOCATIONS and (len(parts) == 1 or parts[1] == "My"):
        return parts[0]
    raise _error("A new certificate can only be installed into MY store.", "System.ArgumentException")


def _signer(inv: api.Invocation, location: str) -> tuple[Any, store.PrivateKey] | None:
    if inv.get("TestRoot"):
        if inv.has("Signer"):
            raise ParameterBindingError("Parameter set cannot be resolved using the specified named parameters.",
                                        f"AmbiguousParameterSet,{FQID_SUFFIX}")
        root_cert, root_key = issue.machine_test_root(inv.host)
        store.add_certificate(inv.host, root_cert, store="CA", location=location)
        return root_cert, root_key
    if not inv.has("Signer"):
        return None
    entries = support.certificates_from(inv, inv.get("Signer"), COMMAND)
    if len(entries) != 1:
        raise _error("The Signer parameter must name exactly one certificate.", "InvalidSigner")
    if entries[0].private_key is None:
        # ASSUMPTION: CertEnroll's error for a signer without a key (NTE_BAD_KEYSET).
        raise _error("CertEnroll::CSignerCertificate::Initialize: Keyset does not exist 0x80090016 "
                     "(-2146893802 NTE_BAD_KEYSET)", "System.Exception", "NotSpecified", hresult=0x80090016)
    return entries[0].certificate, entries[0].private_key


def build_request(inv: api.Invocation, now: dt.datetime) -> issue.CertRequest:
    """The certificate New-SelfSignedCertificate would make from these parameters."""
    if inv.has("CloneCert"):
        raise NotModelledError("New-SelfSignedCertificate -CloneCert")
    cert_type = inv.get("Type", "SSLServerAuthentication")
    if cert_type == "DocumentEncryptionCertLegacyCsp":
        raise NotModelledError("New-SelfSignedCertificate -Type DocumentEncryptionCertLegacyCsp")
    dns_names = [n for n in inv.get("DnsName", []) if n]
    subject_text = inv.get("Subject") or (dns_names[0] if dns_names else None)
    if not subject_text:
        # ASSUMPTION: wording when neither -Subject nor -DnsName is given.
        raise _error("Either the Subject or the DnsName parameter must be specified.", "SubjectRequired")
    try:
        subject = issue.parse_subject(subject_text)
    except issue.RequestError as exc:
        raise _error(str(exc), "System.Exception", "NotSpecified", hresult=0x80092023) from exc
    not_before = inv.get("NotBefore") or now - dt.timedelta(minutes=10)
    usage = inv.get("KeyUsage")
    if usage is not None and len(usage) > 1 and "None" in usage:
        raise _error("The KeyUsage None cannot be combined with other key usages.", "InvalidKeyUsage")
    hash_name = str(inv.get("HashAlgorithm", "SHA256")).upper()
    if hash_name in ("SHA1", "MD5"):
        raise NotModelledError(f"New-SelfSignedCertificate -HashAlgorithm {hash_name} (weak signatures)")
    if hash_name not in issue.HASHES:
        raise _error(f"The hash algorithm '{inv.get('HashAlgorithm')}' is not supported.", "InvalidHashAlgorithm")
    request = issue.CertRequest(
        subject=subject,
        not_before=not_before,
        not_after=inv.get("NotAfter") or _one_year_later(now),
        dns_names=dns_names,
        key_algorithm=inv.get("KeyAlgorithm", "RSA"),
        key_length=inv.get("KeyLength", 2048),
        hash_algorithm=hash_name,
        key_usage=TYPE_KEY_USAGE[cert_type] if usage is None else [u for u in usage if u != "None"],
        ekus=TYPE_EKUS[cert_type],
    )
    if inv.has("SerialNumber"):
        try:
            request.serial = int(str(inv.get("SerialNumber")).replace(" ", ""), 16)
        except ValueError:
            request.serial = -1
        if not 0 < request.serial < 1 << 159:
            raise _error(f"The serial number '{inv.get('SerialNumber')}' is not valid.", "InvalidSerial")
    for text in inv.get("TextExtension", []):
        apply_text_extension(request, text)
    try:
        issue.check_request(request)
    except issue.RequestError as exc:
        # ASSUMPTION: CertEnroll's wording for these refusals is not documented.
        raise _error(str(exc), "System.Exception", "NotSpecified", hresult=0x80070057) from exc
    return request


KEY_USAGE_VALUES = ("None", *issue.KEY_USAGE_FLAGS)


@api.cmdlet(
    "New-SelfSignedCertificate",
    api.Param("DnsName", "string[]"),
    api.Param("Subject"),
    api.Param("CertStoreLocation"),
    api.Param("TestRoot", "switch"),
    api.Param("Signer", "object"),
    api.Param("NotAfter", "datetime"),
    api.Param("NotBefore", "datetime"),
    api.Param("KeyUsage", "string[]", validate_set=KEY_USAGE_VALUES),
    api.Param("TextExtension", "string[]"),
    api.Param("Type", validate_set=TYPES),
    api.Param("KeyExportPolicy", "string[]", validate_set=("NonExportable", "ExportableEncrypted", "Exportable")),
    api.Param("KeyAlgorithm"),
    api.Param("KeyLength", "int"),
    api.Param("HashAlgorithm"),
    api.Param("FriendlyName"),
    api.Param("Provider"),
    api.Param("KeySpec", validate_set=("None", "KeyExchange", "Signature")),
    api.Param("SerialNumber"),
    api.Param("CloneCert", "object"),
    summary="Create a certificate (self-signed, -Signer or -TestRoot) with its key in a My store.",
    not_modelled="-CloneCert, -Container, -KeyProtection, -SmimeCapabilities, -AlternateSignatureAlgorithm, "
                 "-Pin, -Reader, -SecurityDescriptor, -SignerPin, -SignerReader, -KeyDescription, "
                 "-KeyFriendlyName, -KeyLocation, -KeyUsageProperty, -ExistingKey, -SuppressOid, -Extension, "
                 "SHA1/MD5 signatures, "
                 "DocumentEncryptionCertLegacyCsp, non-elevated sessions (NTE_PERM).",
    mutates=True,
    area="certs",
)
def new_self_signed_certificate(inv: api.Invocation) -> list[Any]:
    """Create a certificate and its key in ``<CertStoreLocation>`` and output it.

    Not modelled: -CloneCert, smart-card and key-protection parameters, SHA-1 signatures, and
    the NTE_PERM refusal for non-elevated sessions (every session is an administrator).
    """
    location = _target_store(inv)
    now = inv.host.clock.now()
    request = build_request(inv, now)
    try:
        key = issue.new_key(request.key_algorithm, request.key_length)
    except issue.RequestError as exc:
        raise _error(str(exc), "InvalidKeyParameters") from exc
    signer = _signer(inv, location)
    try:
        cert, key = issue.issue(request, signer, key)
    except issue.RequestError as exc:
        raise _error(str(exc), "System.Exception", "NotSpecified", hresult=0x80070057) from exc
    policy = inv.get("KeyExportPolicy", ["ExportableEncrypted"])
    entry = store.add_certificate(
        inv.host, cert, key, store="My", location=location,
        friendly_name=inv.get("FriendlyName", ""),
        exportable=any(p in ("Exportable", "ExportableEncrypted") for p in policy),
        key_provider=inv.get("Provider", store.DEFAULT_KEY_PROVIDER),
    )
    log.info("New-SelfSignedCertificate made %s (%s) in %s\\My", entry.thumbprint,
             issue.format_name(cert.subject), location)
    return [views.certificate_object(entry, inv.host)]
