"""Throughput of the replication channel beside a raw TLS copy of the same bytes over loopback.

Two in-process simulated hosts (the test lab of tests/simulator/replication/support.py) with real
listeners; a replica operation that hashes and discards what it receives. The baseline is a bare
``ssl`` server/client pair on loopback sending the same chunks, measured in the same run.

Run: ``.venv/bin/python bench/bench_replication_tls.py [--mib 256] [--repeat 3]``; prints a table and
writes bench/results/replication_tls.json.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import socket
import ssl
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

# The repository root must be on sys.path before these imports (the bench runs as a script).
from simulator.services.replication.api import (  # noqa: E402 - after the sys.path line above
    REPLICA_OPERATIONS,
    open_channel,
    replica_operation,
)
from simulator.services.replication.tls import client_context, server_context  # noqa: E402 - same
from tests.simulator.replication.support import (  # noqa: E402 - same
    REPLICA_FQDN,
    build_lab,
    make_host_cert,
    make_root,
)

CHUNK = 1024 * 1024
SINK = "bench_sink"


def _sink(host: Any, peer: Any, payload: dict[str, Any],
          data: Iterator[bytes | bytearray] | None) -> tuple[dict[str, Any], None]:
    digest = hashlib.sha256()
    size = 0
    for chunk in data or ():
        digest.update(chunk)
        size += len(chunk)
    return {"size": size, "sha256": digest.hexdigest()}, None


if SINK not in REPLICA_OPERATIONS:
    replica_operation(SINK)(_sink)


def _chunks(total: int) -> Iterator[bytes]:
    block = bytes(range(256)) * (CHUNK // 256)
    sent = 0
    while sent < total:
        piece = block if total - sent >= CHUNK else block[: total - sent]
        sent += len(piece)
        yield piece


def bench_channel(total: int, base: Path) -> float:
    """Seconds to stream ``total`` bytes through open_channel (connect and handshake included)."""
    lab = build_lab(base)
    try:
        start = time.perf_counter()
        with lab.primary.transaction():
            channel = open_channel(lab.primary, REPLICA_FQDN, 443, lab.primary_tp)
        with channel:
            reply, _ = channel.call(SINK, {}, _chunks(total))
        elapsed = time.perf_counter() - start
        assert reply["size"] == total, reply
        return elapsed
    finally:
        lab.stop()


def bench_connects(count: int, base: Path) -> float:
    """Median seconds of open_channel + close (resolve, lab map, TLS, both sides' checks, authorization)."""
    lab = build_lab(base)
    try:
        times = []
        for _ in range(count):
            start = time.perf_counter()
            with lab.primary.transaction():
                open_channel(lab.primary, REPLICA_FQDN, 443, lab.primary_tp).close()
            times.append(time.perf_counter() - start)
        return statistics.median(times)
    finally:
        lab.stop()


def bench_raw_handshakes(count: int) -> float:
    """Median seconds of a bare mutual-TLS connect + handshake on loopback (same key types)."""
    root = make_root("Bench Root")
    server_cert, server_key = make_host_cert(root, "server.bench")
    client_cert, client_key = make_host_cert(root, "client.bench")
    sctx = server_context(server_cert, server_key, client_cert)
    cctx = client_context(client_cert, client_key)
    listener = socket.create_server(("127.0.0.1", 0))

    def serve() -> None:
        for _ in range(count):
            conn, _ = listener.accept()
            with sctx.wrap_socket(conn, server_side=True) as tls:
                tls.sendall(b"k")

    thread = threading.Thread(target=serve)
    thread.start()
    times = []
    for _ in range(count):
        start = time.perf_counter()
        with cctx.wrap_socket(socket.create_connection(listener.getsockname())) as tls:
            tls.recv(1)
        times.append(time.perf_counter() - start)
    thread.join()
    listener.close()
    return statistics.median(times)


def bench_raw_tls(total: int) -> float:
    """Seconds to send ``total`` bytes over a bare mutual-TLS loopback connection (handshake included)."""
    root = make_root("Bench Root")
    server_cert, server_key = make_host_cert(root, "server.bench")
    client_cert, client_key = make_host_cert(root, "client.bench")
    sctx = server_context(server_cert, server_key, client_cert)
    cctx = client_context(client_cert, client_key)
    listener = socket.create_server(("127.0.0.1", 0))
    received: list[int] = []

    def serve() -> None:
        conn, _ = listener.accept()
        with sctx.wrap_socket(conn, server_side=True) as tls:
            digest = hashlib.sha256()
            count = 0
            buffer = bytearray(CHUNK)
            while count < total:
                n = tls.recv_into(buffer)
                if not n:
                    break
                digest.update(memoryview(buffer)[:n])
                count += n
            tls.sendall(b"k")
            received.append(count)

    thread = threading.Thread(target=serve)
    thread.start()
    start = time.perf_counter()
    with cctx.wrap_socket(socket.create_connection(listener.getsockname())) as tls:
        for chunk in _chunks(total):
            tls.sendall(chunk)
        tls.recv(1)
    elapsed = time.perf_counter() - start
    thread.join()
    listener.close()
    assert received == [total]
    return elapsed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mib", type=int, default=256, help="stream size in MiB (default 256)")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each (median reported)")
    parser.add_argument("--connects", type=int, default=20, help="connections timed for the connect rows")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "replication_tls.json")
    args = parser.parse_args(argv)
    total = args.mib * 1024 * 1024
    runs: dict[str, list[float]] = {"replication channel": [], "raw TLS (ssl, loopback)": []}
    with tempfile.TemporaryDirectory(prefix="bench-repl-") as tmp:
        for i in range(args.repeat):
            runs["raw TLS (ssl, loopback)"].append(bench_raw_tls(total))
            runs["replication channel"].append(bench_channel(total, Path(tmp) / f"run{i}"))
    rows = []
    for name, seconds in runs.items():
        median = statistics.median(seconds)
        rows.append({"path": name, "median_s": round(median, 3), "MiB_per_s": round(args.mib / median, 1),
                     "runs_s": [round(s, 3) for s in seconds]})
    ratio = rows[0]["MiB_per_s"] / rows[1]["MiB_per_s"]
    with tempfile.TemporaryDirectory(prefix="bench-repl-") as tmp:
        connect_s = bench_connects(args.connects, Path(tmp) / "connects")
    handshake_s = bench_raw_handshakes(args.connects)
    print(f"{'path':<26} {'median s':>9} {'MiB/s':>8}  runs")
    for row in rows:
        print(f"{row['path']:<26} {row['median_s']:>9.3f} {row['MiB_per_s']:>8.1f}  {row['runs_s']}")
    print(f"channel / raw TLS throughput: {ratio:.2f} ({args.mib} MiB, {args.repeat} runs each)")
    print(f"{'connect':<26} {'median ms':>9}")
    print(f"{'open_channel (all checks)':<26} {connect_s * 1000:>9.1f}")
    print(f"{'raw mutual-TLS handshake':<26} {handshake_s * 1000:>9.1f}")
    result = {"bench": "replication_tls", "mib": args.mib, "repeat": args.repeat, "rows": rows,
              "channel_over_raw": round(ratio, 3), "connects": args.connects,
              "open_channel_median_ms": round(connect_s * 1000, 2),
              "raw_handshake_median_ms": round(handshake_s * 1000, 2),
              "python": platform.python_version(), "openssl": ssl.OPENSSL_VERSION,
              "machine": platform.machine(), "cpus": os.cpu_count()}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
