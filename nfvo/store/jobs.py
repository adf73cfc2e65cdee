"""Durable jobs on a Redis stream: enqueue, look up, cancel, wait.

A job is a record (``Keyspace.job(id)``, a hash) plus one entry on the job stream
(``Keyspace.stream("jobs")``) naming it. Workers in any number of processes read the
stream through one consumer group (``workers``), take a lease on the job before
running it, and acknowledge the entry only when the job is finished; an entry whose
worker died is auto-claimed by another once its lease has lapsed (``workers.py``).

**A job may run twice.** A worker can die after a step's effect and before its record
is written, or be paused past its lease while another takes over; fencing stops the
paused one from writing, but not from having acted. Steps are therefore idempotent
(find before create), and resumption re-enters the interrupted step.

Enqueueing is idempotent: a second enqueue with the same idempotency key returns the
first job and adds nothing to the stream.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Final, Self, cast

import orjson
import redis.asyncio as aioredis

from nfvo.store.errors import StoreNotFound
from nfvo.store.keys import Keyspace
from nfvo.store.steps import StepRecord

JOB_STREAM: Final = "jobs"
CONSUMER_GROUP: Final = "workers"
ENTRY_FIELD: Final = "job"


class JobState(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"

    @property
    def final(self) -> bool:
        return self in {JobState.SUCCEEDED, JobState.FAILED, JobState.CANCELLED}


class CancelMode(StrEnum):
    GRACEFUL = "graceful"  # finish the running steps, start no other
    FORCE = "force"  # cancel the running steps' tasks


# KEYS: idempotency key, job record, job stream. ARGV: job id, then record field/values.
_ENQUEUE = """
local existing = redis.call('GET', KEYS[1])
if existing then return existing end
redis.call('SET', KEYS[1], ARGV[1])
redis.call('HSET', KEYS[2], unpack(ARGV, 2))
redis.call('XADD', KEYS[3], '*', 'job', ARGV[1])
return ARGV[1]
"""

# KEYS: job record. ARGV: mode. Only a job that is not finished can be cancelled.
_CANCEL = """
local state = redis.call('HGET', KEYS[1], 'state')
if not state then return false end
if state == 'queued' or state == 'running' then
  local current = redis.call('HGET', KEYS[1], 'cancel')
  if current ~= 'force' then redis.call('HSET', KEYS[1], 'cancel', ARGV[1]) end
end
return state
"""


@dataclass(frozen=True)
class JobRecord:
    """The stored job, as read back."""

    id: str
    type: str
    params: dict[str, Any]
    state: JobState
    idempotency_key: str
    created_at: float
    started_at: float | None
    finished_at: float | None
    runs: int  # how many times a worker started or resumed it
    error: str | None
    cancel: CancelMode | None
    timeout: float | None

    @classmethod
    def from_hash(cls, fields: Mapping[bytes, bytes]) -> Self:
        text = {key.decode(): value.decode() for key, value in fields.items()}
        return cls(
            id=text["id"],
            type=text["type"],
            params=orjson.loads(text["params"]),
            state=JobState(text["state"]),
            idempotency_key=text["idempotencyKey"],
            created_at=float(text["createdAt"]),
            started_at=_number(text.get("startedAt")),
            finished_at=_number(text.get("finishedAt")),
            runs=int(text.get("runs") or 0),
            error=text.get("error") or None,
            cancel=CancelMode(text["cancel"]) if text.get("cancel") else None,
            timeout=_number(text.get("timeout")),
        )


def _number(text: str | None) -> float | None:
    return float(text) if text else None


class Jobs:
    """The client side of the job runner: what an API handler or a CLI calls."""

    def __init__(self, redis: aioredis.Redis, keyspace: Keyspace) -> None:
        self._redis = redis
        self._keyspace = keyspace
        self._enqueue = redis.register_script(_ENQUEUE)
        self._cancel = redis.register_script(_CANCEL)

    async def enqueue(
        self,
        job_type: str,
        params: Mapping[str, Any] | None = None,
        *,
        idempotency_key: str | None = None,
        job_timeout: float | None = None,
    ) -> JobRecord:
        """Queue a job, or return the one already queued under ``idempotency_key``.

        ``job_timeout`` (seconds from the job's first start, across resumptions)
        overrides the job type's.
        """
        job_id = str(uuid.uuid4())
        key = idempotency_key or job_id
        record: dict[str, str | bytes] = {
            "id": job_id,
            "type": str(job_type),
            "params": orjson.dumps(dict(params or {})),
            "state": JobState.QUEUED.value,
            "idempotencyKey": key,
            "createdAt": repr(time.time()),
            "runs": "0",
            "timeout": "" if job_timeout is None else repr(job_timeout),
        }
        args: list[str | bytes] = [job_id]
        for name, value in record.items():
            args += [name, value]
        keys = [
            self._keyspace.idempotency(JOB_STREAM, key),
            self._keyspace.job(job_id),
            self._keyspace.stream(JOB_STREAM),
        ]
        stored_id = await self._enqueue(keys=keys, args=args)
        return await self.get(stored_id.decode())

    async def find(self, job_id: str) -> JobRecord | None:
        fields = await self._redis.hgetall(self._keyspace.job(job_id))
        return JobRecord.from_hash(cast(dict[bytes, bytes], fields)) if fields else None

    async def find_by_key(self, idempotency_key: str) -> JobRecord | None:
        """The job enqueued under ``idempotency_key``, if any (and not yet purged)."""
        raw = await self._redis.get(self._keyspace.idempotency(JOB_STREAM, idempotency_key))
        if raw is None:
            return None
        return await self.find(raw.decode() if isinstance(raw, bytes) else raw)

    async def get(self, job_id: str) -> JobRecord:
        found = await self.find(job_id)
        if found is None:
            raise StoreNotFound(f"job {job_id} does not exist")
        return found

    async def steps(self, job_id: str) -> dict[str, StepRecord]:
        fields = cast(dict[bytes, bytes], await self._redis.hgetall(self._keyspace.steps(job_id)))
        return {key.decode(): StepRecord.from_json(value) for key, value in fields.items()}

    async def cancel(self, job_id: str, mode: CancelMode = CancelMode.GRACEFUL) -> JobRecord:
        """Ask for cancellation; the worker running it learns within a third of its lease.

        A finished job is left as it is. A forceful request is never weakened by a
        later graceful one.
        """
        state = await self._cancel(keys=[self._keyspace.job(job_id)], args=[mode.value])
        if state is None:
            raise StoreNotFound(f"job {job_id} does not exist")
        return await self.get(job_id)

    async def wait(self, job_id: str, within: float, *, poll: float = 0.05) -> JobRecord:
        """Poll until the job is finished; TimeoutError after ``within`` seconds."""
        async with asyncio.timeout(within):
            while True:
                record = await self.get(job_id)
                if record.state.final:
                    return record
                await asyncio.sleep(poll)
