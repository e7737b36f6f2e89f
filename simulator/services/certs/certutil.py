"""The ``certutil`` console command: ``-addstore``, ``-store`` and ``-delstore`` on the machine (or -user) stores.

The 2012 Hyper-V Replica blog validates a host certificate with ``certutil -store my`` ("Encryption
test passed") and adds roots with ``certutil -addstore -f Root file.cer``; other verbs are refused
as not modelled.
"""

from __future__ import annotations

import datetime as dt
import logging
from pathlib import PureWindowsPath

from simulator.cmd.api import CmdCall, CmdResult, cmd_command
from simulator.core.errors import NotModelledError
from simulator.services.certs import store
from simulator.services.certs.cer import parse_certificates
from simulator.services.certs.issue import common_name, format_name
from simulator.services.certs.views import serial_text

log = logging.getLogger(__name__)

# ASSUMPTION: console commands run from the administrator's profile folder (CmdCall has no cwd).
WORKING_FOLDER = "C:\\Users\\Administrator"
STORE_TITLES = {
    "My": "Personal", "CA": "Intermediate Certification Authorities", "Root": "Trusted Root Certification Authorities",
    "AuthRoot": "Third-Party Root Certification Authorities", "TrustedPeople": "Trusted People",
    "TrustedPublisher": "Trusted Publishers", "Disallowed": "Untrusted Certificates",
}
ERROR_TEXTS = {
    0x80070002: ("WIN32: 2 ERROR_FILE_NOT_FOUND", "The system cannot find the file specified."),
    0x80092004: ("-2146885628 CRYPT_E_NOT_FOUND", "Cannot find object or property."),
    0x80092009: ("-2146885623 CRYPT_E_NO_MATCH", "Cannot find the requested object."),
    0x80070057: ("WIN32: 87 ERROR_INVALID_PARAMETER", "The parameter is incorrect."),
}


def _failed(verb: str, hresult: int) -> CmdResult:
    symbol, text = ERROR_TEXTS[hresult]
    signed = hresult - (1 << 32)
    return CmdResult(stdout=f"CertUtil: {verb} command FAILED: 0x{hresult:08x} ({symbol})\r\nCertUtil: {text}\r\n",
                     exit_code=signed)


def _date(moment: dt.datetime) -> str:
    hour = moment.hour % 12 or 12
    return f"{moment.month}/{moment.day}/{moment.year} {hour}:{moment:%M} {'PM' if moment.hour >= 12 else 'AM'}"


def _listing(entries: list[store.CertEntry], name: str, shown_name: str) -> str:
    lines = [f'{shown_name} "{STORE_TITLES[name]}"']
    for index, entry in enumerate(entries):
        cert = entry.certificate
        lines += [
            f"================ Certificate {index} ================",
            f"Serial Number: {serial_text(cert).lower()}",
            f"Issuer: {format_name(cert.issuer)}",
            f" NotBefore: {_date(cert.not_valid_before_utc)}",
            f" NotAfter: {_date(cert.not_valid_after_utc)}",
            f"Subject: {format_name(cert.subject)}",
            "Root Certificate" if cert.issuer == cert.subject else "Non-root Certificate",
            f"Cert Hash(sha1): {entry.thumbprint.lower()}",
        ]
        if entry.private_key is not None:
            lines += [f"  Provider = {entry.key_provider or store.DEFAULT_KEY_PROVIDER}"]
            if not entry.exportable:
                lines.append("Private key is NOT exportable")
            lines.append("Encryption test passed")
        else:
            lines.append("No key provider information")
            lines.append("Cannot find the certificate and private key for decryption.")
    return "\r\n".join(lines) + "\r\n"


def _parse(argv: list[str]) -> tuple[str | None, bool, bool, list[str]]:
    verb, force, user, rest = None, False, False, []
    for arg in argv:
        lowered = arg.lower()
        if lowered in ("-f", "/f"):
            force = True
        elif lowered in ("-user", "/user"):
            user = True
        elif lowered.startswith(("-", "/")) and verb is None:
            verb = lowered[1:]
        else:
            rest.append(arg)
    return verb, force, user, rest


@cmd_command(
    "certutil",
    summary="certutil -addstore [-f] [-user] <store> <file>, -store [<store>], -delstore <store> <serial|thumbprint>.",
    not_modelled="every other verb (-verify, -dump, -importpfx, -repairstore …).",
)
def certutil(call: CmdCall) -> CmdResult:
    """Add, list and delete certificates of the LocalMachine (or, with -user, CurrentUser) stores.

    Not modelled: every other verb (-verify, -dump, -importPFX, -repairstore, -urlcache …).
    """
    verb, force, user, rest = _parse(call.argv)
    del force  # -f only suppresses a prompt about replacing; adding replaces silently anyway
    location = "CurrentUser" if user else "LocalMachine"
    if verb == "addstore" and len(rest) == 2:
        return _addstore(call, location, rest[0], rest[1])
    if verb == "store":
        name = store.canonical_store(rest[0]) if rest else "My"
        if name is None:
            return _failed("-store", 0x80070002)
        listing = _listing(store.list_certificates(call.host, name, location), name, rest[0] if rest else "My")
        return CmdResult(stdout=listing + "CertUtil: -store command completed successfully.\r\n")
    if verb == "delstore" and len(rest) == 2:
        return _delstore(call, location, rest[0], rest[1])
    raise NotModelledError(f"certutil {' '.join(call.argv)}")


def _addstore(call: CmdCall, location: str, store_arg: str, file_arg: str) -> CmdResult:
    name = store.canonical_store(store_arg)
    if name is None:
        raise NotModelledError(f"certutil -addstore to the store {store_arg!r}")
    path = PureWindowsPath(file_arg)
    absolute = str(path if path.drive else PureWindowsPath(WORKING_FOLDER) / path)
    try:
        real = call.host.real_path(absolute)
    except ValueError:
        return _failed("-addstore", 0x80070002)
    if not real.is_file():
        return _failed("-addstore", 0x80070002)
    try:
        certificates = parse_certificates(real.read_bytes())
    except ValueError:
        return _failed("-addstore", 0x80092009)
    lines = [f'{store_arg} "{STORE_TITLES[name]}"']
    with call.host.transaction():
        for cert in certificates:
            if cert.issuer == cert.subject:
                lines.append("Signature matches Public Key")
            store.add_certificate(call.host, cert, store=name, location=location)
            lines.append(f'Certificate "{common_name(cert.subject) or format_name(cert.subject)}" added to store.')
    log.info("certutil added %d certificate(s) to %s\\%s", len(certificates), location, name)
    lines.append("CertUtil: -addstore command completed successfully.")
    return CmdResult(stdout="\r\n".join(lines) + "\r\n")


def _delstore(call: CmdCall, location: str, store_arg: str, wanted: str) -> CmdResult:
    name = store.canonical_store(store_arg)
    if name is None:
        return _failed("-delstore", 0x80070057)
    key = wanted.replace(" ", "").upper()
    lines = [f'{store_arg} "{STORE_TITLES[name]}"']
    index = 0
    with call.host.transaction():
        for entry in store.list_certificates(call.host, name, location):
            if key in (entry.thumbprint, serial_text(entry.certificate)) or str(index) == wanted:
                store.remove_certificate(call.host, entry.thumbprint, name, location)
                lines.append(f"Deleting Certificate {index}")
            index += 1
    if len(lines) == 1:
        return _failed("-delstore", 0x80092004)
    lines.append("CertUtil: -delstore command completed successfully.")
    return CmdResult(stdout="\r\n".join(lines) + "\r\n")
