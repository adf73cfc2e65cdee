"""Any worker, any process: ``nfvo serve --no-workers`` takes the uploads, two ``nfvo
worker`` processes on the same Redis onboard them, and one of them is killed in the
middle of an onboarding, which the other finishes."""

from __future__ import annotations

import asyncio
import os
import signal
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import redis.asyncio as aioredis

from nfvo.store.keys import Keyspace
from tests.integration.catalog.conftest import VERSIONS, VNF_NAMES
from tests.support.nfvo_processes import serve, sharing
from tests.support.nfvo_processes import worker as nfvo_worker
from tests.support.processes import ManagedProcess

NSD = "5gc-sa"
LEASE = 1.0


@pytest.fixture
def environment(redis_url: str, keyspace: Keyspace, tmp_path: Path) -> dict[str, str]:
    return sharing(redis_url, keyspace.prefix, tmp_path / "nfvo")


@pytest.fixture
def api(process_factory: type[ManagedProcess], environment: dict[str, str], free_port: int) -> str:
    """``nfvo serve`` taking uploads and running no job (stopped by the factory)."""
    serve(process_factory, environment, free_port, "--no-workers").start()
    return f"http://127.0.0.1:{free_port}"


def worker(process_factory: type[ManagedProcess], environment: dict[str, str]) -> ManagedProcess:
    return nfvo_worker(
        process_factory, environment, "--lease-seconds", str(LEASE), "--concurrency", "2"
    )


async def upload(http: aiohttp.ClientSession, api: str, name: str, archive: Path) -> str:
    kind, container, content = (
        ("nsd", "/nsd/v2/ns_descriptors", "nsd_content")
        if name == NSD
        else ("vnfpkgm", "/vnfpkgm/v2/vnf_packages", "package_content")
    )
    async with http.post(api + container, json={}, headers=VERSIONS[kind]) as response:
        assert response.status == 201, await response.text()
        href = api + (await response.json())["_links"]["self"]["href"]
    headers = {**VERSIONS[kind], "Content-Type": "application/zip"}
    async with http.put(f"{href}/{content}", data=archive.read_bytes(), headers=headers) as r:
        assert r.status == 202, await r.text()
    return href


async def state_of(http: aiohttp.ClientSession, href: str) -> str:
    kind = "nsd" if "/nsd/" in href else "vnfpkgm"
    async with http.get(href, headers=VERSIONS[kind]) as response:
        body: dict[str, Any] = await response.json()
    return str(body.get("onboardingState") or body.get("nsdOnboardingState"))


async def onboarded(http: aiohttp.ClientSession, hrefs: dict[str, str]) -> dict[str, str]:
    """Each entry's state once none is still on its way (or after a minute)."""
    states: dict[str, str] = {}
    for _ in range(600):
        states = {name: await state_of(http, href) for name, href in hrefs.items()}
        if not set(states.values()) & {"CREATED", "UPLOADING", "PROCESSING"}:
            break
        await asyncio.sleep(0.1)
    return states


async def running_job(redis: aioredis.Redis, keyspace: Keyspace) -> str | None:
    async for key in redis.scan_iter(match=f"{keyspace.prefix}:job:*"):
        if await redis.hget(key, "state") == b"running":
            return key.decode().rsplit(":", 1)[1]
    return None


async def test_two_workers_onboard_everything_and_one_finishes_what_a_killed_one_began(
    process_factory: type[ManagedProcess],
    environment: dict[str, str],
    api: str,
    shipped: dict[str, Path],
    redis: aioredis.Redis,
    keyspace: Keyspace,
) -> None:
    first = worker(process_factory, environment).start()
    vnfs = list(VNF_NAMES)
    hrefs: dict[str, str] = {}
    caught: str | None = None
    async with aiohttp.ClientSession() as http:
        # The first worker alone, package by package, until it is frozen mid-onboarding.
        for name in vnfs:
            hrefs[name] = await upload(http, api, name, shipped[name])
            async with asyncio.timeout(20):
                while (job := await running_job(redis, keyspace)) is None:
                    if await state_of(http, hrefs[name]) == "ONBOARDED":
                        break
                    await asyncio.sleep(0.005)
            if job is not None:
                os.kill(first.pid, signal.SIGSTOP)
                if await redis.hget(keyspace.job(job), "state") == b"running":
                    caught = job
                    break
                os.kill(first.pid, signal.SIGCONT)  # it finished first: try the next one
        assert caught is not None, "the first worker never was caught mid-onboarding"
        second = worker(process_factory, environment).start()
        first.kill()  # frozen in the middle of a job, then gone: the lease lapses
        for name in vnfs:
            if name not in hrefs:
                hrefs[name] = await upload(http, api, name, shipped[name])
        assert await onboarded(http, hrefs) == dict.fromkeys(hrefs, "ONBOARDED")
        hrefs[NSD] = await upload(http, api, NSD, shipped[NSD])
        assert await onboarded(http, hrefs) == dict.fromkeys(hrefs, "ONBOARDED")
    record = await redis.hgetall(keyspace.job(caught))
    assert record[b"state"] == b"succeeded"
    assert int(record[b"runs"]) >= 2  # begun by the killed worker, finished by the other
    assert second.running
