"""How APIs compose: several majors, a plugged-in auth middleware, lifetimes."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from nfvo.sol.bodies import json_response
from nfvo.sol.http import make_api_app, make_root_app
from nfvo.sol.problems import Forbidden, Unauthorized
from nfvo.sol.routes import Handler, Route, route_of
from nfvo.sol.versions import API_INFO


async def hello(request: web.Request) -> web.Response:
    return json_response({"hello": request.path})


ROUTES = (
    Route("GET", "/hello", hello, "gadgets:read"),
    Route("POST", "/hello", hello, "gadgets:write"),
)


@web.middleware
async def scope_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """What the auth part will plug in: the matched route's scope decides."""
    route = route_of(request)
    if route is not None and route.scope:
        granted = set(request.headers.get("X-Scopes", "").split())
        if not granted:
            raise Unauthorized("no access token", headers={"WWW-Authenticate": "Bearer"})
        if route.scope not in granted:
            raise Forbidden(f"{request.method} {request.path} needs scope {route.scope}")
    return await handler(request)


async def test_several_majors_of_one_api() -> None:
    v1 = make_api_app("gadgets", 1, ["1.3.0"], ROUTES)
    v2 = make_api_app("gadgets", 2, ["2.0.0", "2.1.0"], ROUTES)
    async with TestClient(TestServer(make_root_app([v2, v1]))) as client:
        top = await (await client.get("/gadgets/api_versions")).json()
        assert top["uriPrefix"].endswith("/gadgets/v2")
        old = await (await client.get("/gadgets/v1/api_versions")).json()
        assert [v["version"] for v in old["apiVersions"]] == ["1.3.0"]
        ok = await client.get("/gadgets/v1/hello", headers={"Version": "1.3.0"})
        assert ok.status == 200 and ok.headers["Version"] == "1.3.0"
        wrong = await client.get("/gadgets/v2/hello", headers={"Version": "1.3.0"})
        assert wrong.status == 406 and wrong.headers["Version"] == "2.1.0"


async def test_an_auth_middleware_plugs_in_and_reads_scopes() -> None:
    app = make_api_app("gadgets", 1, ["1.0.0"], ROUTES)
    root = make_root_app([app], middlewares=[scope_middleware])
    version = {"Version": "1.0.0"}
    async with TestClient(TestServer(root)) as client:
        anonymous = await client.get("/gadgets/v1/hello", headers=version)
        assert anonymous.status == 401
        assert anonymous.headers["WWW-Authenticate"] == "Bearer"
        assert anonymous.content_type == "application/problem+json"
        reader = {**version, "X-Scopes": "gadgets:read"}
        assert (await client.get("/gadgets/v1/hello", headers=reader)).status == 200
        denied = await client.post("/gadgets/v1/hello", headers=reader)
        assert denied.status == 403
        assert "gadgets:write" in (await denied.json(content_type=None))["detail"]
        versions = await client.get("/gadgets/v1/api_versions")  # no scope on discovery
        assert versions.status == 200


async def test_cleanup_contexts_of_apis_and_root_run_in_order() -> None:
    events: list[str] = []

    def context(name: str) -> Any:
        async def lifetime(app: web.Application) -> AsyncIterator[None]:
            assert (API_INFO in app) is (name == "api")  # each gets its own app
            events.append(f"open {name}")
            yield
            events.append(f"close {name}")

        return lifetime

    api = make_api_app("gadgets", 1, ["1.0.0"], ROUTES, cleanup_ctx=[context("api")])
    root = make_root_app([api], cleanup_ctx=[context("root")])
    async with TestClient(TestServer(root)) as client:
        assert (await client.get("/gadgets/api_versions")).status == 200
        assert events == ["open root", "open api"]
    assert events == ["open root", "open api", "close api", "close root"]
