"""Replication data path figures (issue 6): initial-copy throughput, wire bytes per changed byte, host memory.

1. Two served hosts (``simulator.launcher.start_host``) set up by the recipe over pywinrm. A 1 GiB VM disk
   is filled with random bytes straight into its sparse file, then ``Start-VMInitialReplication`` is timed;
   beside it, a bare mutual-TLS copy of the same file over loopback in this process, right before it.
   Three such pairs (``--pairs``) on fresh disks; the median ratio is reported (this machine is shared).
2. Peak RSS of both host processes (sampled every 20 ms from /proc) while a 4 GiB disk replicates.
3. In one process (the transport test lab, real TLS listeners): bytes the primary puts into the channel
   per changed byte in one delta cycle, uncompressed (random data) and compressed (a compressible pattern).
   Frame bytes are counted at ``FrameConnection``; TLS record overhead (22 bytes per 16 KiB record,
   TLS 1.3) is added as an estimate.

Run: ``.venv/bin/python bench/bench_replication_data.py [--ir-mib 1024] [--rss-mib 4096]``; prints a table,
writes bench/results/replication_data.json, and deletes its state folders.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import os
import platform
import random
import shutil
import socket
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

# The repository root must be on sys.path before these imports (the bench runs as a script).
from simulator.services.replication import wire  # noqa: E402 - after the sys.path line above
from simulator.services.replication.tls import client_context, server_context  # noqa: E402 - same
from tests.acceptance4.lab import PRIMARY, REPLICA, REPLICA_FQDN, Lab  # noqa: E402 - same
from tests.acceptance6.lab6 import start_lab6  # noqa: E402 - same
from tests.simulator.replication.support import make_host_cert, make_root  # noqa: E402 - same

MIB = 1024 * 1024
CHUNK = MIB
TLS_RECORD = 16384
TLS_RECORD_OVERHEAD = 22  # TLS 1.3 AEAD: 5-byte header + 1 content type + 16-byte tag


def _disk_file(lab: Lab, host: str, vm: str) -> Path:
    """The real file behind a VM's first disk on a served host (its drive folders live in the state dir)."""
    windows = lab.ok(host, f"(Get-VMHardDiskDrive -VMName '{vm}' | Select-Object -First 1).Path")
    drive, _, rest = windows.partition(":\\")
    return lab.hosts[host].state_dir / drive.upper() / Path(*rest.split("\\"))


def _fill_random(path: Path, size: int, seed: int) -> None:
    rng = random.Random(seed)
    with open(path, "r+b") as handle:
        for _ in range(size // CHUNK):
            handle.write(rng.randbytes(CHUNK))


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(4 * MIB):
            digest.update(chunk)
    return digest.hexdigest()


def _enable(lab: Lab, vm: str, extra: str = "") -> None:
    tp = lab.thumbprints[PRIMARY]
    lab.ok(PRIMARY, f"Enable-VMReplication -VMName {vm} -ReplicaServerName '{REPLICA_FQDN}' -ReplicaServerPort 443 "
                    f"-AuthenticationType Certificate -CertificateThumbprint '{tp}' {extra}")


def _rss_kib(pid: int) -> int:
    with open(f"/proc/{pid}/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


class RssSampler:
    """Peak resident set size of some processes, sampled in a thread."""

    def __init__(self, pids: dict[str, int], interval: float = 0.02) -> None:
        self.pids = pids
        self.peak = dict.fromkeys(pids, 0)
        self.start_kib = {name: _rss_kib(pid) for name, pid in pids.items()}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(interval,), daemon=True)

    def _run(self, interval: float) -> None:
        while not self._stop.is_set():
            for name, pid in self.pids.items():
                self.peak[name] = max(self.peak[name], _rss_kib(pid))
            self._stop.wait(interval)

    def __enter__(self) -> RssSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def raw_tls_copy(path: Path) -> float:
    """Seconds to send a file's bytes over a bare mutual-TLS loopback connection (handshake included)."""
    root = make_root("Bench Root")
    server_cert, server_key = make_host_cert(root, "server.bench")
    client_cert, client_key = make_host_cert(root, "client.bench")
    sctx = server_context(server_cert, server_key, client_cert)
    cctx = client_context(client_cert, client_key)
    total = path.stat().st_size
    listener = socket.create_server(("127.0.0.1", 0))
    received: list[int] = []

    def serve() -> None:
        conn, _ = listener.accept()
        with sctx.wrap_socket(conn, server_side=True) as tls:
            count, buffer = 0, bytearray(CHUNK)
            while count < total:
                n = tls.recv_into(buffer)
                if not n:
                    break
                count += n
            tls.sendall(b"k")
            received.append(count)

    thread = threading.Thread(target=serve)
    thread.start()
    start = time.perf_counter()
    with cctx.wrap_socket(socket.create_connection(listener.getsockname())) as tls, open(path, "rb") as source:
        while chunk := source.read(CHUNK):
            tls.sendall(chunk)
        tls.recv(1)
    elapsed = time.perf_counter() - start
    thread.join()
    listener.close()
    assert received == [total], received
    return elapsed


def _timed_pair(lab: Lab, vm: str, mib: int, seed: int, extra: str = "") -> dict[str, Any]:
    """One raw TLS copy of a freshly filled disk, then its initial replication, back to back."""
    source = _disk_file(lab, PRIMARY, vm)
    _fill_random(source, mib * MIB, seed=seed)
    raw_s = raw_tls_copy(source)
    _enable(lab, vm, extra)
    start = time.perf_counter()
    lab.ok(PRIMARY, f"Start-VMInitialReplication -VMName {vm}")
    ir_s = time.perf_counter() - start
    replica = _disk_file(lab, REPLICA, vm)
    identical = _sha256(source) == _sha256(replica)
    source.unlink()  # keep disk usage down: ~2 GiB per pair otherwise
    replica.unlink()
    return {"raw_tls_seconds": round(raw_s, 3), "ir_seconds": round(ir_s, 3), "ratio": round(raw_s / ir_s, 3),
            "replica_identical": identical}


def bench_served(base: Path, ir_mib: int, rss_mib: int, pairs: int) -> dict[str, Any]:
    """Initial replication of random ``ir_mib`` disks, each beside a raw TLS copy of the same bytes
    (``pairs`` times, median reported), and RSS while a ``rss_mib`` disk replicates."""
    vms = [{"name": f"VMIR{i}", "generation": 2, "state": "Running",
            "disks": [{"name": f"VMIR{i}.vhdx", "size_mb": ir_mib}]} for i in range(pairs + 1)]
    vms.append({"name": "VMBIG", "generation": 2, "state": "Running",
                "disks": [{"name": "VMBIG.vhdx", "size_mb": rss_mib}]})
    base.mkdir(parents=True, exist_ok=True)
    lab = start_lab6(base, vms, snapshot=False)
    try:
        pids = {name: lab.hosts[name].pid for name in (PRIMARY, REPLICA)}
        with RssSampler(pids) as ir_rss:
            samples = [_timed_pair(lab, f"VMIR{i}", ir_mib, seed=i + 1) for i in range(pairs)]
        uncompressed = _timed_pair(lab, f"VMIR{pairs}", ir_mib, seed=99, extra="-CompressionEnabled $false")
        big = _disk_file(lab, PRIMARY, "VMBIG")
        _fill_random(big, rss_mib * MIB, seed=2)
        _enable(lab, "VMBIG")
        with RssSampler(pids) as big_rss:
            start = time.perf_counter()
            lab.ok(PRIMARY, "Start-VMInitialReplication -VMName VMBIG")
            big_s = time.perf_counter() - start
        big_identical = _sha256(big) == _sha256(_disk_file(lab, REPLICA, "VMBIG"))
    finally:
        lab.stop()
    median = sorted(samples, key=lambda sample: sample["ratio"])[len(samples) // 2]
    return {
        "ir": {"mib": ir_mib, "pairs": samples, "median_pair": median,
               "MiB_per_s": round(ir_mib / median["ir_seconds"], 1),
               "raw_tls_MiB_per_s": round(ir_mib / median["raw_tls_seconds"], 1),
               "ratio_to_raw_tls": median["ratio"],
               "replica_identical": all(s["replica_identical"] for s in [*samples, uncompressed]),
               "compression_off": uncompressed,
               "peak_rss_mib": {n: round(v / 1024, 1) for n, v in ir_rss.peak.items()}},
        "rss": {"mib": rss_mib, "seconds": round(big_s, 3), "MiB_per_s": round(rss_mib / big_s, 1),
                "replica_identical": big_identical,
                "rss_before_mib": {n: round(v / 1024, 1) for n, v in big_rss.start_kib.items()},
                "peak_rss_mib": {n: round(v / 1024, 1) for n, v in big_rss.peak.items()}},
    }


class FrameCounter:
    """Counts the bytes every FrameConnection sends (both directions), with an estimate of TLS records."""

    def __init__(self) -> None:
        self.frame_bytes = 0
        self.tls_bytes = 0
        self._original = wire.FrameConnection._send

    def __enter__(self) -> FrameCounter:
        original = self._original

        def counting(conn: wire.FrameConnection, kind: bytes, body: bytes | memoryview) -> None:
            header = wire._HEADER.size
            writes = [header + len(body)] if len(body) <= wire.SMALL_FRAME else [header, len(body)]
            self.frame_bytes += sum(writes)
            self.tls_bytes += sum(n + math.ceil(n / TLS_RECORD) * TLS_RECORD_OVERHEAD for n in writes)
            original(conn, kind, body)

        wire.FrameConnection._send = counting  # type: ignore[method-assign,assignment] # the bench counts frames
        return self

    def __exit__(self, *exc: object) -> None:
        wire.FrameConnection._send = self._original  # type: ignore[method-assign] # restore the transport


def bench_delta(base: Path, changed_mib: int) -> list[dict[str, Any]]:
    """Wire bytes per changed byte of one delta cycle, per compression setting and data kind (in-process lab)."""
    from simulator.services.hyperv import write_guest_data  # noqa: PLC0415 - after the lab's imports
    from simulator.services.hyperv.scheduler import run_due  # noqa: PLC0415 - same
    from tests.simulator.replication import support  # noqa: PLC0415 - same

    disk_mb = max(64, changed_mib * 4)
    primary: dict[str, Any] = dict(support.TOPOLOGIES["primary"])
    saved = support.TOPOLOGIES["primary"]
    primary["vms"] = [{"name": name, "generation": 2, "state": "Running",
                       "disks": [{"name": f"{name}.vhdx", "size_mb": disk_mb}]} for name in ("VMRAW", "VMZ")]
    support.TOPOLOGIES["primary"] = primary
    try:
        lab = support.build_lab(base)
    finally:
        support.TOPOLOGIES["primary"] = saved
    rows: list[dict[str, Any]] = []
    try:
        for vm, compression in (("VMRAW", False), ("VMZ", True)):
            support.run_cmdlet(lab.primary, "Enable-VMReplication", VMName=[vm], ReplicaServerName=support.REPLICA_FQDN,
                               ReplicaServerPort=443, AuthenticationType="Certificate",
                               CertificateThumbprint=lab.primary_tp, CompressionEnabled=compression,
                               ReplicationFrequencySec=300)
            support.run_cmdlet(lab.primary, "Start-VMInitialReplication", VMName=[vm])
        rng = random.Random(3)
        text = b"".join(b"INFO 2026-11-29 request %06d served in %d ms\n" % (i, i % 97) for i in range(40000))
        cases = [("VMRAW", "random, compression off", rng.randbytes),
                 ("VMZ", "random, compression on", rng.randbytes),
                 ("VMZ", "log text, compression on", lambda n: (text * (n // len(text) + 1))[:n])]
        for vm, label, make in cases:
            changed = changed_mib * MIB
            data = make(changed)
            for offset in range(0, changed, MIB):  # block-aligned, whole blocks: every changed byte is counted
                write_guest_data(lab.primary, vm, offset, data[offset:offset + MIB])
            lab.primary.clock.advance(300)
            lab.replica.clock.advance(300)
            with FrameCounter() as counter:
                start = time.perf_counter()
                run_due(lab.primary)
                seconds = time.perf_counter() - start
            rows.append({"case": label, "changed_bytes": changed, "frame_bytes": counter.frame_bytes,
                         "wire_bytes_est": counter.tls_bytes, "seconds": round(seconds, 3),
                         "wire_per_changed_byte": round(counter.tls_bytes / changed, 4)})
    finally:
        lab.stop()
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ir-mib", type=int, default=1024, help="initial replication disk size (default 1024)")
    parser.add_argument("--rss-mib", type=int, default=4096, help="disk replicated while RSS is sampled (4096)")
    parser.add_argument("--delta-mib", type=int, default=16, help="bytes changed in the delta cycle (16 MiB)")
    parser.add_argument("--pairs", type=int, default=3,
                        help="raw-copy/initial-replication pairs timed back to back; the median ratio is reported (3)")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "replication_data.json")
    args = parser.parse_args(argv)
    base = Path(tempfile.mkdtemp(prefix="bench-repl-data-"))
    try:
        delta = bench_delta(base / "inproc", args.delta_mib)
        served = bench_served(base / "served", args.ir_mib, args.rss_mib, max(1, args.pairs))
    finally:
        shutil.rmtree(base, ignore_errors=True)
    result = {"bench": "replication_data", "python": platform.python_version(), "cpus": os.cpu_count(),
              "load_average_1_5_15": [round(x, 2) for x in os.getloadavg()],
              "served": served, "delta": delta,
              "targets": {"ir_ratio_to_raw_tls_min": 0.7, "uncompressed_wire_per_changed_byte_max": 1.02,
                          "peak_rss_mib_max": 200}}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")
    ir, rss = served["ir"], served["rss"]
    print(f"{'measure':<52}{'value':>10}  target")
    print(f"{'initial replication ' + str(ir['mib']) + ' MiB (MiB/s)':<52}{ir['MiB_per_s']:>10}")
    print(f"{'raw TLS copy, same bytes (MiB/s)':<52}{ir['raw_tls_MiB_per_s']:>10}")
    label = f"ratio to raw TLS (median of {len(ir['pairs'])} pairs)"
    print(f"{label:<52}{ir['ratio_to_raw_tls']:>10}  >= 0.7")
    print(f"{'  each pair':<52}{' '.join(str(p['ratio']) for p in ir['pairs']):>10}")
    print(f"{'  -CompressionEnabled $false, ratio to raw TLS':<52}{ir['compression_off']['ratio']:>10}")
    print(f"{'replica identical (SHA-256)':<52}{ir['replica_identical']!s:>10}")
    for row in delta:
        print(f"{'delta wire/changed byte: ' + row['case']:<52}{row['wire_per_changed_byte']:>10}"
              + ("  <= 1.02" if "off" in row["case"] else ""))
    for name, peak in rss["peak_rss_mib"].items():
        print(f"{'peak RSS ' + name + ' (' + str(rss['mib']) + ' MiB IR) MiB':<52}{peak:>10}  < 200")
    print(f"{str(rss['mib']) + ' MiB initial replication (MiB/s)':<52}{rss['MiB_per_s']:>10}")
    print(f"load average at the end: {result['load_average_1_5_15']} on {os.cpu_count()} CPUs "
          "(throughput rows are only comparable within one run)")
    print(f"written {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
