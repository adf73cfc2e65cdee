"""HTTP plumbing every API shares: app keys, JSON, errors in each service's own body,
token authentication and the request's identity."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import orjson
from aiohttp import web

from simulators.openstack.state import Cloud

LOG = logging.getLogger("simulators.openstack")

CLOUD: web.AppKey[Cloud] = web.AppKey("cloud", Cloud)
BASE_URL: web.AppKey[list[str]] = web.AppKey("base_url", list)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
ErrorRenderer = Callable[[int, str, str | None], dict[str, Any]]

NOVA_FAULT_NAMES = {
    400: "badRequest",
    401: "unauthorized",
    403: "forbidden",
    404: "itemNotFound",
    405: "badMethod",
    409: "conflictingRequest",
    413: "overLimit",
    415: "badMediaType",
    429: "overLimit",
    501: "notImplemented",
    503: "serviceUnavailable",
}
TITLES = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    406: "Not Acceptable",
    409: "Conflict",
    413: "Request Entity Too Large",
    415: "Unsupported Media Type",
    500: "Internal Server Error",
    503: "Service Unavailable",
}


class ApiError(Exception):
    """An error the client caused or is told about, with its status and message."""

    def __init__(self, status: int, message: str, kind: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.kind = kind


@dataclass(frozen=True)
class Identity:
    token_id: str
    user_id: str
    project_id: str
    roles: tuple[str, ...]

    @property
    def is_admin(self) -> bool:
        return "admin" in self.roles

    def require_admin(self, action: str) -> None:
        if not self.is_admin:
            raise ApiError(403, f"Policy doesn't allow {action} to be performed.")


IDENTITY: web.RequestKey[Identity] = web.RequestKey("identity", Identity)


def json_response(
    body: Any, status: int = 200, headers: dict[str, str] | None = None
) -> web.Response:
    return web.Response(
        body=orjson.dumps(body), status=status, headers=headers, content_type="application/json"
    )


async def read_json(request: web.Request) -> dict[str, Any]:
    raw = await request.read()
    if not raw:
        return {}
    try:
        body = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise ApiError(400, f"Malformed request body: {exc}") from exc
    if not isinstance(body, dict):
        raise ApiError(400, "Malformed request body: expected a JSON object")
    return body


def cloud_of(request: web.Request) -> Cloud:
    return request.config_dict[CLOUD]


def identity_of(request: web.Request) -> Identity:
    return request[IDENTITY]


def base_url(request: web.Request) -> str:
    configured = request.config_dict[BASE_URL]
    return configured[0] if configured else f"{request.scheme}://{request.host}"


def nova_error(status: int, message: str, kind: str | None = None) -> dict[str, Any]:
    return {NOVA_FAULT_NAMES.get(status, "computeFault"): {"code": status, "message": message}}


def keystone_error(status: int, message: str, kind: str | None = None) -> dict[str, Any]:
    return {"error": {"code": status, "message": message, "title": TITLES.get(status, "Error")}}


def neutron_error(status: int, message: str, kind: str | None = None) -> dict[str, Any]:
    kind = kind or "HTTP" + TITLES.get(status, "Error").replace(" ", "")
    return {"NeutronError": {"type": kind, "message": message, "detail": ""}}


def placement_error(status: int, message: str, kind: str | None = None) -> dict[str, Any]:
    code = kind if kind and kind.startswith("placement.") else "placement.undefined_code"
    return {
        "errors": [
            {
                "status": status,
                "title": TITLES.get(status, "Error"),
                "detail": message,
                "code": code,
                "request_id": "req-sim",
            }
        ]
    }


def error_middleware(render: ErrorRenderer) -> Any:
    """Render ApiError and aiohttp's 404/405 in the service's own error body."""

    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        try:
            return await handler(request)
        except ApiError as exc:
            return json_response(render(exc.status, exc.message, exc.kind), exc.status)
        except web.HTTPException as exc:
            if exc.status < 400:
                raise
            message = "The resource could not be found." if exc.status == 404 else exc.reason
            return json_response(render(exc.status, message, None), exc.status)

    return middleware


def auth_middleware(public: Callable[[web.Request], bool]) -> Any:
    """X-Auth-Token must name a live token, except on the public (version) routes."""

    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        if public(request):
            return await handler(request)
        token_id = request.headers.get("X-Auth-Token")
        cloud = cloud_of(request)
        token = cloud.tokens.get(token_id) if token_id else None
        if token is None or token.expires_at < datetime.now(UTC):
            return json_response(
                keystone_error(401, "The request you have made requires authentication."),
                401,
                {"WWW-Authenticate": f'Keystone uri="{base_url(request)}/identity"'},
            )
        request[IDENTITY] = Identity(token.id, token.user_id, token.project_id, tuple(token.roles))
        return await handler(request)

    return middleware


def int_query(request: web.Request, name: str, default: int | None = None) -> int | None:
    value = request.query.get(name)
    if value is None:
        return default
    try:
        number = int(value)
    except ValueError as exc:
        raise ApiError(400, f"Invalid input for query parameter {name}: {value!r}") from exc
    if number < 0:
        raise ApiError(400, f"Invalid input for query parameter {name}: must be >= 0")
    return number
