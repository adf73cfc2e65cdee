"""Waiting on the ``vim-events`` stream instead of polling the cloud.

:class:`VimEventFeed` tells a waiter when something was said about its resource
(``servers/<id>``): the waiter then re-reads the resource, so what the event said does
not matter, and duplicates or reordering are harmless. When nothing comes within
``fallback_interval`` the waiter re-reads anyway: a lost notification, a bridge that is
down, a Redis that does not answer or a cloud that sends none only make the wait
slower, never wrong.

Each waiter follows the stream (``nfvo.store.consumers.Follower``, a plain XREAD) from
the position it took before its first read of the resource, so nothing said in between
is missed. Not a consumer group: every waiter must see every event, and nothing is
acknowledged because a waiter stores nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import redis.asyncio as aioredis

from nfvo.store.consumers import Follower
from nfvo.store.events import EVENT_FIELD, Event, EventStream
from nfvo.store.keys import Keyspace


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

    @cached_property
    def follower(self) -> Follower:
        """One for every waiter: positions are the waiters' own, an outage is logged once."""
        return Follower(self.redis, self.key)

    async def position(self) -> str:
        """The id of the newest entry: a wait starting now reads after it."""
        return await self.follower.position()

    async def next_about(self, subject: str, after: str, within: float) -> tuple[str, bool]:
        """Read from ``after`` for at most ``within`` seconds (returning at the first
        entries); the new position and whether any of them was about ``subject``."""
        after, entries = await self.follower.read(after, within)
        mentioned = False
        for entry in entries:
            raw = entry.fields.get(EVENT_FIELD.encode())
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
