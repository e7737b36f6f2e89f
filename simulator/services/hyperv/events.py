"""Hyper-V-VMMS-Admin events written by replication, and Get-WinEvent over the host's event records.

Event ids 32000, 32022, 32315, 32546, 29174, 29242 and 29244 are documented (fact sheet §5.1); the
ids of the success events are not, and are marked as assumptions where defined.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from simulator.core.errors import SimError
from simulator.ps.api import Invocation, Param, cmdlet
from simulator.ps.objects import PSObject
from simulator.services.hyperv.state import VMMS_LOG, VMMS_PROVIDER, parse_time, wildcard_match

if TYPE_CHECKING:
    from simulator.core.host import Host

EVENT_ENABLE_FAILED = 32000
EVENT_COULD_NOT_REPLICATE = 32022
EVENT_REPLICATE_RETRY = 32315
EVENT_INVALID_STATE = 32546
EVENT_STATISTICS = 29174
EVENT_RESYNC_STARTED = 29242
EVENT_RESYNC_COMPLETED = 29244
# ASSUMPTION: (§10.1) ids of the success events are undocumented; chosen from the VMMS replica range.
EVENT_REPLICATION_ENABLED = 29162
EVENT_IR_STARTED = 29170
EVENT_IR_COMPLETED = 29171
EVENT_FAILOVER = 29250
LEVELS = {"Critical": 1, "Error": 2, "Warning": 3, "Information": 4, "Verbose": 5}
KNOWN_LOGS = (VMMS_LOG, "System", "Application", "Microsoft-Windows-Hyper-V-VMMS-Operational")


def vmms_event(host: Host, event_id: int, level: str, message: str, **data: Any) -> None:
    """Write a Hyper-V-VMMS-Admin event (call inside a transaction)."""
    host.write_event(VMMS_LOG, event_id, level, message, provider=VMMS_PROVIDER, **data)


def event_object(host: Host, record: dict[str, Any]) -> PSObject:
    """An ``EventLogRecord`` as Get-WinEvent returns it."""
    data = record.get("data") or {}
    provider = data.get("provider") or (VMMS_PROVIDER if "Hyper-V-VMMS" in record["log_name"] else record["log_name"])
    return PSObject("System.Diagnostics.Eventing.Reader.EventLogRecord", {
        "Id": record["id"], "Level": LEVELS.get(record["level"], 4), "LevelDisplayName": record["level"],
        "LogName": record["log_name"], "ProviderName": provider, "Message": record["message"],
        "TimeCreated": parse_time(record["time"]), "RecordId": record["record_id"],
        "MachineName": host.info["name"],
    }, default_display=["TimeCreated", "Id", "LevelDisplayName", "Message"],
        to_string="System.Diagnostics.Eventing.Reader.EventLogRecord")


def _no_events() -> SimError:
    return SimError("No events were found that match the specified selection criteria.",
                    "NoMatchingEventsFound,Microsoft.PowerShell.Commands.GetWinEventCommand", "ObjectNotFound",
                    exception_type="System.Exception")


def _check_logs(host: Host, names: list[str]) -> None:
    present = {e["log_name"].lower() for e in host.state.get("events", [])} | {n.lower() for n in KNOWN_LOGS}
    for name in names:
        if not any(wildcard_match(name, log) for log in present):
            raise SimError(f'There is not an event log on the localhost computer that matches "{name}".',
                           "NoMatchingLogsFound,Microsoft.PowerShell.Commands.GetWinEventCommand", "ObjectNotFound",
                           exception_type="System.Exception")


@cmdlet(
    "Get-WinEvent",
    Param("LogName", type="string[]", position=0),
    Param("MaxEvents", type="int", validate_range=(1, 2147483647)),
    Param("FilterHashtable", type="hashtable"),
    summary="Read event records (newest first) by log name or a filter hashtable (LogName, Id, Level, StartTime).",
    not_modelled="-ProviderName, -FilterXPath, -FilterXml, -ListLog, -ListProvider, -Path, -Oldest, -ComputerName",
    area="Events",
)
def get_win_event(inv: Invocation) -> list[PSObject]:
    """Return matching events newest first; nothing matching is Windows' NoMatchingEventsFound error.

    Not modelled: -ProviderName, -FilterXPath, -FilterXml, -ListLog, -ListProvider, -Path, -Oldest,
    -ComputerName; hashtable keys other than LogName, Id, Level, ProviderName, StartTime, EndTime.
    """
    from simulator.core.errors import NotModelledError  # noqa: PLC0415 - only on the error path

    records = list(inv.host.state.get("events", []))
    log_names: list[str] = list(inv.get("LogName") or [])
    ids: set[int] | None = None
    levels: set[int] | None = None
    provider = start = end = None
    table = inv.get("FilterHashtable")
    if table is not None:
        for key, value in table.items():
            values = value if isinstance(value, list) else [value]
            match key.lower():
                case "logname":
                    log_names += [str(v) for v in values]
                case "id":
                    ids = {int(v) for v in values}
                case "level":
                    levels = {int(v) for v in values}
                case "providername":
                    provider = str(values[0])
                case "starttime":
                    start = values[0]
                case "endtime":
                    end = values[0]
                case _:
                    raise NotModelledError(f"Get-WinEvent -FilterHashtable key '{key}'")
    if not log_names:
        raise NotModelledError("Get-WinEvent without -LogName or a LogName filter")
    _check_logs(inv.host, log_names)
    found = []
    for record in reversed(records):
        if not any(wildcard_match(name, record["log_name"]) for name in log_names):
            continue
        if ids is not None and record["id"] not in ids:
            continue
        if levels is not None and LEVELS.get(record["level"], 4) not in levels:
            continue
        obj = event_object(inv.host, record)
        if provider is not None and not wildcard_match(provider, obj.get("ProviderName")):
            continue
        created = obj.get("TimeCreated")
        if (start is not None and created < start) or (end is not None and created > end):
            continue
        found.append(obj)
        if inv.get("MaxEvents") and len(found) >= int(inv.get("MaxEvents")):
            break
    if not found:
        raise _no_events()
    return found
