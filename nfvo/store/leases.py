"""A worker's lease on a job, its fencing token, and the fenced writes it allows.

The lease is a key holding ``<token>:<worker>`` with a time to live of a few seconds.
The token comes from one INCR counter, so every new holder of any lease holds a value
no earlier holder ever held. Every write a worker makes for the job (step records,
the job record, occurrence transitions through the repository's guards) first checks
in the same Lua script that the lease still holds exactly that value; a worker that
was paused or partitioned past its lease therefore cannot write, whatever it believes.

The :class:`LeaseKeeper` renews the lease in the background every third of its time
to live, so a slow step never loses it, while a dead worker loses it within one time
to live. Each renewal also re-claims the job's stream entry for its worker (resetting
its idle time, so nobody auto-claims a job whose worker is alive) and reads the job's
cancellation request, which is how a cancellation reaches the step in progress.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import redis.asyncio as aioredis
from redis.exceptions import RedisError

from nfvo.store.errors import LeaseLost
from nfvo.store.guards import Fence
from nfvo.store.keys import Keyspace
from nfvo.store.tasks import sleep_unless

log = logging.getLogger(__name__)

FENCING_COUNTER = "fencing"

# KEYS: lease, fencing counter. ARGV: worker, time to live (ms).
_ACQUIRE = """
if redis.call('EXISTS', KEYS[1]) == 1 then return false end
local value = redis.call('INCR', KEYS[2]) .. ':' .. ARGV[1]
redis.call('SET', KEYS[1], value, 'PX', ARGV[2])
return value
"""

# KEYS: lease, job record, job stream. ARGV: value, ttl (ms), group, consumer, entry id.
_RENEW = """
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return false end
redis.call('PEXPIRE', KEYS[1], ARGV[2])
redis.call('XCLAIM', KEYS[3], ARGV[3], ARGV[4], 0, ARGV[5], 'JUSTID')
return redis.call('HGET', KEYS[2], 'cancel') or ''
"""

# KEYS: lease, hash. ARGV: value, then field/value pairs.
_FENCED_HSET = """
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[2], unpack(ARGV, 2))
return 1
"""

# KEYS: lease. ARGV: value.
_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""


class LeaseScripts:
    """The lease's Lua scripts, registered once per client."""

    def __init__(self, redis: aioredis.Redis) -> None:
        self.acquire = redis.register_script(_ACQUIRE)
        self.renew = redis.register_script(_RENEW)
        self.fenced_hset = redis.register_script(_FENCED_HSET)
        self.release = redis.register_script(_RELEASE)


async def acquire_lease(
    scripts: LeaseScripts, keyspace: Keyspace, job_id: str, worker: str, ttl: float
) -> Fence | None:
    """Take the job's lease with a fresh fencing token, or ``None`` if someone holds it."""
    value = await scripts.acquire(
        keys=[keyspace.lease("jobs", job_id), keyspace.counter(FENCING_COUNTER)],
        args=[worker, int(ttl * 1000)],
    )
    if value is None:
        return None
    return Fence(keyspace.lease("jobs", job_id), value.decode())


async def fenced_hset(
    scripts: LeaseScripts, fence: Fence, key: str, mapping: dict[str, str | bytes]
) -> None:
    """HSET ``mapping`` into ``key`` only while ``fence`` holds; else raise LeaseLost."""
    args: list[str | bytes] = [fence.value]
    for name, value in mapping.items():
        args += [name, value]
    if not await scripts.fenced_hset(keys=[fence.key, key], args=args):
        raise LeaseLost(f"{fence.key} is no longer held as {fence.value}: nothing written")


async def release_lease(scripts: LeaseScripts, fence: Fence) -> None:
    await scripts.release(keys=[fence.key], args=[fence.value])


@dataclass
class LeaseKeeper:
    """Renews one job's lease until stopped; tells its owner of a loss or a cancellation."""

    scripts: LeaseScripts
    fence: Fence
    ttl: float
    renew_keys: tuple[str, str]  # the job record and the job stream
    renew_args: tuple[str, str, str]  # group, consumer, entry id
    on_lost: Callable[[], Any]
    on_cancel: Callable[[str], Any]
    lost: bool = False
    _task: asyncio.Task[None] | None = field(default=None, repr=False)
    _stopped: asyncio.Event = field(default_factory=asyncio.Event, repr=False)

    def start(self) -> LeaseKeeper:
        self._task = asyncio.create_task(self._renew_forever(), name=f"lease {self.fence.key}")
        return self

    async def stop(self) -> None:
        # Signalled, not cancelled, so that no renewal is cut off inside the Redis client.
        self._stopped.set()
        if self._task is not None:
            await asyncio.wait([self._task], timeout=self.ttl)
            self._task.cancel()

    async def _renew_forever(self) -> None:
        expires = time.monotonic() + self.ttl
        while True:
            if await sleep_unless(self._stopped, self.ttl / 3):
                return
            try:
                cancel = await self._renew_once()
            except RedisError as exc:
                # Redis unreachable: keep trying until the lease would have expired anyway.
                log.warning("lease renewal failed: %s", exc, extra={"lease": self.fence.key})
                if time.monotonic() < expires:
                    continue
                cancel = None
            if cancel is None:
                self.lost = True
                self.on_lost()
                return
            expires = time.monotonic() + self.ttl
            if cancel:
                self.on_cancel(cancel)

    async def _renew_once(self) -> str | None:
        reply = await self.scripts.renew(
            keys=[self.fence.key, *self.renew_keys],
            args=[self.fence.value, int(self.ttl * 1000), *self.renew_args],
        )
        return None if reply is None else reply.decode()
