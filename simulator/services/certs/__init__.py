"""Certificate stores (LocalMachine/CurrentUser), the Cert: provider, the PKI cmdlets and certutil.

The stores and the Python API other subsystems use are in :mod:`.store`; importing this package
registers the provider, the cmdlets and the console command.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from simulator.services.certs import store

if TYPE_CHECKING:
    from simulator.core.host import Host


def initial_state(host: Host, topology: dict[str, Any]) -> None:
    """Empty stores for a new host (no Microsoft roots: nothing in the lab chains to them)."""
    del topology  # the topology says nothing about certificates
    host.state.setdefault("certs", store.empty_state())


def _register() -> None:
    """Import the modules that register the Cert: provider, the PKI cmdlets and certutil."""
    from simulator.services.certs import cer, certutil, pfx, provider, selfsigned, testcert  # noqa: F401, PLC0415


_register()
