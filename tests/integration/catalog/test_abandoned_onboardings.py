"""Entries left PROCESSING with nobody to finish them are moved on by the janitor.

Two ways a store failure strands an entry, each made to happen with a Redis of the
test's own whose access list refuses one command for a moment (the store failing
one write, not a mock): the upload stored PROCESSING but its job was never queued
(back to CREATED, so the client's retry works), or the job ran and its steps could not
store their outcome, so the job failed (ERROR, saying so).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
import redis.asyncio as aioredis
from aiohttp.test_utils import TestClient, TestServer

from nfvo.api.app import build_app
from nfvo.catalog.uploads import UploadJanitor
from nfvo.config import load_settings
from nfvo.platform import Background
from nfvo.runtime import Runtime, compose
from nfvo.store.keys import Keyspace
from tests.integration.catalog.conftest import VERSIONS, Client, create, wait_state
from tests.support.processes import RedisServer
from tests.support.waiting import eventually

V = VERSIONS["vnfpkgm"]
API_ONLY = Background(workers=0, deliver_notifications=False, follow_vims=False)
WORKERS = Background(workers=2, deliver_notifications=False, follow_vims=False, grace=1)


@pytest.fixture
def redis_url(private_redis: RedisServer) -> str:
    """This module's Redis is its own: its access list is changed under the server."""
    return private_redis.url


@asynccontextmanager
async def running(
    redis: aioredis.Redis, keyspace: Keyspace, data_dir: Path, background: Background
) -> AsyncIterator[Runtime]:
    settings = load_settings(
        None, key_prefix=keyspace.prefix, data_dir=data_dir, auth_enabled=False
    )
    runtime = compose(settings, redis)
    async with runtime.platform.running(background):
        yield runtime


def janitor(runtime: Runtime) -> UploadJanitor:
    catalogue = runtime.catalogue
    return UploadJanitor(
        catalogue.store, catalogue.jobs, runtime.redis, runtime.keyspace, catalogue.notices
    )


@asynccontextmanager
async def refusing(redis: aioredis.Redis, command: str) -> AsyncIterator[None]:
    """The store refuses ``command`` (NOPERM) while the block runs."""
    await redis.execute_command("ACL", "SETUSER", "default", f"-{command}")
    try:
        yield
    finally:
        await redis.execute_command("ACL", "SETUSER", "default", f"+{command}")


async def upload(client: Client, href: str, content: bytes) -> int:
    headers = {**V, "Content-Type": "application/zip"}
    response = await client.put(f"{href}/package_content", data=content, headers=headers)
    return response.status


async def state(client: Client, href: str) -> str:
    response = await client.get(href, headers=V)
    return str((await response.json())["onboardingState"])


async def test_an_upload_whose_job_was_never_queued_goes_back_to_created(
    redis: aioredis.Redis, keyspace: Keyspace, tmp_path: Path, shipped: dict[str, Path]
) -> None:
    content = shipped["amf"].read_bytes()
    async with (
        running(redis, keyspace, tmp_path, API_ONLY) as api,
        TestClient(TestServer(build_app(api), host="127.0.0.1")) as client,
    ):
        href = (await create(client))["_links"]["self"]["href"]
        async with refusing(redis, "get"):  # the job queue's first command
            assert await upload(client, href, content) == 503
        assert await state(client, href) == "PROCESSING"
        lease = keyspace.lease("upload", href.rsplit("/", 1)[1])
        await eventually(lambda: _gone(redis, lease), within=15, interval=0.2)  # it lapses

        assert [r.id for r in await janitor(api).recover()] == [href.rsplit("/", 1)[1]]
        assert await state(client, href) == "CREATED"
        assert not list((tmp_path / "blobs").rglob("content"))
        assert await upload(client, href, content) == 202
        async with running(redis, keyspace, tmp_path, WORKERS):
            body = await wait_state(client, href)
        assert body["onboardingState"] == "ONBOARDED", body


async def test_an_onboarding_whose_job_failed_ends_in_error_with_a_reason(
    redis: aioredis.Redis, keyspace: Keyspace, tmp_path: Path, shipped: dict[str, Path]
) -> None:
    async with (
        running(redis, keyspace, tmp_path, API_ONLY) as api,
        TestClient(TestServer(build_app(api), host="127.0.0.1")) as client,
    ):
        href = (await create(client))["_links"]["self"]["href"]
        assert await upload(client, href, shipped["amf"].read_bytes()) == 202
        job = await api.catalogue.jobs.find_by_key(f"onboard:{href.rsplit('/', 1)[1]}")
        assert job is not None
        # The onboarding's writes (the model, the record) are refused; the job's own are not.
        async with refusing(redis, "zadd"), running(redis, keyspace, tmp_path, WORKERS):
            found = await api.catalogue.jobs.wait(job.id, within=30)
        assert found.state.value == "failed", found
        assert await state(client, href) == "PROCESSING"

        assert [r.id for r in await janitor(api).recover()] == [href.rsplit("/", 1)[1]]
        response = await client.get(f"{href}?all_fields", headers=V)
        body = await response.json()
        assert body["onboardingState"] == "ERROR"
        detail = body["onboardingFailureDetails"]["detail"]
        assert f"job {job.id} failed" in detail and "upload the package again" in detail
        assert await janitor(api).recover() == []  # settled: nothing more to do


async def _gone(redis: aioredis.Redis, key: str) -> bool:
    return not await redis.exists(key)
