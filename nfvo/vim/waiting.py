"""Waiting on the ``vim-events`` stream instead of polling the cloud.

:class:`VimEventFeed` tells a waiter when something was said about its resource
(``servers/<id>``): the waiter then re-reads the resource, so what the event said does
not matter, and duplicates or reordering are harmless. When nothing comes within
``fallback_interval`` the waiter re-reads anyway: a lost notification, a bridge that is
down or a cloud that sends none only make the wait slower, never wrong.

Each waiter reads the stream itself with a plain ``XREAD`` from the position it took
before its first read of the resource (nothing said in between is missed). Not a
consumer group: every waiter must see every event, and nothing is acknowledged
because a waiter stores nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import redis.asyncio as aioredis

from nfvo.store.events import EVENT_FIELD, Event, EventStream
from nfvo.store.keys import Keyspace

START = "0-0"


@dataclass(frozen=True)
class VimEventFeed:
    """Where the VIM's events are, and how long to trust them before polling."""

    redis: aioredis.Redis
    keyspace: Keyspace
    fallback_interval: float = 15.0  # seconds without an event before re-reading anyway
    stream: EventStream = EventStream.VIM  # the LCM waits on VNF operations the same way

    @property
    def key(self) -> str:
        return self.keyspace.stream(self.stream.value)

    async def position(self) -> str:
        """The id of the newest entry: a wait starting now reads after it."""
        newest: Any = await self.redis.xrevrange(self.key, count=1)
        return _text(newest[0][0]) if newest else START

    async def next_about(self, subject: str, after: str, within: float) -> tuple[str, bool]:
        """Read from ``after`` for at most ``within`` seconds (returning at the first
        entries); the new position and whether any of them was about ``subject``."""
        block_ms = max(1, int(within * 1000))
        replies: Any = await self.redis.xread({self.key: after}, count=100, block=block_ms)
        mentioned = False
        for _key, entries in replies or []:
            for entry_id, fields in entries:
                after = _text(entry_id)
                raw = fields.get(EVENT_FIELD.encode())
                # A malformed entry cannot name us; the fallback re-read covers it anyway.
                # The byte test first: most entries are about other resources.
                if raw is not None and subject.encode() in raw and _subject(raw) == subject:
                    mentioned = True
        return after, mentioned


def _subject(raw: bytes) -> str | None:
    try:
        return Event.from_json(raw).subject
    except ValueError:
        return None


def _text(raw: bytes | str) -> str:
    return raw.decode() if isinstance(raw, bytes) else raw
