"""What the transport needs to know about one host, read from the other subsystems in one place.

The listener and the channel never touch another subsystem's state directly: they ask a
:class:`HostView` (names and resolution from identity, certificates and revocation from certs,
DisableCertRevocationCheck from the registry, the firewall, the replica-server settings and
authorization from Hyper-V). :func:`view_for` builds the real one; tests of the transport alone may
substitute their own view through :data:`VIEW_FACTORY`.

A subsystem function that is missing raises NotModelledError naming it, never a silent default.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from cryptography import x509

from simulator.core.errors import NotModelledError
from simulator.services.replication.verify import issued_by

if TYPE_CHECKING:
    from simulator.core.host import Host

log = logging.getLogger(__name__)

REPLICATION_KEY = r"HKLM\SOFTWARE\Microsoft\Windows NT\CurrentVersion\Virtualization\Replication"
REVOCATION_VALUE = "DisableCertRevocationCheck"
CERTIFICATE_AUTH_TYPES = ("certificate", "certificateandkerberos", "2", "3")


@dataclass(frozen=True)
class OwnCertificate:
    """A certificate of this host with its private key, and the chain it sends along (no key)."""

    certificate: x509.Certificate
    private_key: Any
    chain: tuple[x509.Certificate, ...]


@dataclass(frozen=True)
class ReplicaServerSettings:
    """The part of Get-VMReplicationServer the listener depends on."""

    enabled: bool
    certificate_auth: bool
    thumbprint: str
    port: int


class HostView(Protocol):
    """The facts about one host the transport uses (see module docstring)."""

    def computer_name(self) -> str: ...
    def fqdn(self) -> str: ...
    def resolve(self, name: str) -> list[str]: ...
    def own_certificate(self, thumbprint: str) -> OwnCertificate | None: ...
    def roots(self) -> list[x509.Certificate]: ...
    def intermediates(self) -> list[x509.Certificate]: ...
    def revocation_check_enabled(self) -> bool: ...
    def is_revoked(self, cert: x509.Certificate) -> bool: ...
    def has_reachable_crl(self, cert: x509.Certificate) -> bool: ...
    def port_open(self, port: int) -> bool: ...
    def replica_server(self) -> ReplicaServerSettings: ...
    def authorize(self, names: list[str]) -> tuple[str, str] | None: ...


def _function(module: str, *names: str) -> Callable[..., Any]:
    """The first of ``names`` defined in ``simulator.services.<module>``; NotModelled when none is."""
    mod = importlib.import_module(f"simulator.services.{module}")
    for name in names:
        fn = getattr(mod, name, None)
        if callable(fn):
            return fn
    raise NotModelledError(f"simulator.services.{module}.{names[0]} (needed by the replication transport)")


def _entry_certificate(entry: Any) -> x509.Certificate:
    cert = getattr(entry, "certificate", entry)
    if not isinstance(cert, x509.Certificate):
        msg = f"certificate store entry without an x509 certificate: {type(entry).__name__}"
        raise TypeError(msg)
    return cert


class WindowsHostView:
    """The real :class:`HostView`, backed by the simulated host's subsystems."""

    def __init__(self, host: Host) -> None:
        self.host = host

    # -- identity (helper C1)
    def computer_name(self) -> str:
        mod = importlib.import_module("simulator.services.identity")
        fn = getattr(mod, "computer_name", None)
        return str(fn(self.host)) if callable(fn) else str(self.host.info["name"])

    def fqdn(self) -> str:
        return str(_function("identity", "fqdn")(self.host))

    def resolve(self, name: str) -> list[str]:
        return [str(a) for a in _function("identity", "resolve")(self.host, name)]

    # -- certificates (helper D)
    def _store(self, store: str) -> list[x509.Certificate]:
        listing = _function("certs.store", "list_certificates")(self.host, store, "LocalMachine")
        return [_entry_certificate(e) for e in listing]

    def roots(self) -> list[x509.Certificate]:
        return self._store("Root")

    def intermediates(self) -> list[x509.Certificate]:
        return self._store("CA")

    def own_certificate(self, thumbprint: str) -> OwnCertificate | None:
        find = _function("certs.store", "find_certificate")
        entry = find(self.host, thumbprint.strip().upper(), "My", "LocalMachine")
        if entry is None or getattr(entry, "private_key", None) is None:
            return None
        cert = _entry_certificate(entry)
        return OwnCertificate(cert, entry.private_key, tuple(self._chain_to_send(cert)))

    def _chain_to_send(self, leaf: x509.Certificate) -> list[x509.Certificate]:
        """Issuers of ``leaf`` found in this host's CA and Root stores, as Schannel sends them (ASSUMPTION)."""
        # ASSUMPTION: like Schannel, a side sends the issuers it finds in its own CA and Root stores,
        # the root included; the peer still trusts only roots in its own Root store.
        pool = self.intermediates() + self.roots()
        chain: list[x509.Certificate] = []
        current = leaf
        while len(chain) < 8:
            # By signature, not by name alone: both hosts' "CertReq Test Root" share one subject, and sending the
            # peer's root instead of our own made the peer report a broken chain instead of an untrusted root.
            issuer = next((c for c in pool if c not in chain and c != current and issued_by(current, c)), None)
            if issuer is None:
                break
            chain.append(issuer)
            if issuer.issuer == issuer.subject:
                break
            current = issuer
        return chain

    def is_revoked(self, cert: x509.Certificate) -> bool:
        return bool(_function("certs.store", "is_revoked")(self.host, cert))

    def has_reachable_crl(self, cert: x509.Certificate) -> bool:
        return bool(_function("certs.store", "has_reachable_crl")(cert))

    # -- registry (helper C1)
    def revocation_check_enabled(self) -> bool:
        tree = _function("registry", "tree")(self.host)
        node = tree.find_key(REPLICATION_KEY)
        value = None if node is None else tree.find_value(node, REVOCATION_VALUE)
        if value is None:
            return True
        data = _function("registry.model", "decode_data")(value)
        # ASSUMPTION (fact sheet §10.13): the value takes effect at once, without restarting vmms.
        # Only a DWORD 1 disables the check (any other type or value leaves it on).
        return not (value.get("type") == "REG_DWORD" and data == 1)

    # -- firewall (helper C2)
    def port_open(self, port: int) -> bool:
        return bool(_function("firewall", "port_open")(self.host, port))

    # -- Hyper-V (helper E)
    def replica_server(self) -> ReplicaServerSettings:
        raw = _function("hyperv.server", "server_settings")(self.host)
        auth = str(raw.get("auth_type") or "").lower()
        return ReplicaServerSettings(
            enabled=bool(raw.get("enabled", False)),
            certificate_auth=auth in CERTIFICATE_AUTH_TYPES,
            thumbprint=str(raw.get("thumbprint") or ""),
            port=int(raw.get("certificate_port") or 443),
        )

    def authorize(self, names: list[str]) -> tuple[str, str] | None:
        result = _function("hyperv", "authorize")(self.host, names)
        if result is None:
            return None
        trust_group, storage = result
        return str(trust_group), str(storage)


VIEW_FACTORY: Callable[[Host], HostView] = WindowsHostView


def view_for(host: Host) -> HostView:
    """The :class:`HostView` of ``host`` (through :data:`VIEW_FACTORY`)."""
    return VIEW_FACTORY(host)
