"""What a scenario can do to the lab besides running the engine: PowerShell as a user would, faults, clock.

Each action is a one-key mapping (plus options), e.g. ``{ps: "...", host: Hyper-v-repl, save: tp}``,
``{cut: [Hyper-v-prim, Hyper-v-repl]}``, ``{clock: 1y}``. Errors come back as the exceptions the engine or
the lab raise; the runner turns them into the phase's observed failure.
"""

from __future__ import annotations

import datetime as dt
import secrets
import time
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from hvrepl.lab.lab import Lab, parse_duration
from hvrepl.lab.labfile import LabError
from hvrepl.powershell import wrap
from hvrepl.session import HostSession, Script
from hvrepl.transfer import push_file, temp_path

HOST_VALUED = ("host_down", "host_up", "replication_down", "replication_up")


def action_kind(action: dict[str, Any]) -> str:
    """The action's key (ps, cut, clock …)."""
    return next(k for k in action if k in ACTION_HANDLERS)


def action_host(action: dict[str, Any]) -> str | None:
    """The host an action runs on, when it has one."""
    kind = action_kind(action)
    value = action[kind]
    if isinstance(value, dict):
        return value.get("host")
    if kind in HOST_VALUED:
        return str(value)
    return action.get("host")


def run_action(action: dict[str, Any], lab: Lab, sessions: dict[str, HostSession], saved: dict[str, str]) -> None:
    """Run one action; values saved with ``save: NAME`` land in ``saved``."""
    kind = action_kind(action)
    value = ACTION_HANDLERS[kind](action, lab, sessions)
    if action.get("save"):
        saved[str(action["save"])] = "" if value is None else str(value)


def _session(sessions: dict[str, HostSession], name: str | None) -> HostSession:
    for key, session in sessions.items():
        if name is not None and key.lower() == name.lower():
            return session
    raise LabError(f"no session to host {name!r} (hosts of the plan: {', '.join(sessions)})")


def _ps(action: dict[str, Any], lab: Lab, sessions: dict[str, HostSession]) -> Any:
    """Run a PowerShell snippet on a host (it may set ``$result``; that value is what ``save`` keeps)."""
    session = _session(sessions, action.get("host"))
    return session.transport.run_ps(wrap(str(action["ps"]))).json


def _pair(value: Any) -> tuple[str, str]:
    if not isinstance(value, list) or len(value) != 2:
        raise LabError("cut/restore_link take two host names: [A, B]")
    return str(value[0]), str(value[1])


def _cut(action: dict[str, Any], lab: Lab, sessions: dict[str, HostSession]) -> None:
    lab.cut(*_pair(action["cut"]))


def _restore_link(action: dict[str, Any], lab: Lab, sessions: dict[str, HostSession]) -> None:
    lab.restore_link(*_pair(action["restore_link"]))


def _host_down(action: dict[str, Any], lab: Lab, sessions: dict[str, HostSession]) -> None:
    """Power the host off (``hard: true``: a power cut); its WinRM and replication go away."""
    lab.host_down(str(action["host_down"]), hard=bool(action.get("hard", False)))


def _host_up(action: dict[str, Any], lab: Lab, sessions: dict[str, HostSession]) -> None:
    lab.host_up(str(action["host_up"]))


def _replication_down(action: dict[str, Any], lab: Lab, sessions: dict[str, HostSession]) -> None:
    """Only the replication service stops; the host still answers WinRM."""
    lab.replication_down(str(action["replication_down"]), down=True)


def _replication_up(action: dict[str, Any], lab: Lab, sessions: dict[str, HostSession]) -> None:
    lab.replication_down(str(action["replication_up"]), down=False)


def _rate(action: dict[str, Any], lab: Lab, sessions: dict[str, HostSession]) -> None:
    spec = action["rate"]
    value = spec.get("bytes_per_second")
    lab.rate(spec["host"], None if value is None else int(value))


def _clock(action: dict[str, Any], lab: Lab, sessions: dict[str, HostSession]) -> None:
    lab.advance_clock(parse_duration(str(action["clock"])))


def _revoke(action: dict[str, Any], lab: Lab, sessions: dict[str, HostSession]) -> str:
    spec = action["revoke"]
    return lab.revoke(spec["host"], thumbprint=spec.get("thumbprint"), serial=spec.get("serial"))


def _disk_full(action: dict[str, Any], lab: Lab, sessions: dict[str, HostSession]) -> None:
    spec = action["disk_full"]
    lab.disk_full(spec["host"], spec.get("drive", "D"), int(spec.get("capacity_bytes", 0)))


def _wait(action: dict[str, Any], lab: Lab, sessions: dict[str, HostSession]) -> None:
    time.sleep(float(action["wait"]))


def _import_pfx(action: dict[str, Any], lab: Lab, sessions: dict[str, HostSession]) -> str:
    """Import a PFX made here (``encryption: aes256`` as OpenSSL 3 makes them, or ``3des``) the engine's way."""
    spec = action["import_pfx"]
    session = _session(sessions, spec.get("host"))
    password = secrets.token_urlsafe(18)
    pfx = _make_pfx(str(spec.get("dns_name", "imported.test.net")), password, str(spec.get("encryption", "aes256")))
    path = temp_path(".pfx")
    push_file(session, path, pfx)
    data = session.run(Script.build_with_stdin("cert_import_pfx", path=path), stdin=password + "\n")
    return str(data.get("thumbprints", ""))


def _make_pfx(dns_name: str, password: str, encryption: str) -> bytes:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, dns_name)])
    now = dt.datetime.now(dt.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=365))
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH]),
                           critical=False)
            .add_extension(x509.SubjectAlternativeName([x509.DNSName(dns_name)]), critical=False)
            .sign(key, hashes.SHA256()))
    if encryption == "aes256":
        algorithm: serialization.KeySerializationEncryption = serialization.BestAvailableEncryption(password.encode())
    else:
        algorithm = (serialization.PrivateFormat.PKCS12.encryption_builder()
                     .kdf_rounds(2048).key_cert_algorithm(pkcs12.PBES.PBESv1SHA1And3KeyTripleDESCBC)
                     .hmac_hash(hashes.SHA1()).build(password.encode()))  # noqa: S303 - the form Server 2016 imports
    return pkcs12.serialize_key_and_certificates(b"imported", key, cert, None, algorithm)


ACTION_HANDLERS: dict[str, Any] = {
    "ps": _ps, "cut": _cut, "restore_link": _restore_link, "host_down": _host_down, "host_up": _host_up,
    "replication_down": _replication_down, "replication_up": _replication_up,
    "clock": _clock, "rate": _rate, "revoke": _revoke, "disk_full": _disk_full, "wait": _wait,
    "import_pfx": _import_pfx,
}
