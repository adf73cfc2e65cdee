"""The worker pool through Redis outages: its connections killed, its Redis restarted."""

from __future__ import annotations

import asyncio
import logging

import pytest

from nfvo.store.connection import connect
from nfvo.store.jobs import Jobs, JobState
from nfvo.store.keys import Keyspace
from nfvo.store.steps import JobRegistry, Step, StepContext
from nfvo.store.workers import WorkerPool
from tests.support.processes import RedisServer

STARTED = "Redis unreachable"
ENDED = "Redis answers again"


async def _nothing(ctx: StepContext) -> None:
    return None


async def finish_one(url: str, keyspace: Keyspace) -> None:
    """A job enqueued now, through a client of its own, ends; within 20 s."""
    client = connect(url)
    try:
        jobs = Jobs(client, keyspace)
        job = await jobs.enqueue("nothing")
        assert (await jobs.wait(job.id, 20)).state is JobState.SUCCEEDED
    finally:
        await client.aclose()


@pytest.mark.parametrize("outage", ["killed connections", "restart"])
async def test_the_pool_keeps_working_after_an_outage(
    outage: str, private_redis: RedisServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="nfvo.store.consumers")
    keyspace = Keyspace("outage")
    registry = JobRegistry()
    registry.register("nothing", [Step("nothing", _nothing)])
    redis = connect(private_redis.url)
    try:
        async with WorkerPool(redis, keyspace, registry, lease_seconds=1.0, poll_seconds=0.2):
            await finish_one(private_redis.url, keyspace)
            if outage == "restart":
                private_redis.kill()
                await asyncio.sleep(1.5)  # several failed reads, one outage
                private_redis.start()  # same port, its data (the stream, the group) lost
            else:
                killer = connect(private_redis.url)
                assert await killer.client_kill_filter(_type="normal", skipme=True) >= 1
                await killer.aclose()
            for _ in range(3):
                await finish_one(private_redis.url, keyspace)
    finally:
        await redis.aclose()
    messages = [record.getMessage() for record in caplog.records]
    assert sum(STARTED in message for message in messages) == 1, messages
    assert sum(ENDED in message for message in messages) == 1, messages
