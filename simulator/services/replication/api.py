"""The seam between Hyper-V (VM replication logic) and the replication transport (mutual TLS on 443).

The Hyper-V subsystem (``services/hyperv``) decides *what* to send; the transport
(``services/replication``) decides *whether and how* a primary reaches a replica: name resolution
through the dialling host's hosts file, the lab's map of virtual addresses, the listener being up
(replica server enabled, certificate configured, firewall rule open), mutual TLS with the selected
certificates, each side checking the peer's certificate, and the replica's authorization entries.

Primary side::

    with open_channel(host, "hyper-v-repl.test.net", 443, thumbprint) as channel:
        reply, data = channel.call("create_replica_vm", {...}, data=None)

Replica side: ``@replica_operation("create_replica_vm")`` registers
``handler(host, peer, payload, data) -> (reply_dict, reply_bytes_or_None)``, called after the
transport authenticated and authorized the peer. Failures on either side are
:class:`~simulator.core.errors.SimError` with the Windows HRESULT and are mirrored as
Hyper-V-VMMS-Admin events on the host that detected them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from simulator.core.host import Host


@dataclass(frozen=True)
class PeerIdentity:
    """Who is calling the replica, as established by mutual TLS.

    Attributes:
        fqdn: the primary's name taken from its certificate (Subject CN or first SAN DNS name).
        names: every DNS name in the primary's certificate.
        thumbprint: the primary certificate's thumbprint.
        trust_group: the trust group of the authorization entry that matched ("DEFAULT" with
            ReplicationAllowedFromAnyServer).
        storage_location: where the replica keeps this primary's VMs (from that entry or the
            server's default location).
    """

    fqdn: str
    names: tuple[str, ...]
    thumbprint: str
    trust_group: str
    storage_location: str


class Channel(Protocol):
    """An authenticated connection from a primary to a replica server."""

    def call(self, operation: str, payload: dict[str, Any],
             data: Iterable[bytes] | None = None) -> tuple[dict[str, Any], bytes | None]:
        """Send one request (JSON payload plus an optional byte stream); return the reply."""

    def close(self) -> None:
        """Close the connection."""

    def __enter__(self) -> Channel: ...

    def __exit__(self, *exc: object) -> None: ...


DataStream = Iterator[bytes | bytearray]  # the chunks of a request's byte stream, as they arrive
ReplicaOperation = Callable[["Host", PeerIdentity, dict[str, Any], DataStream | None],
                            tuple[dict[str, Any], bytes | None]]
REPLICA_OPERATIONS: dict[str, ReplicaOperation] = {}


def replica_operation(name: str) -> Callable[[ReplicaOperation], ReplicaOperation]:
    """Register the replica-side handler of one operation (called under the replica host's lock)."""

    def register(handler: ReplicaOperation) -> ReplicaOperation:
        if name in REPLICA_OPERATIONS:
            msg = f"replica operation {name} registered twice"
            raise ValueError(msg)
        REPLICA_OPERATIONS[name] = handler
        return handler

    return register


def open_channel(host: Host, replica_server: str, port: int, thumbprint: str) -> Channel:
    """Connect ``host`` (the primary) to ``replica_server:port`` with certificate ``thumbprint``.

    Raises:
        SimError: with the Windows HRESULT for every failure (name not resolved, listener down,
            certificate problems on either side, not authorized); the event is logged on the host
            that detected it.
    """
    from simulator.services.replication.channel import connect  # noqa: PLC0415 - transport loads lazily

    return connect(host, replica_server, port, thumbprint)
