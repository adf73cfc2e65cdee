"""A served catalogue on loopback: real Redis (per-test keyspace), real HTTP, workers."""

from __future__ import annotations

import asyncio
import contextlib
import zipfile
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
import redis.asyncio as aioredis
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from descriptors.build import build_package
from nfvo.api.app import build_app
from nfvo.config import Settings, load_settings
from nfvo.platform import Background
from nfvo.runtime import compose
from nfvo.store.keys import Keyspace

REPO = Path(__file__).resolve().parents[3]
SHIPPED = REPO / "descriptors/packages"
VERSIONS = {"vnfpkgm": {"Version": "2.4.0"}, "nsd": {"Version": "2.3.0"}}
Client = TestClient[web.Request, web.Application]
ZIP = "application/zip"
BACKGROUND = Background(workers=4, follow_vims=False, grace=2)
VNF_NAMES = ("amf", "ausf", "nrf", "nssf", "pcf", "smf", "udm", "udr", "upf")


@pytest.fixture(scope="session")
def shipped(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Every shipped package built as a CSAR once per session."""
    out = tmp_path_factory.mktemp("csars")
    return {source.name: build_package(source, out) for source in sorted(SHIPPED.iterdir())}


def zip_directory(source: Path, target: Path) -> Path:
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(source.rglob("*")):
            if path.is_file():
                archive.write(path, path.relative_to(source).as_posix())
    return target


ServeFactory = Callable[..., Any]


@pytest.fixture
async def serve_catalogue(
    redis: aioredis.Redis, redis_url: str, keyspace: Keyspace, tmp_path: Path
) -> AsyncIterator[ServeFactory]:
    """Start a catalogue server with settings overrides, on the runtime ``nfvo serve``
    composes (workers and notification delivery in-process); stopped after the test."""
    stack = contextlib.AsyncExitStack()

    async def start(**overrides: Any) -> Client:
        settings: Settings = load_settings(
            None,
            redis_url=redis_url,
            key_prefix=keyspace.prefix,
            data_dir=tmp_path,
            # The subscribers of these tests listen on the loopback.
            **{"auth_enabled": False, "callback_allowed_networks": ["127.0.0.0/8"], **overrides},
        )
        runtime = compose(settings, redis)
        await stack.enter_async_context(runtime.platform.running(BACKGROUND))
        client: Client = TestClient(TestServer(build_app(runtime), host="127.0.0.1"))
        await client.start_server()
        stack.push_async_callback(client.close)
        return client

    async with stack:
        yield start


@pytest.fixture
async def client(serve_catalogue: ServeFactory) -> Client:
    started: Client = await serve_catalogue()
    return started


async def create(client: Client, api: str = "vnfpkgm", **body: Any) -> dict[str, Any]:
    container = "/vnfpkgm/v2/vnf_packages" if api == "vnfpkgm" else "/nsd/v2/ns_descriptors"
    response = await client.post(container, json=body, headers=VERSIONS[api])
    assert response.status == 201, await response.text()
    created: dict[str, Any] = await response.json()
    return created


async def wait_state(
    client: Client,
    href: str,
    api: str = "vnfpkgm",
    within: float = 60.0,
    headers: dict[str, str] | None = None,
) -> dict[str, Any]:
    """Poll until onboarding ends (ONBOARDED or ERROR)."""
    field = "onboardingState" if api == "vnfpkgm" else "nsdOnboardingState"
    if "/pnf_descriptors/" in href:
        field = "pnfdOnboardingState"
    async with asyncio.timeout(within):
        while True:
            response = await client.get(href + "?all_fields", headers=headers or VERSIONS[api])
            body: dict[str, Any] = await response.json()
            if body[field] in ("ONBOARDED", "ERROR"):
                return body
            await asyncio.sleep(0.05)


async def onboard(
    client: Client,
    archive: Path | bytes,
    api: str = "vnfpkgm",
    content_type: str = "application/zip",
) -> dict[str, Any]:
    created = await create(client, api)
    href = created["_links"]["self"]["href"]
    content = "package_content" if api == "vnfpkgm" else "nsd_content"
    data = archive if isinstance(archive, bytes) else archive.read_bytes()
    headers = {**VERSIONS[api], "Content-Type": content_type}
    response = await client.put(f"{href}/{content}", data=data, headers=headers)
    assert response.status == 202, await response.text()
    return await wait_state(client, href, api)
