"""Handlers of ``hvrepl lab ACTION``: each reads its flags, calls :class:`hvrepl.lab.lab.Lab`, prints, returns 0/1."""

from __future__ import annotations

import argparse
import sys

from hvrepl.lab.lab import Lab, parse_duration
from hvrepl.lab.labfile import LabError


def run(args: argparse.Namespace) -> int:
    """Run one lab action; LabError → message on stderr, exit 1."""
    try:
        return _dispatch(args)
    except LabError as exc:
        print(f"hvrepl lab: error: {exc}", file=sys.stderr)
        return 1


def _dispatch(args: argparse.Namespace) -> int:
    action = args.lab_action
    if action == "up":
        lab = Lab.up(args.state_dir, args.topology, backend=args.backend, ports=args.ports, image=args.image)
        print(f"lab up in {lab.directory} ({lab.document['backend']} backend); lab file {lab.directory / 'lab.json'}")
        _print_status(lab)
        return 0
    lab = Lab.open(args.state_dir)
    if action == "status":
        rows = _print_status(lab)
        return 0 if all(row["running"] for row in rows) else 1
    if action == "down":
        stopped = lab.down()
        print(f"stopped {', '.join(stopped) if stopped else 'nothing (no host was running)'}")
        return 0
    if action == "reset":
        lab.reset()
        print("every host is back to its state right after `lab up`")
    elif action == "snapshot":
        lab.snapshot(args.name)
        print(f"snapshot {args.name} taken on {len(lab.hosts)} host(s)")
    elif action == "restore":
        lab.restore(args.name)
        print(f"snapshot {args.name} restored on {len(lab.hosts)} host(s)")
    elif action == "clock":
        seconds = parse_duration(args.duration)
        lab.advance_clock(seconds)
        print(f"clocks advanced by {seconds:g} s; due replication cycles ran")
    elif action == "fault":
        print(_fault(lab, args))
    return 0


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


def _print_status(lab: Lab) -> list[dict[str, object]]:
    rows = lab.status()
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
    return rows
