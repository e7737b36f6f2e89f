"""A two-host lab in one process for the replication transport tests: certificates, settings, listeners.

Everything is set up through the owning subsystems' public functions and cmdlet handlers (certs
store, registry tree, firewall rules, Hyper-V's Set-VMReplicationServer / authorization entries), so
the transport is tested against the real state of each host. The listeners bind 127.0.0.1 on
ephemeral ports and are found through a real lab file and listeners.json.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from simulator.core.errors import SimError
from simulator.core.host import Host
from simulator.ps.api import Invocation, find_cmdlet
from simulator.services import replication
from simulator.services.certs import store
from simulator.services.firewall import find_rule
from simulator.services.registry import tree
from simulator.services.replication.hostview import REPLICATION_KEY, REVOCATION_VALUE
from tests.conftest import make_host

BOTH_EKUS = (ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH)
PRIMARY_FQDN = "hyper-v-prim.test.net"
REPLICA_FQDN = "hyper-v-repl.test.net"
HOSTS_PATH = r"C:\Windows\System32\drivers\etc\hosts"
HTTPS_RULE = "VIRT-HVRHTTPSL-In-TCP-NoScope"


@dataclass
class Issuer:
    """A certificate authority (self-signed root) for test certificates."""

    cert: x509.Certificate
    key: Any


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def make_root(name: str = "Lab Root CA") -> Issuer:
    """A self-signed CA certificate."""
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    cert = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(_now() - dt.timedelta(days=1)).not_valid_after(_now() + dt.timedelta(days=3650))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    return Issuer(cert, key)


def make_host_cert(issuer: Issuer, cn: str, *, sans: tuple[str, ...] | None = None,
                   ekus: tuple[x509.ObjectIdentifier, ...] | None = BOTH_EKUS, days: int = 365,
                   cdp: str | None = None, key_usage: x509.KeyUsage | None = None) -> tuple[x509.Certificate, Any]:
    """A host certificate issued by ``issuer`` (EKUs, SAN, validity, CDP and key usage as asked)."""
    key = ec.generate_private_key(ec.SECP256R1())
    builder = (x509.CertificateBuilder()
               .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)]))
               .issuer_name(issuer.cert.subject).public_key(key.public_key())
               .serial_number(x509.random_serial_number())
               .not_valid_before(_now() - dt.timedelta(minutes=10)).not_valid_after(_now() + dt.timedelta(days=days))
               .add_extension(x509.SubjectAlternativeName([x509.DNSName(n) for n in (sans or (cn,))]),
                              critical=False))
    if ekus is not None:
        builder = builder.add_extension(x509.ExtendedKeyUsage(list(ekus)), critical=False)
    if key_usage is not None:
        builder = builder.add_extension(key_usage, critical=True)
    if cdp is not None:
        point = x509.DistributionPoint([x509.UniformResourceIdentifier(cdp)], None, None, None)
        builder = builder.add_extension(x509.CRLDistributionPoints([point]), critical=False)
    return builder.sign(issuer.key, hashes.SHA256()), key


class _Session:
    errors: list[SimError]

    def __init__(self) -> None:
        self.errors = []
        self.location = "C:\\Users\\Administrator"

    def write_error(self, error: SimError) -> None:
        self.errors.append(error)

    def write_warning(self, text: str) -> None:
        pass

    def invoke(self, block: Any, dollar_underscore: Any = None, args: list[Any] | None = None) -> list[Any]:
        raise NotImplementedError


def run_cmdlet(host: Host, name: str, **args: Any) -> list[Any]:
    """Call a registered cmdlet's handler with bound arguments (no interpreter needed)."""
    spec = find_cmdlet(name)
    assert spec is not None, f"{name} is not registered"
    session = _Session()
    with host.transaction():
        out = list(spec.handler(Invocation(host=host, args=dict(args), session=session, name=name)) or [])
    if session.errors:
        raise session.errors[0]
    return out


def set_revocation_check(host: Host, *, disabled: bool) -> None:
    """Write DisableCertRevocationCheck (REG_DWORD) as the recipe's ``reg add`` does."""
    with host.transaction():
        registry = tree(host)
        node, _created = registry.create_key(REPLICATION_KEY)
        registry.set_value(node, REVOCATION_VALUE, "REG_DWORD", 1 if disabled else 0)


def set_firewall(host: Host, *, enabled: bool) -> None:
    """Enable or disable the Hyper-V Replica HTTPS listener rule."""
    with host.transaction():
        rule = find_rule(host, HTTPS_RULE)
        assert rule is not None
        rule["enabled"] = enabled


def add_hosts_entries(host: Host, entries: dict[str, str]) -> None:
    """Append ``name -> virtual address`` lines to the host's hosts file."""
    path = host.real_path(HOSTS_PATH)
    text = path.read_text(encoding="ascii") if path.exists() else ""
    text += "".join(f"{addr}\t{name}\r\n" for name, addr in entries.items())
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="ascii")


@dataclass
class Lab:
    """Two started hosts: ``primary`` (Hyper-v-prim) and ``replica`` (Hyper-v-repl)."""

    primary: Host
    replica: Host
    root: Issuer
    primary_tp: str
    replica_tp: str
    lab_file: Path
    started: list[Host] = field(default_factory=list)

    def events(self, host: Host, event_id: int | None = None) -> list[dict[str, Any]]:
        """Events of ``host`` (optionally one id)."""
        return [e for e in host.state.get("events", []) if event_id is None or e["id"] == event_id]

    def install_replica_cert(self, cert: x509.Certificate, key: Any) -> str:
        """Put a new certificate in the replica's My store and select it on the replica server."""
        store.add_certificate(self.replica, cert, key)
        thumb = store.thumbprint_of(cert)
        with self.replica.transaction():
            self.replica.state["hyperv"]["server"]["thumbprint"] = thumb
        return thumb

    def install_primary_cert(self, cert: x509.Certificate, key: Any) -> str:
        """Put a new certificate in the primary's My store; returns its thumbprint."""
        store.add_certificate(self.primary, cert, key)
        return store.thumbprint_of(cert)

    def stop(self) -> None:
        """Stop every started host's listener."""
        for host in self.started:
            replication.on_host_stop(host)


TOPOLOGIES = {
    "primary": {"name": "Hyper-v-prim", "os": "2016", "dns_suffix": "test.net", "address": "192.168.101.209",
                "vms": []},
    "replica": {"name": "Hyper-v-repl", "os": "2016", "dns_suffix": "test.net", "address": "192.168.101.213",
                "vms": []},
}


def build_lab(base: Path, *, start: bool = True) -> Lab:
    """Two hosts configured as the walkthrough leaves them (certificates, hosts files, replica server).

    With ``start`` their listeners run in this process; without, the state dirs are ready for
    ``python -m simulator serve`` (the lab file names both at 127.0.0.1).
    """
    primary = make_host(base / "prim", TOPOLOGIES["primary"])
    replica = make_host(base / "repl", TOPOLOGIES["replica"])
    root = make_root()
    prim_cert, prim_key = make_host_cert(root, PRIMARY_FQDN)
    repl_cert, repl_key = make_host_cert(root, REPLICA_FQDN)
    for host, cert, key in ((primary, prim_cert, prim_key), (replica, repl_cert, repl_key)):
        store.add_certificate(host, cert, key)
        store.add_certificate(host, root.cert, store="Root")
        set_revocation_check(host, disabled=True)
        add_hosts_entries(host, {PRIMARY_FQDN: "192.168.101.209", REPLICA_FQDN: "192.168.101.213"})
    set_firewall(replica, enabled=True)
    replica_tp = store.thumbprint_of(repl_cert)
    storage = r"D:\Replica"
    replica.real_path(storage).mkdir(parents=True, exist_ok=True)
    run_cmdlet(replica, "Set-VMReplicationServer", ReplicationEnabled=True, AllowedAuthenticationType="Certificate",
               CertificateThumbprint=replica_tp, CertificateAuthenticationPort=443,
               ReplicationAllowedFromAnyServer=False, DefaultStorageLocation=storage, Force=True)
    run_cmdlet(replica, "New-VMReplicationAuthorizationEntry", AllowedPrimaryServer=PRIMARY_FQDN,
               ReplicaStorageLocation=storage, TrustGroup="lab")
    lab_file = base / "lab.json"
    lab_file.write_text(json.dumps({"hosts": [
        {"name": h.info["name"], "fqdn": fqdn, "virtual_address": h.info["virtual_address"], "address": "127.0.0.1",
         "state_dir": str(h.state_dir)}
        for h, fqdn in ((primary, PRIMARY_FQDN), (replica, REPLICA_FQDN))]}))
    lab = Lab(primary, replica, root, store.thumbprint_of(prim_cert), replica_tp, lab_file)
    for host in (primary, replica) if start else ():
        runtime = SimpleNamespace(state_dir=host.state_dir, address="127.0.0.1", lab_file=lab_file,
                                  ephemeral_ports=True)
        replication.on_host_start(host, runtime, tick=False)
        lab.started.append(host)
    return lab
