"""Benchmark one simulated host: start time, run_cmd / run_ps round trips, beside a bare TLS connect.

Run: ``.venv/bin/python bench/bench_host.py [--rounds N]``. Prints a table and writes
``bench/results/host.json``. Not a timed test: figures depend on the machine.
"""

from __future__ import annotations

import argparse
import json
import platform
import socket
import ssl
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import winrm

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from simulator.launcher import RunningHost, start_host

RESULTS = Path(__file__).resolve().parent / "results" / "host.json"


def timed(action: Callable[[], object], rounds: int) -> list[float]:
    """Milliseconds of each of ``rounds`` calls."""
    samples = []
    for _ in range(rounds):
        start = time.perf_counter()
        action()
        samples.append((time.perf_counter() - start) * 1000)
    return samples


def tls_connect(host: RunningHost) -> None:
    """A bare TCP connect plus TLS handshake to the WinRM HTTPS port."""
    context = ssl.create_default_context(cafile=host.info["ca_bundle"])
    with socket.create_connection((host.info["address"], host.info["winrm"]["https_port"])) as raw, \
            context.wrap_socket(raw, server_hostname=host.info["address"]):
        pass


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        start = time.perf_counter()
        host = start_host(Path(folder) / "host", "BENCH-HOST")
        start_ms = (time.perf_counter() - start) * 1000
        with host:
            creds = (host.info["username"], host.info["password"])
            basic = winrm.Session(host.info["winrm"]["https_url"], auth=creds, transport="ssl",
                                  ca_trust_path=host.info["ca_bundle"])
            ntlm = winrm.Session(host.info["winrm"]["http_url"], auth=creds, transport="ntlm")
            rows = {
                "tls_connect_ms": timed(lambda: tls_connect(host), args.rounds),
                "run_cmd_basic_https_ms": timed(lambda: basic.run_cmd("echo bench"), args.rounds),
                "run_cmd_ntlm_http_ms": timed(lambda: ntlm.run_cmd("echo bench"), args.rounds),
                "run_ps_basic_https_ms": timed(lambda: basic.run_ps("Write-Output 1"), args.rounds),
                "run_ps_ntlm_http_ms": timed(lambda: ntlm.run_ps("Write-Output 1"), args.rounds),
            }
    summary = {"host_start_ms": round(start_ms, 1), "rounds": args.rounds, "python": platform.python_version(),
               "machine": platform.machine()}
    summary.update({name: round(statistics.median(samples), 2) for name, samples in rows.items()})
    print(f"{'measure':<28}{'median ms':>12}")
    print(f"{'host start (to ready line)':<28}{start_ms:>12.1f}")
    for name, samples in rows.items():
        print(f"{name.removesuffix('_ms'):<28}{statistics.median(samples):>12.2f}")
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(summary, indent=1) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
