"""``POST /wsman``: authentication, message encryption, envelope parsing and dispatch, answered as WinRM answers.

Every failure becomes a 401 (credentials) or an HTTP 500 WS-Management fault (anything else); a
Python exception never reaches the client as a traceback, and a request that fails before dispatch
changes nothing.
"""

from __future__ import annotations

import base64
import logging
import re
from typing import TYPE_CHECKING, Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from simulator.wsman import encryption, faults
from simulator.wsman.envelope import new_message_id, parse_request
from simulator.wsman.operations import SERVER_MAX_ENVELOPE, Caller, handle

if TYPE_CHECKING:
    from simulator.app import Runtime

log = logging.getLogger(__name__)

router = APIRouter()
SOAP_TYPE = "application/soap+xml;charset=UTF-8"
SERVER_HEADER = "Microsoft-HTTPAPI/2.0"
_MESSAGE_ID = re.compile(rb"<(?:\w+:)?MessageID[^>]*>\s*([A-Za-z0-9:._{}-]{1,200})\s*<")


def connection_key(request: Request) -> tuple[int, str, int]:
    """(server port, client address, client port): one TCP connection."""
    server = request.scope.get("server") or ("", 0)
    client = request.scope.get("client") or ("", 0)
    return int(server[1] or 0), str(client[0]), int(client[1])


def unauthorized(runtime: Runtime, secure: bool, challenge: bytes | None = None) -> Response:
    """401 with the schemes the host offers (or the next NTLM leg's token)."""
    response = Response(status_code=401, headers={"Server": SERVER_HEADER})
    if challenge is not None:
        response.headers.append("WWW-Authenticate", f"Negotiate {base64.b64encode(challenge).decode()}")
    else:
        for scheme in runtime.authenticator.offered_schemes(secure):
            response.headers.append("WWW-Authenticate", scheme)
    return response


@router.post("/wsman")
async def wsman(request: Request) -> Response:
    """The WinRM listener."""
    runtime: Runtime = request.app.state.runtime
    secure = request.url.scheme == "https"
    body = await request.body()
    decision = runtime.authenticator.authenticate(
        connection_key(request), request.headers.get("authorization"), secure=secure
    )
    if decision.user is None:
        return unauthorized(runtime, secure, decision.challenge)
    headers = {"Server": SERVER_HEADER}
    if decision.final_token:
        headers["WWW-Authenticate"] = f"Negotiate {base64.b64encode(decision.final_token).decode()}"
    encrypted = encryption.is_encrypted(request.headers.get("content-type", ""))
    if encrypted:
        if decision.context is None:
            return Response(b"encrypted body without an NTLM session", 400, headers, "text/plain")
        try:
            body = encryption.decrypt(decision.context, body)
        except encryption.EncryptionError as error:
            log.info("encrypted request refused: %s", error)
            runtime.authenticator.forget(connection_key(request))
            return unauthorized(runtime, secure)
    elif body and not secure and decision.context is not None and not runtime.allow_unencrypted:
        # ASSUMPTION: AllowUnencrypted=false refuses a plain SOAP body after NTLM with 401 (packer #6205).
        return unauthorized(runtime, secure)
    if not body:
        return Response(b"", 200, headers)  # the empty POST that sets up an encrypted session
    reply, status = await answer(runtime, request, body, decision.user)
    if encrypted:
        sealed = encryption.encrypt(decision.context, reply)
        return Response(sealed, status, headers, encryption.CONTENT_TYPE)
    return Response(reply, status, headers, SOAP_TYPE)


async def answer(runtime: Runtime, request: Request, body: bytes, user: str) -> tuple[bytes, int]:
    """The SOAP reply and HTTP status for an authenticated, decrypted request body."""
    machine = request.url.hostname or runtime.address
    relates_to: str | None = None
    try:
        if len(body) > SERVER_MAX_ENVELOPE:
            raise faults.envelope_too_large(SERVER_MAX_ENVELOPE)
        parsed = parse_request(body)
        relates_to = parsed.message_id
        client = request.scope.get("client") or ("", 0)
        caller = Caller(user=user, client_ip=str(client[0]), endpoint=str(request.url.replace(query="")))
        reply = await run_in_threadpool(handle, parsed, runtime.shells, caller)
        return reply, 200
    except faults.WSManFault as fault:
        if relates_to is None:
            relates_to = _guess_message_id(body)
        log.info("fault %s: %s", fault.code, fault.reason.strip()[:200])
        return faults.render_fault(fault, relates_to, machine, new_message_id()), 500
    except Exception:
        log.exception("internal error while answering a WS-Management request")
        internal = faults.WSManFault(2147500037, "The WS-Management service encountered an internal error. ",
                                     "w:InternalError", sender=False)
        return faults.render_fault(internal, relates_to, machine, new_message_id()), 500


def _guess_message_id(body: bytes) -> str | None:
    match = _MESSAGE_ID.search(body[:8192])
    return match.group(1).decode("utf-8", errors="replace") if match else None


def include(app: Any) -> None:
    """Mount the WinRM listener on ``app``."""
    app.include_router(router)
