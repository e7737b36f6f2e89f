"""WinRM authentication: Basic (HTTPS, or HTTP when unencrypted traffic is allowed) and NTLM via Negotiate.

NTLM authenticates the TCP connection, not the request, so the acceptor context of each connection is
kept in :class:`ConnectionAuth` keyed by (server port, client address, client port) and dropped when
the connection closes (the server's protocol class calls :meth:`Authenticator.forget`). pyspnego is
the acceptor; it reads the accepted accounts from the file named by ``NTLM_USER_FILE`` (process-wide),
which :func:`write_ntlm_user_file` writes with one line per accepted domain spelling.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import logging
import os
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import spnego
import spnego.exceptions

from simulator.core.host import atomic_write_bytes

log = logging.getLogger(__name__)

ConnectionKey = tuple[int, str, int]


@dataclass
class Account:
    """The host's local administrator account."""

    username: str
    password: str
    machine: str

    def matches(self, user: str) -> bool:
        """``user``, ``.\\user``, ``HOST\\user`` and ``user@HOST`` name this account."""
        if "\\" in user:
            domain, user = user.split("\\", 1)
            if domain.lower() not in (".", self.machine.lower(), "workgroup"):
                return False
        elif "@" in user:
            user, domain = user.split("@", 1)
            if domain.lower() not in (self.machine.lower(), "localhost"):
                return False
        return user.lower() == self.username.lower()


def write_ntlm_user_file(path: Path, account: Account) -> None:
    """Write pyspnego's NTLM account file and point ``NTLM_USER_FILE`` at it (mode 0600)."""
    if ":" in account.password or "\n" in account.password:
        msg = "the NTLM account file cannot hold a password with ':' or a line break"
        raise ValueError(msg)
    domains = ("", ".", account.machine, account.machine.upper(), "WORKGROUP")
    lines = [f"{d}:{account.username}:{account.password}" for d in dict.fromkeys(domains)]
    lines.append(f":{account.username}@{account.machine}:{account.password}")
    atomic_write_bytes(path, ("\n".join(lines) + "\n").encode(), mode=0o600)
    os.environ["NTLM_USER_FILE"] = str(path)


@dataclass
class ConnectionAuth:
    """NTLM state of one TCP connection."""

    context: Any = None
    user: str | None = None


@dataclass
class Decision:
    """Outcome of checking a request's credentials.

    ``user`` set: go on (``context`` is the NTLM context for message encryption, None for Basic).
    ``user`` None: answer 401 with ``challenge`` (a token for the next leg) or the offered schemes.
    """

    user: str | None = None
    context: Any = None
    challenge: bytes | None = None
    final_token: bytes | None = None


class Authenticator:
    """Checks credentials for the WinRM endpoint and the control plane."""

    def __init__(self, account: Account, *, allow_unencrypted: bool) -> None:
        self.account = account
        self.allow_unencrypted = allow_unencrypted
        self._connections: dict[ConnectionKey, ConnectionAuth] = {}
        self._lock = threading.Lock()

    def forget(self, key: ConnectionKey) -> None:
        """Drop a closed connection's NTLM state."""
        with self._lock:
            self._connections.pop(key, None)

    def offered_schemes(self, secure: bool) -> list[str]:
        """WWW-Authenticate values of a 401, as a real host lists them."""
        if secure or self.allow_unencrypted:
            return ["Negotiate", 'Basic realm="WSMAN"']
        return ["Negotiate"]

    def check_basic(self, header: str) -> str | None:
        """The user name if ``Authorization: Basic …`` names the account with the right password."""
        try:
            decoded = base64.b64decode(header.split(None, 1)[1], validate=True).decode("utf-8")
        except (IndexError, ValueError, binascii.Error, UnicodeDecodeError):
            return None
        user, _, password = decoded.partition(":")
        ok_password = hmac.compare_digest(password.encode(), self.account.password.encode())
        return self.account.username if ok_password and self.account.matches(user) else None

    def authenticate(self, key: ConnectionKey, authorization: str | None, *, secure: bool) -> Decision:
        """Decide on one request of connection ``key``."""
        if authorization is None:
            with self._lock:
                state = self._connections.get(key)
            if state is not None and state.user is not None:
                return Decision(user=state.user, context=state.context)
            return Decision()
        scheme, _, token_text = authorization.partition(" ")
        scheme = scheme.lower()
        if scheme == "basic":
            if not secure and not self.allow_unencrypted:
                log.info("Basic authentication over HTTP refused (AllowUnencrypted is false)")
                return Decision()
            user = self.check_basic(authorization)
            if user is None:
                log.info("Basic authentication failed")
            return Decision(user=user)
        if scheme not in ("negotiate", "ntlm"):
            return Decision()
        return self._negotiate(key, token_text.strip())

    def _negotiate(self, key: ConnectionKey, token_text: str) -> Decision:
        try:
            token = base64.b64decode(token_text, validate=True)
        except (ValueError, binascii.Error):
            return Decision()
        with self._lock:
            state = self._connections.get(key)
            new_handshake = token.startswith(b"NTLMSSP\x00\x01") or token[:1] == b"\x60"
            if state is None or new_handshake:
                state = ConnectionAuth(context=spnego.server(protocol="negotiate"))
                self._connections[key] = state
        try:
            out = state.context.step(token)
        except (spnego.exceptions.SpnegoError, ValueError) as error:
            log.info("NTLM authentication failed: %s", type(error).__name__)
            self.forget(key)
            return Decision()
        if not state.context.complete:
            return Decision(challenge=out or b"")
        state.user = self.account.username
        return Decision(user=state.user, context=state.context, final_token=out)
