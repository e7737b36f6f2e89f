"""Recent Hyper-V-VMMS-Admin errors and warnings, attached to replication failures (the event id is often
the quickest way to the cause on a real host)."""

from __future__ import annotations

import logging
from typing import Any

from hvrepl.errors import HvreplError
from hvrepl.powershell import as_list
from hvrepl.session import HostSession

log = logging.getLogger(__name__)

ERROR_LEVELS = (1, 2, 3)  # Critical, Error, Warning


def recent_problems(session: HostSession, limit: int = 3, scan: int = 20) -> list[dict[str, Any]]:
    """Up to ``limit`` newest error/warning events of the host; [] when they cannot be read."""
    try:
        data = session.call("events_recent", max=scan)
    except HvreplError as exc:
        log.info("%s: could not read the Hyper-V-VMMS-Admin log: %s", session.name, exc)
        return []
    events = [e for e in as_list(data["events"]) if int(e.get("level", 4)) in ERROR_LEVELS]
    return [{"host": session.name, **e} for e in events[:limit]]
