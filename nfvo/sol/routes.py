"""The route table: every operation an API serves, declared once.

Tacker v2 keeps routes as a table and answers every unlisted method with 405; we do
the same. The table is data, so the app factory (``nfvo.sol.http``) registers it, a
later auth middleware reads each route's ``scope``, and the OpenAPI document
(``nfvo.sol.openapi``) is generated from exactly what is served.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import TypeVar

from aiohttp import web
from pydantic import BaseModel

T = TypeVar("T")
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

JSON = "application/json"
MERGE_PATCH = "application/merge-patch+json"
METHODS = frozenset({"GET", "POST", "PUT", "PATCH", "DELETE"})


@dataclass(frozen=True)
class Route:
    """One operation: ``method`` on ``path`` (relative to ``/{apiName}/v{major}``).

    ``scope`` is the permission an auth middleware will demand (SOL013 clause 4.5,
    OAuth 2.0 scopes per resource and method); ``request_model`` and
    ``response_model`` describe the bodies for validation and the OpenAPI document;
    ``consumes`` and ``produces`` the media types negotiated (``Content-Type`` and
    ``Accept``); ``query`` the query parameters the OpenAPI document lists.
    """

    method: str
    path: str
    handler: Handler
    scope: str = ""
    summary: str = ""
    request_model: type[BaseModel] | None = None
    response_model: type[BaseModel] | None = None
    response_is_list: bool = False
    status: int = 200
    consumes: tuple[str, ...] = ()
    produces: tuple[str, ...] = (JSON,)
    query: tuple[str, ...] = ()
    versioned: bool = True  # False only for api_versions (see nfvo.sol.versions)

    def __post_init__(self) -> None:
        if self.method not in METHODS:
            raise ValueError(f"route {self.path}: method {self.method!r} is not one of {METHODS}")
        if not self.path.startswith("/"):
            raise ValueError(f"route path {self.path!r} must start with '/'")
        if self.method in {"POST", "PUT", "PATCH"} and not self.consumes:
            # A body-carrying method declares what it accepts; PATCH bodies in the
            # SOL APIs are JSON Merge Patch documents (RFC 7396).
            default = (MERGE_PATCH,) if self.method == "PATCH" else (JSON,)
            object.__setattr__(self, "consumes", default)


RouteTable = Sequence[Route]


def check_table(routes: RouteTable) -> None:
    """Refuse a table that lists one method on one path twice (a wiring mistake)."""
    seen: set[tuple[str, str]] = set()
    for route in routes:
        key = (route.method, route.path)
        if key in seen:
            raise ValueError(f"route {route.method} {route.path} is listed twice")
        seen.add(key)


# What the OpenAPI document is generated from: each API app's table, the apps the
# root mounted (in order) and the document's title.
ROUTE_TABLE = web.AppKey("ROUTE_TABLE", tuple[Route, ...])
API_APPS = web.AppKey("API_APPS", tuple[web.Application, ...])
OPENAPI_TITLE = web.AppKey("OPENAPI_TITLE", str)

# Each app's aiohttp routes mapped back to the table entry they were made from, so a
# middleware (auth, negotiation, version) can read the entry of the matched route.
ROUTE_SPECS = web.AppKey("ROUTE_SPECS", dict[web.AbstractRoute, Route])


def route_of(request: web.Request) -> Route | None:
    """The table entry the request was routed to; None for 404/405 and foreign routes."""
    if request.match_info.http_exception is not None:
        return None
    specs = app_value(request, ROUTE_SPECS)
    return specs.get(request.match_info.route) if specs is not None else None


def app_value(request: web.Request, key: web.AppKey[T]) -> T | None:
    """``key`` of the innermost app the request was routed through that has it.

    Not ``request.config_dict``: that is relative to the app whose middleware or
    handler is running (the root, for the shared middlewares) and is computed once
    per request, so reading it from a root middleware would hide every sub-app's
    values from the handler too.
    """
    for app in reversed(request.match_info.apps):
        if key in app:
            return app[key]
    return None
