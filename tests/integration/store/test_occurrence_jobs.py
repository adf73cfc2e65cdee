"""The pieces together: a job whose steps move an occurrence, as LCM will use them."""

from collections.abc import Mapping
from typing import Any

import redis.asyncio as aioredis
from redis.exceptions import ConnectionError as RedisConnectionError

from nfvo.store.events import EventStream, read_all
from nfvo.store.jobs import Jobs, JobState
from nfvo.store.keys import Keyspace
from nfvo.store.occurrence_states import OperationState, Trigger
from nfvo.store.occurrences import NS_LCM, OccurrenceEngine
from nfvo.store.steps import Backoff, JobRegistry, Step, StepContext, sequence
from nfvo.store.workers import WorkerPool


async def test_a_job_drives_an_occurrence_to_completion(
    redis: aioredis.Redis, keyspace: Keyspace
) -> None:
    engine = OccurrenceEngine(redis, keyspace, NS_LCM)
    flaky = {"left": 1}

    async def create_network(ctx: StepContext) -> Mapping[str, Any]:
        if flaky["left"]:
            flaky["left"] -= 1
            raise RedisConnectionError("connection reset")  # retried, not fatal
        return {"networkId": f"net-{ctx.params['nsInstanceId']}"}

    async def complete(ctx: StepContext) -> None:
        await engine.transition(ctx.params["occurrenceId"], Trigger.SUCCEEDED, fence=ctx.fence)

    registry = JobRegistry()
    registry.register(
        "instantiate-ns",
        sequence(
            Step("network", create_network, backoff=Backoff(base=0.01)),
            Step("complete", complete),
        ),
    )
    occurrence = await engine.create("ns-1", "INSTANTIATE")
    jobs = Jobs(redis, keyspace)
    job = await jobs.enqueue(
        "instantiate-ns",
        {"nsInstanceId": "ns-1", "occurrenceId": occurrence.id},
        idempotency_key=f"occurrence/{occurrence.id}",
    )
    async with WorkerPool(redis, keyspace, registry, lease_seconds=0.6, poll_seconds=0.05):
        done = await jobs.wait(job.id, 10)
    assert done.state is JobState.SUCCEEDED
    assert (await jobs.steps(job.id))["network"].attempt == 2
    assert (await engine.get(occurrence.id)).operation_state is OperationState.COMPLETED
    assert await engine.holder("ns-1") is None
    states = [e.data["newState"] for e in await read_all(redis, keyspace, EventStream.LCM)]
    assert states == ["PROCESSING", "COMPLETED"]
