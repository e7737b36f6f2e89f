"""Handlers of ``hvrepl lab ACTION``: each reads its flags, calls :class:`hvrepl.lab.lab.Lab`, prints, returns 0/1."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from hvrepl.lab.lab import Lab, parse_duration
from hvrepl.lab.labfile import LabError


def run(args: argparse.Namespace) -> int:
    """Run one lab action; LabError → message on stderr (or ``{"ok": false, "error"}`` with --json), exit 1."""
    as_json = bool(getattr(args, "json", False))
    action = " ".join(str(part) for part in (args.lab_action, getattr(args, "clock_action", None),
                                             getattr(args, "fault", None)) if part)
    try:
        code, message, rows = _dispatch(args)
    except LabError as exc:
        if as_json:
            print(json.dumps({"ok": False, "action": action, "error": str(exc)}))
        else:
            print(f"hvrepl lab: error: {exc}", file=sys.stderr)
        return 1
    if as_json:
        document: dict[str, Any] = {"ok": code == 0, "action": action, "message": message}
        if rows is not None:
            document["hosts"] = rows
        print(json.dumps(document, default=str))
        return code
    if message:
        print(message)
    if rows is not None:
        _print_status(rows)
    return code


def _dispatch(args: argparse.Namespace) -> tuple[int, str, list[dict[str, Any]] | None]:
    """(exit code, one-line message, host rows for up/status or None)."""
    action = args.lab_action
    if action == "up":
        lab = Lab.up(args.state_dir, args.topology, backend=args.backend, ports=args.ports, image=args.image)
        return (0, f"lab up in {lab.directory} ({lab.document['backend']} backend); lab file "
                   f"{lab.directory / 'lab.json'}", lab.status())
    lab = Lab.open(args.state_dir)
    if action == "status":
        rows = lab.status()
        return (0 if all(row["running"] for row in rows) else 1), "", rows
    if action == "down":
        stopped = lab.down()
        return 0, f"stopped {', '.join(stopped) if stopped else 'nothing (no host was running)'}", None
    if action == "reset":
        lab.reset()
        return 0, "every host is back to its state right after `lab up`", None
    if action == "snapshot":
        lab.snapshot(args.name)
        return 0, f"snapshot {args.name} taken on {len(lab.hosts)} host(s)", None
    if action == "restore":
        lab.restore(args.name)
        return 0, f"snapshot {args.name} restored on {len(lab.hosts)} host(s)", None
    if action == "clock":
        seconds = parse_duration(args.duration)
        lab.advance_clock(seconds)
        return 0, f"clocks advanced by {seconds:g} s; due replication cycles ran", None
    return 0, _fault(lab, args), None


def _fault(lab: Lab, args: argparse.Namespace) -> str:
    kind = args.fault
    if kind == "cut":
        lab.cut(args.a, args.b)
        return f"link {args.a} <-> {args.b} cut"
    if kind == "restore":
        lab.restore_link(args.a, args.b)
        return f"link {args.a} <-> {args.b} restored"
    if kind == "host-down":
        lab.host_down(args.host, hard=args.hard)
        return f"{args.host} powered off{' (power cut)' if args.hard else ''}"
    if kind == "host-up":
        lab.host_up(args.host)
        return f"{args.host} powered on"
    if kind in ("replication-down", "replication-up"):
        lab.replication_down(args.host, down=kind == "replication-down")
        return f"replication service on {args.host} {'stopped' if kind == 'replication-down' else 'started'}"
    if kind == "revoke":
        serial = lab.revoke(args.host, thumbprint=args.thumbprint, serial=args.serial)
        return f"certificate {serial} revoked as {args.host} sees it"
    result = lab.disk_full(args.host, args.drive, args.capacity_bytes)
    return (f"{args.host} drive {result['drive']}: capacity {result['capacity_bytes']} bytes, "
            f"free {result['free_bytes']}")


def _print_status(rows: list[dict[str, Any]]) -> None:
    print(f"{'HOST':<15} {'STATE':<8} {'PID':>7} {'VIRTUAL':<16} {'ADDRESS':<16} WINRM")
    for row in rows:
        faults = row.get("faults") or {}
        notes = [f"cut:{','.join(faults['cut'])}"] if faults.get("cut") else []
        notes += ["replication-down"] if faults.get("down") else []
        notes += ["powered-off"] if row.get("powered_off") else []
        listeners = row.get("listeners") or {}
        notes += [f"tcp{port}->{v['port']}" for port, v in listeners.items() if str(port) != str(v.get("port"))]
        print(f"{row['name']:<15} {'up' if row['running'] else 'down':<8} {row['pid'] or '-'!s:>7} "
              f"{row['virtual_address'] or '-'!s:<16} {row['address'] or '-'!s:<16} {row['winrm'] or '-'}"
              + (f"  [{' '.join(notes)}]" if notes else "") + (f"  ({row['error']})" if row.get("error") else ""))
