"""Certificates made outside the hosts (as an administrator's own CA would), carried in through pywinrm.

Used where New-SelfSignedCertificate cannot make what a failure mode needs: a certificate with a CRL
distribution point inside the lab (``http://crl.lab/…``), so a revocation can be checked and found, or
one outside it (never dialled: the lab treats every other CDP as unreachable).
The PFX uses the legacy 3DES/SHA1 protection that Server 2016 can import.
"""

from __future__ import annotations

import base64
import datetime as dt

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from tests.acceptance4.lab import Lab

LAB_CRL = "http://crl.lab/acceptance4.crl"
PFX_PASSWORD = "Acc4-pfx-pw"  # a throwaway test password for a throwaway key


def _name(cn: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def ca_and_leaf(fqdn: str, crl_url: str = LAB_CRL) -> tuple[bytes, bytes, str, str]:
    """(root DER, leaf PFX, root thumbprint, leaf thumbprint): a CA and a host certificate whose CDP is ``crl_url``."""
    now = dt.datetime.now(dt.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = (x509.CertificateBuilder().subject_name(_name("Acceptance4 CA")).issuer_name(_name("Acceptance4 CA"))
          .public_key(ca_key.public_key()).serial_number(x509.random_serial_number())
          .not_valid_before(now - dt.timedelta(days=1)).not_valid_after(now + dt.timedelta(days=3650))
          .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
          .sign(ca_key, hashes.SHA256()))
    key = ec.generate_private_key(ec.SECP256R1())
    point = x509.DistributionPoint([x509.UniformResourceIdentifier(crl_url)], None, None, None)
    leaf = (x509.CertificateBuilder().subject_name(_name(fqdn)).issuer_name(ca.subject)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(minutes=10)).not_valid_after(now + dt.timedelta(days=365))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName(fqdn)]), critical=False)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH]),
                           critical=False)
            .add_extension(x509.CRLDistributionPoints([point]), critical=False)
            .sign(ca_key, hashes.SHA256()))
    encryption = (serialization.PrivateFormat.PKCS12.encryption_builder()
                  .kdf_rounds(2048).key_cert_algorithm(pkcs12.PBES.PBESv1SHA1And3KeyTripleDESCBC)
                  .hmac_hash(hashes.SHA1()).build(PFX_PASSWORD.encode()))
    pfx = pkcs12.serialize_key_and_certificates(b"leaf", key, leaf, None, encryption)
    return (ca.public_bytes(serialization.Encoding.DER), pfx, ca.fingerprint(hashes.SHA1()).hex().upper(),
            leaf.fingerprint(hashes.SHA1()).hex().upper())


def push_file(lab: Lab, host: str, path: str, data: bytes) -> None:
    """Write bytes to a file on the host through pywinrm."""
    encoded = base64.b64encode(data).decode()
    lab.ok(host, f"[IO.File]::WriteAllBytes('{path}', [Convert]::FromBase64String('{encoded}'))")


def install_primary_cert_with_cdp(lab: Lab, primary: str, replica: str, fqdn: str, crl_url: str = LAB_CRL) -> str:
    """Import a CDP-carrying certificate on the primary (PFX) and its CA on the replica (Root); its thumbprint."""
    root_der, pfx, _root_tp, leaf_tp = ca_and_leaf(fqdn, crl_url)
    push_file(lab, primary, "C:\\acc4-leaf.pfx", pfx)
    lab.ok(primary, f"$pw = ConvertTo-SecureString -String '{PFX_PASSWORD}' -Force -AsPlainText; "
                    "Import-PfxCertificate -FilePath C:\\acc4-leaf.pfx -CertStoreLocation Cert:\\LocalMachine\\My "
                    "-Password $pw | Out-Null; Remove-Item C:\\acc4-leaf.pfx")
    push_file(lab, replica, "C:\\acc4-root.cer", root_der)
    lab.ok(replica, "Import-Certificate -FilePath C:\\acc4-root.cer -CertStoreLocation Cert:\\LocalMachine\\Root "
                    "| Out-Null")
    return leaf_tp
