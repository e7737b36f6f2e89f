"""The replication transport end to end: two in-process hosts, real listeners, real mutual TLS.

Each failure mode asserts the HRESULT and message on the calling (primary) side and the event on the
host that detected the problem.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from simulator.core.errors import SimError
from simulator.services.certs import store
from simulator.services.replication import network, winerrors
from simulator.services.replication.api import REPLICA_OPERATIONS, PeerIdentity, open_channel, replica_operation
from simulator.services.replication.winerrors import ReplicationConnectionError
from tests.simulator.replication.support import (
    PRIMARY_FQDN,
    REPLICA_FQDN,
    Lab,
    build_lab,
    make_host_cert,
    make_root,
    run_cmdlet,
    set_firewall,
    set_revocation_check,
)

ECHO = "test_transport_echo"
MIB = 1024 * 1024


def _echo(host: Any, peer: PeerIdentity, payload: dict[str, Any],
          data: Iterator[bytes | bytearray] | None) -> tuple[dict[str, Any], bytes | None]:
    digest = hashlib.sha256()
    size = 0
    for chunk in data or ():
        digest.update(chunk)
        size += len(chunk)
    reply = {"size": size, "sha256": digest.hexdigest(), "peer": peer.fqdn, "trust_group": peer.trust_group,
             "replica": host.info["name"], "payload": payload}
    return reply, payload.get("want_bytes", "").encode() or None


if ECHO not in REPLICA_OPERATIONS:
    replica_operation(ECHO)(_echo)


@pytest.fixture(name="lab")
def _lab(tmp_path: Path) -> Iterator[Lab]:
    lab = build_lab(tmp_path)
    yield lab
    lab.stop()


def _connect(lab: Lab, name: str = REPLICA_FQDN, port: int = 443, thumbprint: str | None = None) -> Any:
    with lab.primary.transaction():
        return open_channel(lab.primary, name, port, thumbprint or lab.primary_tp)


def _expect_failure(lab: Lab, failure: winerrors.Failure, **kwargs: Any) -> ReplicationConnectionError:
    with pytest.raises(ReplicationConnectionError) as caught:
        _connect(lab, **kwargs).close()
    error = caught.value
    assert error.hresult == failure.hresult, error.message
    assert f"({failure.hresult:#010X})".replace("0X", "0x") in error.message
    return error


def _stream(total: int, seed: int = 7) -> Iterator[bytes]:
    block = hashlib.sha256(str(seed).encode()).digest() * 4096  # 128 KiB pattern
    sent = 0
    while sent < total:
        piece = block[: min(len(block), total - sent)]
        sent += len(piece)
        yield piece


def test_happy_path_payload_and_multi_mib_stream(lab: Lab) -> None:
    """A payload and a 5 MiB stream arrive intact; the replica knows the primary by its certificate."""
    total = 5 * MIB + 123
    expected = hashlib.sha256(b"".join(_stream(total))).hexdigest()
    with _connect(lab) as channel:
        assert channel.tls_version in ("TLSv1.2", "TLSv1.3")
        reply, data = channel.call(ECHO, {"vm": "VM01", "want_bytes": "ok"}, _stream(total))
        assert reply["size"] == total
        assert reply["sha256"] == expected
        assert reply["peer"] == PRIMARY_FQDN
        assert reply["trust_group"] == "lab"
        assert reply["replica"] == "Hyper-v-repl"
        assert data == b"ok"
        again, none = channel.call(ECHO, {"n": 2})
        assert (again["size"], again["payload"], none) == (0, {"n": 2}, None)


def test_replica_operation_error_comes_back_as_its_simerror(lab: Lab) -> None:
    """An unknown operation fails on the replica; the primary gets that error, the channel stays usable."""
    with _connect(lab) as channel:
        with pytest.raises(SimError) as caught:
            channel.call("no_such_operation", {})
        assert caught.value.hresult == 0x80070057
        assert "no_such_operation" in caught.value.message
        assert channel.call(ECHO, {})[0]["size"] == 0


def test_untrusted_root_detected_by_primary(lab: Lab) -> None:
    """The replica's root only in the primary's CA store (the CertReq Test Root mistake) -> 0x800B0109."""
    root_tp = store.thumbprint_of(lab.root.cert)
    store.move_certificate(lab.primary, root_tp, ("LocalMachine", "Root"), ("LocalMachine", "CA"))
    error = _expect_failure(lab, winerrors.UNTRUSTED_ROOT)
    assert error.detected_by == "primary"
    assert "Hyper-V failed to authenticate the Replica server 'hyper-v-repl.test.net'" in error.message
    events = lab.events(lab.primary, winerrors.EVENT_REPLICA_AUTH_FAILED)
    assert events and "0x800B0109" in events[-1]["message"]


def test_the_chain_sent_is_the_signing_root_not_a_namesake(lab: Lab) -> None:
    """Two roots with one subject (every host's "CertReq Test Root"): the replica sends the one that signed its
    certificate, so a primary that does not trust it reports an untrusted root (0x800B0109), not a broken chain."""
    namesake = make_root(str(lab.root.cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value))
    with lab.replica.transaction():
        store.add_certificate(lab.replica, namesake.cert, store="CA")  # looked at before the Root store
    with lab.primary.transaction():
        assert store.remove_certificate(lab.primary, store.thumbprint_of(lab.root.cert), store="Root")
    error = _expect_failure(lab, winerrors.UNTRUSTED_ROOT)
    assert error.detected_by == "primary"


def test_untrusted_primary_root_detected_by_replica(lab: Lab) -> None:
    """A primary certificate from a root the replica does not trust -> 0x800B0109 logged on the replica."""
    other_root = make_root("Other Root")
    store.add_certificate(lab.primary, other_root.cert, store="Root")
    thumb = lab.install_primary_cert(*make_host_cert(other_root, PRIMARY_FQDN))
    error = _expect_failure(lab, winerrors.UNTRUSTED_ROOT, thumbprint=thumb)
    assert error.detected_by == "replica"
    assert lab.events(lab.replica, winerrors.EVENT_PRIMARY_AUTH_FAILED)
    assert not lab.events(lab.primary, winerrors.EVENT_REPLICA_AUTH_FAILED)


def test_name_mismatch(lab: Lab) -> None:
    """The replica's certificate names another host -> 0x800B010F on the primary."""
    lab.install_replica_cert(*make_host_cert(lab.root, "other-host.test.net"))
    error = _expect_failure(lab, winerrors.CN_NO_MATCH)
    assert "hyper-v-repl.test.net" in error.message
    assert lab.events(lab.primary, winerrors.EVENT_REPLICA_AUTH_FAILED)


def test_expired_after_clock_advance(lab: Lab) -> None:
    """A year and a day later the certificates have expired -> 0x800B0101 (the primary checks first)."""
    with lab.primary.transaction(rollback=True):
        lab.primary.clock.advance(dt.timedelta(days=366).total_seconds())
    _expect_failure(lab, winerrors.EXPIRED)
    assert "0x800B0101" in lab.events(lab.primary, winerrors.EVENT_REPLICA_AUTH_FAILED)[-1]["message"]


def test_primary_expired_seen_by_replica(lab: Lab) -> None:
    """Only the replica's clock moved: it refuses the primary's expired certificate."""
    with lab.replica.transaction(rollback=True):
        lab.replica.clock.advance(dt.timedelta(days=366).total_seconds())
    error = _expect_failure(lab, winerrors.EXPIRED)
    assert error.detected_by == "replica"
    assert lab.events(lab.replica, winerrors.EVENT_PRIMARY_AUTH_FAILED)


def test_revocation_unchecked_unless_disabled(lab: Lab) -> None:
    """Revocation checking on, certificates without CDP -> 0x80092012 on the checking side; =1 fixes it."""
    set_revocation_check(lab.primary, disabled=False)
    _expect_failure(lab, winerrors.NO_REVOCATION_CHECK)
    set_revocation_check(lab.primary, disabled=True)
    set_revocation_check(lab.replica, disabled=False)
    error = _expect_failure(lab, winerrors.NO_REVOCATION_CHECK)
    assert error.detected_by == "replica"
    set_revocation_check(lab.replica, disabled=True)
    _connect(lab).close()


def test_revocation_offline(lab: Lab) -> None:
    """A replica certificate whose CRL point is outside the lab -> 0x80092013 when the primary checks."""
    lab.install_replica_cert(*make_host_cert(lab.root, REPLICA_FQDN, cdp="http://crl.contoso.com/root.crl"))
    set_revocation_check(lab.primary, disabled=False)
    _expect_failure(lab, winerrors.REVOCATION_OFFLINE)
    assert "0x80092013" in lab.events(lab.primary, winerrors.EVENT_REPLICA_AUTH_FAILED)[-1]["message"]


def test_revoked_certificate(lab: Lab) -> None:
    """A replica certificate with a lab CRL, revoked on the primary's view -> 0x80092010."""
    cert, key = make_host_cert(lab.root, REPLICA_FQDN, cdp="http://crl.lab/root.crl")
    lab.install_replica_cert(cert, key)
    set_revocation_check(lab.primary, disabled=False)
    # The root itself has no CDP: only the issued certificate is checked, so this connects.
    _connect(lab).close()
    store.revoke(lab.primary, format(cert.serial_number, "x"))
    _expect_failure(lab, winerrors.REVOKED)
    assert "0x80092010" in lab.events(lab.primary, winerrors.EVENT_REPLICA_AUTH_FAILED)[-1]["message"]


def test_missing_client_auth_eku(lab: Lab) -> None:
    """A primary certificate with Server Authentication only -> 0x800B0110, detected by the replica."""
    thumb = lab.install_primary_cert(*make_host_cert(lab.root, PRIMARY_FQDN, ekus=(ExtendedKeyUsageOID.SERVER_AUTH,)))
    error = _expect_failure(lab, winerrors.WRONG_USAGE, thumbprint=thumb)
    assert error.detected_by == "replica"
    assert "1.3.6.1.5.5.7.3.2" in lab.events(lab.replica, winerrors.EVENT_PRIMARY_AUTH_FAILED)[-1]["message"]


def test_unresolvable_name(lab: Lab) -> None:
    """A name in no hosts file -> 0x00002EE7 (documented Hyper-V form), event on the primary."""
    error = _expect_failure(lab, winerrors.NAME_NOT_RESOLVED, name="nowhere.test.net")
    assert "could not be resolved" in error.message
    assert lab.events(lab.primary, winerrors.EVENT_CONNECT_FAILED)


@pytest.mark.parametrize("breakage", ["firewall", "not-replica", "kerberos-only", "port", "moved", "certificate-gone"])
def test_listener_down(lab: Lab, breakage: str) -> None:
    """Firewall rule off / replica server disabled / Kerberos only / other port / listener moved away from 443
    (443 still open in the firewall) / the server's certificate deleted from My -> 0x00002EFD."""
    if breakage == "firewall":
        set_firewall(lab.replica, enabled=False)
    elif breakage == "not-replica":
        run_cmdlet(lab.replica, "Set-VMReplicationServer", ReplicationEnabled=False, Force=True)
    elif breakage == "kerberos-only":
        with lab.replica.transaction():
            lab.replica.state["hyperv"]["server"]["auth_type"] = "Kerberos"
    elif breakage == "moved":
        run_cmdlet(lab.replica, "Set-VMReplicationServer", CertificateAuthenticationPort=8443, Force=True)
        run_cmdlet(lab.replica, "New-NetFirewallRule", DisplayName="Old port still open", Direction="Inbound",
                   Protocol="TCP", LocalPort=["443"], Action="Allow")
    elif breakage == "certificate-gone":
        # ASSUMPTION (simulator's listener): without its certificate the HTTPS listener cannot accept at all.
        with lab.replica.transaction():
            assert store.remove_certificate(lab.replica, lab.replica_tp)
    kwargs = {"port": 8443} if breakage == "port" else {}
    _expect_failure(lab, winerrors.CANNOT_CONNECT, **kwargs)
    assert lab.events(lab.primary, winerrors.EVENT_CONNECT_FAILED)[-1]["level"] == "Warning"


def test_not_authorized(lab: Lab) -> None:
    """No authorization entry for the primary's name -> access denied, event on the replica."""
    run_cmdlet(lab.replica, "Remove-VMReplicationAuthorizationEntry", AllowedPrimaryServer=PRIMARY_FQDN)
    error = _expect_failure(lab, winerrors.NOT_AUTHORIZED)
    assert error.detected_by == "replica"
    event = lab.events(lab.replica, winerrors.EVENT_NOT_AUTHORIZED)[-1]
    assert PRIMARY_FQDN in event["message"]


def test_network_cut_then_restored(lab: Lab) -> None:
    """A cut link refuses connections (0x00002EFD) and aborts a transfer in flight (0x00002EFE)."""
    channel = _connect(lab)
    with lab.primary.transaction():
        network.faults(lab.primary)["cut"] = ["Hyper-v-repl"]
    with pytest.raises(ReplicationConnectionError) as caught:
        channel.call(ECHO, {}, _stream(2 * MIB))
    assert caught.value.hresult == winerrors.CONNECTION_ABORTED.hresult
    _expect_failure(lab, winerrors.CANNOT_CONNECT)
    with lab.primary.transaction():
        network.faults(lab.primary)["cut"] = []
    with _connect(lab) as again:
        assert again.call(ECHO, {}, _stream(MIB))[0]["size"] == MIB


@pytest.mark.parametrize("primary_as", ["Hyper-v-prim", PRIMARY_FQDN, "192.168.101.209"])
def test_cut_on_the_replica_side(lab: Lab, primary_as: str) -> None:
    """A cut injected on the replica only (primary named by name, FQDN or virtual address) refuses it."""
    with lab.replica.transaction():
        network.faults(lab.replica)["cut"] = [primary_as]
    _expect_failure(lab, winerrors.CANNOT_CONNECT)


def test_cut_on_the_replica_side_aborts_in_flight(lab: Lab) -> None:
    """A cut on the replica during a stream ends the transfer; the primary sees 0x00002EFE."""
    channel = _connect(lab)

    cutter = threading.Thread(target=network.set_faults,  # as the control plane would, from another thread
                              args=(lab.replica, lambda f: f.update(cut=["192.168.101.209"])))

    def stream() -> Iterator[bytes]:
        yield b"x" * MIB
        cutter.start()  # the replica holds its lock while it receives: the cut must act anyway
        yield from _stream(64 * MIB)

    started = time.monotonic()
    with pytest.raises(ReplicationConnectionError) as caught:
        channel.call(ECHO, {}, stream())
    cutter.join(timeout=30)
    assert caught.value.hresult == winerrors.CONNECTION_ABORTED.hresult
    assert time.monotonic() - started < 20
    assert network.faults(lab.replica)["cut"] == ["192.168.101.209"]  # saved once the transfer let go


def test_host_down_refuses(lab: Lab) -> None:
    """The host-down fault on the replica: nothing answers."""
    with lab.replica.transaction():
        network.faults(lab.replica)["down"] = True
    _expect_failure(lab, winerrors.CANNOT_CONNECT)


def test_listeners_file_published_atomically(lab: Lab) -> None:
    """Each started host publishes its port map (443 -> a real loopback port)."""
    mapping = network.read_listeners(lab.replica.state_dir)
    address, port = mapping[443]
    assert address == "127.0.0.1"
    assert port > 0
    assert not [p for p in os.listdir(lab.replica.state_dir) if p.startswith(".listeners.json.")]


def test_key_usage_tls_cannot_use_is_a_secure_failure(lab: Lab) -> None:
    """A primary key marked for key encipherment only cannot sign in the TLS handshake -> 0x00002F8F."""
    usage = x509.KeyUsage(digital_signature=False, content_commitment=False, key_encipherment=True,
                          data_encipherment=False, key_agreement=False, key_cert_sign=False, crl_sign=False,
                          encipher_only=False, decipher_only=False)
    thumb = lab.install_primary_cert(*make_host_cert(lab.root, PRIMARY_FQDN, key_usage=usage))
    error = _expect_failure(lab, winerrors.SECURE_FAILURE, thumbprint=thumb)
    assert "TLS handshake" in error.detail
    assert "ALERT" not in error.message and error.message.endswith("(0x00002F8F)."), "no OpenSSL text for Windows"


def test_listener_follows_a_port_change(lab: Lab) -> None:
    """Set-VMReplicationServer -CertificateAuthenticationPort 8443: after the next tick 8443 answers, 443 not."""
    from simulator.services import replication  # noqa: PLC0415 - run_due is what the tick calls

    run_cmdlet(lab.replica, "Set-VMReplicationServer", CertificateAuthenticationPort=8443, Force=True)
    replication.run_due(lab.replica)
    assert set(network.read_listeners(lab.replica.state_dir)) == {8443}
    _expect_failure(lab, winerrors.CANNOT_CONNECT)  # port 443
    # Hyper-V moved the HTTPS rule to 8443 with the port, so the firewall is open there.
    _connect(lab, port=8443).close()


def test_announced_certificate_must_be_the_one_presented(lab: Lab) -> None:
    """A client announcing a (trusted, both-EKU) CA certificate but presenting a leaf it issued is dropped."""
    import socket  # noqa: PLC0415
    import ssl  # noqa: PLC0415

    from cryptography.hazmat.primitives import hashes  # noqa: PLC0415

    from simulator.services.replication.tls import client_context, to_pem  # noqa: PLC0415
    from simulator.services.replication.wire import FrameConnection, WireError  # noqa: PLC0415
    from tests.simulator.replication.support import BOTH_EKUS, Issuer  # noqa: PLC0415

    ca_cert, ca_key = make_host_cert(lab.root, PRIMARY_FQDN)
    ca_cert = (x509.CertificateBuilder().subject_name(ca_cert.subject).issuer_name(ca_cert.issuer)
               .public_key(ca_key.public_key()).serial_number(ca_cert.serial_number)
               .not_valid_before(ca_cert.not_valid_before_utc).not_valid_after(ca_cert.not_valid_after_utc)
               .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
               .add_extension(x509.ExtendedKeyUsage(list(BOTH_EKUS)), critical=False)
               .sign(lab.root.key, hashes.SHA256()))
    leaf, leaf_key = make_host_cert(Issuer(ca_cert, ca_key), "intruder.test.net")
    address, port = network.read_listeners(lab.replica.state_dir)[443]
    sock = socket.create_connection((address, port), timeout=10)
    FrameConnection(sock).send_json(
        {"v": 1, "from": "Hyper-v-prim", "chain": [to_pem(ca_cert), to_pem(lab.root.cert)]})
    tls = client_context(leaf, leaf_key).wrap_socket(sock)
    frames = FrameConnection(tls)
    with pytest.raises((WireError, ssl.SSLError, OSError)):
        frames.recv_json()
    frames.close()


def test_concurrent_channels(lab: Lab) -> None:
    """Four primaries' channels at once (threads) all complete: the replica serializes, nobody deadlocks."""
    from concurrent.futures import ThreadPoolExecutor  # noqa: PLC0415

    def one(seed: int) -> tuple[int, str]:
        with open_channel(lab.primary, REPLICA_FQDN, 443, lab.primary_tp) as channel:
            reply, _ = channel.call(ECHO, {"seed": seed}, _stream(MIB, seed))
        return reply["size"], reply["sha256"]

    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(one, range(4)))
    expected = [(MIB, hashlib.sha256(b"".join(_stream(MIB, seed))).hexdigest()) for seed in range(4)]
    assert results == expected


def test_listener_error_drops_the_connection(lab: Lab, monkeypatch: pytest.MonkeyPatch) -> None:
    """A subsystem failing inside the listener's checks drops the connection (12029) instead of hanging."""
    from simulator.core.errors import NotModelledError  # noqa: PLC0415
    from simulator.services.replication import hostview  # noqa: PLC0415

    def broken(self: object, port: int) -> bool:
        raise NotModelledError("firewall port check")

    monkeypatch.setattr(hostview.WindowsHostView, "port_open", broken)
    started = time.monotonic()
    _expect_failure(lab, winerrors.CANNOT_CONNECT)
    assert time.monotonic() - started < 5


def test_stale_port_map_reaching_another_host(lab: Lab, tmp_path: Path) -> None:
    """A stopped host's stale listeners.json whose port now belongs to another host -> 12029, not that host."""
    import json  # noqa: PLC0415

    from tests.simulator.replication.support import add_hosts_entries  # noqa: PLC0415

    gone_dir = tmp_path / "gone"
    network.publish_listeners(gone_dir, {443: network.read_listeners(lab.replica.state_dir)[443]})
    blob = json.loads(lab.lab_file.read_text())
    blob["hosts"].append({"name": "Hyper-v-gone", "virtual_address": "192.168.101.250", "address": "127.0.0.1",
                          "state_dir": str(gone_dir)})
    lab.lab_file.write_text(json.dumps(blob))
    add_hosts_entries(lab.primary, {"hyper-v-gone.test.net": "192.168.101.250"})
    _expect_failure(lab, winerrors.CANNOT_CONNECT, name="hyper-v-gone.test.net")
    assert not lab.events(lab.primary, winerrors.EVENT_REPLICA_AUTH_FAILED)


def test_never_dials_outside_loopback(lab: Lab, tmp_path: Path) -> None:
    """A lab entry with a non-loopback address in a process lab is refused before any traffic (12029)."""
    import json  # noqa: PLC0415

    from tests.simulator.replication.support import add_hosts_entries  # noqa: PLC0415

    blob = json.loads(lab.lab_file.read_text())
    blob["hosts"].append({"name": "Hyper-v-far", "virtual_address": "192.168.101.251", "address": "10.9.8.7",
                          "state_dir": str(tmp_path / "not-here")})
    lab.lab_file.write_text(json.dumps(blob))
    add_hosts_entries(lab.primary, {"hyper-v-far.test.net": "192.168.101.251"})
    error = _expect_failure(lab, winerrors.CANNOT_CONNECT, name="hyper-v-far.test.net")
    assert "10.9.8.7 is not a lab address" in error.detail and "10.9.8.7" not in error.message
