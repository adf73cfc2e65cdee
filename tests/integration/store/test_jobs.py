"""The job runner in one process against a real Redis: steps, retries, timeouts, cancel."""

import asyncio
from collections.abc import AsyncIterator, Mapping
from typing import Any

import pytest
import redis.asyncio as aioredis

from nfvo.store.connection import connect
from nfvo.store.errors import LeaseLost, PermanentError, StoreNotFound, TransientError
from nfvo.store.jobs import CancelMode, Jobs, JobState
from nfvo.store.keys import Keyspace
from nfvo.store.leases import LeaseScripts, acquire_lease, fenced_hset
from nfvo.store.repository import Repository
from nfvo.store.steps import (
    Backoff,
    JobRegistry,
    Step,
    StepContext,
    StepStatus,
    sequence,
    validate_plan,
)
from nfvo.store.workers import WorkerPool

FAST = Backoff(base=0.01, cap=0.05)


@pytest.fixture
def registry() -> JobRegistry:
    return JobRegistry()


@pytest.fixture
def jobs(redis: aioredis.Redis, keyspace: Keyspace) -> Jobs:
    return Jobs(redis, keyspace)


@pytest.fixture
async def pool(
    redis: aioredis.Redis, keyspace: Keyspace, registry: JobRegistry
) -> AsyncIterator[WorkerPool]:
    async with WorkerPool(
        redis, keyspace, registry, concurrency=4, lease_seconds=0.6, poll_seconds=0.1
    ) as started:
        yield started


def recorder(calls: list[str], outputs: Mapping[str, Any] | None = None) -> Any:
    async def handler(ctx: StepContext) -> Mapping[str, Any] | None:
        calls.append(ctx.step)
        return outputs

    return handler


async def test_steps_run_in_order_and_pass_outputs(
    registry: JobRegistry, jobs: Jobs, pool: WorkerPool
) -> None:
    calls: list[str] = []
    seen: dict[str, Any] = {}

    async def use(ctx: StepContext) -> None:
        calls.append(ctx.step)
        seen.update(ctx.outputs["create"])

    registry.register(
        "demo",
        sequence(
            Step("create", recorder(calls, {"serverId": "s-1"})),
            Step("use", use),
            Step("end", recorder(calls)),
        ),
    )
    job = await jobs.enqueue("demo", {"x": 1})
    done = await jobs.wait(job.id, 10)
    assert done.state is JobState.SUCCEEDED and done.runs == 1 and done.error is None
    assert calls == ["create", "use", "end"] and seen == {"serverId": "s-1"}
    records = await jobs.steps(job.id)
    assert {r.status for r in records.values()} == {StepStatus.SUCCEEDED}
    assert records["create"].outputs == {"serverId": "s-1"} and records["use"].attempt == 1
    assert all(r.started_at and r.finished_at for r in records.values())


async def test_duplicate_enqueue_returns_the_first_job(
    redis: aioredis.Redis, keyspace: Keyspace, jobs: Jobs
) -> None:
    first = await jobs.enqueue("demo", {"n": 1}, idempotency_key="ns-1/instantiate/req-9")
    second = await jobs.enqueue("demo", {"n": 2}, idempotency_key="ns-1/instantiate/req-9")
    assert second.id == first.id and second.params == {"n": 1}
    assert await redis.xlen(keyspace.stream("jobs")) == 1
    other = await jobs.enqueue("demo", {"n": 3})
    assert other.id != first.id and other.state is JobState.QUEUED


async def test_independent_steps_run_concurrently(
    registry: JobRegistry, jobs: Jobs, pool: WorkerPool
) -> None:
    barrier = asyncio.Barrier(2)
    calls: list[str] = []

    async def meet(ctx: StepContext) -> None:
        async with asyncio.timeout(2):  # only passes if both run at the same time
            await barrier.wait()

    registry.register(
        "dag",
        [
            Step("network", recorder(calls)),
            Step("vnf-a", meet, after=("network",)),
            Step("vnf-b", meet, after=("network",)),
            Step("done", recorder(calls), after=("vnf-a", "vnf-b")),
        ],
    )
    done = await jobs.wait((await jobs.enqueue("dag")).id, 10)
    assert done.state is JobState.SUCCEEDED and calls == ["network", "done"]


async def test_transient_errors_are_retried(
    registry: JobRegistry, jobs: Jobs, pool: WorkerPool
) -> None:
    attempts: list[int] = []

    async def flaky(ctx: StepContext) -> dict[str, int]:
        attempts.append(ctx.attempt)
        if ctx.attempt < 3:
            raise TransientError("503 from nova", retry_after=0.02)
        return {"attempt": ctx.attempt}

    registry.register("flaky", [Step("create", flaky, backoff=FAST)])
    job = await jobs.enqueue("flaky")
    assert (await jobs.wait(job.id, 10)).state is JobState.SUCCEEDED
    assert attempts == [1, 2, 3]
    assert (await jobs.steps(job.id))["create"].attempt == 3


async def test_retries_are_bounded(registry: JobRegistry, jobs: Jobs, pool: WorkerPool) -> None:
    async def down(ctx: StepContext) -> None:
        raise TransientError("still down")

    registry.register("down", [Step("create", down, max_attempts=3, backoff=FAST)])
    job = await jobs.wait((await jobs.enqueue("down")).id, 10)
    assert job.state is JobState.FAILED and "gave up after 3 attempts" in (job.error or "")


async def test_a_write_that_lost_a_race_is_tried_again(
    redis: aioredis.Redis,
    keyspace: Keyspace,
    registry: JobRegistry,
    jobs: Jobs,
    pool: WorkerPool,
) -> None:
    counters = Repository(redis, keyspace, "counter")
    await counters.create("c1", {"hits": 0, "by": []})
    attempts: list[int] = []

    async def count(ctx: StepContext) -> dict[str, int]:
        attempts.append(ctx.attempt)
        read = await counters.get("c1")
        if ctx.attempt == 1:  # another writer gets in between this step's read and write
            await counters.put("c1", {"hits": 1, "by": ["other"]}, version=read.version)
        hits, by = read.document["hits"] + 1, [*read.document["by"], ctx.job_id]
        written = await counters.put(
            "c1", {"hits": hits, "by": by}, version=read.version, guards=[ctx.fence]
        )
        return {"version": written.version}

    registry.register("count", [Step("count", count, backoff=FAST)])
    job = await jobs.enqueue("count")
    done = await jobs.wait(job.id, 10)
    assert done.state is JobState.SUCCEEDED, done.error
    assert attempts == [1, 2]
    assert (await counters.get("c1")).document == {"hits": 2, "by": ["other", job.id]}
    assert (await jobs.steps(job.id))["count"].outputs == {"version": 3}


async def test_a_store_that_does_not_answer_is_tried_again(
    redis: aioredis.Redis,
    keyspace: Keyspace,
    registry: JobRegistry,
    jobs: Jobs,
    pool: WorkerPool,
    free_port: int,
) -> None:
    nowhere = connect(f"redis://127.0.0.1:{free_port}")  # nothing listens there
    things = Repository(redis, keyspace, "thing")
    await things.create("t1", {"n": 1})
    attempts: list[int] = []

    def reader(unreachable_until: int) -> Any:
        async def read(ctx: StepContext) -> dict[str, int]:
            attempts.append(ctx.attempt)
            client = nowhere if ctx.attempt <= unreachable_until else ctx.redis
            found = await Repository(client, keyspace, "thing").get("t1")
            return {"n": found.document["n"]}

        return read

    registry.register("blip", [Step("read", reader(1), backoff=FAST)])
    registry.register("outage", [Step("read", reader(99), max_attempts=2, backoff=FAST)])
    try:
        blip = await jobs.wait((await jobs.enqueue("blip")).id, 20)
        assert blip.state is JobState.SUCCEEDED, blip.error
        assert attempts == [1, 2]
        assert (await jobs.steps(blip.id))["read"].outputs == {"n": 1}
        attempts.clear()
        outage = await jobs.wait((await jobs.enqueue("outage")).id, 20)
    finally:
        await nowhere.aclose()
    assert outage.state is JobState.FAILED and attempts == [1, 2]
    assert outage.error == (
        "step read: StoreUnavailable: the store is busy or unreachable (reading thing t1); "
        "retry shortly (gave up after 2 attempts)"
    )


@pytest.mark.parametrize(
    ("error", "expected"),
    [(PermanentError("quota refused"), "quota refused"), (KeyError("bug"), "KeyError")],
)
async def test_permanent_errors_fail_the_job(
    registry: JobRegistry, jobs: Jobs, pool: WorkerPool, error: Exception, expected: str
) -> None:
    calls: list[str] = []

    async def broken(ctx: StepContext) -> None:
        calls.append(ctx.step)
        raise error

    registry.register("broken", sequence(Step("a", broken), Step("b", recorder(calls))))
    job = await jobs.wait((await jobs.enqueue("broken")).id, 10)
    assert job.state is JobState.FAILED and expected in (job.error or "")
    assert calls == ["a"]  # nothing after a failed step
    assert (await jobs.steps(job.id))["a"].status is StepStatus.FAILED


async def test_step_and_job_timeouts(registry: JobRegistry, jobs: Jobs, pool: WorkerPool) -> None:
    async def slow(ctx: StepContext) -> None:
        await asyncio.sleep(30)

    registry.register("slow-step", [Step("boot", slow, timeout=0.1)])
    registry.register("slow-job", [Step("boot", slow)], timeout=0.3)
    step_job = await jobs.wait((await jobs.enqueue("slow-step")).id, 10)
    assert step_job.state is JobState.FAILED and "longer than 0.1s" in (step_job.error or "")
    job = await jobs.wait((await jobs.enqueue("slow-job")).id, 10)
    assert job.state is JobState.FAILED and "deadline" in (job.error or "")
    assert (await jobs.steps(job.id))["boot"].status is StepStatus.CANCELLED


async def test_graceful_cancel_finishes_the_running_step(
    registry: JobRegistry, jobs: Jobs, pool: WorkerPool
) -> None:
    started = asyncio.Event()
    calls: list[str] = []

    async def slow(ctx: StepContext) -> None:
        started.set()
        await asyncio.sleep(0.6)
        calls.append(ctx.step)

    registry.register("cancel", sequence(Step("a", slow), Step("b", recorder(calls))))
    job = await jobs.enqueue("cancel")
    await asyncio.wait_for(started.wait(), 5)
    await jobs.cancel(job.id)
    done = await jobs.wait(job.id, 10)
    assert done.state is JobState.CANCELLED and calls == ["a"]
    assert (await jobs.steps(job.id))["a"].status is StepStatus.SUCCEEDED


async def test_forceful_cancel_reaches_the_running_step(
    registry: JobRegistry, jobs: Jobs, pool: WorkerPool
) -> None:
    started = asyncio.Event()

    async def stuck(ctx: StepContext) -> None:
        started.set()
        await asyncio.sleep(60)

    registry.register("stuck", [Step("a", stuck)])
    job = await jobs.enqueue("stuck")
    await asyncio.wait_for(started.wait(), 5)
    await jobs.cancel(job.id, CancelMode.FORCE)
    done = await jobs.wait(job.id, 5)
    assert done.state is JobState.CANCELLED
    assert (await jobs.steps(job.id))["a"].status is StepStatus.CANCELLED


async def test_a_queued_job_cancelled_never_runs(
    registry: JobRegistry, jobs: Jobs, redis: aioredis.Redis, keyspace: Keyspace
) -> None:
    calls: list[str] = []
    registry.register("never", [Step("a", recorder(calls))])
    job = await jobs.enqueue("never")
    await jobs.cancel(job.id)
    async with WorkerPool(redis, keyspace, registry, lease_seconds=0.6, poll_seconds=0.1):
        assert (await jobs.wait(job.id, 5)).state is JobState.CANCELLED
    assert calls == []


async def test_unknown_job_types_fail(jobs: Jobs, pool: WorkerPool) -> None:
    job = await jobs.wait((await jobs.enqueue("nobody-knows")).id, 5)
    assert job.state is JobState.FAILED and "nobody-knows" in (job.error or "")


async def test_a_stopped_worker_s_job_is_resumed_by_another(
    redis: aioredis.Redis, keyspace: Keyspace, registry: JobRegistry, jobs: Jobs
) -> None:
    calls: list[tuple[str, int]] = []
    in_b = asyncio.Event()
    release = asyncio.Event()

    async def step(ctx: StepContext) -> None:
        calls.append((ctx.step, ctx.attempt))
        if ctx.step == "b" and ctx.attempt == 1:
            in_b.set()
            await release.wait()  # the first worker is stopped while here

    registry.register("resume", sequence(Step("a", step), Step("b", step), Step("c", step)))
    first = WorkerPool(redis, keyspace, registry, lease_seconds=0.5, poll_seconds=0.1)
    await first.start()
    job = await jobs.enqueue("resume")
    await asyncio.wait_for(in_b.wait(), 5)
    await first.stop(grace=0)  # as if it died: its lease must lapse first
    async with WorkerPool(redis, keyspace, registry, lease_seconds=0.5, poll_seconds=0.1):
        done = await jobs.wait(job.id, 10)
    assert done.state is JobState.SUCCEEDED and done.runs == 2
    assert calls == [("a", 1), ("b", 1), ("b", 2), ("c", 1)]


async def test_a_lapsed_lease_cannot_write(redis: aioredis.Redis, keyspace: Keyspace) -> None:
    scripts = LeaseScripts(redis)
    old = await acquire_lease(scripts, keyspace, "j1", "worker-a", 0.1)
    assert old is not None
    assert await acquire_lease(scripts, keyspace, "j1", "worker-b", 5) is None  # held
    await asyncio.sleep(0.15)
    new = await acquire_lease(scripts, keyspace, "j1", "worker-b", 5)
    assert new is not None and new.value != old.value
    with pytest.raises(LeaseLost):
        await fenced_hset(scripts, old, keyspace.steps("j1"), {"a": b"{}"})
    assert not await redis.exists(keyspace.steps("j1"))
    await fenced_hset(scripts, new, keyspace.steps("j1"), {"a": b"{}"})
    assert await redis.hkeys(keyspace.steps("j1")) == [b"a"]


def test_plans_are_validated() -> None:
    async def noop(ctx: StepContext) -> None:
        return None

    with pytest.raises(ValueError, match="repeat"):
        validate_plan([Step("a", noop), Step("a", noop)])
    with pytest.raises(ValueError, match="unknown steps"):
        validate_plan([Step("a", noop, after=("z",))])
    with pytest.raises(ValueError, match="cycle"):
        validate_plan([Step("a", noop, after=("b",)), Step("b", noop, after=("a",))])
    registry = JobRegistry()
    registry.register("t", [Step("a", noop)])
    with pytest.raises(ValueError, match="already registered"):
        registry.register("t", [Step("a", noop)])


def test_backoff_grows_with_jitter_and_honours_retry_after() -> None:
    backoff = Backoff(base=1, cap=8, jitter=0.5)
    assert 0.5 <= backoff.delay(1) <= 1 and 2 <= backoff.delay(3) <= 4
    assert 4 <= backoff.delay(10) <= 8
    assert backoff.delay(1, retry_after=20) == 20


async def test_parallel_steps_are_bounded_per_job(
    registry: JobRegistry, jobs: Jobs, pool: WorkerPool
) -> None:
    running = 0
    most = 0

    async def step(ctx: StepContext) -> None:
        nonlocal running, most
        running += 1
        most = max(most, running)
        await asyncio.sleep(0.01)
        running -= 1

    registry.register("wide", [Step(f"s{n}", step) for n in range(30)], max_parallel=3)
    done = await jobs.wait((await jobs.enqueue("wide")).id, 10)
    assert done.state is JobState.SUCCEEDED and most == 3


async def test_a_slow_step_keeps_its_lease(
    redis: aioredis.Redis, keyspace: Keyspace, registry: JobRegistry, jobs: Jobs
) -> None:
    attempts: list[int] = []

    async def slow(ctx: StepContext) -> None:
        attempts.append(ctx.attempt)
        await asyncio.sleep(1.2)  # four leases long

    registry.register("slow", [Step("boot", slow)])
    pools = [
        WorkerPool(redis, keyspace, registry, lease_seconds=0.3, poll_seconds=0.05)
        for _ in range(2)
    ]
    for pool in pools:
        await pool.start()
    try:
        done = await jobs.wait((await jobs.enqueue("slow")).id, 10)
    finally:
        for pool in pools:
            await pool.stop()
    assert done.state is JobState.SUCCEEDED and done.runs == 1 and attempts == [1]


async def test_cancel_of_unknown_and_finished_jobs(
    registry: JobRegistry, jobs: Jobs, pool: WorkerPool
) -> None:
    with pytest.raises(StoreNotFound):
        await jobs.cancel("no-such-job")
    registry.register("quick", [Step("a", recorder([]))])
    done = await jobs.wait((await jobs.enqueue("quick")).id, 5)
    assert (await jobs.cancel(done.id, CancelMode.FORCE)).state is JobState.SUCCEEDED


async def test_a_job_resumed_past_its_deadline_fails_without_running(
    redis: aioredis.Redis, keyspace: Keyspace, registry: JobRegistry, jobs: Jobs
) -> None:
    calls: list[str] = []
    entered = asyncio.Event()

    async def block(ctx: StepContext) -> None:
        calls.append(ctx.step)
        entered.set()
        await asyncio.sleep(30)

    registry.register("late", [Step("a", block)])
    first = WorkerPool(redis, keyspace, registry, lease_seconds=0.4, poll_seconds=0.05)
    await first.start()
    job = await jobs.enqueue("late", job_timeout=0.5)
    await asyncio.wait_for(entered.wait(), 5)
    await first.stop(grace=0)
    await asyncio.sleep(0.6)
    async with WorkerPool(redis, keyspace, registry, lease_seconds=0.4, poll_seconds=0.05):
        done = await jobs.wait(job.id, 5)
    assert done.state is JobState.FAILED and "deadline" in (done.error or "")
    assert calls == ["a"] and done.runs == 2


async def test_a_finished_job_expires_after_the_retention(
    redis: aioredis.Redis, keyspace: Keyspace, registry: JobRegistry, jobs: Jobs
) -> None:
    registry.register("kept", [Step("only", recorder([]))])
    async with WorkerPool(redis, keyspace, registry, retention=60, poll_seconds=0.1):
        job = await jobs.enqueue("kept", idempotency_key="once")
        await jobs.wait(job.id, 10)
    idempotency = keyspace.idempotency("jobs", "once")
    for key in (keyspace.job(job.id), keyspace.steps(job.id), idempotency):
        assert 0 < await redis.ttl(key) <= 60, key
    async with WorkerPool(redis, keyspace, registry, poll_seconds=0.1):  # 0: kept for ever
        forever = await jobs.enqueue("kept")
        await jobs.wait(forever.id, 10)
    assert await redis.ttl(keyspace.job(forever.id)) == -1
