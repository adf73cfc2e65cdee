"""The store's refusals reach the wire through the one error middleware, each as its
ProblemDetails (``STORE_PROBLEMS``), with the store's detail, and the audit stream
records the status the client got; on a real Redis."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
import redis.asyncio as aioredis
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from nfvo.sol.audit import audit_middleware
from nfvo.sol.http import make_api_app, make_root_app
from nfvo.sol.routes import Route, app_value
from nfvo.store.connection import connect
from nfvo.store.errors import StoreError
from nfvo.store.events import EventStream, read_all
from nfvo.store.keys import Keyspace
from nfvo.store.repository import Repository

VERSION = {"Version": "1.0.0"}
THINGS = web.AppKey("THINGS", Repository)
UNREACHABLE = web.AppKey("UNREACHABLE", Repository)
Client = TestClient[web.Request, web.Application]


class OddRefusal(StoreError):
    """A refusal of a kind the API's table does not know: a bug, answered as one."""


def _things(request: web.Request, key: web.AppKey[Repository]) -> Repository:
    repository = app_value(request, key)
    assert repository is not None
    return repository


async def show(request: web.Request) -> web.Response:
    found = await _things(request, THINGS).get(request.match_info["thingId"])
    return web.json_response(found.document)


async def create(request: web.Request) -> web.Response:
    await _things(request, THINGS).create(request.match_info["thingId"], {"n": 1})
    return web.json_response({}, status=201)


async def remove(request: web.Request) -> web.Response:
    version = int(request.query["version"])
    await _things(request, THINGS).delete(request.match_info["thingId"], version=version)
    return web.Response(status=204)


async def create_unreachable(request: web.Request) -> web.Response:
    await _things(request, UNREACHABLE).create(request.match_info["thingId"], {"n": 1})
    return web.json_response({}, status=201)


async def odd(request: web.Request) -> web.Response:
    raise OddRefusal("a secret 12345 that must not leak")


ROUTES = (
    Route("GET", "/things/{thingId}", show),
    Route("POST", "/things/{thingId}", create, consumes=("application/json",)),
    Route("DELETE", "/things/{thingId}", remove),
    Route("POST", "/unreachable/{thingId}", create_unreachable, consumes=("application/json",)),
    Route("GET", "/odd", odd),
)


@pytest.fixture
async def client(
    redis: aioredis.Redis, keyspace: Keyspace, free_port: int
) -> AsyncIterator[Client]:
    nowhere = connect(f"redis://127.0.0.1:{free_port}")  # nothing listens there
    api = make_api_app("things", 1, ["1.0.0"], ROUTES)
    api[THINGS] = Repository(redis, keyspace, "thing")
    api[UNREACHABLE] = Repository(nowhere, keyspace, "thing")
    root = make_root_app([api], middlewares=[audit_middleware(redis, keyspace)])
    async with TestClient(TestServer(root, host="127.0.0.1")) as client:
        yield client
    await nowhere.aclose()


async def problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status == status, await response.text()
    assert response.content_type == "application/problem+json"
    body: dict[str, Any] = await response.json()
    assert body["status"] == status
    return body


async def audited(redis: aioredis.Redis, keyspace: Keyspace) -> list[tuple[str, int]]:
    events = await read_all(redis, keyspace, EventStream.AUDIT)
    return [(event.data["method"], event.data["status"]) for event in events]


async def test_not_found_conflict_and_stale_version(
    client: Client, redis: aioredis.Redis, keyspace: Keyspace
) -> None:
    missing = await client.get("/things/v1/things/t1", headers=VERSION)
    assert (await problem(missing, 404))["detail"] == "thing t1 does not exist"
    assert (await client.post("/things/v1/things/t1", json={}, headers=VERSION)).status == 201
    again = await client.post("/things/v1/things/t1", json={}, headers=VERSION)
    assert (await problem(again, 409))["detail"] == "thing t1 already exists"
    stale = await client.delete("/things/v1/things/t1?version=7", headers=VERSION)
    body = await problem(stale, 412)
    assert body["detail"] == "thing t1 is at version 1, not 7: it changed since it was read"
    assert body["title"] == "Precondition Failed"
    assert await audited(redis, keyspace) == [("POST", 201), ("POST", 409), ("DELETE", 412)]


async def test_an_unreachable_store_is_503_saying_what_was_asked(
    client: Client, redis: aioredis.Redis, keyspace: Keyspace
) -> None:
    response = await client.post("/things/v1/unreachable/t1", json={}, headers=VERSION)
    body = await problem(response, 503)
    assert response.headers["Retry-After"] == "1"
    assert body["detail"] == "the store is busy or unreachable (writing thing t1); retry shortly"
    assert await audited(redis, keyspace) == [("POST", 503)]


async def test_an_unmapped_refusal_is_a_500_that_leaks_nothing(client: Client) -> None:
    response = await client.get("/things/v1/odd", headers=VERSION)
    body = await problem(response, 500)
    assert "12345" not in await response.text()
    assert response.headers["X-Request-Id"] in body["detail"]
