"""Item 9: a subscription cannot make the NFVO call, scan or re-post into its own networks.

The attacker subscribes with a ``callbackUri`` (and a ``tokenEndpoint``) on the
loopback, where nothing of theirs listens. By default only public addresses are
called: the listener there is never contacted, and the refusal reads the same whether
a port is open, closed or the name unknown, so it tells nothing about what is inside.
An operator's allowed network is called, but never through a redirect: not on the
callback test, not when notifications are POSTed.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from aiohttp import web

from nfvo.store.embedded import free_port
from tests.integration.catalog.conftest import onboard
from tests.integration.sol.subscribers import Subscriber
from tests.security.conftest import PACKAGES, VERSIONS, Client, ServeFactory

V = VERSIONS["vnfpkgm"]
SUBSCRIPTIONS = "/vnfpkgm/v2/subscriptions"
NO_ANSWER = "failed (no answer from a permitted address)"
# Words a refusal must not use: they would tell a port scanner what it found.
REACHABILITY = ("refused", "reset", "timeout", "timed out", "resolve", "127.0.0.", "connect")


@dataclass
class Listener:
    """An internal service that must never be called: it counts what reaches it."""

    host: str = "127.0.0.1"
    get_status: int = 204
    post_status: int = 204
    location: str = ""
    hits: list[str] = field(default_factory=list)
    posted: asyncio.Event = field(default_factory=asyncio.Event)
    url: str = ""
    _runner: web.AppRunner | None = None

    async def _answer(self, request: web.Request) -> web.Response:
        self.hits.append(f"{request.method} {request.path_qs}")
        if request.method == "POST":
            self.posted.set()
        status = self.get_status if request.method == "GET" else self.post_status
        headers = {"Location": self.location} if self.location else {}
        return web.Response(status=status, headers=headers)

    async def start(self) -> Listener:
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._answer)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, self.host, 0).start()
        self.url = f"http://{self.host}:{self._runner.addresses[0][1]}"
        return self

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()


@pytest.fixture
async def internal() -> AsyncIterator[Listener]:
    listener = await Listener().start()
    yield listener
    await listener.stop()


async def _subscribe(client: Client, callback: str, **extra: object) -> web.Response:
    body = {"callbackUri": callback, **extra}
    return await client.post(SUBSCRIPTIONS, json=body, headers=V)  # type: ignore[return-value]


async def test_internal_callbacks_are_never_called_and_refusals_reveal_nothing(
    serve_catalogue: ServeFactory, internal: Listener
) -> None:
    client = await serve_catalogue(callback_allowed_networks=[])
    closed = f"http://127.0.0.1:{free_port()}/callback"
    targets = [
        f"{internal.url}/callback",  # open, answering 204
        closed,  # closed port
        "http://169.254.169.254/latest/meta-data/",  # the cloud's metadata service
        "http://[::1]:6379/",
        "http://[::ffff:127.0.0.1]:6379/",
        "http://localhost:6379/",
        "http://no-such-host.invalid/callback",
    ]
    details = []
    for target in targets:
        response = await _subscribe(client, target)
        assert response.status == 422, (target, await response.text())
        detail = (await response.json())["detail"]
        details.append(detail.replace(target, "<uri>"))
    assert internal.hits == []
    assert len(set(details)) == 1, details  # one answer for every case
    assert NO_ANSWER in details[0]
    assert not [word for word in REACHABILITY if word in details[0].lower()]
    assert await (await client.get(SUBSCRIPTIONS, headers=V)).json() == []


async def test_a_token_endpoint_inside_never_receives_the_credentials(
    serve_catalogue: ServeFactory,
) -> None:
    # The operator allows the OSS's address (127.0.0.1), not the rest of the loopback.
    client = await serve_catalogue(callback_allowed_networks=["127.0.0.1/32"])
    oss = await Subscriber().start()
    thief = await Listener(host="127.0.0.2").start()
    try:
        authentication = {
            "authType": ["OAUTH2_CLIENT_CREDENTIALS"],
            "paramsOauth2ClientCredentials": {
                "clientId": "oss",
                "clientPassword": "oss-password-lime",
                "tokenEndpoint": f"{thief.url}/token",
            },
        }
        response = await _subscribe(client, oss.url, authentication=authentication)
        assert response.status == 422
        detail = (await response.json())["detail"]
        assert "token endpoint test " + NO_ANSWER in detail
        assert "oss-password-lime" not in detail
        assert thief.hits == [] and oss.gets == 0
    finally:
        await oss.stop()
        await thief.stop()


async def test_the_callback_test_follows_no_redirect(
    serve_catalogue: ServeFactory, internal: Listener
) -> None:
    client = await serve_catalogue(callback_allowed_networks=["127.0.0.1/32"])
    secret_place = await Listener().start()
    internal.get_status, internal.location = 302, f"{secret_place.url}/admin"
    try:
        response = await _subscribe(client, f"{internal.url}/callback")
        assert response.status == 422
        assert "the callback test failed (status 302" in (await response.json())["detail"]
        assert secret_place.hits == []
    finally:
        await secret_place.stop()


async def test_notifications_are_not_reposted_through_a_redirect(
    serve_catalogue: ServeFactory, internal: Listener, shipped: dict[str, Path]
) -> None:
    client = await serve_catalogue(callback_allowed_networks=["127.0.0.1/32"])
    secret_place = await Listener().start()
    internal.post_status, internal.location = 307, f"{secret_place.url}/admin"
    try:
        subscribed = await _subscribe(client, f"{internal.url}/callback")
        assert subscribed.status == 201, await subscribed.text()
        body = await onboard(client, shipped["nrf"])  # queues VnfPackageOnboardingNotification
        assert body["onboardingState"] == "ONBOARDED"
        async with asyncio.timeout(20):
            await internal.posted.wait()
        await asyncio.sleep(1.0)  # a followed redirect would have landed by now
        assert secret_place.hits == []
        listed = await client.get(PACKAGES, headers=V)
        assert listed.status == 200
    finally:
        await secret_place.stop()
