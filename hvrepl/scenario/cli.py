"""``hvrepl scenario run PATH… [--junit FILE] [--json FILE] [-k PATTERN] [--parallel N]``: a results table,
JUnit XML and JSON; exit 1 when any scenario's expectation fails, 2 when a scenario file is malformed.
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from types import FrameType
from xml.etree import ElementTree as ET

from hvrepl.scenario.model import Scenario, ScenarioError, find_scenarios
from hvrepl.scenario.runner import ScenarioResult, run_scenario


def run(args: argparse.Namespace) -> int:
    """Run the selected scenarios and report."""
    try:
        scenarios = find_scenarios(args.paths, args.pattern)
    except ScenarioError as exc:
        print(f"hvrepl scenario: error: {exc}", file=sys.stderr)
        return 2
    if not scenarios:
        print("hvrepl scenario: no scenario matched", file=sys.stderr)
        return 2
    signal.signal(signal.SIGTERM, _interrupt)  # labs are taken down in finally blocks; SIGTERM must reach them
    started = time.monotonic()
    results = run_all(scenarios, max(1, int(args.parallel)), progress=True, backend=args.backend)
    elapsed = time.monotonic() - started
    print_table(results, elapsed)
    if args.junit:
        write_junit(results, Path(args.junit), elapsed)
    if args.json_file:
        Path(args.json_file).write_text(json.dumps({"seconds": round(elapsed, 2), "parallel": args.parallel,
                                                    "results": [r.to_json() for r in results]}, indent=1),
                                        encoding="utf-8")
    return 0 if all(r.passed for r in results) else 1


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def run_all(scenarios: list[Scenario], parallel: int = 1, progress: bool = False,
            backend: str = "process") -> list[ScenarioResult]:
    """Run scenarios (``parallel`` at once, each in its own process and lab); results in input order."""
    if parallel == 1:
        results = []
        for scenario in scenarios:
            results.append(run_scenario(scenario, backend=backend))
            if progress:
                _progress(results[-1])
        return results
    with ProcessPoolExecutor(max_workers=parallel) as pool:
        futures = [pool.submit(run_scenario, s, False, backend) for s in scenarios]
        results = []
        for future in futures:
            results.append(future.result())
            if progress:
                _progress(results[-1])
        return results


def _progress(result: ScenarioResult) -> None:
    print(f"{'PASS' if result.passed else 'FAIL'} {result.name} ({result.seconds:.1f} s)", file=sys.stderr, flush=True)


def print_table(results: list[ScenarioResult], elapsed: float) -> None:
    """One line per scenario, then the totals."""
    width = max(len(r.name) for r in results)
    print(f"{'SCENARIO':<{width}}  RESULT  SECONDS  DETAIL")
    for r in results:
        detail = "" if r.passed else f"[{r.phase}] {r.reason}"
        print(f"{r.name:<{width}}  {'pass' if r.passed else 'FAIL':<6}  {r.seconds:7.1f}  {detail[:200]}")
    passed = sum(r.passed for r in results)
    print(f"{passed}/{len(results)} passed in {elapsed:.1f} s ({len(results) / elapsed * 60:.1f} scenarios/min)")


def write_junit(results: list[ScenarioResult], path: Path, elapsed: float) -> None:
    """JUnit XML: one testsuite, one testcase per scenario, a failure element with the reason."""
    suite = ET.Element("testsuite", name="hvrepl-scenarios", tests=str(len(results)),
                       failures=str(sum(not r.passed for r in results)), time=f"{elapsed:.2f}")
    for r in results:
        case = ET.SubElement(suite, "testcase", classname="scenarios", name=r.name, time=f"{r.seconds:.2f}",
                             file=r.path)
        if not r.passed:
            failure = ET.SubElement(case, "failure", message=f"[{r.phase}] {r.reason}"[:1000])
            failure.text = json.dumps(r.observed, indent=1, default=str)[:20000]
    ET.ElementTree(suite).write(path, encoding="utf-8", xml_declaration=True)
