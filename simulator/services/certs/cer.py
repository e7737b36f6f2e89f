"""``Export-Certificate`` and ``Import-Certificate``: public certificates as .cer (DER/Base64) and .p7b files.

The recipe exports the "CertReq Test Root" this way and imports it into the peer's Root store.
"""

from __future__ import annotations

import logging
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.serialization import pkcs7

from simulator.core.errors import NotModelledError, SimError
from simulator.ps import api
from simulator.services.certs import store, support, views

log = logging.getLogger(__name__)

EXPORT, IMPORT = "ExportCertificateCommand", "ImportCertificateCommand"


@api.cmdlet(
    "Export-Certificate",
    api.Param("Cert", "object", mandatory=True, from_pipeline=True, from_pipeline_by_property=True,
              aliases=("PsPath",)),
    api.Param("FilePath", mandatory=True),
    api.Param("Type", validate_set=("SST", "CERT", "P7B")),
    api.Param("NoClobber", "switch"),
    api.Param("Force", "switch"),
    summary="Write certificates (no private key) to a DER .cer or a .p7b file.",
    not_modelled="-Type SST (serialized store).",
    mutates=True,
    area="certs",
)
def export_certificate(inv: api.Invocation) -> list[Any]:
    """Export ``-Cert`` as DER (``-Type CERT``, the default for one certificate) or PKCS#7 (P7B).

    Not modelled: -Type SST (Microsoft serialized store format).
    """
    entries = support.certificates_from(inv, inv.get("Cert"), EXPORT)
    kind = inv.get("Type") or ("CERT" if len(entries) == 1 else "SST")
    if kind == "SST":
        raise NotModelledError("Export-Certificate -Type SST")
    if kind == "CERT":
        if len(entries) != 1:
            raise SimError("The CERT type can only export one certificate.",
                           f"System.ArgumentException,{support.PKI}.{EXPORT}", "InvalidArgument",
                           exception_type="System.ArgumentException")
        data = entries[0].certificate.public_bytes(serialization.Encoding.DER)
    else:
        data = pkcs7.serialize_certificates([e.certificate for e in entries], serialization.Encoding.DER)
    info = support.write_new_file(inv, inv.get("FilePath"), data, bool(inv.get("NoClobber")), EXPORT)
    log.info("exported %d certificate(s) to %s", len(entries), info.get("FullName"))
    return [info]


def parse_certificates(data: bytes) -> list[x509.Certificate]:
    """Certificates in a .cer (DER or Base64/PEM) or .p7b (DER or PEM) file.

    Raises:
        ValueError: when the data is none of these.
    """
    stripped = data.strip()
    if stripped.startswith(b"-----BEGIN PKCS7"):
        return pkcs7.load_pem_pkcs7_certificates(stripped)
    if stripped.startswith(b"-----BEGIN"):
        return x509.load_pem_x509_certificates(stripped)
    try:
        return [x509.load_der_x509_certificate(data)]
    except ValueError:
        return pkcs7.load_der_pkcs7_certificates(data)


@api.cmdlet(
    "Import-Certificate",
    api.Param("FilePath", position=0, mandatory=True, aliases=("FullName",), from_pipeline_by_property=True),
    api.Param("CertStoreLocation"),
    summary="Import the certificates of a .cer or .p7b file into a store.",
    not_modelled=".sst files.",
    mutates=True,
    area="certs",
)
def import_certificate(inv: api.Invocation) -> list[Any]:
    """Import every certificate of the file into ``-CertStoreLocation`` (default: current location).

    Not modelled: .sst (serialized store) files.
    """
    location, target = support.store_location(inv, inv.get("CertStoreLocation"), IMPORT)
    absolute, data = support.read_file(inv, inv.get("FilePath"), IMPORT)
    try:
        certificates = parse_certificates(data)
    except ValueError as exc:
        # ASSUMPTION: CryptoAPI's CRYPT_E_NO_MATCH for a file that holds no certificate.
        raise SimError("Cannot find the requested object. 0x80092009 (-2146885623 CRYPT_E_NO_MATCH)",
                       f"System.Exception,{support.PKI}.{IMPORT}", "NotSpecified", hresult=0x80092009,
                       target=absolute) from exc
    added = [store.add_certificate(inv.host, cert, store=target, location=location) for cert in certificates]
    log.info("imported %d certificate(s) from %s into %s\\%s", len(added), absolute, location, target)
    return [views.certificate_object(e, inv.host) for e in added]
