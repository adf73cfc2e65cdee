"""A consumer of the test stream in a process of its own, for the once-only test.

``python -m tests.integration.store.group_consumer URL PREFIX NAME [STUCK_AFTER]``

Each entry's effect (an INCR per entry, its sequence number appended to its key's log)
is returned as writes, applied with the acknowledgement. The handler itself counts
its handlings directly (at least once). With ``STUCK_AFTER``, the handling after that
many marks the entry in ``stuck`` and then never returns: the test SIGKILLs the
process there, between handling and acknowledging.
"""

from __future__ import annotations

import asyncio
import random
import sys

from nfvo.store.connection import connect
from nfvo.store.consumers import ConsumerGroup, Entry, Write

GROUP = "effects"


def stream(prefix: str) -> str:
    return f"{prefix}:stream:once"


def effect_key(prefix: str, entry_id: str) -> str:
    return f"{prefix}:test-effect:{entry_id}"


def log_key(prefix: str, key: str) -> str:
    return f"{prefix}:test-log:{key}"


def handled_key(prefix: str) -> str:
    return f"{prefix}:test-handled"


def stuck_key(prefix: str) -> str:
    return f"{prefix}:test-stuck"


async def consume(url: str, prefix: str, name: str, stuck_after: int | None) -> None:
    redis = connect(url)
    handled = 0

    async def handle(entry: Entry) -> list[Write]:
        nonlocal handled
        handled += 1
        await redis.hincrby(handled_key(prefix), entry.id, 1)  # type: ignore[misc]
        if stuck_after is not None and handled > stuck_after:
            await redis.set(stuck_key(prefix), entry.id, nx=True)
            await asyncio.Event().wait()  # handled, never acknowledged: killed here
        await asyncio.sleep(random.uniform(0, 0.01))
        key, seq = entry.text("key") or "", entry.text("seq") or ""
        return [
            Write("INCR", effect_key(prefix, entry.id)),
            Write("RPUSH", log_key(prefix, key), seq),
        ]

    group = ConsumerGroup(
        redis,
        stream(prefix),
        GROUP,
        name,
        handle,
        key=lambda entry: entry.text("key"),
        count=10,
        block_seconds=0.2,
        claim_idle_seconds=1.0,
    )
    await group.start()
    print(f"{name} ready", flush=True)
    await asyncio.Event().wait()  # until killed or terminated


if __name__ == "__main__":
    url, prefix, name, *rest = sys.argv[1:]
    asyncio.run(consume(url, prefix, name, int(rest[0]) if rest else None))
