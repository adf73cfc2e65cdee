"""The audit log: one event on ``EventStream.AUDIT`` per state-changing request.

Who (subject and project), method, path, status, time, request id and duration; the
body is never recorded, and the path is passed through ``nfvo.log.redact_text`` so a
secret a client put in a URL does not reach the stream. Refused requests (401, 403,
404, 422...) are recorded too: a failed attempt to change something is exactly what
an auditor looks for, which is why this middleware runs before authentication. The
status is the one the client was answered (``nfvo.sol.middleware.status_for``): 503
when the store failed, 499 when the client hung up.

Token requests carry the client id they named (``clientId``). Refused ones go to a
stream of their own, ``EventStream.AUTH_FAILURES``, capped apart, so a flood of
guesses pushes out older guesses, never the record of what was changed.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

import redis.asyncio as aioredis
from aiohttp import web
from aiohttp.typedefs import Middleware
from redis.exceptions import RedisError

from nfvo.log import redact_text
from nfvo.sol.auth import CLIENT_ID, PRINCIPAL, TOKEN_PATH
from nfvo.sol.middleware import CLIENT_CLOSED_REQUEST, REQUEST_ID, status_for
from nfvo.sol.routes import Handler
from nfvo.sol.tokens import Principal
from nfvo.store.events import Event, EventStream, publish
from nfvo.store.keys import Keyspace

log = logging.getLogger("nfvo.sol.audit")

STATE_CHANGING = frozenset({"POST", "PUT", "PATCH", "DELETE"})
AUDIT_SOURCE = "nfvo/api"
AUDIT_TYPE = "api.request.handled"
AUDIT_LENGTH = 100_000  # entries kept (trimmed approximately)
AUTH_FAILURES_LENGTH = 10_000  # refused token requests kept


def audit_record(request: web.Request, status: int, duration: float) -> dict[str, Any]:
    principal: Principal | None = request.get(PRINCIPAL)
    record = {
        "subject": principal.subject if principal else None,
        "project": principal.project if principal else None,
        "method": request.method,
        "path": redact_text(request.path),
        "status": status,
        "requestId": request.get(REQUEST_ID),
        "durationMs": round(duration * 1000, 3),
        "remote": request.remote,
    }
    if CLIENT_ID in request:
        record["clientId"] = request[CLIENT_ID]
    return record


def audit_middleware(redis: aioredis.Redis, keyspace: Keyspace) -> Middleware:
    """The middleware to give ``make_root_app``, before ``auth_middleware``."""

    async def record(request: web.Request, status: int, started: float) -> None:
        data = audit_record(request, status, time.perf_counter() - started)
        event = Event(source=AUDIT_SOURCE, type=AUDIT_TYPE, subject=data["path"], data=data)
        refused_token = request.path == TOKEN_PATH and status >= 400
        stream, length = (
            (EventStream.AUTH_FAILURES, AUTH_FAILURES_LENGTH)
            if refused_token
            else (EventStream.AUDIT, AUDIT_LENGTH)
        )
        try:
            await publish(redis, keyspace, stream, event, max_length=length)
        except (RedisError, OSError):
            # The request already happened; losing its audit entry is logged loudly
            # rather than turned into a failure of a change that was made.
            log.error("audit record lost", extra={"audit": data})

    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.method not in STATE_CHANGING:
            return await handler(request)
        started = time.perf_counter()
        try:
            response = await handler(request)
        except asyncio.CancelledError:
            await asyncio.shield(record(request, CLIENT_CLOSED_REQUEST, started))
            raise
        except BaseException as error:
            await record(request, status_for(request, error), started)
            raise
        await record(request, response.status, started)
        return response

    return middleware
