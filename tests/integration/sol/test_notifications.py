"""Notification delivery to real subscribers on loopback: order, retries, isolation,
dead letters, restarts, and each authentication type."""

from __future__ import annotations

import asyncio
import ssl
import time
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import redis.asyncio as aioredis
from cryptography.fernet import Fernet

from nfvo.sol.addresses import AddressPolicy
from nfvo.sol.callbacks import CallbackClient, SubscriptionAuthentication
from nfvo.sol.notifications import QUEUE, DeliveryPolicy, Notifier
from nfvo.store.keys import Keyspace
from nfvo.store.secrets import SecretBox
from tests.integration.sol.gizmos_api import GIZMO_SUBSCRIPTIONS
from tests.integration.sol.secured import basic
from tests.integration.sol.subscribers import Subscriber, TokenEndpoint, mutual_tls
from tests.support.waiting import eventually

CHANGE = "GizmoChangeNotification"
BOX = SecretBox(Fernet.generate_key())
LOOPBACK = AddressPolicy.allowing(["127.0.0.0/8"])  # the subscribers here are local
FAST = DeliveryPolicy(base=0.05, cap=0.2, max_attempts=4, poll_interval=0.05, lease_seconds=2)


def make_notifier(
    redis: aioredis.Redis,
    keyspace: Keyspace,
    policy: DeliveryPolicy = FAST,
    tls: ssl.SSLContext | None = None,
) -> Notifier:
    return Notifier(
        redis, keyspace, CallbackClient(timeout=2, tls=tls, policy=LOOPBACK), policy, box=BOX
    )


@pytest.fixture
async def notifier(redis: aioredis.Redis, keyspace: Keyspace) -> AsyncIterator[Notifier]:
    notifier = make_notifier(redis, keyspace)
    await notifier.start()
    yield notifier
    await notifier.stop()


async def subscribe(
    notifier: Notifier,
    url: str,
    *,
    owner: str = "red",
    flt: dict[str, Any] | None = None,
    authentication: dict[str, Any] | None = None,
) -> str:
    """A subscription as the routes store it (the routes are tested elsewhere)."""
    subscription_id = str(uuid.uuid4())
    document = {
        "id": subscription_id,
        "callbackUri": url,
        "filter": flt,
        "_links": {"self": {"href": f"/gizmos/v1/subscriptions/{subscription_id}"}},
        "owner": owner,
        "identity": uuid.uuid4().hex,
        "authentication": notifier.seal_authentication(
            SubscriptionAuthentication.model_validate(authentication) if authentication else None
        ),
    }
    await notifier.repository(GIZMO_SUBSCRIPTIONS.kind).create(subscription_id, document)
    return subscription_id


async def publish(notifier: Notifier, count: int, **options: Any) -> None:
    for number in range(count):
        body = {"id": f"n{number}", "number": number, "notificationType": CHANGE}
        await notifier.publish_notification(GIZMO_SUBSCRIPTIONS, CHANGE, body, **options)


async def dead_letters(notifier: Notifier) -> list[dict[str, Any]]:
    page = await notifier.dead_letters.list()
    return [item.document for item in page.items]


async def _count_at_least(notifier: Notifier, count: int) -> bool:
    return len(await dead_letters(notifier)) >= count


async def _empty(redis: aioredis.Redis, queue: str) -> bool:
    return not await redis.llen(queue)


async def test_delivered_in_order_with_subscription_links(notifier: Notifier) -> None:
    server = await Subscriber().start()
    subscription_id = await subscribe(notifier, server.url)
    await publish(notifier, 20)
    await server.wait_for(20)
    assert [item["number"] for item in server.received] == list(range(20))
    first = server.received[0]
    assert first["subscriptionId"] == subscription_id
    assert first["_links"]["subscription"]["href"].endswith(subscription_id)
    await server.stop()


async def test_failures_are_retried_without_reordering(notifier: Notifier) -> None:
    server = await Subscriber(fail_first=2).start()
    await subscribe(notifier, server.url)
    await publish(notifier, 3)
    await server.wait_for(3)
    assert [item["number"] for item in server.received] == [0, 1, 2]
    assert server.posts == 5  # two refused attempts of the first, then one each
    assert await dead_letters(notifier) == []
    await server.stop()


async def test_a_dead_subscriber_does_not_delay_a_live_one(notifier: Notifier) -> None:
    dead, live = await Subscriber(always_fail=True).start(), await Subscriber().start()
    dead_id = await subscribe(notifier, dead.url)
    await subscribe(notifier, live.url)
    started = time.monotonic()
    await publish(notifier, 5)
    await live.wait_for(5)
    assert time.monotonic() - started < 1.0  # while the dead one is still retrying
    await eventually(lambda: _count_at_least(notifier, 5))
    letters = await dead_letters(notifier)
    assert {letter["subscriptionId"] for letter in letters} == {dead_id}
    assert letters[0]["attempts"] == FAST.max_attempts
    assert "503" in letters[0]["reason"]
    assert [letter["notification"]["body"]["number"] for letter in letters] == list(range(5))
    await dead.stop()
    await live.stop()


async def test_a_full_queue_dead_letters_at_once(redis: aioredis.Redis, keyspace: Keyspace) -> None:
    notifier = make_notifier(redis, keyspace, DeliveryPolicy(queue_length=2))  # not started
    await subscribe(notifier, "http://127.0.0.1:9/callback")
    await publish(notifier, 3)
    letters = await dead_letters(notifier)
    assert [letter["reason"] for letter in letters] == ["the subscription's queue is full"]
    assert letters[0]["notification"]["body"]["number"] == 2


async def test_filters_and_owners_choose_the_subscriptions(notifier: Notifier) -> None:
    server = await Subscriber().start()
    wanted = await subscribe(notifier, server.url, flt={"gizmoNames": ["amf"]})
    await subscribe(notifier, server.url, flt={"notificationTypes": ["GizmoDeletionNotification"]})
    await subscribe(notifier, server.url, owner="blue")
    await publish(notifier, 1, matches=lambda flt: "amf" in flt.get("gizmoNames", []), owner="red")
    await server.wait_for(1)
    await asyncio.sleep(0.2)  # nothing else arrives
    assert [item["subscriptionId"] for item in server.received] == [wanted]
    await server.stop()


async def test_delivery_resumes_after_a_restart(redis: aioredis.Redis, keyspace: Keyspace) -> None:
    server = await Subscriber().start()
    first = make_notifier(redis, keyspace)
    await first.start()
    await subscribe(first, server.url)
    await publish(first, 2)
    await server.wait_for(2)
    queue = keyspace.queue(QUEUE, server.received[0]["subscriptionId"])
    # The subscriber has the second one before we hear its 204; stopping now would
    # deliver it again after the restart (at least once). Wait for its removal.
    await eventually(lambda: _empty(redis, queue))
    await first.stop()
    await publish(first, 3)  # queued while no deliverer runs (a worker publishing)
    assert await redis.llen(queue) == 3
    second = make_notifier(redis, keyspace)
    await second.start()
    await server.wait_for(5)
    assert [item["number"] for item in server.received] == [0, 1, 0, 1, 2]
    await second.stop()
    await server.stop()


async def test_oauth2_client_credentials_fetch_and_cache_a_token(notifier: Notifier) -> None:
    endpoint = await TokenEndpoint("nfvo-at-subscriber", "token-pa55-wombat").start()
    server = await Subscriber(expect_authorization=f"Bearer {endpoint.token}").start()
    oauth = {
        "clientId": endpoint.client_id,
        "clientPassword": endpoint.client_secret,
        "tokenEndpoint": endpoint.url,
    }
    auth = {"authType": ["OAUTH2_CLIENT_CREDENTIALS"], "paramsOauth2ClientCredentials": oauth}
    await subscribe(notifier, server.url, authentication=auth)
    await publish(notifier, 3)
    await server.wait_for(3)
    assert endpoint.hits == 1  # cached across deliveries
    await server.stop()
    await endpoint.stop()


async def test_basic_credentials_reach_the_subscriber(notifier: Notifier) -> None:
    server = await Subscriber(expect_authorization=basic("nfvo", "pa55-okapi")).start()
    auth = {"authType": ["BASIC"], "paramsBasic": {"userName": "nfvo", "password": "pa55-okapi"}}
    await subscribe(notifier, server.url, authentication=auth)
    await publish(notifier, 1)
    await server.wait_for(1)
    await server.stop()


async def test_tls_cert_uses_our_client_certificate(
    tmp_path: Path, redis: aioredis.Redis, keyspace: Keyspace
) -> None:
    server_tls, client_tls = mutual_tls(tmp_path)
    server = await Subscriber().start(tls=server_tls)
    notifier = make_notifier(redis, keyspace, tls=client_tls)
    await notifier.start()
    auth = {"authType": ["TLS_CERT"]}
    await subscribe(notifier, server.url, authentication=auth)
    await publish(notifier, 2)
    await server.wait_for(2)
    await notifier.stop()
    # Without a configured certificate a TLS_CERT subscription is refused up front.
    bare = make_notifier(redis, keyspace)
    with pytest.raises(ValueError, match="no client certificate"):
        bare.client.check(SubscriptionAuthentication.model_validate(auth))
    await server.stop()


async def test_stop_ends_when_a_wake_races_the_cancellation(
    redis: aioredis.Redis, keyspace: Keyspace
) -> None:
    # A publish wakes the supervisor just as stop() cancels it: on Python 3.11,
    # asyncio.wait_for swallowed that cancellation and stop() waited for ever.
    for _ in range(30):
        notifier = make_notifier(redis, keyspace)
        await notifier.start()
        await asyncio.sleep(0.01)
        await publish(notifier, 1)
        async with asyncio.timeout(8):
            await notifier.stop()
