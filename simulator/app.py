"""The FastAPI application of one simulated host: the WinRM listener and the ``/_sim`` control plane.

:class:`Runtime` is everything the running server knows about its host; subsystems that need it
(replication's ``on_host_start(host, runtime)``) read these attributes: ``state_dir``, ``address``
(the loopback address the host is bound to), ``lab_file``, ``name``, ``fqdn``, ``info`` (host.json).
"""

from __future__ import annotations

import importlib
import importlib.util
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fastapi import FastAPI

from simulator.control.router import router as control_router
from simulator.core.host import Host
from simulator.wsman import router as wsman_router
from simulator.wsman.auth import Authenticator
from simulator.wsman.shells import ShellManager

log = logging.getLogger(__name__)

REPLICATION_CONTROL = "simulator.services.replication.control"


@dataclass
class Runtime:
    """One running host: state, credentials, listeners.

    Attributes:
        host: the simulated host (state, lock, clock).
        state_dir: its state folder.
        name: NetBIOS name; fqdn: name plus primary DNS suffix when set.
        address: the loopback address the host's listeners bind (127.x.y.z).
        lab_file: the lab file naming the other hosts, if any.
        authenticator: checks WinRM and control-plane credentials.
        shells: the open WinRS shells.
        control_token: bearer token accepted by the control plane.
        allow_unencrypted: Basic and plain SOAP allowed over HTTP.
        ephemeral_ports: the WinRM ports were picked free (tests): other listeners should not insist on
            their well-known ports either.
        info: the content of host.json.
    """

    host: Host
    state_dir: Path
    name: str
    fqdn: str
    address: str
    authenticator: Authenticator
    control_token: str
    lab_file: Path | None = None
    allow_unencrypted: bool = False
    ephemeral_ports: bool = False
    info: dict[str, Any] = field(default_factory=dict)
    shells: ShellManager = field(init=False)

    def __post_init__(self) -> None:
        self.shells = ShellManager(self.host, self.name)


def create_app(runtime: Runtime) -> FastAPI:
    """The app serving ``/wsman`` and ``/_sim/…`` for ``runtime``."""
    app = FastAPI(title=f"hvsim {runtime.name}", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.runtime = runtime
    wsman_router.include(app)
    app.include_router(control_router)
    if importlib.util.find_spec(REPLICATION_CONTROL) is not None:
        module = importlib.import_module(REPLICATION_CONTROL)
        if hasattr(module, "router"):
            app.include_router(module.router)
            log.info("replication control plane mounted")
    return app
