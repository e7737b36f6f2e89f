"""What the PKI cmdlets share: finding the certificate a ``-Cert`` argument names, and file paths.

``-Cert`` takes an X509Certificate2 object (from Get-ChildItem, Get-Item, New-SelfSignedCertificate)
or a ``Cert:\\…`` path; ``-CertStoreLocation`` a store path; ``-FilePath`` a file path relative to
the current location.
"""

from __future__ import annotations

from pathlib import Path, PureWindowsPath
from typing import Any

from simulator.core.errors import SimError
from simulator.ps import api
from simulator.ps.objects import PSObject
from simulator.services.certs import provider, store
from simulator.services.filesystem.items import file_object

PKI = "Microsoft.CertificateServices.Commands"


def certificates_from(inv: api.Invocation, value: Any, command: str) -> list[store.CertEntry]:
    """The store entries a ``-Cert`` value names (object, path string, or a list of them)."""
    values = value if isinstance(value, list) else [value]
    entries: list[store.CertEntry] = []
    for item in values:
        if isinstance(item, PSObject) and "cert_store" in item.hidden and "thumbprint" in item.hidden:
            location, name = item.hidden["cert_store"]
            entry = store.find_certificate(inv.host, item.hidden["thumbprint"], name, location)
            if entry is None:
                raise SimError(
                    f"The certificate {item.hidden['thumbprint']} is no longer in {location}\\{name}.",
                    f"System.Security.Cryptography.CryptographicException,{PKI}.{command}",
                    "ObjectNotFound", exception_type="System.Security.Cryptography.CryptographicException",
                )
            entries.append(entry)
            continue
        path = item.get("PSPath") if isinstance(item, PSObject) else item
        if not isinstance(path, str):
            raise SimError(
                f"Cannot bind parameter 'Cert'. Cannot convert the \"{item}\" value to type "
                f"\"System.Security.Cryptography.X509Certificates.X509Certificate2\".",
                f"CannotConvertArgumentNoMessage,{PKI}.{command}", "InvalidArgument",
                exception_type="System.Management.Automation.ParameterBindingException", terminating=True,
            )
        found = [i for i in provider.resolve(inv.host, path) if isinstance(i, store.CertEntry)]
        if not found:
            raise SimError(
                f"Cannot find path '{path}' because it does not exist.",
                f"PathNotFound,{PKI}.{command}", "ObjectNotFound",
                exception_type="System.Management.Automation.ItemNotFoundException", target=path,
            )
        entries.extend(found)
    return entries


def store_location(inv: api.Invocation, value: str | None, command: str) -> tuple[str, str]:
    """``(location, store)`` of a ``-CertStoreLocation`` (default: the current location)."""
    path = value if value is not None else inv.session.location
    target = provider.store_of(path)
    if target is None:
        # ASSUMPTION: the PKI module's wording when no store is given and the current location is
        # not one; a named path that is not a store gets PowerShell's "Cannot find path".
        raise SimError(
            f"Cannot find path '{path}' because it does not exist." if value is not None
            else "The current location is not a certificate store; specify -CertStoreLocation.",
            f"PathNotFound,{PKI}.{command}" if value is not None else f"CertStoreLocationRequired,{PKI}.{command}",
            "ObjectNotFound" if value is not None else "InvalidArgument",
            exception_type="System.Management.Automation.ItemNotFoundException",
            target=path,
        )
    return target


def windows_path(inv: api.Invocation, path: str) -> str:
    """An absolute Windows path for ``path``, relative ones taken from the current location."""
    win = PureWindowsPath(path)
    if win.drive and win.root:
        return str(win)
    base = PureWindowsPath(inv.session.location)
    if not base.drive:
        base = PureWindowsPath("C:\\Users\\Administrator")
    return str(base / win)


def real_file(inv: api.Invocation, path: str, command: str) -> tuple[str, Path]:
    """(absolute Windows path, real file) of a ``-FilePath``."""
    absolute = windows_path(inv, path)
    try:
        return absolute, inv.host.real_path(absolute)
    except ValueError as exc:
        raise SimError(str(exc), f"DriveNotFound,{PKI}.{command}", "ObjectNotFound",
                       exception_type="System.Management.Automation.DriveNotFoundException",
                       target=absolute) from exc


def write_new_file(inv: api.Invocation, path: str, data: bytes, no_clobber: bool, command: str) -> PSObject:
    """Write an exported file (refusing to overwrite with -NoClobber) and return its FileInfo."""
    absolute, real = real_file(inv, path, command)
    if not real.parent.is_dir():
        raise SimError(
            f"Could not find a part of the path '{absolute}'.",
            f"System.IO.DirectoryNotFoundException,{PKI}.{command}", "NotSpecified",
            exception_type="System.IO.DirectoryNotFoundException", hresult=0x80070003, target=absolute,
        )
    if no_clobber and real.exists():
        # ASSUMPTION: wording of the -NoClobber refusal is not documented for the PKI cmdlets.
        raise SimError(
            f"The file '{absolute}' already exists.",
            f"System.IO.IOException,{PKI}.{command}", "ResourceExists",
            exception_type="System.IO.IOException", hresult=0x80070050, target=absolute,
        )
    real.write_bytes(data)
    return file_object(absolute, real)


def read_file(inv: api.Invocation, path: str, command: str) -> tuple[str, bytes]:
    """(absolute path, bytes) of an input file, or the error Windows gives for a missing one."""
    absolute, real = real_file(inv, path, command)
    if not real.is_file():
        # ASSUMPTION: the PKI module reports a missing input file as .NET's FileNotFoundException.
        raise SimError(
            f"Could not find file '{absolute}'.",
            f"System.IO.FileNotFoundException,{PKI}.{command}", "ObjectNotFound",
            exception_type="System.IO.FileNotFoundException", hresult=0x80070002, target=absolute,
        )
    return absolute, real.read_bytes()
