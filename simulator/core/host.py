"""One simulated host: its state tree, the C: drive, the clock, the event log, and durable saves.

Each Windows subsystem keeps its part of the state as plain JSON-compatible data under
``host.state[<section>]`` (``registry``, ``firewall``, ``certs``, ``hyperv`` …) and owns the shape
of that section. Files of the C: drive are real files under ``<state_dir>/C``. Every change goes
through :meth:`Host.transaction`, which holds the host lock and, on success, writes
``state.json`` atomically (temporary file, fsync, rename, fsync of the folder) before the caller
acknowledges anything; a failed transaction rolls the in-memory state back. So a kill -9 at any
moment leaves either the old or the new state on disk, never a torn one.
"""

from __future__ import annotations

import contextlib
import copy
import datetime as dt
import hashlib
import json
import logging
import os
import tempfile
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path, PureWindowsPath
from typing import Any

log = logging.getLogger(__name__)

STATE_FILE = "state.json"
STATE_FORMAT = 1


def atomic_write_bytes(path: Path, data: bytes, mode: int = 0o600) -> None:
    """Write ``data`` to ``path`` so that readers see either the old or the new content."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


@dataclass
class SimClock:
    """The host's view of time: real UTC time plus an offset that the control plane can advance.

    The offset lives in ``state["clock"]`` so it survives restarts. ``rate`` > 1 accelerates time
    (virtual seconds per real second) from the moment it was set.
    """

    state: dict[str, Any]

    def now(self) -> dt.datetime:
        """Current simulated time, timezone-aware UTC."""
        clock = self.state.setdefault("clock", {"offset_seconds": 0.0, "rate": 1.0, "rate_since": None})
        real = dt.datetime.now(dt.UTC)
        offset = float(clock.get("offset_seconds", 0.0))
        rate = float(clock.get("rate", 1.0))
        since = clock.get("rate_since")
        if rate != 1.0 and since is not None:
            elapsed = real.timestamp() - float(since)
            offset += elapsed * (rate - 1.0)
        return real + dt.timedelta(seconds=offset)

    def advance(self, seconds: float) -> dt.datetime:
        """Move simulated time forward (never backward) and return the new time."""
        if seconds < 0:
            msg = "the simulated clock only moves forward"
            raise ValueError(msg)
        clock = self.state.setdefault("clock", {"offset_seconds": 0.0, "rate": 1.0, "rate_since": None})
        clock["offset_seconds"] = float(clock.get("offset_seconds", 0.0)) + seconds
        return self.now()


@dataclass
class HostInfo:
    """Facts fixed when the host is created (the topology), stored in ``state["info"]``."""

    name: str
    os_version: str = "2016"
    address: str = "127.0.0.1"
    virtual_address: str | None = None


@dataclass
class Host:
    """A simulated Windows host. Create with :meth:`Host.open`.

    Attributes:
        state_dir: folder holding ``state.json``, ``host.json`` and the ``C`` drive.
        state: the state tree; mutate only inside :meth:`transaction`.
        lock: serialises commands, control-plane calls and replication traffic on this host.
    """

    state_dir: Path
    state: dict[str, Any]
    lock: threading.RLock = field(default_factory=threading.RLock)
    _saved_digest: str = ""
    _depth: int = 0

    # ----------------------------------------------------------------- creation and loading
    @classmethod
    def open(cls, state_dir: Path, info: HostInfo | None = None, topology: dict[str, Any] | None = None) -> Host:
        """Load the host from ``state_dir``, or create it from ``info`` and ``topology``.

        An existing ``state.json`` always wins: restarting never resets a host.
        """
        state_dir = Path(state_dir)
        state_file = state_dir / STATE_FILE
        if state_file.exists():
            state = json.loads(state_file.read_text(encoding="utf-8"))
            host = cls(state_dir=state_dir, state=state)
            host._saved_digest = host._digest()
            return host
        if info is None:
            msg = f"{state_file} does not exist and no host info was given to create it"
            raise FileNotFoundError(msg)
        state = {
            "format": STATE_FORMAT,
            "info": {
                "name": info.name,
                "os_version": info.os_version,
                "address": info.address,
                "virtual_address": info.virtual_address,
            },
            "clock": {"offset_seconds": 0.0, "rate": 1.0, "rate_since": None},
            "events": [],
        }
        host = cls(state_dir=state_dir, state=state)
        for letter in host.drives:
            (state_dir / letter).mkdir(parents=True, exist_ok=True)
        from simulator.services import initial_state  # noqa: PLC0415 - services import core, not the reverse

        initial_state(host, topology or {})
        host.save()
        return host

    # ----------------------------------------------------------------- facts
    @property
    def info(self) -> dict[str, Any]:
        """The ``info`` section (name, os_version, address, virtual_address)."""
        info: dict[str, Any] = self.state["info"]
        return info

    @property
    def os_version(self) -> str:
        """``"2016"``, ``"2019"`` or ``"2022"``."""
        return str(self.info["os_version"])

    @property
    def clock(self) -> SimClock:
        """The simulated clock."""
        return SimClock(self.state)

    @property
    def drive_root(self) -> Path:
        """The real folder that holds this host's C: drive."""
        return self.state_dir / "C"

    @property
    def drives(self) -> list[str]:
        """Drive letters this host has (``["C", "D"]`` unless the topology says otherwise)."""
        return [str(d).upper().rstrip(":") for d in self.info.get("drives", ["C", "D"])]

    def real_path(self, windows_path: str) -> Path:
        """Map an absolute Windows path (``C:\\Windows\\…``, ``D:\\Replica``) to its real file.

        Each drive letter X is the folder ``<state_dir>/X``.

        Raises:
            ValueError: for a drive the host does not have, a relative path, or ``..`` escaping it.
        """
        win = PureWindowsPath(windows_path)
        letter = win.drive.rstrip(":").upper()
        if not letter or not win.root:
            msg = f"path {windows_path!r} is not an absolute path with a drive letter"
            raise ValueError(msg)
        if letter not in self.drives:
            msg = f"Cannot find drive. A drive with the name '{letter}' does not exist."
            raise ValueError(msg)
        parts = list(win.parts[1:])
        if any(p == ".." for p in parts):
            msg = f"path {windows_path!r} escapes the drive"
            raise ValueError(msg)
        return self.state_dir.joinpath(letter, *parts)

    # ----------------------------------------------------------------- events
    def write_event(self, log_name: str, event_id: int, level: str, message: str, **data: Any) -> None:
        """Append an event (call inside a transaction). Level: Information, Warning, Error."""
        events = self.state.setdefault("events", [])
        record_id = (events[-1]["record_id"] + 1) if events else 1
        events.append(
            {
                "record_id": record_id,
                "log_name": log_name,
                "id": event_id,
                "level": level,
                "message": message,
                "time": self.clock.now().isoformat(),
                "data": data,
            }
        )
        if len(events) > 5000:
            del events[: len(events) - 5000]

    # ----------------------------------------------------------------- durability
    def _digest(self) -> str:
        blob = json.dumps(self.state, sort_keys=True, separators=(",", ":"), default=str).encode()
        return hashlib.sha256(blob).hexdigest()

    def save(self) -> bool:
        """Write ``state.json`` atomically if the state changed. Returns whether it wrote."""
        with self.lock:
            digest = self._digest()
            if digest == self._saved_digest:
                return False
            blob = json.dumps(self.state, sort_keys=True, indent=1, default=str).encode()
            atomic_write_bytes(self.state_dir / STATE_FILE, blob)
            self._saved_digest = digest
            return True

    @contextlib.contextmanager
    def transaction(self, *, rollback: bool = False) -> Iterator[dict[str, Any]]:
        """Hold the host lock for a unit of work, then save durably.

        With ``rollback=False`` (used for PowerShell scripts) whatever was changed before an
        exception stays changed and is saved, as on Windows, where the statements of a script that
        ran before a failure keep their effect; each cmdlet handler validates everything before it
        mutates, so one cmdlet is never half-applied. With ``rollback=True`` (control plane) an
        exception restores the state from before the transaction. Nested transactions join the
        outermost one, which alone saves.
        """
        with self.lock:
            if self._depth:
                self._depth += 1
                try:
                    yield self.state
                finally:
                    self._depth -= 1
                return
            before = copy.deepcopy(self.state) if rollback else None
            self._depth = 1
            try:
                yield self.state
            except BaseException:
                if before is not None:
                    self.state.clear()
                    self.state.update(before)
                raise
            finally:
                self._depth = 0
                self.save()
