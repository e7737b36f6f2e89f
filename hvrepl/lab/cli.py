"""The ``hvrepl lab …`` commands (and ``demo``, ``scenario``), added to the engine's parser by ``add_commands``.

The engine's CLI calls :func:`add_commands` with its sub-parser collection; each command stores its
handler in ``func`` and returns an exit code (0 ok, 1 failure, 2 bad usage).
"""

from __future__ import annotations

import argparse
import importlib
import logging
from typing import Any

log = logging.getLogger(__name__)

DEFAULT_LAB_DIR = ".hvrepl-lab"


def _lab(args: argparse.Namespace) -> int:
    """Dispatch ``hvrepl lab ACTION`` to :mod:`hvrepl.lab.commands` (imported lazily: keeps --help fast)."""
    commands: Any = importlib.import_module("hvrepl.lab.commands")
    return int(commands.run(args))


def add_commands(subparsers: Any) -> None:
    """Add ``lab``, ``demo`` and ``scenario`` to the engine's sub-parsers."""
    action_flags = argparse.ArgumentParser(add_help=False)  # flags every lab action takes, before or after it
    action_flags.add_argument("--json", action="store_true",
                           help="print one JSON object on stdout (ok, action, message, hosts) instead of text")
    action_flags.add_argument("--state-dir", "--lab", dest="state_dir", default=argparse.SUPPRESS, metavar="DIR",
                           help=f"lab directory holding lab.json (default {DEFAULT_LAB_DIR})")
    action_flags.add_argument("-v", "--verbose", action="count", default=argparse.SUPPRESS, help="more logging")
    lab = subparsers.add_parser("lab", help="start, inspect, fault and stop a simulated two-host lab")
    lab.add_argument("--state-dir", "--lab", dest="state_dir", default=DEFAULT_LAB_DIR, metavar="DIR",
                     help=f"lab directory holding lab.json and one folder per host (default {DEFAULT_LAB_DIR})")
    lab.add_argument("-v", "--verbose", action="count", default=0, help="more logging")
    actions = lab.add_subparsers(dest="lab_action", required=True, metavar="ACTION")
    up = actions.add_parser("up", parents=[action_flags], help="start the hosts of a topology and write DIR/lab.json")
    up.add_argument("--topology", metavar="FILE", help="lab topology (YAML with hosts: […]); default: the walkthrough")
    up.add_argument("--backend", choices=("process", "docker"), default="process", help="how hosts run")
    up.add_argument("--image", metavar="NAME", help="docker backend: an image with hvrepl installed (built from "
                    "ci/Dockerfile) instead of the local skeleton image with this machine's Python mounted")
    up.add_argument("--ports", choices=("auto", "real", "mapped"), default="auto",
                    help="auto: the real ports 5986/5985/443 when running as root, else mapped free ports")
    actions.add_parser("status", parents=[action_flags], help="show each host: reachable, pid, WinRM URL, faults")
    actions.add_parser("down", parents=[action_flags], help="stop every host of the lab (state stays on disk)")
    actions.add_parser("reset", parents=[action_flags], help="bring every host back to its state right after `lab up`")
    snap = actions.add_parser("snapshot", parents=[action_flags],
                              help="snapshot every host's state and files under NAME")
    snap.add_argument("name")
    restore = actions.add_parser("restore", parents=[action_flags], help="restore every host to snapshot NAME")
    restore.add_argument("name")
    clock = actions.add_parser("clock", help="move the simulated clock of every host")
    clock_actions = clock.add_subparsers(dest="clock_action", required=True, metavar="ACTION")
    advance = clock_actions.add_parser("advance", parents=[action_flags],
                                       help="advance by a duration (90s, 15m, 1h, 2d, 1y) and run the replication "
                                            "cycles that fell due")
    advance.add_argument("duration")
    fault = actions.add_parser("fault", help="inject or lift a fault")
    kinds = fault.add_subparsers(dest="fault", required=True, metavar="FAULT")
    for name, text in (("cut", "cut the link between hosts A and B (both directions)"),
                       ("restore", "restore the link between hosts A and B")):
        p = kinds.add_parser(name, parents=[action_flags], help=text)
        p.add_argument("a")
        p.add_argument("b")
    down = kinds.add_parser("host-down", parents=[action_flags],
                            help="power HOST off: its process/container stops, WinRM and replication fail as for a "
                                 "switched-off server")
    down.add_argument("host")
    down.add_argument("--hard", action="store_true", help="a power cut (SIGKILL / docker kill), not a shutdown")
    kinds.add_parser("host-up", parents=[action_flags],
                     help="power HOST on again from its state folder").add_argument("host")
    for name, text in (("replication-down", "stop only HOST's Hyper-V replication service (WinRM still answers)"),
                       ("replication-up", "start HOST's replication service again")):
        kinds.add_parser(name, parents=[action_flags], help=text).add_argument("host")
    revoke = kinds.add_parser("revoke", parents=[action_flags],
                              help="revoke a certificate as HOST's revocation checks see it")
    revoke.add_argument("host", help="the host that checks the certificate")
    which = revoke.add_mutually_exclusive_group(required=True)
    which.add_argument("--thumbprint")
    which.add_argument("--serial")
    disk = kinds.add_parser("disk-full", parents=[action_flags], help="shrink a drive of HOST to (almost) nothing")
    disk.add_argument("host")
    disk.add_argument("--drive", default="D")
    disk.add_argument("--capacity-bytes", type=int, default=0)
    lab.set_defaults(func=_lab)

    demo = subparsers.add_parser("demo", help="bring up a lab, run the whole walkthrough, show replication and a "
                                              "test failover, take the lab down")
    demo.add_argument("--keep", action="store_true", help="leave the lab running afterwards (prints its folder)")
    demo.add_argument("--mode", choices=("testroot", "private-ca"), default="testroot", help="certificate mode")
    demo.add_argument("--json", action="store_true", help="progress on stderr; one JSON summary on stdout (ok, "
                                                          "stages with their times, lab folder when kept)")
    demo.add_argument("-v", "--verbose", action="count", default=0, help="more logging")
    demo.set_defaults(func=lambda args: int(importlib.import_module("hvrepl.demo").run(args)))

    scenario = subparsers.add_parser("scenario", help="run scenario files (topology + plan + faults + expectation)")
    scenario.add_argument("-v", "--verbose", action="count", default=0, help="more logging")
    sc_actions = scenario.add_subparsers(dest="scenario_action", required=True, metavar="ACTION")
    run = sc_actions.add_parser("run", help="run scenario files or folders; exit 1 when any expectation fails")
    run.add_argument("paths", nargs="+", metavar="PATH", help="scenario files (*.yaml) or folders of them")
    run.add_argument("--junit", metavar="FILE", help="write JUnit XML")
    run.add_argument("--json", dest="json_file", metavar="FILE", help="write results as JSON")
    run.add_argument("-k", dest="pattern", metavar="PATTERN", help="only scenarios whose name contains PATTERN")
    run.add_argument("--parallel", type=int, default=1, metavar="N", help="run N scenarios at once")
    run.add_argument("--backend", choices=("process", "docker"), default="process", help="how lab hosts run")
    scenario.set_defaults(func=lambda args: int(importlib.import_module("hvrepl.scenario.cli").run(args)))
