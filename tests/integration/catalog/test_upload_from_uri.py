"""upload_from_uri: loopback refused by default, allowed by setting, bounded."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import redis.asyncio as aioredis
from aiohttp import web
from aiohttp.test_utils import TestServer

from nfvo.sol.callbacks import basic_header
from nfvo.store.keys import Keyspace
from tests.integration.catalog import etsi
from tests.integration.catalog.conftest import VERSIONS, ServeFactory, create, onboard, wait_state

V = VERSIONS["vnfpkgm"]
SECRET = "s3cr3t-of-the-vendor-portal"
PATH = "/vnf_packages/{vnfPkgId}/package_content/upload_from_uri"


@pytest.fixture
async def origin(shipped: dict[str, Path]) -> AsyncIterator[str]:
    """A package server on loopback: /amf.zip, /big.bin, and 404 elsewhere."""

    async def amf(_request: web.Request) -> web.Response:
        return web.Response(body=shipped["amf"].read_bytes(), content_type="application/zip")

    async def big(_request: web.Request) -> web.Response:
        return web.Response(body=b"x" * 100_000, content_type="application/zip")

    async def guarded(request: web.Request) -> web.Response:
        if request.headers.get("Authorization") != basic_header("vendor", SECRET):
            return web.Response(status=401)
        return await amf(request)

    app = web.Application()
    app.router.add_get("/amf.zip", amf)
    app.router.add_get("/guarded/amf.zip", guarded)
    app.router.add_get("/big.bin", big)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    yield f"http://127.0.0.1:{server.port}"
    await server.close()


async def _ask(client: object, href: str, uri: str) -> web.Response:
    return await client.post(  # type: ignore[attr-defined, no-any-return]
        f"{href}/package_content/upload_from_uri", json={"addressInformation": uri}, headers=V
    )


async def test_loopback_is_refused_by_default(serve_catalogue: ServeFactory, origin: str) -> None:
    client = await serve_catalogue()
    href = (await create(client))["_links"]["self"]["href"]
    response = await _ask(client, href, f"{origin}/amf.zip")
    assert response.status == 400
    body = await response.json(content_type=None)
    assert "127.0.0.1" in body["detail"] and "upload_allow_private" in body["detail"]
    if etsi.available():
        etsi.validate("vnfpkgm", PATH, "post", 400, body)
    assert (await wait_state_now(client, href)) == "CREATED"
    other = await _ask(client, href, "file:///etc/passwd")
    assert other.status == 400


async def wait_state_now(client: object, href: str) -> str:
    response = await client.get(href, headers=V)  # type: ignore[attr-defined]
    state: str = (await response.json())["onboardingState"]
    return state


async def test_loopback_allowed_by_setting_onboards(
    serve_catalogue: ServeFactory, origin: str
) -> None:
    client = await serve_catalogue(upload_allow_private=True)
    href = (await create(client))["_links"]["self"]["href"]
    response = await _ask(client, href, f"{origin}/amf.zip")
    assert response.status == 202, await response.text()
    body = await wait_state(client, href)
    assert body["onboardingState"] == "ONBOARDED", body.get("onboardingFailureDetails")
    assert body["vnfProductName"] == "nfvo-5gc-amf"


async def test_fetch_failures_are_error_with_the_reason(
    serve_catalogue: ServeFactory, origin: str
) -> None:
    client = await serve_catalogue(upload_allow_private=True, package_max_bytes=50_000)
    missing = (await create(client))["_links"]["self"]["href"]
    assert (await _ask(client, missing, f"{origin}/nothing.zip")).status == 202
    body = await wait_state(client, missing)
    assert body["onboardingState"] == "ERROR"
    assert "404" in body["onboardingFailureDetails"]["detail"]
    big = (await create(client))["_links"]["self"]["href"]
    assert (await _ask(client, big, f"{origin}/big.bin")).status == 202
    body = await wait_state(client, big)
    assert "50000" in body["onboardingFailureDetails"]["detail"]


async def test_credentials_reach_the_origin_and_are_never_stored_in_clear(
    serve_catalogue: ServeFactory, origin: str, redis: aioredis.Redis, keyspace: Keyspace
) -> None:
    client = await serve_catalogue(upload_allow_private=True)
    href = (await create(client))["_links"]["self"]["href"]
    response = await client.post(
        f"{href}/package_content/upload_from_uri",
        json={"addressInformation": f"{origin}/guarded/amf.zip", "username": "vendor",
              "password": SECRET},
        headers=V,
    )  # fmt: skip
    assert response.status == 202, await response.text()
    body = await wait_state(client, href)
    assert body["onboardingState"] == "ONBOARDED", body.get("onboardingFailureDetails")
    async for key in redis.scan_iter(match=keyspace.pattern()):
        kind = await redis.type(key)
        if kind == b"hash":
            fields = await redis.hgetall(key)  # type: ignore[misc]
            stored = b"".join(name + value for name, value in fields.items())
        elif kind == b"string":
            stored = await redis.get(key) or b""
        else:
            continue
        assert SECRET.encode() not in stored, f"{key!r} holds the password in clear"


async def test_fetched_content_already_onboarded_is_refused_like_an_upload(
    serve_catalogue: ServeFactory, origin: str, shipped: dict[str, Path], tmp_path: Path
) -> None:
    client = await serve_catalogue(upload_allow_private=True)
    first = await onboard(client, shipped["amf"])
    href = (await create(client))["_links"]["self"]["href"]
    response = await _ask(client, href, f"{origin}/amf.zip")
    assert response.status == 202, await response.text()
    body = await wait_state(client, href)
    assert body["onboardingState"] == "ERROR"
    [problem] = body["onboardingFailureDetails"]["problems"]
    assert problem["code"] == "duplicate" and first["id"] in problem["message"]
    package_id = href.rsplit("/", 1)[1]
    assert not list((tmp_path / "blobs" / "vnfpkg" / package_id).glob("*content*"))
