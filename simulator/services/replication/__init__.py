"""Hyper-V Replica's transport: the HTTPS listener on 443, mutual TLS, certificate checks, faults and the clock.

``api.py`` is the seam with Hyper-V (helper E). This package adds the listener (listener.py), the
primary's channel (channel.py), the Windows certificate checks (verify.py), the lab map and faults
(network.py) and the control-plane router (control.py).

Helper B's server calls :func:`on_host_start` and :func:`on_host_stop`. The ``runtime`` object is read
defensively; attributes used (first found wins):

* state dir: ``state_dir`` (else ``host.state_dir``);
* bind address: ``address``, ``bind_address``, ``host_address`` (else ``host.info["address"]``, else 127.0.0.1);
* lab file: ``lab_file`` (None = single host: only the host itself is reachable);
* ``replication_port_override`` / ``ephemeral_ports`` (True: never try the configured port, bind port 0).

Not modelled: the Kerberos/HTTP listener (port 80; Hyper-V refuses Kerberos in a workgroup itself),
proxies (-BypassProxyServer), the HTTP.sys URL reservation (``netsh http show servicestate``), real CRL
downloads and OCSP (the lab's revocation model is helper D's: a CDP under ``http://crl.lab/`` is
reachable, revocations are injected), key-size/hash policies (fact sheet §10.11), TLS-inspecting
proxies, cluster brokers and per-node port mappings, MaximumActiveTransfers.
"""

from __future__ import annotations

import importlib
import logging
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

from simulator.services.replication import listener, network

if TYPE_CHECKING:
    from simulator.core.host import Host

log = logging.getLogger(__name__)

SCHEDULER_INTERVAL_SECONDS = 1.0

_TICKERS: dict[str, tuple[threading.Thread, threading.Event]] = {}


def initial_state(host: Host, topology: dict[str, Any]) -> None:
    """A new host has no injected faults."""
    host.state.setdefault("replication", {})["faults"] = network.initial_faults()


def _runtime_value(runtime: Any, *names: str) -> Any:
    for name in names:
        value = getattr(runtime, name, None)
        if value is not None:
            return value
    return None


def run_due(host: Host) -> None:
    """Run Hyper-V's due replication cycles (when helper E's scheduler exists), then re-sync the listener."""
    try:
        scheduler = importlib.import_module("simulator.services.hyperv.scheduler")
    except ModuleNotFoundError:
        scheduler = None  # Hyper-V's scheduler is optional (helper E)
    runner = getattr(scheduler, "run_due", None)
    if runner is not None:
        runner(host)
    listener.sync(host)


def _tick(host: Host, stop: threading.Event) -> None:
    while not stop.wait(SCHEDULER_INTERVAL_SECONDS):
        try:
            run_due(host)
        except Exception:  # a failed cycle must not kill the clock; it is logged and retried next tick
            log.exception("replication tick failed on %s", host.info.get("name"))


def _recover_hyperv(host: Host) -> None:
    """Repair what a crash left half-written on the Hyper-V side before the listener accepts cycles."""
    try:
        crash_recovery = importlib.import_module("simulator.services.hyperv.crash_recovery")
    except ModuleNotFoundError:
        return  # Hyper-V is optional (helper E)
    crash_recovery.recover_at_start(host)


def on_host_start(host: Host, runtime: Any, *, tick: bool = True) -> None:
    """Start the replication listener and the scheduler tick of a serving host."""
    _recover_hyperv(host)
    state_dir = Path(_runtime_value(runtime, "state_dir") or host.state_dir)
    address = str(_runtime_value(runtime, "address", "bind_address", "host_address")
                  or host.info.get("address") or "127.0.0.1")
    lab_file = _runtime_value(runtime, "lab_file")
    ephemeral = bool(_runtime_value(runtime, "replication_port_override", "ephemeral_ports"))
    rt = network.Runtime(state_dir=state_dir, bind_address=address,
                         lab_file=Path(lab_file) if lab_file else None, prefer_configured_port=not ephemeral)
    network.register_runtime(rt)
    listener.start(host, rt)
    if tick and str(state_dir.resolve()) not in _TICKERS:
        stop = threading.Event()
        thread = threading.Thread(target=_tick, args=(host, stop), daemon=True, name="replication-tick")
        _TICKERS[str(state_dir.resolve())] = (thread, stop)
        thread.start()


def on_host_stop(host: Host) -> None:
    """Stop the tick and the listener."""
    ticker = _TICKERS.pop(str(host.state_dir.resolve()), None)
    if ticker is not None:
        ticker[1].set()
        ticker[0].join(timeout=5)
    listener.stop(host)
    network.unregister_runtime(host.state_dir)
