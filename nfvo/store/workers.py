"""A pool of job workers in one process; any number of pools may share one Redis.

Each pool is one consumer (its ``name``) of the job stream's consumer group
(``nfvo.store.consumers.ConsumerGroup``), which survives Redis outages. It runs up to
``concurrency`` jobs at once. When a slot is free it first looks, every third of a
lease, for entries that another consumer has left pending for longer than a lease
(XAUTOCLAIM: that worker died or froze), then reads new entries (XREADGROUP). Before
running a job it takes the job's lease; an entry whose lease is still held by a live
worker is left alone, since that worker's renewals keep re-claiming it.

``nfvo serve`` runs one pool inside the server; ``nfvo worker`` runs more elsewhere.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import time
import uuid
from typing import Final

import redis.asyncio as aioredis

from nfvo.store.consumers import ConsumerGroup, Entry
from nfvo.store.errors import LeaseLost
from nfvo.store.guards import Fence
from nfvo.store.jobs import (
    CONSUMER_GROUP,
    ENTRY_FIELD,
    JOB_STREAM,
    CancelMode,
    JobRecord,
    Jobs,
    JobState,
)
from nfvo.store.keys import Keyspace
from nfvo.store.leases import LeaseKeeper, LeaseScripts, acquire_lease
from nfvo.store.resources import Resources
from nfvo.store.runner import JobOutcome, JobRunner
from nfvo.store.steps import JobRegistry, UnknownJobType

log = logging.getLogger(__name__)

DEFAULT_LEASE_SECONDS: Final = 3.0

# KEYS: lease, job record, job stream, step records, idempotency key. ARGV: lease value,
# group, entry id, state, finishedAt, error, retention in ms. The job's end (and when
# its records expire), its acknowledgement and the lease's release are one fenced
# write: a worker that lost the job cannot finish it.
_FINISH = """
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
if ARGV[4] ~= '' then
  redis.call('HSET', KEYS[2], 'state', ARGV[4], 'finishedAt', ARGV[5], 'error', ARGV[6])
  if tonumber(ARGV[7]) > 0 then
    for i = 4, 5 do redis.call('PEXPIRE', KEYS[i], ARGV[7]) end
    redis.call('PEXPIRE', KEYS[2], ARGV[7])
  end
end
redis.call('XACK', KEYS[3], ARGV[2], ARGV[3])
redis.call('XDEL', KEYS[3], ARGV[3])
redis.call('DEL', KEYS[1])
return 1
"""


class WorkerPool:
    """Claims and runs jobs of the types in ``registry`` until stopped."""

    def __init__(
        self,
        redis: aioredis.Redis,
        keyspace: Keyspace,
        registry: JobRegistry,
        resources: Resources | None = None,
        *,
        concurrency: int = 4,
        lease_seconds: float = DEFAULT_LEASE_SECONDS,
        name: str | None = None,
        poll_seconds: float = 0.5,
        grace: float = 10.0,
        retention: float = 0.0,
    ) -> None:
        if concurrency < 1 or lease_seconds <= 0:
            raise ValueError("a pool needs at least one slot and a positive lease")
        resources = resources or Resources().freeze()
        registry.check(resources)  # a wiring mistake stops the process, not a job
        self._redis = redis
        self._keyspace = keyspace
        self._registry = registry
        self._resources = resources
        self.concurrency = concurrency
        self.lease_seconds = lease_seconds
        self.grace = grace  # what running jobs get to finish when the pool stops
        # How long a finished job's records stay readable (0: for ever); then they, and
        # its idempotency key, expire, and parameters with them.
        self.retention = retention
        self.name = name or f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:6]}"
        self._jobs = Jobs(redis, keyspace)
        self._scripts = LeaseScripts(redis)
        self._finish = redis.register_script(_FINISH)
        self._stream = keyspace.stream(JOB_STREAM)
        # Jobs are independent (each its own key): up to ``concurrency`` run at once. An
        # entry idle for a lease lost its worker (a live one's renewals re-claim it), and
        # the job's end acknowledges it in the same fenced script (_FINISH).
        self._group = ConsumerGroup(
            redis,
            self._stream,
            CONSUMER_GROUP,
            self.name,
            self._take,
            key=lambda entry: entry.id,
            count=concurrency,
            block_seconds=poll_seconds,
            claim_idle_seconds=lease_seconds,
            acknowledged_by_handler=True,
        )

    async def __aenter__(self) -> WorkerPool:
        await self.start()
        return self

    async def __aexit__(self, *_exc: object) -> None:
        await self.stop()

    async def start(self) -> None:
        await self._group.start()

    async def stop(self, *, grace: float = 10.0) -> None:
        """Take no new job; let running ones finish for ``grace`` seconds, then cancel them.

        A cancelled job keeps its records and lease; another worker resumes it once the
        lease has lapsed. The read in progress is let finish rather than cancelled (see
        ``ConsumerGroup.stop``), so the stop takes up to ``poll_seconds`` more.
        """
        await self._group.stop(grace=grace)

    async def run(self, stop: asyncio.Event) -> None:
        """Work until ``stop`` is set, then stop with ``grace``: a supervised service."""
        await self._group.run(stop, grace=self.grace)

    @property
    def running_jobs(self) -> int:
        return self._group.held

    async def _take(self, entry: Entry) -> None:
        job_id = entry.text(ENTRY_FIELD)
        if job_id is None:
            log.warning("a job stream entry names no job", extra={"entry": entry.id})
            await self._group.acknowledge(entry)
            return
        await self._handle(entry.id, job_id)

    async def _handle(self, entry_id: str, job_id: str) -> None:
        fence = await acquire_lease(
            self._scripts, self._keyspace, job_id, self.name, self.lease_seconds
        )
        if fence is None:
            return  # a live worker holds it; its renewals keep the entry
        job = await self._jobs.find(job_id)
        if job is None or job.state.final:
            await self._end(fence, entry_id, job_id, None)  # a duplicate delivery
            return
        try:
            definition = self._registry.get(job.type)
        except UnknownJobType as exc:
            await self._end(fence, entry_id, job, JobOutcome(JobState.FAILED, str(exc)))
            return
        runner = JobRunner(
            self._redis, self._keyspace, self._scripts, job, definition, fence, self._resources
        )
        await self._run(runner, fence, entry_id, job)

    async def _run(self, runner: JobRunner, fence: Fence, entry_id: str, job: JobRecord) -> None:
        job_id = job.id
        task = asyncio.create_task(runner.run(), name=f"job {job_id}")
        keeper = LeaseKeeper(
            self._scripts,
            fence,
            self.lease_seconds,
            renew_keys=(self._keyspace.job(job_id), self._stream),
            renew_args=(CONSUMER_GROUP, self.name, entry_id),
            on_lost=task.cancel,
            on_cancel=lambda mode: runner.request_cancel(CancelMode(mode)),
        ).start()
        try:
            outcome = await task
            await self._end(fence, entry_id, job, outcome)
        except LeaseLost:
            log.warning("lease lost; the job is another worker's now", extra={"job": job_id})
        except asyncio.CancelledError:
            if not keeper.lost:
                raise
            log.warning("lease lost; the job was stopped", extra={"job": job_id})
        finally:
            task.cancel()
            await keeper.stop()
            with contextlib.suppress(asyncio.CancelledError, LeaseLost):
                await task

    async def _end(
        self, fence: Fence, entry_id: str, job: JobRecord | str, outcome: JobOutcome | None
    ) -> None:
        """Finish ``job`` with ``outcome``, or only acknowledge its entry (no outcome)."""
        job_id = job if isinstance(job, str) else job.id
        idempotency = job.idempotency_key if isinstance(job, JobRecord) else job_id
        state = outcome.state.value if outcome else ""
        error = (outcome.error or "") if outcome else ""
        keys = [
            fence.key,
            self._keyspace.job(job_id),
            self._stream,
            self._keyspace.steps(job_id),
            self._keyspace.idempotency(JOB_STREAM, idempotency),
        ]
        args = [fence.value, CONSUMER_GROUP, entry_id, state, repr(time.time()), error]
        finished = await self._finish(keys=keys, args=[*args, int(self.retention * 1000)])
        if not finished:
            raise LeaseLost(f"job {job_id} was not finished: its lease is no longer ours")
        log.info("job ended", extra={"job": job_id, "state": state, "error": error})
