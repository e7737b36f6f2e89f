"""The primary's side of a replication connection: resolve, find the lab peer, mutual TLS, check, call.

``connect`` is what :func:`simulator.services.replication.api.open_channel` calls. Steps, each failing
with the Windows code and an event on the host that detected the problem:

1. the primary's own certificate (``thumbprint`` in LocalMachine\\My with a private key);
2. the replica name through the primary's hosts file -> ERROR_WINHTTP_NAME_NOT_RESOLVED;
3. the lab peer with that virtual address, not cut/down, listening on ``port`` -> CANNOT_CONNECT;
4. TLS 1.2+ presenting the primary's certificate; the replica's certificate checked against the
   primary's Root/CA stores, clock, revocation setting and the dialled name (verify.py);
5. the replica's verdict on the primary (its own checks and authorization entries).
"""

from __future__ import annotations

import logging
import socket
import ssl
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from cryptography import x509

from simulator.core.errors import SimError
from simulator.services.replication import network, winerrors
from simulator.services.replication.hostview import view_for
from simulator.services.replication.listener import AUTHENTICATE, log_failure, trust_policy
from simulator.services.replication.tls import client_context, from_pem, to_pem
from simulator.services.replication.verify import CertificateCheckError, check_peer
from simulator.services.replication.wire import FrameConnection, Throttle, WireError

if TYPE_CHECKING:
    from simulator.core.host import Host

log = logging.getLogger(__name__)

CONNECT_TIMEOUT_SECONDS = 10.0
IO_TIMEOUT_SECONDS = 120.0


def _fail(host: Host, failure: winerrors.Failure, server: str, detail: str = "", *,
          detected_by: str = "primary") -> winerrors.ReplicationConnectionError:
    error = winerrors.ReplicationConnectionError(failure, server, detected_by, detail)
    if detail:
        log.info("replication connection to %s failed (%s, found by the %s): %s", server, failure.symbol,
                 detected_by, detail)
    if detected_by == "primary":
        log_failure(host, failure, "primary", error.message, replica_server=server)
    return error


class TlsChannel:
    """An authenticated replication connection (implements api.Channel)."""

    def __init__(self, host: Host, server: str, frames: FrameConnection) -> None:
        self.host = host
        self.server = server
        self._frames = frames
        self._closed = False

    @property
    def tls_version(self) -> str | None:
        """The negotiated protocol (``TLSv1.3`` / ``TLSv1.2``)."""
        sock = self._frames.sock
        return sock.version() if isinstance(sock, ssl.SSLSocket) else None

    def call(self, operation: str, payload: dict[str, Any],
             data: Iterable[bytes] | None = None) -> tuple[dict[str, Any], bytes | None]:
        """Send one request (with an optional byte stream) and return the replica's reply."""
        if self._closed:
            raise _fail(self.host, winerrors.CONNECTION_ABORTED, self.server, "the channel is closed")
        try:
            self._frames.send_json({"op": operation, "payload": payload, "has_data": data is not None})
            if data is not None:
                self._frames.send_stream(data)
            response = self._frames.recv_json()
            reply_data = b"".join(self._frames.recv_stream()) if response.get("has_data") else None
        except winerrors.ReplicationConnectionError:
            self.close()
            raise
        except (OSError, WireError, ssl.SSLError) as exc:
            self.close()
            raise _fail(self.host, winerrors.CONNECTION_ABORTED, self.server, str(exc)) from exc
        if not response.get("ok"):
            error = response.get("error") or {}
            raise SimError(str(error.get("message", "replica operation failed")),
                           str(error.get("fqid", "ReplicaOperationFailed")), str(error.get("category", "NotSpecified")),
                           hresult=error.get("hresult"), target=error.get("target"),
                           exception_type=str(error.get("exception_type", "System.Exception")), terminating=True)
        return dict(response.get("reply") or {}), reply_data

    def close(self) -> None:
        """Close the connection (idempotent)."""
        if not self._closed:
            self._closed = True
            self._frames.close()

    def __enter__(self) -> TlsChannel:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _link_check(host: Host, server: str, names: list[str]) -> Any:
    def check() -> None:
        if network.is_down(host) or network.is_cut(host, names):
            raise _fail(host, winerrors.CONNECTION_ABORTED, server, "the network link was cut")
    return check


def connect(host: Host, replica_server: str, port: int, thumbprint: str) -> TlsChannel:
    """Open an authenticated channel from ``host`` to ``replica_server:port`` (see module docstring)."""
    view = view_for(host)
    own = view.own_certificate(thumbprint or "")
    if own is None:
        raise _fail(host, winerrors.NO_CERTIFICATE, replica_server, f"thumbprint {thumbprint!r}")
    addresses = view.resolve(replica_server)
    if not addresses:
        raise _fail(host, winerrors.NAME_NOT_RESOLVED, replica_server)
    runtime = network.runtime_of(host)
    peer = next((p for a in addresses if (p := network.find_peer(host, runtime, a)) is not None), None)
    if peer is None:
        raise _fail(host, winerrors.CANNOT_CONNECT, replica_server, f"no host answers at {addresses[0]}")
    names = [peer.name, peer.fqdn, replica_server, *addresses]
    if network.is_down(host) or network.is_cut(host, names):
        raise _fail(host, winerrors.CANNOT_CONNECT, replica_server, "the network link is cut")
    endpoint = network.endpoint_of(peer, port)
    if endpoint is None:
        raise _fail(host, winerrors.CANNOT_CONNECT, replica_server, f"nothing listens on TCP {port}")
    if not network.may_dial(endpoint[0], runtime.lab_file if runtime else None):
        log.warning("refusing to dial %s: only loopback (or a docker lab's containers) may be dialled", endpoint[0])
        raise _fail(host, winerrors.CANNOT_CONNECT, replica_server, f"{endpoint[0]} is not a lab address")
    try:
        sock = socket.create_connection(endpoint, timeout=CONNECT_TIMEOUT_SECONDS)
    except OSError as exc:
        raise _fail(host, winerrors.CANNOT_CONNECT, replica_server, f"TCP {port}: {exc.strerror or exc}") from exc
    return _handshake(host, view, own, sock, replica_server, names, peer.name)


def _handshake(host: Host, view: Any, own: Any, sock: socket.socket, server: str, names: list[str],
               peer_name: str) -> TlsChannel:
    sock.settimeout(IO_TIMEOUT_SECONDS)
    plain = FrameConnection(sock)
    try:
        plain.send_json({"v": 1, "from": view.computer_name(), "from_fqdn": _safe_fqdn(view),
                         "from_address": str(host.info.get("virtual_address") or ""), "server_name": server,
                         "to_host": peer_name,
                         "chain": [to_pem(own.certificate), *(to_pem(c) for c in own.chain)]})
        tls = client_context(own.certificate, own.private_key).wrap_socket(sock, server_hostname=None)
        frames = FrameConnection(tls, Throttle(lambda: network.rate_limit(host)), _link_check(host, server, names))
        hello = frames.recv_json()
    except (OSError, WireError) as exc:
        plain.close()
        if isinstance(exc, ssl.SSLError) and not isinstance(exc, ssl.SSLEOFError):
            raise _fail(host, winerrors.SECURE_FAILURE, server, f"TLS handshake: {exc.reason or exc}") from exc
        # The Python/OpenSSL text (e.g. "[SSL: UNEXPECTED_EOF_WHILE_READING] ... (_ssl.c:1006)") is no part
        # of what Windows shows: it goes to the log, the message keeps the Windows reason only.
        log.debug("connection to %s closed by the listener: %s", server, exc)
        raise _fail(host, winerrors.CANNOT_CONNECT, server, "the listener closed the connection") from exc
    leaf_der = tls.getpeercert(binary_form=True)
    presented = [x509.load_der_x509_certificate(leaf_der)] if leaf_der else []
    presented += [from_pem(p) for p in hello.get("chain", [])]
    try:
        check_peer(presented, trust_policy(host, view), expected_name=server)
    except CertificateCheckError as exc:
        frames.close()
        raise _fail(host, exc.failure, server, exc.detail) from exc
    try:
        frames.send_json({"op": AUTHENTICATE})
        verdict = frames.recv_json()
    except (OSError, WireError, ssl.SSLError) as exc:
        frames.close()
        raise _fail(host, winerrors.CONNECTION_ABORTED, server, str(exc)) from exc
    if not verdict.get("ok"):
        frames.close()
        failure = winerrors.BY_SYMBOL.get(str(verdict.get("transport")), winerrors.CONNECTION_ABORTED)
        raise _fail(host, failure, server, str(verdict.get("detail", "")), detected_by="replica")
    log.info("replication channel to %s open (replica accepted %s)", server, verdict.get("peer"))
    return TlsChannel(host, server, frames)


def _safe_fqdn(view: Any) -> str:
    try:
        return str(view.fqdn())
    except SimError:
        return str(view.computer_name())
