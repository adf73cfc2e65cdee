"""Failures counted per subject in Redis, and a wait that doubles with each one.

What guessing costs: after ``free`` failures within ``window`` seconds, every further
failure of a subject (a client id, a source address) blocks it for ``base`` seconds,
then twice that, up to ``cap``. While blocked, a subject is refused before its
credentials are even looked at, so a guess during the wait learns nothing. Counts live
in Redis, so every process serving the same keyspace shares them; a success clears
the subject's count.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import redis.asyncio as aioredis

from nfvo.store.keys import Keyspace

Subject = tuple[str, str]  # (what it is: "client", "address"; its value)

# KEYS: failures, blocked; ARGV: window ms, free failures, base ms, cap ms.
_FAILED = """
local failures = redis.call('INCR', KEYS[1])
redis.call('PEXPIRE', KEYS[1], ARGV[1])
local over = failures - tonumber(ARGV[2])
if over > 0 then
  local wait = math.min(tonumber(ARGV[4]), tonumber(ARGV[3]) * 2 ^ (over - 1))
  redis.call('SET', KEYS[2], failures, 'PX', math.floor(wait))
end
return failures
"""


def _ms(seconds: float) -> int:
    return int(seconds * 1000)


@dataclass(frozen=True)
class Backoff:
    free: int = 5
    base: float = 1.0
    cap: float = 300.0
    window: float = 900.0


class FailureThrottle:
    """Failures of one kind of request (``name``: "token"), per subject."""

    def __init__(
        self, redis: aioredis.Redis, keyspace: Keyspace, name: str, backoff: Backoff = Backoff()
    ) -> None:
        self.redis, self.keyspace, self.name, self.backoff = redis, keyspace, name, backoff
        self._failed = redis.register_script(_FAILED)

    def _keys(self, subject: Subject) -> tuple[str, str]:
        what, value = subject
        return (
            self.keyspace.throttle(f"{self.name}-{what}-failures", value),
            self.keyspace.throttle(f"{self.name}-{what}-blocked", value),
        )

    async def blocked_for(self, subjects: Sequence[Subject]) -> int:
        """Whole seconds until every subject may try again; 0 when none is blocked."""
        async with self.redis.pipeline(transaction=False) as pipe:
            for subject in subjects:
                pipe.pttl(self._keys(subject)[1])
            left: list[int] = await pipe.execute()
        return math.ceil(max([0, *left]) / 1000)

    async def failed(self, subjects: Sequence[Subject]) -> None:
        backoff = self.backoff
        args = [int(backoff.window * 1000), backoff.free, int(backoff.base * 1000)]
        for subject in subjects:
            await self._failed(
                keys=list(self._keys(subject)), args=[*args, int(backoff.cap * 1000)]
            )

    async def succeeded(self, subject: Subject) -> None:
        await self.redis.delete(*self._keys(subject))
