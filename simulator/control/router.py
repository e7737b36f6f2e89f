"""The control plane ``/_sim/…``: what a test or the lab may do to a host that Windows offers no API for.

Read the state tree (secrets masked), take and restore snapshots of the whole host (state and drive
files), advance the simulated clock, read events, check health. Every endpoint needs the host's
credentials (HTTP Basic) or the control token of host.json (``Authorization: Bearer <token>``);
other routers (e.g. replication faults) reuse :func:`require_control_auth` as a dependency.

Endpoints (JSON in, JSON out)::

    GET  /_sim/health                       {"status": "ok", "name", "pid", "time"}
    GET  /_sim/state                        the state tree; private keys, PFX and passwords as "***"
    GET  /_sim/events?since=N&log_name=L    event records with record_id > N
    POST /_sim/clock/advance {"seconds": S} {"time", "offset_seconds"}; saved before the answer
    POST /_sim/clock/rate {"rate": R}       virtual seconds per real second from now on (1 = real time)
    POST /_sim/snapshot {"name": N}         copy state.json and the drives to <state_dir>/snapshots/N
    POST /_sim/restore  {"name": N}         put them back (404 if no such snapshot)
"""

from __future__ import annotations

import copy
import hmac
import importlib
import json
import logging
import re
import shutil
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fastapi import APIRouter, Depends, HTTPException, Request
from pydantic import BaseModel, Field

from simulator.core.host import STATE_FILE, atomic_write_bytes

if TYPE_CHECKING:
    from simulator.app import Runtime

log = logging.getLogger(__name__)

MASK = "***"
_SECRET_KEY = re.compile(r"(private|pfx|password|secret|token|key_pem|pkcs12)", re.IGNORECASE)
_SNAPSHOT_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


def require_control_auth(request: Request) -> Runtime:
    """FastAPI dependency: 401 unless the request carries the host's credentials or control token."""
    runtime: Runtime = request.app.state.runtime
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer" and hmac.compare_digest(value.strip().encode(), runtime.control_token.encode()):
        return runtime
    if scheme.lower() == "basic" and runtime.authenticator.check_basic(header):
        return runtime
    raise HTTPException(401, "control plane: credentials required", {"WWW-Authenticate": 'Basic realm="hvsim"'})


router = APIRouter(prefix="/_sim", dependencies=[Depends(require_control_auth)])


def mask_secrets(value: Any) -> Any:
    """A copy of the state tree with private keys, PFX bytes and passwords replaced by ``***``."""
    if isinstance(value, dict):
        return {k: (MASK if _SECRET_KEY.search(str(k)) and v not in (None, "", [], {}) else mask_secrets(v))
                for k, v in value.items()}
    if isinstance(value, list):
        return [mask_secrets(v) for v in value]
    if isinstance(value, str) and "PRIVATE KEY-----" in value:
        return MASK
    return value


class SnapshotRequest(BaseModel):
    """Body of snapshot and restore."""

    name: str = Field(min_length=1, max_length=64)


class AdvanceRequest(BaseModel):
    """Body of clock/advance."""

    seconds: float = Field(ge=0, le=100 * 365 * 86400)


@router.get("/health")
def health(request: Request) -> dict[str, Any]:
    """Liveness and identity."""
    runtime: Runtime = request.app.state.runtime
    return {"status": "ok", "name": runtime.name, "pid": runtime.info.get("pid"), "time": runtime.host.clock.now()}


@router.get("/state")
def state(request: Request) -> dict[str, Any]:
    """The whole state tree, secrets masked."""
    runtime: Runtime = request.app.state.runtime
    with runtime.host.lock:
        return mask_secrets(copy.deepcopy(runtime.host.state))


@router.get("/events")
def events(request: Request, since: int = 0, log_name: str | None = None) -> list[dict[str, Any]]:
    """Events with a record id above ``since`` (optionally of one log)."""
    runtime: Runtime = request.app.state.runtime
    with runtime.host.lock:
        found = [e for e in runtime.host.state.get("events", []) if e["record_id"] > since]
    if log_name:
        found = [e for e in found if str(e.get("log_name", "")).lower() == log_name.lower()]
    return mask_secrets(copy.deepcopy(found))


@router.post("/clock/advance")
def clock_advance(body: AdvanceRequest, request: Request) -> dict[str, Any]:
    """Move the simulated clock forward; saved before the answer."""
    runtime: Runtime = request.app.state.runtime
    with runtime.host.transaction(rollback=True):
        now = runtime.host.clock.advance(body.seconds)
        offset = runtime.host.state["clock"]["offset_seconds"]
    return {"time": now.isoformat(), "offset_seconds": offset}


class RateRequest(BaseModel):
    """Body of clock/rate."""

    rate: float = Field(ge=1, le=1_000_000)


@router.post("/clock/rate")
def clock_rate(body: RateRequest, request: Request) -> dict[str, Any]:
    """Accelerate (or restore) simulated time; what elapsed at the old rate is kept in the offset."""
    runtime: Runtime = request.app.state.runtime
    with runtime.host.transaction(rollback=True):
        clock = runtime.host.state.setdefault("clock", {"offset_seconds": 0.0, "rate": 1.0, "rate_since": None})
        real_now = time.time()
        since, old_rate = clock.get("rate_since"), float(clock.get("rate", 1.0))
        if since is not None and old_rate != 1.0:
            elapsed = real_now - float(since)
            clock["offset_seconds"] = float(clock.get("offset_seconds", 0.0)) + elapsed * (old_rate - 1)
        clock["rate"] = body.rate
        clock["rate_since"] = real_now if body.rate != 1.0 else None
        now = runtime.host.clock.now()
    return {"time": now.isoformat(), "rate": body.rate}


def _snapshot_dir(runtime: Runtime, name: str) -> Path:
    if not _SNAPSHOT_NAME.match(name):
        raise HTTPException(422, "snapshot names are 1-64 letters, digits, '_', '.' or '-'")
    return runtime.state_dir / "snapshots" / name


@router.post("/snapshot")
def snapshot(body: SnapshotRequest, request: Request) -> dict[str, Any]:
    """Copy the state and every drive's files under ``snapshots/<name>`` (replacing an older one)."""
    runtime: Runtime = request.app.state.runtime
    target = _snapshot_dir(runtime, body.name)
    staging = target.with_name(f".{body.name}.{time.monotonic_ns()}")
    with runtime.host.lock:
        runtime.host.save()
        staging.mkdir(parents=True)
        shutil.copy2(runtime.state_dir / STATE_FILE, staging / STATE_FILE)
        for letter in runtime.host.drives:
            drive = runtime.state_dir / letter
            if drive.is_dir():
                shutil.copytree(drive, staging / letter, symlinks=True)
    if target.exists():
        shutil.rmtree(target)
    staging.rename(target)
    log.info("snapshot %s taken", body.name)
    return {"name": body.name}


@router.post("/restore")
def restore(body: SnapshotRequest, request: Request) -> dict[str, Any]:
    """Bring back the whole host (state and drive files) as it was at the snapshot."""
    runtime: Runtime = request.app.state.runtime
    source = _snapshot_dir(runtime, body.name)
    if not (source / STATE_FILE).is_file():
        raise HTTPException(404, f"no snapshot named {body.name}")
    saved_state = json.loads((source / STATE_FILE).read_text(encoding="utf-8"))
    host = runtime.host
    with host.lock:
        stamp = time.monotonic_ns()
        staged = {}
        for letter in host.drives:  # copy first: a failure here leaves the host untouched
            staged[letter] = runtime.state_dir / f".restore-{letter}-{stamp}"
            if (source / letter).is_dir():
                shutil.copytree(source / letter, staged[letter], symlinks=True)
            else:
                staged[letter].mkdir()
        for letter, new_drive in staged.items():
            drive = runtime.state_dir / letter
            old = runtime.state_dir / f".old-{letter}-{stamp}"
            if drive.exists():
                drive.rename(old)
            new_drive.rename(drive)
            shutil.rmtree(old, ignore_errors=True)
        host.state.clear()
        host.state.update(saved_state)
        atomic_write_bytes(runtime.state_dir / STATE_FILE, json.dumps(saved_state, sort_keys=True, indent=1).encode())
        host.save()
    _resync_services(host)
    log.info("snapshot %s restored", body.name)
    return {"name": body.name}


def _resync_services(host: Any) -> None:
    """Let services that mirror the state outside it (the replication listener's port) follow a restore at once.

    Without this the listener kept a port the restored state no longer names until its next tick.
    """
    try:
        listener = importlib.import_module("simulator.services.replication.listener")
    except ModuleNotFoundError:  # the replication service is optional
        return
    listener.sync(host)
