"""Test double for the replication transport: an in-process channel that calls the replica's operations directly.

It stands in for helper G's mutual-TLS channel so the Hyper-V state machine can be tested on two
in-process hosts. It keeps the transport's contract: name lookup (by FQDN), the listener being up
(replica server enabled), authorization through ``authorize``, a replica-side transaction per call,
and the byte stream re-cut into small chunks (as a socket would) — while recording the largest
chunk it ever carried, so tests can check that disks are streamed, not loaded whole.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from simulator.core.errors import SimError
from simulator.core.host import Host
from simulator.services.hyperv import authorize
from simulator.services.hyperv.server import server_settings
from simulator.services.replication.api import REPLICA_OPERATIONS, PeerIdentity

CHUNK = 4096


def _failure(message: str, hresult: int) -> SimError:
    return SimError(f"{message} (0x{hresult:08X}).", "FakeTransportFailure,Microsoft.HyperV.PowerShell.Replication",
                    "ConnectionError", hresult=hresult, terminating=True)


@dataclass
class FakeLab:
    """Hosts by FQDN, with a switchable network cut."""

    hosts: dict[str, Host] = field(default_factory=dict)
    names: dict[int, str] = field(default_factory=dict)
    cut: bool = False
    largest_chunk: int = 0
    calls: list[str] = field(default_factory=list)

    def add(self, host: Host, fqdn: str) -> Host:
        self.hosts[fqdn.lower()] = host
        self.names[id(host)] = fqdn
        return host

    def open_channel(self, host: Host, replica_server: str, port: int, thumbprint: str) -> FakeChannel:
        replica = self.hosts.get(replica_server.lower())
        if replica is None:
            raise _failure("The server name or address could not be resolved", 0x00002EE7)
        settings = server_settings(replica)
        if self.cut or not settings["enabled"] or settings["certificate_port"] != port:
            raise _failure("A connection with the server could not be established", 0x00002EFD)
        primary = self.names[id(host)]
        decision = authorize(replica, [primary])
        if decision is None:
            raise _failure(f"The primary server '{primary}' is not authorized to replicate to this Replica server",
                           0x80070005)
        peer = PeerIdentity(primary, (primary,), thumbprint, decision[0], decision[1])
        return FakeChannel(self, replica, peer)


@dataclass
class FakeChannel:
    """One connection: each call runs the replica operation inside the replica host's transaction."""

    lab: FakeLab
    replica: Host
    peer: PeerIdentity

    def _recut(self, data: Iterable[bytes]) -> Iterator[bytes]:
        for chunk in data:
            self.lab.largest_chunk = max(self.lab.largest_chunk, len(chunk))
            for start in range(0, len(chunk), CHUNK):
                yield chunk[start:start + CHUNK]

    def call(self, operation: str, payload: dict[str, Any],
             data: Iterable[bytes] | None = None) -> tuple[dict[str, Any], bytes | None]:
        if self.lab.cut:
            raise _failure("The connection with the server was terminated abnormally", 0x00002EFE)
        self.lab.calls.append(operation)
        stream = self._recut(data) if data is not None else None
        with self.replica.transaction():
            return REPLICA_OPERATIONS[operation](self.replica, self.peer, payload, stream)

    def close(self) -> None:
        pass

    def __enter__(self) -> FakeChannel:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
