"""``hvrepl demo``: the whole walkthrough on a throw-away simulated lab, start to finish, in one command.

Brings up the walkthrough's two hosts in a temporary folder, runs the walkthrough plan through the engine's
own CLI (exactly what a user would type), shows replication Normal and a test failover, and always takes the
lab down again (on failure and Ctrl-C too). Exit 0 when every stage succeeded.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import shutil
import signal
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from types import FrameType

import yaml

from hvrepl.lab.lab import Lab
from hvrepl.lab.labfile import LabError

log = logging.getLogger(__name__)

PLAN_FILE = "walkthrough-plan.yaml"
HEALTH_TIMEOUT_SECONDS = "300"


def walkthrough_plan(mode: str = "testroot") -> dict[str, object]:
    """The walkthrough plan shipped with hvrepl (test.net suffix), with the chosen certificate mode."""
    text = resources.files("hvrepl.data").joinpath(PLAN_FILE).read_text(encoding="utf-8")
    plan = yaml.safe_load(text)
    plan["certificates"] = {"mode": mode}
    return dict(plan)


def _say(text: str) -> None:
    print(text, flush=True)


@contextmanager
def _sigterm_as_interrupt() -> Iterator[None]:
    def handler(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


@dataclass
class DemoRecord:
    """What one demo run did, for --json: each stage's number, title, outcome and time; the folder kept."""

    stages: list[dict[str, object]] = field(default_factory=list)
    kept: str | None = None  # the lab folder left behind (on failure or --keep)

    def add(self, number: int, title: str, ok: bool, seconds: float) -> None:
        """Record one finished stage."""
        self.stages.append({"number": number, "title": title, "ok": ok, "seconds": round(seconds, 2)})


def _stage(record: DemoRecord, number: int, title: str, call: Callable[[], int]) -> bool:
    _say(f"\n[{number}] {title}")
    started = time.monotonic()
    code = call()
    seconds = time.monotonic() - started
    _say(f"    -> {'ok' if code == 0 else f'FAILED (exit {code})'} in {seconds:.1f} s")
    record.add(number, title, code == 0, seconds)
    return code == 0


def run(args: argparse.Namespace) -> int:
    """The demo; returns the exit code. With --json the narration goes to stderr and stdout gets one summary."""
    record = DemoRecord()
    if not getattr(args, "json", False):
        return _run(args, record)
    started = time.monotonic()
    with contextlib.redirect_stdout(sys.stderr):
        code = _run(args, record)
    print(json.dumps({"ok": code == 0, "command": "demo", "seconds": round(time.monotonic() - started, 2),
                      "stages": record.stages, "kept": record.kept}))
    return code


def _run(args: argparse.Namespace, record: DemoRecord) -> int:
    from hvrepl.cli import main as hvrepl_main  # noqa: PLC0415 - the engine's CLI imports this package's parser

    workdir = Path(tempfile.mkdtemp(prefix="hvrepl-demo-"))
    lab: Lab | None = None
    ok = False
    with _sigterm_as_interrupt():
        try:
            _say(f"[1] Starting the simulated lab in {workdir} (two fresh workgroup hosts, VM01 running) ...")
            started = time.monotonic()
            lab = Lab.up(workdir / "lab")
            for host in lab.hosts:
                _say(f"    {host.name:<13} virtual {host.entry['virtual_address']:<16} WinRM {host.winrm['url']}")
            _say(f"    -> ok in {time.monotonic() - started:.1f} s")
            record.add(1, "lab up", True, time.monotonic() - started)
            plan_file = workdir / "plan.yaml"
            plan_file.write_text(yaml.safe_dump(walkthrough_plan(getattr(args, "mode", "testroot")), sort_keys=False),
                                 encoding="utf-8")
            _say(f"    plan: {plan_file}")
            common = ["--lab", str(lab.directory)]
            ok = (_stage(record, 2, "What would change (hvrepl plan, first lines) ...",
                         lambda: _plan_summary(hvrepl_main, plan_file, common))
                  and _stage(record, 3,
                             "Running the walkthrough (hvrepl run --allow-reboot): one line per host and step",
                             lambda: hvrepl_main(["run", str(plan_file), *common, "--allow-reboot",
                                                  "--health-timeout", HEALTH_TIMEOUT_SECONDS]))
                  and _stage(record, 4, "Replication status (hvrepl status)",
                             lambda: hvrepl_main(["status", str(plan_file), *common]))
                  and _stage(record, 5, "Test failover of VM01 on the replica (hvrepl failover --test)",
                             lambda: hvrepl_main(["failover", str(plan_file), *common, "--vm", "VM01", "--test"]))
                  and _stage(record, 6, "A second run changes nothing (hvrepl verify)",
                             lambda: hvrepl_main(["verify", str(plan_file), *common])))
        except KeyboardInterrupt:
            _say("\ninterrupted")
            ok = False
        except LabError as exc:
            print(f"hvrepl demo: lab error: {exc}", file=sys.stderr)
            ok = False
        finally:
            if lab is not None and not getattr(args, "keep", False):
                lab.down()
                _say("\nLab stopped.")
            elif lab is not None:
                _say(f"\nLab left running: hvrepl lab --state-dir {lab.directory} status | down")
            if ok and not getattr(args, "keep", False):
                shutil.rmtree(workdir, ignore_errors=True)  # ~65 MiB of host state a passing demo no longer needs
            else:
                record.kept = str(workdir)
                _say(f"Lab state, plan and host logs kept in {workdir}")
    _say("Demo succeeded: VM01 replicates from Hyper-v-prim to Hyper-v-repl." if ok else "Demo FAILED.")
    return 0 if ok else 1


def _plan_summary(hvrepl_main: Callable[[list[str]], int], plan_file: Path, common: list[str]) -> int:
    import io  # noqa: PLC0415 - only this stage captures output

    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer):
        code = hvrepl_main(["plan", str(plan_file), *common])
    lines = [line for line in buffer.getvalue().splitlines() if line.startswith("==")]
    for line in lines:
        _say(f"    {line[3:]}")
    tail = buffer.getvalue().strip().splitlines()
    _say(f"    {tail[-1] if tail else ''}")
    return code
