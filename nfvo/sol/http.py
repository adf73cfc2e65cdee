"""The app factory: one aiohttp sub-app per API, mounted under one root app.

Layout (SOL013 clause 4.1, resource URI structure ``{apiRoot}/{apiName}/{apiMajorVersion}``):

``/{apiName}``                  an app per API name; serves ``/api_versions`` (clause 9.3)
``/{apiName}/v{major}``         the API's own app, built from its route table, which also
                                serves its ``/api_versions``
``/openapi.json``               the OpenAPI document of exactly what is mounted

An API module builds its app with :func:`make_api_app` (a route table, nothing else);
the composition root passes every such app to :func:`make_root_app`. Apps are
configured, never subclassed; app-scoped values live under typed ``web.AppKey``s and
are read with ``nfvo.sol.routes.app_value`` (innermost app first); the root is frozen
before it is returned, so a wiring mistake fails at start, not at the first request.
"""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator, Callable, Sequence
from itertools import groupby

from aiohttp import web
from aiohttp.typedefs import Middleware

from nfvo.sol.middleware import (
    OUTAGE_LOG,
    OutageLog,
    error_middleware,
    stamp_response,
    version_middleware,
)
from nfvo.sol.negotiation import negotiation_middleware
from nfvo.sol.openapi import OPENAPI_PATH, openapi_handler
from nfvo.sol.paging import PAGING, Paging
from nfvo.sol.routes import (
    API_APPS,
    OPENAPI_TITLE,
    ROUTE_SPECS,
    ROUTE_TABLE,
    Route,
    RouteTable,
    check_table,
)
from nfvo.sol.versions import API_INFO, ApiInfo, ApiVersion, versions_route

CleanupContext = Callable[[web.Application], AsyncIterator[None]]
API_CLEANUP = web.AppKey("API_CLEANUP", tuple[CleanupContext, ...])

DEFAULT_MAX_BODY = 16 * 1024 * 1024  # JSON bodies; package uploads will stream instead


def _register(app: web.Application, routes: RouteTable) -> None:
    specs: dict[web.AbstractRoute, Route] = {}
    for route in routes:
        specs[app.router.add_route(route.method, route.path, route.handler)] = route
    app[ROUTE_SPECS] = specs


def _bound(context: CleanupContext, app: web.Application) -> CleanupContext:
    """``context`` run in the root's chain but given its own API's app."""

    def bound(_root: web.Application) -> AsyncIterator[None]:
        return context(app)

    return bound


def make_api_app(
    api_name: str,
    major_version: int,
    versions: Sequence[str | ApiVersion],
    routes: RouteTable,
    *,
    middlewares: Sequence[Middleware] = (),
    cleanup_ctx: Sequence[CleanupContext] = (),
) -> web.Application:
    """The app of one API (``/{api_name}/v{major_version}``) serving ``routes``.

    ``middlewares`` run only for this API (after the root's error, version and any
    auth middleware); ``cleanup_ctx`` opens what the API needs for its lifetime (each
    receives this app; keep what it opens in a holder set before the app is frozen).
    """
    info = ApiInfo.of(api_name, major_version, versions)
    table = (*routes, versions_route())
    check_table(table)
    app = web.Application(middlewares=list(middlewares))
    app[API_INFO] = info
    app[ROUTE_TABLE] = table
    _register(app, table)
    app[API_CLEANUP] = tuple(cleanup_ctx)
    return app


def _name_app(apps: list[web.Application]) -> web.Application:
    """``/{apiName}``: its api_versions speak for the highest major served."""
    newest = max(apps, key=lambda app: app[API_INFO].major)
    name_app = web.Application()
    name_app[API_INFO] = newest[API_INFO]
    _register(name_app, (versions_route(),))
    for app in apps:
        name_app.add_subapp(f"/v{app[API_INFO].major}", app)
    return name_app


def make_root_app(
    apis: Sequence[web.Application],
    *,
    middlewares: Sequence[Middleware] = (),
    cleanup_ctx: Sequence[CleanupContext] = (),
    routes: Sequence[web.RouteDef] = (),
    client_max_size: int = DEFAULT_MAX_BODY,
    paging: Paging | None = None,
    title: str = "nfvo",
) -> web.Application:
    """The served app: every API mounted, the shared middlewares, frozen.

    Middlewares run in this order: the error middleware (renders every failure),
    the version check, then ``middlewares`` (where authentication and scope checks
    plug in, reading each route's ``scope`` through ``nfvo.sol.routes.route_of``),
    then media-type negotiation. ``paging`` signs page markers; without it a
    random key is drawn, so markers do not outlive the process. ``routes`` are
    served by the root outside every API (the token endpoint of ``nfvo.sol.auth``).
    """
    root = web.Application(
        middlewares=[error_middleware, version_middleware, *middlewares, negotiation_middleware],
        client_max_size=client_max_size,
    )
    root[PAGING] = paging or Paging(secrets.token_bytes(32))
    root[OUTAGE_LOG] = OutageLog()
    ordered = sorted(apis, key=lambda app: (app[API_INFO].api_name, app[API_INFO].major))
    for name, group in groupby(ordered, key=lambda app: app[API_INFO].api_name):
        root.add_subapp(f"/{name}", _name_app(list(group)))
    root[API_APPS] = tuple(ordered)
    root[OPENAPI_TITLE] = title
    root.router.add_route("GET", OPENAPI_PATH, openapi_handler)
    root.router.add_routes(routes)
    root.on_response_prepare.append(stamp_response)
    # One cleanup chain for everything: the root's resources open first and close
    # last, each API's in between, in reverse on the way down (aiohttp would run a
    # sub-app's chain after the root's on both ways).
    root.cleanup_ctx.extend(cleanup_ctx)
    for app in ordered:
        root.cleanup_ctx.extend(_bound(context, app) for context in app[API_CLEANUP])
    root.freeze()
    return root
