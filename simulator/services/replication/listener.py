"""The replica server's HTTPS listener: accepts primaries, authenticates them, runs replica operations.

One listening socket per host, on its own loopback address and the configured
CertificateAuthenticationPort when it can bind it (443 as root), else on a free port; the mapping is
published in ``listeners.json`` (network.py). Whether the listener *answers* is decided for every
connection from the current state, as Windows' HTTP.sys registration would be: replica server
enabled with certificate authentication, its certificate present with a private key, the firewall
open on the port, replication not "down" and the link to the caller not cut. When any condition
fails, the connection is closed before the TLS handshake and the primary reports
ERROR_WINHTTP_CANNOT_CONNECT.
"""

from __future__ import annotations

import contextlib
import logging
import socket
import ssl
import threading
from typing import TYPE_CHECKING, Any

from cryptography.hazmat.primitives import serialization

from simulator.core.errors import SimError
from simulator.services.replication import network, winerrors
from simulator.services.replication.api import REPLICA_OPERATIONS, PeerIdentity
from simulator.services.replication.hostview import HostView, view_for
from simulator.services.replication.tls import from_pem, server_context, to_pem
from simulator.services.replication.verify import (
    CertificateCheckError,
    TrustPolicy,
    certificate_names,
    check_peer,
    thumbprint,
)
from simulator.services.replication.wire import FrameConnection, Throttle, WireError

DER = serialization.Encoding.DER

if TYPE_CHECKING:
    from cryptography import x509

    from simulator.core.host import Host

log = logging.getLogger(__name__)

AUTHENTICATE = "__authenticate__"
IO_TIMEOUT_SECONDS = 60.0


def trust_policy(host: Host, view: HostView) -> TrustPolicy:
    """The checking host's stores, clock and revocation settings."""
    return TrustPolicy(
        roots=view.roots(),
        intermediates=view.intermediates(),
        now=host.clock.now(),
        check_revocation=view.revocation_check_enabled(),
        is_revoked=view.is_revoked,
        has_reachable_crl=view.has_reachable_crl,
    )


def log_failure(host: Host, failure: winerrors.Failure, detected_by: str, message: str, **data: Any) -> None:
    """Write the Hyper-V-VMMS-Admin event of a transport failure on the host that detected it."""
    level = "Warning" if failure in (winerrors.CANNOT_CONNECT, winerrors.CONNECTION_ABORTED) else "Error"
    with host.transaction():
        host.write_event(winerrors.EVENT_LOG, winerrors.failure_event_id(failure, detected_by), level, message,
                         hresult=f"0x{failure.hresult:08X}", symbol=failure.symbol, **data)


class ReplicationListener:
    """The listener of one running host (start with :meth:`sync`, stop with :meth:`close`)."""

    def __init__(self, host: Host, runtime: network.Runtime) -> None:
        self.host = host
        self.runtime = runtime
        self._lock = threading.Lock()
        self._sock: socket.socket | None = None
        self._configured_port: int | None = None
        self._closed = False

    # ------------------------------------------------------------------ socket management
    def configured_port(self) -> int:
        """The CertificateAuthenticationPort (443 when the settings cannot be read yet)."""
        try:
            with self.host.lock:
                return view_for(self.host).replica_server().port
        except SimError:
            return 443

    def sync(self) -> None:
        """(Re)bind for the configured port and publish the mapping; cheap when nothing changed."""
        port = self.configured_port()
        with self._lock:
            if self._closed or (self._sock is not None and port == self._configured_port):
                return
            if self._sock is not None:
                self._sock.close()
            self._sock = self._bind(port)
            self._configured_port = port
            real = self._sock.getsockname()[1]
            network.publish_listeners(self.runtime.state_dir, {port: (self.runtime.bind_address, real)})
            threading.Thread(target=self._accept_loop, args=(self._sock, port), daemon=True,
                             name=f"replication-listener-{real}").start()
            log.info("replication listener for port %d on %s:%d", port, self.runtime.bind_address, real)

    def _bind(self, port: int) -> socket.socket:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        candidates = [port, 0] if self.runtime.prefer_configured_port else [0]
        for candidate in candidates:
            try:
                sock.bind((self.runtime.bind_address, candidate))
                break
            except OSError:
                if candidate == 0:
                    sock.close()
                    raise
                log.info("cannot bind %s:%d, using a free port", self.runtime.bind_address, candidate)
        sock.listen(16)
        return sock

    def close(self) -> None:
        """Stop accepting and unpublish."""
        with self._lock:
            self._closed = True
            if self._sock is not None:
                self._sock.close()
                self._sock = None
            network.publish_listeners(self.runtime.state_dir, {})

    def _accept_loop(self, sock: socket.socket, port: int) -> None:
        while True:
            try:
                conn, _addr = sock.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(conn, port), daemon=True).start()

    # ------------------------------------------------------------------ one connection
    def _answers(self, view: HostView, port: int, caller_names: list[str], to_host: str) -> str | None:
        """Why this listener does not answer a caller now (None when it does)."""
        if to_host and to_host.lower() != str(self.host.info["name"]).lower():
            # A stale listeners.json of a stopped host whose port another host now uses: not us.
            return f"the caller wants {to_host}"
        if network.is_down(self.host):
            return "host down"
        if network.is_cut(self.host, caller_names):
            return "link cut"
        settings = view.replica_server()
        if not settings.enabled or not settings.certificate_auth:
            return "not a replica server with certificate authentication"
        if settings.port != port:
            return f"listening port changed to {settings.port}"
        if view.own_certificate(settings.thumbprint) is None:
            return f"certificate {settings.thumbprint!r} not in LocalMachine\\My with a private key"
        if not view.port_open(port):
            return f"firewall closed on TCP {port}"
        return None

    def _serve(self, conn: socket.socket, port: int) -> None:
        conn.settimeout(IO_TIMEOUT_SECONDS)
        plain = FrameConnection(conn)
        try:
            preamble = plain.recv_json()
            caller_names = [str(preamble.get(k, "")) for k in ("from", "from_fqdn", "from_address")]
            caller = caller_names[1] or caller_names[0]
            presented = [from_pem(p) for p in preamble.get("chain", [])]
            with self.host.lock:
                view = view_for(self.host)
                refusal = self._answers(view, port, caller_names, str(preamble.get("to_host", "")))
                # ASSUMPTION: a listener that would not be registered on Windows looks like a closed port:
                # the connection is dropped before TLS and the primary reports 12029.
                if refusal is not None:
                    log.info("replication listener refuses %s: %s", caller, refusal)
                    plain.close()
                    return
                settings = view.replica_server()
                own = view.own_certificate(settings.thumbprint)
                assert own is not None  # checked by _answers
                verdict, identity = self._authenticate(view, presented, caller)
            ctx = server_context(own.certificate, own.private_key, presented[0] if identity is not None else None)
            tls = ctx.wrap_socket(conn, server_side=True)
            if identity is not None and tls.getpeercert(binary_form=True) != presented[0].public_bytes(DER):
                # Only the announced certificate may authenticate (a CA announced as "leaf" must not).
                tls.close()
                raise ssl.SSLError("the client presented another certificate than it announced")
        except (OSError, WireError, ValueError, ssl.SSLError, SimError) as exc:
            log.info("replication connection failed before TLS: %s", exc)
            plain.close()
            return
        except Exception:  # a simulator bug must not leave the primary hanging: drop the connection
            log.exception("replication listener failed before TLS")
            plain.close()
            return
        channel = FrameConnection(tls, Throttle(lambda: network.rate_limit(self.host)), self._check_link(caller_names))
        try:
            channel.send_json({"chain": [to_pem(c) for c in own.chain]})
            first = channel.recv_json()
            if first.get("op") != AUTHENTICATE:
                return
            channel.send_json(verdict)
            if identity is not None:
                self._serve_requests(channel, identity)
        except (OSError, WireError, SimError, ssl.SSLError) as exc:
            log.info("replication connection from %s ended: %s", caller, exc)
        except Exception:  # same: log it, close the connection
            log.exception("replication connection from %s failed", caller)
        finally:
            channel.close()

    def _check_link(self, caller_names: list[str]) -> Any:
        def check() -> None:
            if network.is_down(self.host) or network.is_cut(self.host, caller_names):
                msg = "link cut"
                raise WireError(msg)
        return check

    def _authenticate(self, view: HostView, presented: list[x509.Certificate],
                      caller: str) -> tuple[dict[str, Any], PeerIdentity | None]:
        """Check the primary's certificate and authorization; the verdict frame and the identity."""
        try:
            check_peer(presented, trust_policy(self.host, view))
        except CertificateCheckError as exc:
            message = (f"Hyper-V failed to authenticate the primary server '{caller}' using certificate-based "
                       f"authentication. Error: {exc.failure.reason} (0x{exc.failure.hresult:08X}). {exc.detail}")
            log_failure(self.host, exc.failure, "replica", message, primary=caller)
            return {"ok": False, "transport": exc.failure.symbol, "detail": exc.detail}, None
        leaf = presented[0]
        names = certificate_names(leaf)
        authorization = view.authorize(names)
        if authorization is None:
            failure = winerrors.NOT_AUTHORIZED
            message = (f"Hyper-V could not accept replication from primary server '{names[0] if names else caller}': "
                       f"no authorization entry matches it (0x{failure.hresult:08X}).")
            log_failure(self.host, failure, "replica", message, primary=caller, names=names)
            return {"ok": False, "transport": failure.symbol, "detail": f"certificate names {names}"}, None
        trust_group, storage = authorization
        identity = PeerIdentity(fqdn=names[0] if names else caller, names=tuple(names), thumbprint=thumbprint(leaf),
                                trust_group=trust_group, storage_location=storage)
        return {"ok": True, "peer": identity.fqdn, "trust_group": trust_group}, identity

    def _serve_requests(self, channel: FrameConnection, identity: PeerIdentity) -> None:
        while True:
            try:
                header = channel.recv_json()
            except WireError:
                return  # the primary closed the channel
            operation = str(header.get("op", ""))
            stream = channel.recv_stream() if header.get("has_data") else None
            reply_data: bytes | None = None
            try:
                handler = REPLICA_OPERATIONS.get(operation)
                if handler is None:
                    raise SimError(f"unknown replica operation {operation!r}", "UnknownReplicaOperation",
                                   "InvalidOperation", hresult=0x80070057)
                with self.host.transaction():
                    reply, reply_data = handler(self.host, identity, dict(header.get("payload") or {}), stream)
                response: dict[str, Any] = {"ok": True, "reply": reply, "has_data": reply_data is not None}
            except SimError as exc:
                response = {"ok": False, "error": {
                    "message": exc.message, "fqid": exc.fully_qualified_error_id, "category": exc.category,
                    "hresult": exc.hresult, "target": exc.target, "exception_type": exc.exception_type}}
                reply_data = None
            except (OSError, WireError):
                raise  # the connection itself failed: nothing can be answered
            except Exception:  # a simulator bug in a handler: answer E_FAIL rather than drop the connection
                log.exception("replica operation %s failed", operation)
                response = {"ok": False, "error": {
                    "message": f"The Replica server failed to process the request '{operation}'. (0x80004005)",
                    "fqid": "ReplicaOperationFailed", "category": "NotSpecified", "hresult": 0x80004005}}
                reply_data = None
            if stream is not None:
                for _ in stream:  # drain what the handler did not read
                    pass
            channel.send_json(response)
            if reply_data is not None:
                channel.send_stream([reply_data])


_LISTENERS: dict[str, ReplicationListener] = {}
_LISTENERS_LOCK = threading.Lock()


def start(host: Host, runtime: network.Runtime) -> ReplicationListener:
    """Start (or return) the listener of ``host``."""
    with _LISTENERS_LOCK:
        key = str(runtime.state_dir.resolve())
        listener = _LISTENERS.get(key)
        if listener is None:
            listener = ReplicationListener(host, runtime)
            _LISTENERS[key] = listener
    listener.sync()
    return listener


def stop(host: Host) -> None:
    """Stop the listener of ``host`` if it runs."""
    with _LISTENERS_LOCK:
        listener = _LISTENERS.pop(str(host.state_dir.resolve()), None)
    if listener is not None:
        listener.close()


def sync(host: Host) -> None:
    """Re-read the listener settings of ``host`` (Hyper-V may call this after Set-VMReplicationServer)."""
    with _LISTENERS_LOCK:
        listener = _LISTENERS.get(str(host.state_dir.resolve()))
    if listener is not None:
        with contextlib.suppress(OSError):
            listener.sync()
