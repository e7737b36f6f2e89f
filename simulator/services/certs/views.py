"""How certificates, stores and store locations look to a PowerShell script on Windows Server 2016.

A certificate becomes an ``X509Certificate2`` PSObject with the properties the Cert: provider and
the PKI cmdlets show (Thumbprint, Subject, DnsNameList, EnhancedKeyUsageList, PSPath …); its
``hidden`` data names the store it came from, so Export-PfxCertificate -Cert $c finds it again.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.x509.oid import ExtendedKeyUsageOID, ObjectIdentifier

from simulator.core.errors import NotModelledError
from simulator.ps.objects import PSHashtable, PSObject, enum_factory
from simulator.services.certs import store
from simulator.services.certs.issue import common_name, format_name

if TYPE_CHECKING:
    from simulator.core.host import Host

CERT_TYPE = "System.Security.Cryptography.X509Certificates.X509Certificate2"
PROVIDER_QUALIFIER = "Microsoft.PowerShell.Security\\Certificate::"

EKU_NAMES: dict[ObjectIdentifier, str] = {
    ExtendedKeyUsageOID.SERVER_AUTH: "Server Authentication",
    ExtendedKeyUsageOID.CLIENT_AUTH: "Client Authentication",
    ExtendedKeyUsageOID.CODE_SIGNING: "Code Signing",
    ExtendedKeyUsageOID.EMAIL_PROTECTION: "Secure Email",
    ExtendedKeyUsageOID.TIME_STAMPING: "Time Stamping",
    ExtendedKeyUsageOID.OCSP_SIGNING: "OCSP Signing",
    ObjectIdentifier("1.3.6.1.4.1.311.80.1"): "Document Encryption",
}
EXTENSION_NAMES = {
    "2.5.29.15": "Key Usage", "2.5.29.37": "Enhanced Key Usage", "2.5.29.17": "Subject Alternative Name",
    "2.5.29.19": "Basic Constraints", "2.5.29.14": "Subject Key Identifier",
    "2.5.29.35": "Authority Key Identifier", "2.5.29.31": "CRL Distribution Points",
}
SIGNATURE_NAMES = {
    "1.2.840.113549.1.1.11": "sha256RSA", "1.2.840.113549.1.1.12": "sha384RSA", "1.2.840.113549.1.1.13": "sha512RSA",
    "1.2.840.113549.1.1.5": "sha1RSA", "1.2.840.10045.4.3.2": "sha256ECDSA", "1.2.840.10045.4.3.3": "sha384ECDSA",
    "1.2.840.10045.4.3.4": "sha512ECDSA",
}
store_location_enum = enum_factory(
    "System.Security.Cryptography.X509Certificates.StoreLocation", {"CurrentUser": 1, "LocalMachine": 2}
)


def serial_text(cert: x509.Certificate) -> str:
    """``SerialNumber`` as .NET shows it: upper-case hex of the encoded integer's bytes."""
    number = cert.serial_number
    return number.to_bytes(number.bit_length() // 8 + 1, "big").hex().upper()


def _dotnet_date(moment: dt.datetime) -> str:
    """The en-US short form ``11/29/2026 6:45:00 PM`` that .NET uses in ToString()."""
    hour = moment.hour % 12 or 12
    return f"{moment.month}/{moment.day}/{moment.year} {hour}:{moment:%M:%S} {'PM' if moment.hour >= 12 else 'AM'}"


def _oid(oid: ObjectIdentifier, friendly: str) -> PSObject:
    return PSObject("System.Security.Cryptography.Oid", {"Value": oid.dotted_string, "FriendlyName": friendly},
                    to_string=oid.dotted_string)


def eku_objects(cert: x509.Certificate) -> list[PSObject]:
    """``EnhancedKeyUsageList``: FriendlyName + ObjectId, shown as ``Client Authentication (1.3.6.1.5.5.7.3.2)``."""
    usages = store.enhanced_key_usages(cert) or []
    objects = []
    for oid in usages:
        name = EKU_NAMES.get(oid, "")
        text = f"{name} ({oid.dotted_string})" if name else oid.dotted_string
        objects.append(PSObject("Microsoft.CertificateServices.Commands.EnhancedKeyUsageRepresentation",
                                {"FriendlyName": name, "ObjectId": oid.dotted_string}, to_string=text))
    return objects


def dns_name_objects(cert: x509.Certificate) -> list[PSObject]:
    """``DnsNameList``: the SAN DNS names, or the subject CN when there are none."""
    names = store.dns_names(cert) or ([common_name(cert.subject)] if common_name(cert.subject) else [])
    objects = []
    for name in names:
        try:
            unicode = name.encode("ascii").decode("idna") if "xn--" in name.lower() else name
        except UnicodeError:
            unicode = name
        objects.append(PSObject("Microsoft.CertificateServices.Commands.DnsNameRepresentation",
                                {"Punycode": name, "Unicode": unicode}, to_string=unicode))
    return objects


def _extensions(cert: x509.Certificate) -> list[PSObject]:
    result = []
    for ext in cert.extensions:
        dotted = ext.oid.dotted_string
        result.append(PSObject("System.Security.Cryptography.X509Certificates.X509Extension",
                               {"Critical": ext.critical, "Oid": _oid(ext.oid, EXTENSION_NAMES.get(dotted, ""))}))
    return result


def _to_string(cert: x509.Certificate, thumbprint: str) -> str:
    parts = [("Subject", format_name(cert.subject)), ("Issuer", format_name(cert.issuer)),
             ("Serial Number", serial_text(cert)), ("Not Before", _dotnet_date(cert.not_valid_before_utc)),
             ("Not After", _dotnet_date(cert.not_valid_after_utc)), ("Thumbprint", thumbprint)]
    return "".join(f"[{label}]\r\n  {value}\r\n\r\n" for label, value in parts)


def _not_modelled(what: str) -> Any:
    def method(*_args: Any) -> Any:
        raise NotModelledError(f"the X509Certificate2 method {what}")

    return method


def _verify(host: Host, cert: x509.Certificate) -> Any:
    def verify() -> bool:
        """X509Certificate2.Verify(): base chain policy with revocation checking, against the host's stores."""
        from simulator.services.certs import chain  # noqa: PLC0415 - chain imports nothing from views

        return chain.check_certificate(host, cert, now=host.clock.now()) is None

    return verify


def certificate_object(entry: store.CertEntry, host: Host | None = None) -> PSObject:
    """An ``X509Certificate2`` PSObject for a certificate held in a store (``host`` enables ``Verify()``)."""
    cert = entry.certificate
    der = cert.public_bytes(serialization.Encoding.DER)
    parent = f"{PROVIDER_QUALIFIER}{entry.location}\\{entry.store}"
    signature_oid = cert.signature_algorithm_oid
    props: dict[str, Any] = {
        "PSPath": f"{parent}\\{entry.thumbprint}",
        "PSParentPath": parent,
        "PSChildName": entry.thumbprint,
        "PSDrive": "Cert",
        "PSProvider": "Microsoft.PowerShell.Security\\Certificate",
        "PSIsContainer": False,
        "EnhancedKeyUsageList": eku_objects(cert),
        "DnsNameList": dns_name_objects(cert),
        "SendAsTrustedIssuer": False,
        "Archived": False,
        "Extensions": _extensions(cert),
        "FriendlyName": entry.friendly_name,
        "IssuerName": PSObject("System.Security.Cryptography.X509Certificates.X500DistinguishedName",
                               {"Name": format_name(cert.issuer)}, to_string=format_name(cert.issuer)),
        "NotAfter": cert.not_valid_after_utc,
        "NotBefore": cert.not_valid_before_utc,
        "HasPrivateKey": entry.has_private_key,
        "RawData": der,
        "SerialNumber": serial_text(cert),
        "SubjectName": PSObject("System.Security.Cryptography.X509Certificates.X500DistinguishedName",
                                {"Name": format_name(cert.subject)}, to_string=format_name(cert.subject)),
        "SignatureAlgorithm": _oid(signature_oid, SIGNATURE_NAMES.get(signature_oid.dotted_string, "")),
        "Thumbprint": entry.thumbprint,
        "Version": 3 if cert.version == x509.Version.v3 else 1,
        "Issuer": format_name(cert.issuer),
        "Subject": format_name(cert.subject),
    }
    methods = {
        "GetCertHashString": lambda: entry.thumbprint,
        "GetSerialNumberString": lambda: serial_text(cert),
        "GetRawCertData": lambda: der,
        "GetExpirationDateString": lambda: _dotnet_date(cert.not_valid_after_utc),
        "GetEffectiveDateString": lambda: _dotnet_date(cert.not_valid_before_utc),
        "Verify": _not_modelled("Verify() outside a store") if host is None else _verify(host, cert),
        "GetNameInfo": _not_modelled("GetNameInfo()"),
        "Export": _not_modelled("Export() (use Export-Certificate / Export-PfxCertificate)"),
    }
    return PSObject(
        [CERT_TYPE, "System.Security.Cryptography.X509Certificates.X509Certificate", "System.Object"],
        props,
        to_string=_to_string(cert, entry.thumbprint),
        methods=methods,
        default_display=["Thumbprint", "Subject"],
        hidden={"cert_store": (entry.location, entry.store), "thumbprint": entry.thumbprint},
    )


def store_object(location: str, name: str) -> PSObject:
    """An ``X509Store`` as ``Get-ChildItem Cert:\\LocalMachine`` lists it."""
    parent = f"{PROVIDER_QUALIFIER}{location}"
    return PSObject(
        "System.Security.Cryptography.X509Certificates.X509Store",
        {"PSPath": f"{parent}\\{name}", "PSParentPath": parent, "PSChildName": name, "PSIsContainer": True,
         "Name": name, "Location": store_location_enum(location)},
        to_string="System.Security.Cryptography.X509Certificates.X509Store",
        default_display=["Name"],
        hidden={"cert_store": (location, name)},
    )


def location_object(location: str) -> PSObject:
    """A store location (``Get-ChildItem Cert:\\``)."""
    return PSObject(
        "Microsoft.PowerShell.Commands.X509StoreLocation",
        {"PSPath": f"{PROVIDER_QUALIFIER}{location}", "PSParentPath": "", "PSChildName": location,
         "PSIsContainer": True, "Location": store_location_enum(location),
         "StoreNames": PSHashtable({name: True for name in store.STORE_NAMES})},
        to_string="Microsoft.PowerShell.Commands.X509StoreLocation",
        default_display=["Location", "StoreNames"],
        hidden={"cert_location": location},
    )
