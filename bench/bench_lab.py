"""Lab timings: ``lab up``, ``hvrepl demo`` wall time, scenarios per minute (sequential and --parallel 2),
each beside a bare pywinrm round trip (``hostname`` over HTTPS/Basic) measured in the same run.

Run: ``.venv/bin/python bench/bench_lab.py [--repeat 3] [--all-scenarios] [--docker]``; prints a table and
writes bench/results/lab.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import winrm

from hvrepl.lab.lab import Lab
from hvrepl.scenario.cli import run_all
from hvrepl.scenario.model import find_scenarios

ROOT = Path(__file__).resolve().parents[1]
FAST_SCENARIOS = ("walkthrough", "private-ca", "vm-with-checkpoints", "firewall-rule-disabled",
                  "missing-hosts-entry", "wrong-winrm-password")


def pywinrm_round_trip(lab: Lab, count: int = 20) -> float:
    """Median seconds of ``hostname`` through a bare pywinrm session to the lab's first host."""
    host = lab.hosts[0]
    session = winrm.Session(host.winrm["url"], auth=(host.winrm["username"], host.winrm["password"]),
                            transport="basic", server_cert_validation="validate",
                            ca_trust_path=host.winrm["ca_bundle"])
    session.run_cmd("hostname")  # connection set up outside the timing
    times = []
    for _ in range(count):
        started = time.perf_counter()
        session.run_cmd("hostname")
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def lab_up(backend: str, repeat: int) -> tuple[list[float], float]:
    """Seconds for Lab.up (hosts ready, lab.json written, start snapshot taken), and a pywinrm round trip."""
    times, round_trip = [], 0.0
    for _ in range(repeat):
        folder = Path(tempfile.mkdtemp(prefix="bench-lab-"))
        started = time.perf_counter()
        lab = Lab.up(folder / "lab", backend=backend)
        times.append(time.perf_counter() - started)
        try:
            round_trip = pywinrm_round_trip(lab)
        finally:
            lab.down()
            shutil.rmtree(folder, ignore_errors=True)
    return times, round_trip


def demo(repeat: int) -> list[float]:
    """Wall seconds of ``python -m hvrepl demo`` (a fresh process, as a user runs it)."""
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        done = subprocess.run([sys.executable, "-m", "hvrepl", "demo"], capture_output=True, text=True, check=False)
        times.append(time.perf_counter() - started)
        if done.returncode != 0:
            raise SystemExit(f"demo failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}")
    return times


def scenarios_per_minute(names: tuple[str, ...] | None, parallel: int) -> dict[str, Any]:
    """Run the scenarios once with ``parallel`` workers; scenarios per minute and how many passed."""
    chosen = [s for s in find_scenarios([str(ROOT / "scenarios")]) if names is None or s.name in names]
    started = time.perf_counter()
    results = run_all(chosen, parallel)
    elapsed = time.perf_counter() - started
    return {"parallel": parallel, "scenarios": len(chosen), "passed": sum(r.passed for r in results),
            "seconds": round(elapsed, 2), "per_minute": round(len(chosen) / elapsed * 60, 2)}


def main() -> int:
    """Measure, print the table, write the JSON."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--all-scenarios", action="store_true", help="every scenario, not the fast subset")
    parser.add_argument("--docker", action="store_true", help="also time lab up with the docker backend")
    args = parser.parse_args()
    names = None if args.all_scenarios else FAST_SCENARIOS
    up_times, round_trip = lab_up("process", args.repeat)
    rows: list[tuple[str, float, str]] = [("lab up (process backend), median s", statistics.median(up_times),
                                           f"{len(up_times)} runs")]
    results: dict[str, Any] = {"lab_up_process_s": up_times, "pywinrm_round_trip_s": round_trip}
    if args.docker:
        docker_times, docker_rtt = lab_up("docker", args.repeat)
        rows.append(("lab up (docker backend), median s", statistics.median(docker_times), f"{len(docker_times)} runs"))
        rows.append(("pywinrm round trip via docker, median s", docker_rtt, "hostname, 20 calls"))
        results.update({"lab_up_docker_s": docker_times, "pywinrm_round_trip_docker_s": docker_rtt})
    demo_times = demo(args.repeat)
    rows.append(("hvrepl demo wall time, median s", statistics.median(demo_times), f"{len(demo_times)} runs"))
    results["demo_s"] = demo_times
    for parallel in (1, 2):
        measured = scenarios_per_minute(names, parallel)
        rows.append((f"scenarios per minute (--parallel {parallel})", measured["per_minute"],
                     f"{measured['passed']}/{measured['scenarios']} passed in {measured['seconds']} s"))
        results[f"scenarios_parallel_{parallel}"] = measured
    rows.append(("bare pywinrm round trip (hostname), median s", round_trip, "same run, reference"))
    print(f"{'MEASURE':<48} {'VALUE':>10}  {'BARE PYWINRM RTT':>16}  {'VALUE/RTT':>9}  NOTE")
    for label, value, note in rows:  # every figure beside the bare pywinrm round trip measured in this run
        per_rtt = f"{value / round_trip:9.0f}" if "per minute" not in label and round_trip else f"{'-':>9}"
        print(f"{label:<48} {value:>10.3f}  {round_trip:>15.3f}s  {per_rtt}  {note}")
    results["machine"] = {"python": platform.python_version(), "cpus": os.cpu_count(), "platform": platform.platform()}
    out = ROOT / "bench" / "results" / "lab.json"
    out.write_text(json.dumps(results, indent=1), encoding="utf-8")
    print(f"written {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
