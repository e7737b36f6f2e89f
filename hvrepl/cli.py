"""The ``hvrepl`` command line: plan, run, verify, status, failover, reverse, doctor (and the lab commands).

The only place that reads argv. Configuration flows one way: flags > plan/inventory files > defaults.
Exit codes: 0 success, 1 a host-side failure (named with host, step, Windows ids and the fix),
2 invalid plan, inventory or flags (nothing was sent to any host).
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import json
import logging
import os
import sys
from collections.abc import Callable, Sequence
from typing import Any

from hvrepl import doctor as doctor_module
from hvrepl import operations
from hvrepl.engine import RunReport, StepResult, error_json, requests_sent, run_steps
from hvrepl.errors import ConfigError, HvreplError
from hvrepl.inventory import Connection, load_inventory, load_lab
from hvrepl.plan import Plan, load_plan
from hvrepl.powershell import wrap
from hvrepl.remediation import describe
from hvrepl.secrets import Secret
from hvrepl.session import HostSession
from hvrepl.steps import RunContext, build_steps
from hvrepl.transport.base import CountingTransport, Transport

log = logging.getLogger(__name__)

TransportFactory = Callable[[Connection], Transport]


def winrm_transport(connection: Connection) -> Transport:
    """The default transport: pywinrm, counted."""
    from hvrepl.transport.winrm import WinRMTransport  # noqa: PLC0415 - keeps `hvrepl --help` fast

    return CountingTransport(WinRMTransport(connection))


def _common(parser: argparse.ArgumentParser, *, check: bool = False, reboot: bool = False) -> None:
    parser.add_argument("plan", help="the plan file (YAML)")
    parser.add_argument("--target", choices=("lab", "real"), default="lab",
                        help="lab: hosts of a simulated lab (--lab DIR); real: hosts of --inventory FILE")
    parser.add_argument("--lab", metavar="DIR", default=".hvrepl-lab", help="lab directory holding lab.json")
    parser.add_argument("--inventory", metavar="FILE", help="connection inventory (YAML) for --target real")
    parser.add_argument("--json", action="store_true", help="machine-readable output on stdout")
    parser.add_argument("-v", "--verbose", action="count", default=0, help="more logging (-vv for debug)")
    if check:
        parser.add_argument("--check", action="store_true", help="only show what would change (like plan)")
    if reboot:
        parser.add_argument("--allow-reboot", action="store_true",
                            help="restart a host when its new name/DNS suffix needs it, and wait for it")


DESCRIPTIONS = {
    "plan": "Read both hosts (nothing is changed) and show, per host and step, the values that differ from the "
            "plan and the exact PowerShell each change would send (the PFX password is never in a script: it "
            "travels on stdin). Exit 0; 1 when a host cannot be read.",
    "run": "Apply the plan in the recipe's order (identity, hosts file, firewall rule, certificates, revocation "
           "check, replica server, authorization entries, connection test, Enable-VMReplication, initial "
           "replication, health), each step checked, applied and verified. Progress per step on stderr. Exit 0 "
           "only when every VM replicates; on failure exit 1 naming the host, the step, the Windows error id / "
           "HRESULT and the fix. A second run changes nothing; a run killed at any point can simply be started "
           "again.",
    "verify": "Read-only: check every step's end state against the plan. Exit 0 when nothing differs, 1 otherwise.",
    "status": "Replication state, health, mode and last replication time of every VM on both hosts.",
    "failover": "Fail one VM over: --test (a '<vm> - Test' VM on the replica; replication continues; end it with "
                "--stop-test), --planned "
                "(primary VM stopped, pending changes sent, roles swapped, replication reversed, VM started) or "
                "--unplanned (on the replica at once, possible data loss; afterwards use `hvrepl reverse`).",
    "reverse": "Reverse replication of a failed-over VM towards its old primary (nothing to do when it already "
               "replicates back). The VM must be off on the old primary, which becomes the replica: its disks are "
               "overwritten by a new initial replication. Without --stop-old-primary a running VM stops the "
               "command with the fix; with it, the connection is tested, the VM turned off, replication reversed "
               "and the initial replication started.",
    "doctor": "Run every check on both hosts and explain each problem in plain words with its fix: name "
              "mismatch, missing hosts entry, firewall rule off, revocation check, certificate (missing EKU, "
              "expired or expiring soon, name), untrusted root, PFX import left-overs, checkpoints, WinRM "
              "authentication, replication health. Exit 0 when there is none, 1 otherwise.",
}


def _command(sub: Any, name: str, summary: str) -> argparse.ArgumentParser:
    parser: argparse.ArgumentParser = sub.add_parser(name, help=summary, description=DESCRIPTIONS[name])
    return parser


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every command."""
    parser = argparse.ArgumentParser(prog="hvrepl", description=(
        "Set up Hyper-V Replica between two workgroup hosts from one plan, over WinRM. "
        "Exit codes: 0 ok, 1 failure on a host, 2 invalid plan/inventory/flags (no host contacted). "
        "`hvrepl COMMAND --help` explains each command."))
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    p = _command(sub, "plan", "show, per host and step, what differs and the exact PowerShell to send")
    _common(p)
    p = _command(sub, "run", "apply the plan step by step (progress on stderr); exit 0 when every VM replicates")
    _common(p, check=True, reboot=True)
    p.add_argument("--health-timeout", type=float, default=600.0, metavar="SECONDS",
                   help="how long to wait for every VM to reach Replicating/Normal (default 600)")
    p.add_argument("--pfx-password-env", metavar="NAME",
                   help="take the PFX transfer password from this environment variable (default: a new random "
                        "password per run; it is only ever sent on stdin)")
    p = _command(sub, "verify", "read-only check of the end state; exit 0 when nothing differs")
    _common(p)
    p = _command(sub, "status", "replication state, health and last replication time per VM")
    _common(p)
    p = _command(sub, "failover", "test, planned or unplanned failover of one VM")
    _common(p)
    p.add_argument("--vm", required=True, help="the VM to fail over")
    kind = p.add_mutually_exclusive_group(required=True)
    kind.add_argument("--test", dest="kind", action="store_const", const="test",
                      help="test failover on the replica (a '<vm> - Test' VM; replication continues)")
    kind.add_argument("--stop-test", dest="kind", action="store_const", const="stop-test",
                      help="end a test failover: delete the '<vm> - Test' VM (nothing to do when none runs)")
    kind.add_argument("--planned", dest="kind", action="store_const", const="planned",
                      help="stop on the primary, send pending changes, fail over, reverse, start")
    kind.add_argument("--unplanned", dest="kind", action="store_const", const="unplanned",
                      help="fail over on the replica now (possible data loss) and commit")
    p = _command(sub, "reverse", "after an unplanned failover, replicate back towards the old primary")
    _common(p)
    p.add_argument("--vm", required=True, help="the VM to reverse")
    p.add_argument("--stop-old-primary", action="store_true",
                   help="turn the VM off on the old primary if it runs there (after testing the connection); its "
                        "changes since the failover are discarded. Without it, a running VM stops the command")
    p = _command(sub, "doctor", "run every check and explain each problem in plain words")
    _common(p)
    # Helper H's lab/demo/scenario commands; skipped only when that module does not exist (yet).
    if importlib.util.find_spec("hvrepl.lab") is not None and importlib.util.find_spec("hvrepl.lab.cli") is not None:
        importlib.import_module("hvrepl.lab.cli").add_commands(sub)
    return parser


def connections_for(args: argparse.Namespace, plan: Plan) -> dict[str, Connection]:
    """Resolve host connections from the lab or the inventory."""
    if args.target == "real":
        if not args.inventory:
            raise ConfigError("--target real needs --inventory FILE", field="--inventory")
        return load_inventory(args.inventory, plan)
    return load_lab(args.lab, plan)


def pfx_password_from(args: argparse.Namespace) -> Secret | None:
    """The PFX password named by --pfx-password-env, or None (a random one is made when needed)."""
    name = getattr(args, "pfx_password_env", None)
    if not name:
        return None
    value = os.environ.get(name)
    if not value:
        raise ConfigError(f"environment variable {name} is not set or empty", field="--pfx-password-env")
    return Secret(value)


def _progress(result: StepResult) -> None:
    print(f"{result.host:<15} {result.step:<22} {result.status:<13} {result.seconds:6.2f}s", file=sys.stderr)


def _notice(host: str, step: str, text: str) -> None:
    print(f"{host:<15} {step:<22} {text}", file=sys.stderr)


def _print_plan(report: RunReport) -> None:
    bodies = False
    for result in report.results:
        if result.diff is None:
            continue
        print(f"== {result.host}: {result.step}")
        print(f"   before: {json.dumps(result.diff.before, default=str)}")
        print(f"   after:  {json.dumps(result.diff.after, default=str)}")
        for note in result.diff.notes:
            print(f"   note: {note}")
        for script in result.diff.scripts:
            bodies = True
            print(f"   powershell ({script.template}{', password on stdin' if script.reads_stdin else ''}):")
            print("\n".join("     | " + line for line in script.body.splitlines()))
    if bodies:
        print("Each script above is sent as '# hvrepl <name>' + this wrapper with the script in place of <BODY>")
        print("(exact text of every script: --json):")
        print("\n".join("     | " + line for line in wrap("<BODY>").splitlines()))
    print(f"{report.changes} step(s) would change something.")


class Main:
    """One invocation: parse, validate, connect, dispatch, report."""

    def __init__(self, transport_factory: TransportFactory | None = None) -> None:
        self.transport_factory = transport_factory or winrm_transport
        self.pfx_password: Secret | None = None

    def sessions(self, connections: dict[str, Connection]) -> dict[str, HostSession]:
        """One session per host."""
        return {name: HostSession(name, self.transport_factory(conn)) for name, conn in connections.items()}

    def __call__(self, argv: Sequence[str] | None = None) -> int:
        parser = build_parser()
        args = parser.parse_args(argv)
        logging.basicConfig(level=(logging.WARNING, logging.INFO, logging.DEBUG)[min(getattr(args, "verbose", 0), 2)],
                            format="%(levelname)s %(name)s: %(message)s", stream=sys.stderr)
        if not hasattr(args, "plan"):  # lab commands registered by hvrepl.lab.cli
            return int(args.func(args))
        try:
            plan = load_plan(args.plan)
            connections = connections_for(args, plan)
            self.pfx_password = pfx_password_from(args)
        except ConfigError as exc:
            self.emit_error(args, exc)
            return 2
        sessions = self.sessions(connections)
        try:
            return self.dispatch(args, plan, sessions, connections)
        except HvreplError as exc:
            self.emit_error(args, exc)
            return exc.exit_code
        finally:
            for session in sessions.values():
                session.transport.close()

    def emit_error(self, args: argparse.Namespace, exc: HvreplError) -> None:
        """Error to stderr (and as JSON on stdout with --json)."""
        if getattr(args, "json", False):
            print(json.dumps({"ok": False, "error": error_json(exc)}))
        print(f"hvrepl: error: {describe(exc)}", file=sys.stderr)

    def dispatch(self, args: argparse.Namespace, plan: Plan, sessions: dict[str, HostSession],
                 connections: dict[str, Connection]) -> int:
        """Run the chosen command."""
        command = args.command
        if command in ("plan", "run", "verify"):
            return self.run_engine(args, plan, sessions, connections)
        if command == "status":
            data: Any = operations.status(plan, sessions)
            if args.json:
                print(json.dumps({"ok": True, "status": data}))
            else:
                print(f"{'HOST':<15} {'VM':<20} {'STATE':<30} {'HEALTH':<9} {'MODE':<8} LAST REPLICATION (UTC)")
                for host, vms in data.items():
                    if not vms:
                        print(f"{host:<15} (no VM replicates on this host)")
                    for vm in vms:
                        print(f"{host:<15} {vm['name']:<20} {vm['state']:<30} {vm['health']:<9} "
                              f"{vm['mode']:<8} {vm.get('last') or '-'}")
            return 0
        if command in ("failover", "reverse"):
            done = (operations.failover(plan, sessions, args.vm, args.kind) if command == "failover"
                    else operations.reverse(plan, sessions, args.vm, stop_old_primary=args.stop_old_primary))
            print(json.dumps({"ok": True, "done": done}) if args.json else "\n".join(done))
            return 0
        findings = doctor_module.diagnose(plan, sessions)
        if args.json:
            print(json.dumps({"ok": all(f.ok for f in findings), "findings": [f.__dict__ for f in findings]}))
        else:
            for f in findings:
                print(f"[{'ok' if f.ok else 'PROBLEM'}] {f.host}: {f.topic}: {f.explanation}")
        return 0 if all(f.ok for f in findings) else 1

    def run_engine(self, args: argparse.Namespace, plan: Plan, sessions: dict[str, HostSession],
                   connections: dict[str, Connection]) -> int:
        """plan / run / verify through the step engine."""
        check_mode = args.command in ("plan", "verify") or bool(getattr(args, "check", False))
        ctx = RunContext(plan=plan, sessions=sessions, check_mode=check_mode, pfx_password=self.pfx_password,
                         allow_reboot=bool(getattr(args, "allow_reboot", False)),
                         health_timeout=float(getattr(args, "health_timeout", 600.0)),
                         notice=None if args.command == "plan" else _notice,
                         reconnect=lambda name: HostSession(name, self.transport_factory(connections[name])))
        progress = None if args.command == "plan" else _progress
        report = run_steps(ctx, build_steps(plan), progress)
        for session in ctx.sessions.values():  # the count includes deleting the shells
            session.transport.close()
        report.requests = requests_sent(ctx)
        failed = report.failed
        if args.json:
            print(json.dumps({"ok": failed is None and (args.command == "run" or report.changes == 0),
                              "command": args.command, "changes": report.changes, "winrm_requests": report.requests,
                              "steps": [r.to_json() for r in report.results]}, default=str))
        elif args.command == "plan" or check_mode:
            _print_plan(report)
        if failed is not None and failed.error is not None:
            print(f"hvrepl: error: {describe(failed.error)}", file=sys.stderr)
            return 1
        log.info("%d WinRM requests", report.requests)
        if args.command == "verify" and report.changes:
            print(f"hvrepl: {report.changes} step(s) differ from the plan", file=sys.stderr)
            return 1
        return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Console entry point."""
    return Main()(argv)


if __name__ == "__main__":
    sys.exit(main())
