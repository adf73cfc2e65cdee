"""Run one leased job: its steps as a DAG, each recorded before and after it acts.

The runner rebuilds the job's plan, reads the step records, skips every step already
SUCCEEDED and starts each other step as soon as its predecessors are done (independent
steps run concurrently). A step that was RUNNING when its worker died is re-entered
with the next attempt number. Every record write is fenced by the job's lease.

Errors decide retries (as in kopf): a :class:`TransientError` is retried after an
exponential backoff with jitter (or its ``retry_after``) up to the step's
``max_attempts``, and given up at once if the wait would pass the job's deadline. So
is a store that did not answer (:class:`StoreUnavailable`, a Redis connection error
or timeout) and a write that lost a race (:class:`ConcurrencyConflict`: the next
attempt reads again). A :class:`PermanentError`, a step timeout or any other exception
fails the step, after which no new step starts and the job fails once the running
ones have ended.

Cancellation: graceful lets the running steps finish and starts no other; forceful
cancels the running steps' tasks, which record themselves CANCELLED.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import defaultdict, deque
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, cast

import orjson
import redis.asyncio as aioredis
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from nfvo.store.errors import (
    ConcurrencyConflict,
    LeaseLost,
    StepTimeout,
    StoreUnavailable,
    TransientError,
)
from nfvo.store.guards import Fence
from nfvo.store.jobs import CancelMode, JobRecord, JobState
from nfvo.store.keys import Keyspace
from nfvo.store.leases import LeaseScripts, fenced_hset
from nfvo.store.resources import Resources
from nfvo.store.steps import (
    JobDefinition,
    Step,
    StepContext,
    StepRecord,
    StepStatus,
    validate_plan,
)

log = logging.getLogger(__name__)

# What a step meets that another attempt may get past: our own store not answering
# for a moment, or a write that lost a race with another writer.
_WORTH_ANOTHER_ATTEMPT = (
    StoreUnavailable,
    ConcurrencyConflict,
    RedisConnectionError,
    RedisTimeoutError,
)


@dataclass(frozen=True)
class StepOutcome:
    ok: bool
    outputs: dict[str, Any] = field(default_factory=dict)
    error: str | None = None
    interrupted: bool = False  # cancelled by the runner (cancellation, deadline)


@dataclass(frozen=True)
class JobOutcome:
    state: JobState
    error: str | None = None


class JobRunner:
    """Runs one job for the worker holding ``fence``; one instance per claim."""

    def __init__(
        self,
        redis: aioredis.Redis,
        keyspace: Keyspace,
        scripts: LeaseScripts,
        job: JobRecord,
        definition: JobDefinition,
        fence: Fence,
        resources: Resources,
    ) -> None:
        self._redis = redis
        self._resources = resources
        self._keyspace = keyspace
        self._scripts = scripts
        self._job = job
        self._definition = definition
        self._fence = fence
        self._cancel: CancelMode | None = job.cancel
        self._stop_reason: str | None = None  # set when we cancel running steps ourselves
        self._tasks: dict[str, asyncio.Task[StepOutcome]] = {}
        self._deadline: float | None = None
        self._outputs: dict[str, dict[str, Any]] = {}
        self._attempt_of: dict[str, int] = {}

    def request_cancel(self, mode: CancelMode) -> None:
        """Called when a cancellation request is seen (by the lease keeper)."""
        if mode is CancelMode.FORCE and self._cancel is not CancelMode.FORCE:
            self._interrupt("cancelled")
        if self._cancel is not CancelMode.FORCE:
            self._cancel = mode

    def _interrupt(self, reason: str) -> None:
        self._stop_reason = reason
        for task in self._tasks.values():
            task.cancel()

    async def run(self) -> JobOutcome:
        try:
            steps = list(self._definition.plan(self._job.params))
            validate_plan(steps)
        except Exception as exc:  # a plan that cannot be built is the job's failure
            return JobOutcome(JobState.FAILED, f"the plan could not be built: {exc}")
        records = await self._read_records()
        await self._mark_started()
        if self._cancel is CancelMode.FORCE:
            self._stop_reason = "cancelled"
        if self._deadline is not None and time.time() >= self._deadline:
            self._stop_reason = "timeout"  # resumed too late: start nothing
        try:
            failure = await self._schedule(steps, records)
        finally:
            for task in self._tasks.values():
                task.cancel()
        return self._outcome(steps, failure)

    def _outcome(self, steps: Sequence[Step], failure: str | None) -> JobOutcome:
        if len(self._outputs) == len(steps):
            return JobOutcome(JobState.SUCCEEDED)
        if self._stop_reason == "timeout":
            return JobOutcome(JobState.FAILED, "the job ran past its deadline")
        if failure is not None:
            return JobOutcome(JobState.FAILED, failure)
        if self._cancel is not None:
            return JobOutcome(JobState.CANCELLED, f"cancelled ({self._cancel.value})")
        return JobOutcome(JobState.FAILED, "stopped before every step had run")

    async def _read_records(self) -> dict[str, StepRecord]:
        raw = cast(
            dict[bytes, bytes], await self._redis.hgetall(self._keyspace.steps(self._job.id))
        )
        return {key.decode(): StepRecord.from_json(value) for key, value in raw.items()}

    async def _mark_started(self) -> None:
        now = time.time()
        started = self._job.started_at or now
        timeout = self._job.timeout or self._definition.timeout
        self._deadline = started + timeout if timeout else None
        await fenced_hset(
            self._scripts,
            self._fence,
            self._keyspace.job(self._job.id),
            {
                "state": JobState.RUNNING.value,
                "startedAt": repr(started),
                "runs": str(self._job.runs + 1),
            },
        )

    async def _schedule(
        self, steps: Sequence[Step], records: Mapping[str, StepRecord]
    ) -> str | None:
        by_name = {step.name: step for step in steps}
        self._outputs = {
            name: record.outputs
            for name, record in records.items()
            if record.status is StepStatus.SUCCEEDED and name in by_name
        }
        waiting = {s.name: set(s.after) - set(self._outputs) for s in steps}
        dependents: dict[str, list[str]] = defaultdict(list)
        for step in steps:
            for predecessor in step.after:
                dependents[predecessor].append(step.name)
        ready = deque(n for n, deps in waiting.items() if not deps and n not in self._outputs)
        failure: str | None = None
        while True:
            while ready and self._may_start() and failure is None:
                name = ready.popleft()
                coroutine = self._run_step(by_name[name], records.get(name))
                task = asyncio.create_task(coroutine, name=f"step {name}")
                task.add_done_callback(_retrieved)
                self._tasks[name] = task
            if not self._tasks:
                return failure
            done = await self._wait_some()
            for name in [n for n, task in self._tasks.items() if task in done]:
                outcome = self._tasks.pop(name).result()  # LeaseLost propagates from here
                if outcome.interrupted:
                    continue
                if not outcome.ok:
                    failure = failure or f"step {name}: {outcome.error}"
                    continue
                self._outputs[name] = outcome.outputs
                for dependent in dependents[name]:
                    waiting[dependent].discard(name)
                    if not waiting[dependent]:
                        ready.append(dependent)

    def _may_start(self) -> bool:
        if self._cancel is not None or self._stop_reason:
            return False
        return len(self._tasks) < self._definition.max_parallel

    async def _wait_some(self) -> set[asyncio.Task[StepOutcome]]:
        timeout = None
        if self._deadline is not None and not self._stop_reason:
            timeout = max(self._deadline - time.time(), 0.0)
        done, _ = await asyncio.wait(
            self._tasks.values(), timeout=timeout, return_when=asyncio.FIRST_COMPLETED
        )
        if not done:
            self._interrupt("timeout")
        return done

    async def _run_step(self, step: Step, previous: StepRecord | None) -> StepOutcome:
        self._attempt_of[step.name] = previous.attempt if previous else 0
        try:
            return await self._attempts(step)
        except asyncio.CancelledError:
            if self._stop_reason is None:
                raise  # the worker is stopping or lost the lease: write nothing
            attempt = self._attempt_of[step.name]
            record = StepRecord(step.name, StepStatus.CANCELLED, attempt, error=self._stop_reason)
            await self._record(record.but(finished_at=time.time()))
            return StepOutcome(False, error=self._stop_reason, interrupted=True)

    async def _attempts(self, step: Step) -> StepOutcome:
        while True:
            self._attempt_of[step.name] += 1
            attempt = self._attempt_of[step.name]
            started = time.time()
            running = StepRecord(step.name, StepStatus.RUNNING, attempt, started_at=started)
            await self._record(running)
            try:
                outputs = await self._attempt(step, attempt)
            except TransientError as exc:
                delay = step.backoff.delay(attempt, exc.retry_after)
                give_up = self._give_up(step, attempt, delay)
                status = StepStatus.FAILED if give_up else StepStatus.RETRYING
                error = f"{exc}" + (f" ({give_up})" if give_up else "")
                await self._record(running.but(status=status, finished_at=time.time(), error=error))
                if give_up:
                    return StepOutcome(False, error=error)
                await asyncio.sleep(delay)
                continue
            except LeaseLost:
                raise
            except Exception as exc:  # permanent: PermanentError, a timeout or a bug
                error = f"{type(exc).__name__}: {exc}"
                await self._record(running.but(status=StepStatus.FAILED, error=error))
                return StepOutcome(False, error=error)
            done = running.but(status=StepStatus.SUCCEEDED, finished_at=time.time())
            await self._record(done.but(outputs=outputs))
            return StepOutcome(True, outputs)

    async def _attempt(self, step: Step, attempt: int) -> dict[str, Any]:
        context = StepContext(
            job_id=self._job.id,
            job_type=self._job.type,
            params=self._job.params,
            step=step.name,
            attempt=attempt,
            outputs=self._outputs,
            redis=self._redis,
            keyspace=self._keyspace,
            fence=self._fence,
            cancel_requested=lambda: self._cancel is not None,
            resources=self._resources,
        )
        try:
            async with asyncio.timeout(step.timeout) as deadline:
                outputs = dict(await step.handler(context) or {})
        except TimeoutError as exc:
            if deadline.expired():
                raise StepTimeout(f"the step ran longer than {step.timeout}s") from exc
            raise
        except _WORTH_ANOTHER_ATTEMPT as exc:
            raise TransientError(f"{type(exc).__name__}: {exc}") from exc
        orjson.dumps(outputs)  # outputs must be storable: fail the step now, not later
        return outputs

    def _give_up(self, step: Step, attempt: int, delay: float) -> str | None:
        if attempt >= step.max_attempts:
            return f"gave up after {attempt} attempts"
        if self._deadline is not None and time.time() + delay > self._deadline:
            return "the next attempt would pass the job's deadline"
        return None

    async def _record(self, record: StepRecord) -> None:
        key = self._keyspace.steps(self._job.id)
        await fenced_hset(self._scripts, self._fence, key, {record.name: record.to_json()})


def _retrieved(task: asyncio.Task[StepOutcome]) -> None:
    # A step abandoned with its job (lease lost, worker stopping) may end in an error
    # nobody awaits any more; it is the next worker's business, not a warning here.
    if not task.cancelled() and task.exception() is not None:
        log.debug("an abandoned step ended in %r", task.exception())
