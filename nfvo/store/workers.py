"""A pool of job workers in one process; any number of pools may share one Redis.

Each pool is one consumer (its ``name``) of the job stream's consumer group. It runs
up to ``concurrency`` jobs at once. A free slot first looks, every third of a lease,
for entries that another consumer has left pending for longer than a lease
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
from typing import Any, Final

import redis.asyncio as aioredis
from redis.exceptions import ResponseError

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
from nfvo.store.tasks import until_stopped

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
        self._poll_ms = int(poll_seconds * 1000)
        self._jobs = Jobs(redis, keyspace)
        self._scripts = LeaseScripts(redis)
        self._finish = redis.register_script(_FINISH)
        self._stream = keyspace.stream(JOB_STREAM)
        self._slots = asyncio.Semaphore(concurrency)
        self._running: set[asyncio.Task[None]] = set()
        self._fetcher: asyncio.Task[None] | None = None
        self._claim_cursor: bytes | str = "0-0"
        self._next_claim = 0.0
        self._stopping = False

    async def __aenter__(self) -> WorkerPool:
        await self.start()
        return self

    async def __aexit__(self, *_exc: object) -> None:
        await self.stop()

    async def start(self) -> None:
        try:
            await self._redis.xgroup_create(self._stream, CONSUMER_GROUP, id="0", mkstream=True)
        except ResponseError as exc:
            if "BUSYGROUP" not in str(exc):
                raise
        self._stopping = False
        self._fetcher = asyncio.create_task(self._fetch_forever(), name=f"worker {self.name}")

    async def stop(self, *, grace: float = 10.0) -> None:
        """Take no new job; let running ones finish for ``grace`` seconds, then cancel them.

        A cancelled job keeps its records and lease; another worker resumes it once the
        lease has lapsed.
        """
        # A flag rather than a cancellation: cancelling a blocked XREADGROUP inside the
        # Redis client can leave its connection in a state the client never recovers
        # from, so the fetcher finishes its short read and sees the flag.
        self._stopping = True
        if self._fetcher is not None:
            await asyncio.wait([self._fetcher], timeout=self._poll_ms / 1000 + 2)
            self._fetcher.cancel()
            self._fetcher = None
        if self._running:
            _done, pending = await asyncio.wait(self._running, timeout=grace)
            for task in pending:
                task.cancel()
            if pending:  # bounded: a cancelled Redis call must not hold the stop forever
                await asyncio.wait(pending, timeout=2.0)

    async def run(self, stop: asyncio.Event) -> None:
        """Work until ``stop`` is set, then stop with ``grace``: a supervised service."""
        await self.start()
        try:
            await until_stopped(stop, self._fetcher)
        finally:
            await self.stop(grace=self.grace)

    @property
    def running_jobs(self) -> int:
        return len(self._running)

    async def _fetch_forever(self) -> None:
        while not self._stopping:
            await self._slots.acquire()
            try:
                entry = await self._next_entry()
            except BaseException:
                self._slots.release()
                raise
            if entry is None:
                self._slots.release()
                continue
            task = asyncio.create_task(self._handle(*entry))
            self._running.add(task)
            task.add_done_callback(self._finished)

    def _finished(self, task: asyncio.Task[None]) -> None:
        self._running.discard(task)
        self._slots.release()
        if not task.cancelled() and task.exception() is not None:
            log.error("job handling failed", exc_info=task.exception())

    async def _next_entry(self) -> tuple[str, str] | None:
        if time.monotonic() >= self._next_claim:
            reply = await self._redis.xautoclaim(
                self._stream,
                CONSUMER_GROUP,
                self.name,
                min_idle_time=int(self.lease_seconds * 1000),
                start_id=self._claim_cursor,
                count=1,
            )
            self._claim_cursor = reply[0]
            if _entry_id(reply[0]) == "0-0":  # scanned the whole pending list
                self._next_claim = time.monotonic() + self.lease_seconds / 3
            if reply[1]:
                return _entry(reply[1][0])
        streams: Any = await self._redis.xreadgroup(
            CONSUMER_GROUP, self.name, {self._stream: ">"}, count=1, block=self._poll_ms
        )
        for _stream, entries in streams or []:
            for entry in entries:
                return _entry(entry)
        return None

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


def _entry_id(raw: bytes | str) -> str:
    return raw.decode() if isinstance(raw, bytes) else raw


def _entry(entry: Any) -> tuple[str, str] | None:
    entry_id, fields = entry
    job_id = (fields or {}).get(ENTRY_FIELD.encode())
    return (_entry_id(entry_id), job_id.decode()) if job_id else None
