"""A client for one host's ``/_sim`` control plane (HTTPS, verified against the host's CA bundle).

Authenticates with the host's WinRM credentials (HTTP Basic over TLS), so lab.json needs no second secret.
"""

from __future__ import annotations

import logging
from typing import Any

import requests

from hvrepl.lab.labfile import LabError, LabHost

log = logging.getLogger(__name__)

TIMEOUT = 120.0


class ControlClient:
    """GET/POST against ``<control_url><path>`` for one lab host."""

    def __init__(self, host: LabHost, timeout: float = TIMEOUT) -> None:
        self.host = host
        self.timeout = timeout
        self._session = requests.Session()
        winrm = host.winrm
        self._session.auth = (str(winrm.get("username", "")), str(winrm.get("password", "")))
        # verify goes on every request: requests lets REQUESTS_CA_BUNDLE override a session-level verify
        self._verify: str | bool = winrm.get("ca_bundle") or True

    def get(self, path: str, **params: Any) -> Any:
        """GET and decode JSON."""
        return self._call("GET", path, params=params or None)

    def post(self, path: str, body: dict[str, Any] | None = None) -> Any:
        """POST a JSON body and decode the JSON answer."""
        return self._call("POST", path, json=body or {})

    def _call(self, method: str, path: str, **kwargs: Any) -> Any:
        url = self.host.control_url.rstrip("/") + path
        try:
            response = self._session.request(method, url, timeout=self.timeout, verify=self._verify, **kwargs)
        except requests.RequestException as exc:
            raise LabError(f"{self.host.name}: control plane unreachable ({type(exc).__name__})") from None
        if response.status_code >= 400:
            raise LabError(f"{self.host.name}: {method} {path} answered {response.status_code}: "
                           f"{response.text[:500]}")
        return response.json()

    def close(self) -> None:
        """Close the HTTP session."""
        self._session.close()

    def __enter__(self) -> ControlClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
