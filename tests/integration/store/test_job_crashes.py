"""Workers in separate processes, SIGKILLed and SIGSTOPped while they run a job."""

import asyncio
import os
import random
import signal
from pathlib import Path

import pytest
import redis.asyncio as aioredis

from nfvo.store.jobs import Jobs, JobState
from nfvo.store.keys import Keyspace
from nfvo.store.repository import Repository
from nfvo.store.steps import JobRegistry, StepStatus
from nfvo.store.workers import WorkerPool
from tests.integration.store import job_types
from tests.support.nfvo_processes import sharing
from tests.support.nfvo_processes import worker as nfvo_worker
from tests.support.processes import ManagedProcess

LEASE_SECONDS = 1.0


def worker(
    process_factory: type[ManagedProcess], redis_url: str, keyspace: Keyspace, data_dir: Path
) -> ManagedProcess:
    environment = sharing(redis_url, keyspace.prefix, data_dir)
    options = ("--jobs", job_types.__name__, "--lease-seconds", str(LEASE_SECONDS))
    return nfvo_worker(process_factory, environment, *options)


async def crash_rounds(
    process: ManagedProcess,
    redis: aioredis.Redis,
    keyspace: Keyspace,
    kills: int,
    pause: tuple[float, float],
) -> None:
    jobs = Jobs(redis, keyspace)
    job = await jobs.enqueue(job_types.CRASH_JOB, {"steps": 20, "pause": pause})
    process.start()
    # The first kill lands within the first run (20 steps take at least 40 pauses).
    await asyncio.sleep(random.uniform(0.1, 40 * pause[0]))
    for kill in range(kills):
        process.kill()
        process.start()
        if kill < kills - 1:
            await asyncio.sleep(random.uniform(0.1, 1.5))
    done = await jobs.wait(job.id, 180)
    names = [f"step-{n:02}" for n in range(20)]
    assert done.state is JobState.SUCCEEDED, done.error
    assert done.runs >= 2  # it really was interrupted and resumed
    log = [
        item.decode() for item in await redis.lrange(job_types.effects_log(keyspace, job.id), 0, -1)
    ]
    assert log == names  # every effect exactly once, in order
    for name in names:
        assert await redis.get(job_types.effect_key(keyspace, job.id, name)) == name.encode()
    records = await jobs.steps(job.id)
    assert {r.status for r in records.values()} == {StepStatus.SUCCEEDED}
    runs = await redis.hgetall(job_types.runs_key(keyspace, job.id))
    assert sum(int(count) for count in runs.values()) >= 20


async def test_sigkilled_worker_five_times(
    process_factory: type[ManagedProcess],
    redis_url: str,
    redis: aioredis.Redis,
    keyspace: Keyspace,
    tmp_path: Path,
) -> None:
    process = worker(process_factory, redis_url, keyspace, tmp_path)
    await crash_rounds(process, redis, keyspace, kills=5, pause=(0.03, 0.08))


@pytest.mark.deep
async def test_sigkilled_worker_twenty_times(
    process_factory: type[ManagedProcess],
    redis_url: str,
    redis: aioredis.Redis,
    keyspace: Keyspace,
    tmp_path: Path,
) -> None:
    process = worker(
        process_factory, redis_url, keyspace, tmp_path
    )  # longer steps: kills land mid-job
    await crash_rounds(process, redis, keyspace, kills=20, pause=(0.1, 0.3))


async def test_a_paused_worker_is_fenced_out(
    process_factory: type[ManagedProcess],
    redis_url: str,
    redis: aioredis.Redis,
    keyspace: Keyspace,
    tmp_path: Path,
) -> None:
    jobs = Jobs(redis, keyspace)
    markers = Repository(redis, keyspace, "test_marker")
    paused = worker(process_factory, redis_url, keyspace, tmp_path).start()
    job = await jobs.enqueue(job_types.FENCE_JOB, {"first_attempt_seconds": 2.0})
    async with asyncio.timeout(10):  # polling: the step runs in another process
        while (await jobs.steps(job.id)).get("write") is None:  # noqa: ASYNC110
            await asyncio.sleep(0.02)
    os.kill(paused.pid, signal.SIGSTOP)
    try:
        registry = JobRegistry()
        job_types.register_jobs(registry)
        async with WorkerPool(
            redis, keyspace, registry, lease_seconds=LEASE_SECONDS, poll_seconds=0.1
        ):
            done = await jobs.wait(job.id, 15)
    finally:
        os.kill(paused.pid, signal.SIGCONT)
    assert done.state is JobState.SUCCEEDED and done.runs == 2
    before = (await jobs.steps(job.id), await redis.hgetall(keyspace.job(job.id)))
    await asyncio.sleep(2.5)  # the paused worker wakes, past its step's sleep
    after = (await jobs.steps(job.id), await redis.hgetall(keyspace.job(job.id)))
    assert after == before  # it wrote nothing: no step record, no job state
    assert await markers.find(f"{job.id}.1") is None  # its fenced write left no trace
    mine = await markers.get(f"{job.id}.2")
    assert mine.document == {"pid": os.getpid()}
    assert after[0]["write"].attempt == 2
    assert paused.running  # it noticed, logged, and carries on as a worker
    assert b"lease lost" in (paused.log_path.read_bytes() if paused.log_path else b"")
