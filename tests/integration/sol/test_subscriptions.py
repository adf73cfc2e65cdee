"""The subscription routes mounted on the gizmos demo API, against real callbacks."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
import redis.asyncio as aioredis
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from cryptography.fernet import Fernet

from nfvo.sol.addresses import AddressPolicy
from nfvo.sol.auth import authentication_from_settings
from nfvo.sol.callbacks import CallbackClient
from nfvo.sol.notifications import DeliveryPolicy, Notifier
from nfvo.store.keys import Keyspace
from nfvo.store.secrets import SecretBox
from tests.integration.sol.gizmos_api import GIZMO_SUBSCRIPTIONS
from tests.integration.sol.secured import basic, bearer, secured_app, secured_settings, token_for
from tests.integration.sol.subscribers import Subscriber

Client = TestClient[web.Request, web.Application]
PASSWORD = "callback-pa55word-zebra"
BOX = SecretBox(Fernet.generate_key())
LOOPBACK = AddressPolicy.allowing(["127.0.0.0/8"])  # the subscribers here are local


@pytest.fixture
async def notifier(redis: aioredis.Redis, keyspace: Keyspace) -> AsyncIterator[Notifier]:
    policy = DeliveryPolicy(base=0.05, max_attempts=3, poll_interval=0.05)
    notifier = Notifier(
        redis, keyspace, CallbackClient(timeout=2, policy=LOOPBACK), policy, box=BOX
    )
    await notifier.start()
    yield notifier
    await notifier.stop()


@pytest.fixture
async def client(
    tmp_path: Path, redis: aioredis.Redis, keyspace: Keyspace, notifier: Notifier
) -> AsyncIterator[Client]:
    auth = authentication_from_settings(secured_settings(tmp_path), redis, keyspace)
    app = secured_app(redis, keyspace, auth, notifier)
    async with TestClient(TestServer(app)) as test_client:
        yield test_client


@pytest.fixture
async def subscriber() -> AsyncIterator[Subscriber]:
    server = await Subscriber().start()
    yield server
    await server.stop()


def request_body(url: str, **extra: Any) -> dict[str, Any]:
    return {
        "callbackUri": url,
        "filter": {"notificationTypes": ["GizmoChangeNotification"]},
    } | extra


async def test_subscribe_read_list_delete(client: Client, subscriber: Subscriber) -> None:
    red = bearer(await token_for(client, "alice"))
    created = await client.post(
        "/gizmos/v1/subscriptions", json=request_body(subscriber.url), headers=red
    )
    assert created.status == 201, await created.text()
    body = await created.json()
    assert subscriber.gets == 1  # the callback was tested first
    assert created.headers["Location"] == body["_links"]["self"]["href"]
    assert set(body) == {"id", "filter", "callbackUri", "_links"}
    path = f"/gizmos/v1/subscriptions/{body['id']}"
    assert await (await client.get(path, headers=red)).json() == body
    assert await (await client.get("/gizmos/v1/subscriptions", headers=red)).json() == [body]
    assert (await client.delete(path, headers=red)).status == 204
    assert (await client.get(path, headers=red)).status == 404


async def test_a_duplicate_is_303_to_the_first(client: Client, subscriber: Subscriber) -> None:
    red = bearer(await token_for(client, "alice"))
    first = await client.post(
        "/gizmos/v1/subscriptions", json=request_body(subscriber.url), headers=red
    )
    again = await client.post(
        "/gizmos/v1/subscriptions",
        json=request_body(subscriber.url),
        headers=red,
        allow_redirects=False,
    )
    assert again.status == 303
    assert again.headers["Location"] == first.headers["Location"]
    # Another tenant's identical subscription is its own: a 303 would reveal ours.
    blue = bearer(await token_for(client, "bob"))
    theirs = await client.post(
        "/gizmos/v1/subscriptions",
        json=request_body(subscriber.url),
        headers=blue,
        allow_redirects=False,
    )
    assert theirs.status == 201
    assert len(await (await client.get("/gizmos/v1/subscriptions", headers=blue)).json()) == 1
    first_path = first.headers["Location"]
    assert (await client.get(first_path, headers=blue)).status == 404
    assert (await client.delete(first_path, headers=blue)).status == 404


@pytest.mark.parametrize(
    ("get_status", "stopped", "expected"),
    [
        (200, False, "the callback test failed (status 200; 204 is expected)"),
        (204, True, "the callback test failed (no answer from a permitted address)"),
    ],
)
async def test_a_callback_that_fails_its_test_is_422(
    client: Client, get_status: int, stopped: bool, expected: str
) -> None:
    server = await Subscriber(get_status=get_status).start()
    if stopped:
        await server.stop()
    red = bearer(await token_for(client, "alice"))
    response = await client.post(
        "/gizmos/v1/subscriptions", json=request_body(server.url), headers=red
    )
    assert response.status == 422
    assert expected in (await response.json())["detail"]
    await server.stop()


@pytest.mark.parametrize(
    ("flt", "expected"),
    [
        ({"notificationTypes": ["Nonsense"]}, "notificationTypes"),
        ({"gizmoNames": "amf"}, "the filter is invalid: gizmoNames"),
    ],
)
async def test_a_bad_filter_is_422(
    client: Client, subscriber: Subscriber, flt: dict[str, Any], expected: str
) -> None:
    red = bearer(await token_for(client, "alice"))
    body = {"callbackUri": subscriber.url, "filter": flt}
    response = await client.post("/gizmos/v1/subscriptions", json=body, headers=red)
    assert response.status == 422
    assert expected in (await response.json())["detail"]


async def test_basic_authentication_is_used_and_never_echoed(
    client: Client,
    notifier: Notifier,
    caplog: pytest.LogCaptureFixture,
    redis: aioredis.Redis,
    keyspace: Keyspace,
) -> None:
    caplog.set_level(logging.DEBUG)
    expected = basic("nfvo", PASSWORD)
    server = await Subscriber(expect_authorization=expected).start()
    red = bearer(await token_for(client, "alice"))
    auth = {"authType": ["BASIC"], "paramsBasic": {"userName": "nfvo", "password": PASSWORD}}
    created = await client.post(
        "/gizmos/v1/subscriptions", json=request_body(server.url, authentication=auth), headers=red
    )
    assert created.status == 201
    texts = [await created.text()]
    listed = await client.get("/gizmos/v1/subscriptions", headers=red)
    texts.append(await listed.text())
    texts.append(await (await client.get(created.headers["Location"], headers=red)).text())
    assert all(PASSWORD not in text and "authentication" not in text for text in texts)
    stored = [await redis.dump(key) async for key in redis.scan_iter(f"{keyspace.prefix}:*")]
    assert stored and not any(PASSWORD.encode() in (value or b"") for value in stored)  # sealed

    sent = await notifier.publish_notification(
        GIZMO_SUBSCRIPTIONS, "GizmoChangeNotification", {"id": "n1", "gizmoId": "g1"}
    )
    assert sent == 1
    await server.wait_for(1)
    assert server.received[0]["subscriptionId"] == (await created.json())["id"]
    assert PASSWORD not in caplog.text
    await server.stop()


async def test_basic_without_parameters_is_422(client: Client, subscriber: Subscriber) -> None:
    red = bearer(await token_for(client, "alice"))
    body = request_body(subscriber.url, authentication={"authType": ["BASIC"]})
    response = await client.post("/gizmos/v1/subscriptions", json=body, headers=red)
    assert response.status == 422
    assert "paramsBasic" in (await response.json())["detail"]


async def test_the_openapi_document_lists_the_subscription_routes(client: Client) -> None:
    document = await (await client.get("/openapi.json")).json()
    assert {"/gizmos/v1/subscriptions", "/gizmos/v1/subscriptions/{subscriptionId}"} <= set(
        document["paths"]
    )
    create = document["paths"]["/gizmos/v1/subscriptions"]["post"]
    assert create["security"] == [{"oauth2": ["gizmos:write"]}]
    flow = document["components"]["securitySchemes"]["oauth2"]["flows"]["clientCredentials"]
    assert flow["tokenUrl"] == "/oauth2/token" and "gizmos:read" in flow["scopes"]


@pytest.mark.parametrize("subscription_id", ["a b", "a:b", "\U00051237", "x*"])
async def test_an_id_no_key_can_hold_is_404(client: Client, subscription_id: str) -> None:
    red = bearer(await token_for(client, "alice"))
    path = f"/gizmos/v1/subscriptions/{quote(subscription_id)}"
    for method in ("GET", "DELETE"):
        answer = await client.request(method, path, headers=red)
        assert answer.status == 404, await answer.text()
        assert "there is no subscription" in (await answer.json())["detail"]
