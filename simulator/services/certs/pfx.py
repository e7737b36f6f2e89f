"""``Export-PfxCertificate`` and ``Import-PfxCertificate``: real PKCS#12 files, with Server 2016's limits.

Server 2016 (1607) has no ``-CryptoAlgorithmOption`` (added in Windows 10 1803) and cannot
import PFX files protected with AES-256/SHA-256 (PBES2): it reports "The specified network
password is not correct." — the trap the fact sheet §4.2 describes. 2019 and later accept them.
"""

from __future__ import annotations

import logging
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.serialization import PrivateFormat, pkcs12

from simulator.core.errors import NotModelledError, ParameterBindingError, SimError
from simulator.ps import api
from simulator.ps.objects import PSObject, SecureString
from simulator.services.certs import chain, store, support, views

log = logging.getLogger(__name__)

EXPORT, IMPORT = "ExportPfxCertificate", "ImportPfxCertificate"
# DER of the PBES2 OID 1.2.840.113549.1.5.13: present in a PFX whose keys or certificates are
# protected with PBES2 (AES), absent from legacy 3DES/RC2 PFX files.
PBES2_OID_DER = bytes.fromhex("06092a864886f70d01050d")
PFX_KDF_ROUNDS = 2000


def _password(inv: api.Invocation) -> bytes | None:
    secret = inv.get("Password")
    if secret is None:
        return None
    if isinstance(secret, SecureString):
        return secret.reveal().encode("utf-8")
    # Windows quotes the offending value here; the simulator never repeats a password in an error.
    raise ParameterBindingError(
        "Cannot bind parameter 'Password'. Cannot convert the \"****\" value of type \"System.String\" "
        "to type \"System.Security.SecureString\".",
        f"CannotConvertArgumentNoMessage,{support.PKI}.{EXPORT if inv.name.lower().startswith('export') else IMPORT}",
    )


def _encryption(inv: api.Invocation, password: bytes) -> Any:
    option = inv.get("CryptoAlgorithmOption", "TripleDES_SHA1")
    builder = PrivateFormat.PKCS12.encryption_builder().kdf_rounds(PFX_KDF_ROUNDS)
    if option == "AES256_SHA256":
        builder = builder.key_cert_algorithm(pkcs12.PBES.PBESv2SHA256AndAES256CBC).hmac_hash(hashes.SHA256())
    else:
        mac = hashes.SHA1()  # noqa: S303 - the legacy PFX MAC Windows Server 2016 needs
        builder = builder.key_cert_algorithm(pkcs12.PBES.PBESv1SHA1And3KeyTripleDESCBC).hmac_hash(mac)
    return builder.build(password)


@api.cmdlet(
    "Export-PfxCertificate",
    api.Param("Cert", "object", position=0, aliases=("PsPath",), from_pipeline=True, from_pipeline_by_property=True),
    api.Param("FilePath", position=1, mandatory=True),
    api.Param("Password", "securestring"),
    api.Param("ProtectTo", "string[]"),
    api.Param("ChainOption", validate_set=("BuildChain", "EndEntityCertOnly", "PfxDataOnly")),
    api.Param("NoProperties", "switch"),
    api.Param("NoClobber", "switch"),
    api.Param("Force", "switch"),
    api.Param("CryptoAlgorithmOption", validate_set=("TripleDES_SHA1", "AES256_SHA256")),
    api.Param("PFXData", "object"),
    summary="Write a certificate with its private key (and chain) to a password-protected PKCS#12 file.",
    not_modelled="-ProtectTo (needs a domain), -PFXData, -ChainOption PfxDataOnly.",
    mutates=True,
    area="certs",
)
def export_pfx_certificate(inv: api.Invocation) -> list[Any]:
    """Export ``-Cert`` to ``-FilePath`` as PKCS#12 (3DES/SHA1 by default) and output the FileInfo.

    Not modelled: -ProtectTo (group SIDs need Active Directory), -PFXData, -ChainOption PfxDataOnly.
    """
    if inv.has("CryptoAlgorithmOption") and inv.host.os_version == "2016":
        raise ParameterBindingError("A parameter cannot be found that matches parameter name 'CryptoAlgorithmOption'.",
                                    f"NamedParameterNotFound,{support.PKI}.{EXPORT}")
    if inv.has("ProtectTo"):
        raise NotModelledError("Export-PfxCertificate -ProtectTo (needs an Active Directory domain)")
    if inv.has("PFXData") or inv.get("ChainOption") == "PfxDataOnly":
        raise NotModelledError("Export-PfxCertificate -PFXData / -ChainOption PfxDataOnly")
    if not inv.has("Cert"):
        raise ParameterBindingError("Cannot process command because of one or more missing mandatory parameters: Cert.",
                                    f"MissingMandatoryParameter,{support.PKI}.{EXPORT}")
    password = _password(inv)
    if password is None:
        # ASSUMPTION: wording when neither -Password nor -ProtectTo is given.
        raise SimError("Either the Password or the ProtectTo parameter must be specified.",
                       f"System.ArgumentException,{support.PKI}.{EXPORT}", "InvalidArgument",
                       exception_type="System.ArgumentException")
    entries = support.certificates_from(inv, inv.get("Cert"), EXPORT)
    if len(entries) != 1:
        raise NotModelledError("Export-PfxCertificate of several certificates into one file")
    entry = entries[0]
    if entry.private_key is not None and not entry.exportable:
        raise SimError("Cannot export non-exportable private key.",
                       f"System.Security.Cryptography.CryptographicException,{support.PKI}.{EXPORT}",
                       "NotSpecified", hresult=0x8009000B,
                       exception_type="System.Security.Cryptography.CryptographicException")
    end_entity_only = inv.get("ChainOption") == "EndEntityCertOnly"
    issuers = [] if end_entity_only else chain.build_chain(inv.host, entry.certificate, entry.location)[1:]
    name = None if inv.get("NoProperties") or not entry.friendly_name else entry.friendly_name.encode("utf-8")
    data = pkcs12.serialize_key_and_certificates(name, entry.private_key, entry.certificate, issuers or None,
                                                 _encryption(inv, password))
    info = support.write_new_file(inv, inv.get("FilePath"), data, bool(inv.get("NoClobber")), EXPORT)
    log.info("exported %s (%d chain certificates) to %s", entry.thumbprint, len(issuers), info.get("FullName"))
    return [info]


def _bad_password() -> SimError:
    # ASSUMPTION: the ErrorRecord form (exception type, FQID) of this failure; the message and
    # HRESULT are what Windows shows for a wrong password and for AES-256 PFX files on 2016.
    return SimError("The specified network password is not correct.",
                    f"System.Security.Cryptography.CryptographicException,{support.PKI}.{IMPORT}",
                    "NotSpecified", hresult=0x80070056, exception_type="System.ComponentModel.Win32Exception")


def load_pfx(data: bytes, password: bytes | None, os_version: str) -> pkcs12.PKCS12KeyAndCertificates:
    """Parse a PFX as the host's CryptoAPI would (2016 refuses PBES2/AES), or raise its error."""
    if os_version == "2016" and PBES2_OID_DER in data:
        raise _bad_password()
    for attempt in ([password] if password is not None else [None, b""]):
        try:
            return pkcs12.load_pkcs12(data, attempt)
        except ValueError:
            continue
    raise _bad_password()


def _is_ca(cert: x509.Certificate) -> bool:
    if cert.issuer == cert.subject:
        return True
    try:
        return bool(cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca)
    except x509.ExtensionNotFound:
        return False


@api.cmdlet(
    "Import-PfxCertificate",
    api.Param("FilePath", position=0, mandatory=True, aliases=("FullName",), from_pipeline_by_property=True),
    api.Param("CertStoreLocation", position=1),
    api.Param("Password", "securestring"),
    api.Param("Exportable", "switch"),
    summary="Import the certificates and private key of a PKCS#12 file into a store.",
    not_modelled="-ProtectTo-protected files (domain), -Exportable:$false semantics beyond the flag, CurrentUser "
                 "key protection prompts.",
    mutates=True,
    area="certs",
)
def import_pfx_certificate(inv: api.Invocation) -> list[Any]:
    """Import a PFX: the certificate with the key into the target store, CA certificates into CA.

    Not modelled: PFX files protected to AD principals (-ProtectTo), strong key protection prompts.
    """
    location, target = support.store_location(inv, inv.get("CertStoreLocation"), IMPORT)
    absolute, data = support.read_file(inv, inv.get("FilePath"), IMPORT)
    loaded = load_pfx(data, _password(inv), inv.host.os_version)
    imported = []
    if loaded.cert is not None:
        friendly = loaded.cert.friendly_name.decode("utf-8", "replace") if loaded.cert.friendly_name else ""
        key = loaded.key
        if key is not None and not isinstance(key, store.PrivateKey):
            raise NotModelledError(f"PFX private keys of type {type(key).__name__}")
        imported.append(store.add_certificate(inv.host, loaded.cert.certificate, key, store=target, location=location,
                                              friendly_name=friendly, exportable=bool(inv.get("Exportable"))))
    for extra in loaded.additional_certs:
        # ASSUMPTION (fact sheet §10.10): next to a certificate with a key, chain certificates (CA or
        # self-signed) go to the CA store of the same location, never Root; otherwise to the target store.
        name = "CA" if loaded.cert is not None and _is_ca(extra.certificate) else target
        added = store.add_certificate(inv.host, extra.certificate, store=name, location=location)
        if name == target:
            imported.append(added)
    log.info("imported %s into %s\\%s", absolute, location, target)
    return [views.certificate_object(e, inv.host) for e in imported]


@api.cmdlet(
    "Get-PfxData",
    api.Param("FilePath", position=0, mandatory=True, aliases=("FullName",), from_pipeline_by_property=True),
    api.Param("Password", "securestring"),
    summary="Read the certificates of a PKCS#12 file without importing them.",
    not_modelled="-ProtectTo-protected files; the private key object (PfxData.Key) is not exposed.",
    area="certs",
)
def get_pfx_data(inv: api.Invocation) -> list[Any]:
    """Output a PfxData object: EndEntityCertificates (with a key) and OtherCertificates.

    Not modelled: files protected to AD principals; the certificates' private keys are not exposed.
    """
    _, data = support.read_file(inv, inv.get("FilePath"), "GetPfxData")
    loaded = load_pfx(data, _password(inv), inv.host.os_version)

    def detached(cert: x509.Certificate, has_key: bool) -> Any:
        entry = store.CertEntry(store.thumbprint_of(cert), cert, None, "", False, "", "", "")
        full = views.certificate_object(entry)
        props = {k: v for k, v in full.props.items() if not k.startswith("PS")}
        props["HasPrivateKey"] = has_key
        return PSObject(full.type_names, props, to_string=full.to_string, methods=full.methods,
                        default_display=full.default_display)

    end_entity = [detached(loaded.cert.certificate, loaded.key is not None)] if loaded.cert is not None else []
    others = [detached(c.certificate, False) for c in loaded.additional_certs]
    return [PSObject("Microsoft.CertificateServices.Commands.PfxData",
                     {"Password": inv.get("Password"), "EndEntityCertificates": end_entity,
                      "OtherCertificates": others}, default_display=["EndEntityCertificates", "OtherCertificates"])]
