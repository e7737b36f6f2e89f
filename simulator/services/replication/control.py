"""Replication faults and time on the control plane: ``/_sim/replication/…`` (mounted by the app if present).

What a lab or a scenario does to a host that Windows has no API for: cut or restore its network link
to a peer, mark replication on it down, cap its bandwidth, revoke a certificate in its view, shrink a
drive (disk full), write into a VM's disk, and move or accelerate its clock (then run the replication
cycles that fell due). Faults are per host: to cut a link both ways, call both hosts; to revoke a
certificate, call the host that *checks* it. Every endpoint needs the control plane's credentials
(:func:`simulator.control.router.require_control_auth`).

Endpoints (JSON bodies)::

    GET  /_sim/replication/status               faults, published listener ports, simulated time
    POST /_sim/replication/network/cut          {"peer": name | FQDN | virtual address | "*"}
    POST /_sim/replication/network/restore      {"peer": ... | null (all)}
    POST /_sim/replication/host/down            {"down": true | false}
    POST /_sim/replication/network/rate         {"bytes_per_second": n | null}
    POST /_sim/replication/certificates/revoke  {"serial": hex} | {"thumbprint": hex}
    POST /_sim/replication/disk/capacity        {"drive": "D", "capacity_bytes": n}
    POST /_sim/replication/guest/write          {"vm", "offset", "data_base64", "disk": 0}
    POST /_sim/replication/clock/advance        {"seconds": s}   (then runs due cycles)
    POST /_sim/replication/clock/rate           {"rate": r}      (virtual seconds per real second)
    POST /_sim/replication/run-due              runs due cycles now
    POST /_sim/replication/initial-replication/background  {"enabled": true | false}
                                                network initial replication after the cmdlet returns
    GET  /_sim/replication/events?since=N       Hyper-V-VMMS-Admin events

Faults take effect at once, even during a transfer that holds the host lock (network.set_faults).
"""

from __future__ import annotations

import base64
import binascii
import logging
import time
from typing import TYPE_CHECKING, Any

from fastapi import APIRouter, Depends, HTTPException, Request
from pydantic import BaseModel, Field

from simulator.control.router import require_control_auth
from simulator.core.errors import SimError
from simulator.services import replication
from simulator.services.replication import network, winerrors

if TYPE_CHECKING:
    from simulator.core.host import Host

log = logging.getLogger(__name__)

router = APIRouter(prefix="/_sim/replication", dependencies=[Depends(require_control_auth)])


def _host(request: Request) -> Host:
    host: Host = request.app.state.runtime.host
    return host


class PeerRequest(BaseModel):
    """A peer by name, FQDN or virtual address (``*`` = every peer)."""

    peer: str = Field(min_length=1, max_length=255)


class RestoreRequest(BaseModel):
    """A peer to reconnect; None reconnects every peer."""

    peer: str | None = None


class DownRequest(BaseModel):
    """Replication on this host down (True) or back up (False)."""

    down: bool = True


class RateRequest(BaseModel):
    """A bandwidth cap in bytes per second; None removes it."""

    bytes_per_second: int | None = Field(default=None, ge=1)


class RevokeRequest(BaseModel):
    """A certificate to revoke, by serial number (hex) or by the thumbprint of one in this host's stores."""

    serial: str | None = Field(default=None, pattern=r"^[0-9A-Fa-f ]{1,80}$")
    thumbprint: str | None = Field(default=None, pattern=r"^[0-9A-Fa-f ]{40,59}$")


class CapacityRequest(BaseModel):
    """A drive's new virtual size in bytes (small = disk full)."""

    drive: str = Field(pattern=r"^[A-Za-z]:?$")
    capacity_bytes: int = Field(ge=0)


class AdvanceRequest(BaseModel):
    """Seconds to move the clock forward."""

    seconds: float = Field(ge=0, le=100 * 365 * 86400)


class ClockRateRequest(BaseModel):
    """Virtual seconds per real second (1 = real time)."""

    rate: float = Field(ge=1, le=100_000)


class GuestWriteRequest(BaseModel):
    """Bytes (base64) the guest writes into one of a VM's disks."""

    vm: str = Field(min_length=1)
    offset: int = Field(ge=0)
    data_base64: str
    disk: int = Field(default=0, ge=0)


def _sim_error(exc: SimError) -> HTTPException:
    return HTTPException(409, {"message": exc.message, "fqid": exc.fully_qualified_error_id,
                               "hresult": exc.hresult_hex})


def _status(host: Host) -> dict[str, Any]:
    runtime = network.runtime_of(host)
    faults = network.current_faults(host)
    return {
        "name": host.info["name"],
        "faults": {"cut": list(faults.get("cut", [])), "down": bool(faults.get("down")),
                   "rate_bytes_per_sec": faults.get("rate_bytes_per_sec")},
        "listeners": {str(p): {"address": a, "port": r}
                      for p, (a, r) in network.read_listeners(host.state_dir).items()},
        "lab_file": str(runtime.lab_file) if runtime and runtime.lab_file else None,
        "time": host.clock.now().isoformat(),
    }


@router.get("/status")
def replication_status(request: Request) -> dict[str, Any]:
    """Injected faults, the published listener ports and the simulated time."""
    return _status(_host(request))  # no lock: answers even while a transfer holds the host


@router.post("/network/cut")
def network_cut(body: PeerRequest, request: Request) -> dict[str, Any]:
    """Cut this host's link to a peer: new connections fail (0x00002EFD), transfers in flight abort."""
    host = _host(request)

    def add(faults: dict[str, Any]) -> None:
        cut: list[str] = faults.setdefault("cut", [])
        if body.peer.lower() not in (c.lower() for c in cut):
            cut.append(body.peer)

    network.set_faults(host, add)
    return _status(host)


@router.post("/network/restore")
def network_restore(body: RestoreRequest, request: Request) -> dict[str, Any]:
    """Restore the link to one peer (or every link)."""
    host = _host(request)

    def remove(faults: dict[str, Any]) -> None:
        faults["cut"] = [] if body.peer is None else [c for c in faults.get("cut", [])
                                                      if c.lower() != body.peer.lower()]

    network.set_faults(host, remove)
    return _status(host)


@router.post("/host/down")
def host_down(body: DownRequest, request: Request) -> dict[str, Any]:
    """Replication on this host down (listener refuses, its own connections fail) or back up."""
    host = _host(request)
    network.set_faults(host, lambda faults: faults.update(down=body.down))
    return _status(host)


@router.post("/network/rate")
def network_rate(body: RateRequest, request: Request) -> dict[str, Any]:
    """Cap what this host sends over replication channels (bytes per second), or lift the cap."""
    host = _host(request)
    network.set_faults(host, lambda faults: faults.update(rate_bytes_per_sec=body.bytes_per_second))
    return _status(host)


def _serial_of(host: Host, thumbprint: str) -> str | None:
    """The serial of a certificate in this host's stores, else in a lab peer's (read from its saved state)."""
    from simulator.core.host import Host as HostState  # noqa: PLC0415 - peers' states are read only here
    from simulator.services.certs import store  # noqa: PLC0415 - the certs subsystem loads with the services

    runtime = network.runtime_of(host)
    candidates = [host]
    for peer in network.lab_peers(runtime.lab_file if runtime else None):
        if peer.state_dir.resolve() != host.state_dir.resolve() and (peer.state_dir / "state.json").exists():
            candidates.append(HostState.open(peer.state_dir))  # a read-only copy: never saved from here
    for candidate in candidates:
        for name in ("My", "CA", "Root", "TrustedPeople"):
            entry = store.find_certificate(candidate, thumbprint, name)
            if entry is not None:
                return format(entry.certificate.serial_number, "X")
    return None


@router.post("/certificates/revoke")
def revoke_certificate(body: RevokeRequest, request: Request) -> dict[str, Any]:
    """Revoke a certificate as this host's revocation checks will see it (helper D's revocation list)."""
    from simulator.services.certs import store  # noqa: PLC0415 - the certs subsystem loads with the services

    host = _host(request)
    serial = body.serial
    if serial is None and body.thumbprint is not None:
        serial = _serial_of(host, body.thumbprint)
        if serial is None:
            raise HTTPException(404, f"no certificate with thumbprint {body.thumbprint} on this host or its lab peers")
    if serial is None:
        raise HTTPException(422, "give a serial or a thumbprint")
    try:
        int(serial.replace(" ", ""), 16)
    except ValueError:
        raise HTTPException(422, f"serial {serial!r} is not a hexadecimal number") from None
    with host.transaction(rollback=True):
        kept = store.revoke(host, serial)
    return {"revoked": kept}  # the serial as the revocation list keeps it (a leading zero dropped)


@router.post("/disk/capacity")
def disk_capacity(body: CapacityRequest, request: Request) -> dict[str, Any]:
    """Set a drive's virtual capacity (the disk-full fault)."""
    from simulator.services import filesystem  # noqa: PLC0415 - loads with the services

    host = _host(request)
    drive = body.drive.upper().rstrip(":")
    if drive not in host.drives:
        raise HTTPException(404, f"this host has no drive {drive}:")
    with host.transaction(rollback=True):
        filesystem.set_capacity(host, drive, body.capacity_bytes)
        return {"drive": drive, "capacity_bytes": body.capacity_bytes, "free_bytes": filesystem.free_bytes(host, drive)}


@router.post("/guest/write")
def guest_write(body: GuestWriteRequest, request: Request) -> dict[str, Any]:
    """Write bytes into a VM's virtual disk, as its guest would (tracked for replication)."""
    from simulator.services.hyperv import write_guest_data  # noqa: PLC0415 - loads with the services

    try:
        data = base64.b64decode(body.data_base64, validate=True)
    except binascii.Error as exc:
        raise HTTPException(422, "data_base64 is not base64") from exc
    try:
        write_guest_data(_host(request), body.vm, body.offset, data, body.disk)
    except SimError as exc:
        raise _sim_error(exc) from exc
    return {"vm": body.vm, "offset": body.offset, "length": len(data)}


def _run_due(host: Host) -> None:
    try:
        replication.run_due(host)
    except SimError as exc:
        raise _sim_error(exc) from exc


@router.post("/clock/advance")
def clock_advance(body: AdvanceRequest, request: Request) -> dict[str, Any]:
    """Move the clock forward, then run every replication cycle that fell due."""
    host = _host(request)
    with host.transaction(rollback=True):
        host.clock.advance(body.seconds)
    _run_due(host)
    with host.lock:
        return _status(host)


@router.post("/clock/rate")
def clock_rate(body: ClockRateRequest, request: Request) -> dict[str, Any]:
    """Accelerate (or restore) the clock: from now on, ``rate`` virtual seconds pass per real second."""
    host = _host(request)
    with host.transaction(rollback=True):
        real = time.time()
        offset = host.clock.now().timestamp() - real
        since = real if body.rate != 1 else None
        host.state["clock"] = {"offset_seconds": offset, "rate": body.rate, "rate_since": since}
        return _status(host)


@router.post("/run-due")
def run_due_now(request: Request) -> dict[str, Any]:
    """Run the replication cycles due now (the background tick does this every second)."""
    host = _host(request)
    _run_due(host)
    with host.lock:
        return _status(host)


class BackgroundRequest(BaseModel):
    """Body of initial-replication/background."""

    enabled: bool


@router.post("/initial-replication/background")
def initial_replication_background(body: BackgroundRequest, request: Request) -> dict[str, Any]:
    """Let Start-VMInitialReplication return at once with InitialReplicationInProgress, as on Windows; the copy
    then runs on the replication tick (off by default: the copy completes inside the cmdlet)."""
    host = _host(request)
    with host.transaction(rollback=True):
        host.state.setdefault("hyperv", {})["background_initial_replication"] = body.enabled
    return {"background_initial_replication": body.enabled}


@router.get("/events")
def replication_events(request: Request, since: int = 0) -> list[dict[str, Any]]:
    """Hyper-V-VMMS-Admin events with a record id above ``since``."""
    host = _host(request)
    with host.lock:
        return [dict(e) for e in host.state.get("events", [])
                if e["record_id"] > since and e.get("log_name") == winerrors.EVENT_LOG]
