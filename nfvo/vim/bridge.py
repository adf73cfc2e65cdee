"""Moves a VIM's notification streams onto the project's ``vim-events`` stream.

It reads through a consumer group (any number of bridges, each entry handled by one;
``nfvo.store.consumers``) and publishes each converted envelope in the same script
that acknowledges the notification, so every notification is published once, even
when a bridge dies mid-way and another takes its entries over. Malformed entries are
logged and acknowledged: a cloud's bad message must not wedge the stream.
"""

from __future__ import annotations

import asyncio
import logging
import socket

import redis.asyncio as aioredis

from nfvo.store.consumers import ConsumerGroup, Entry, Write
from nfvo.store.events import EventStream, publication
from nfvo.store.keys import Keyspace
from nfvo.vim.events import convert
from nfvo.vim.notifications import NotificationFormatError, VimTopic, decode_entry, stream_key

log = logging.getLogger(__name__)
GROUP = "nfvo-vim-bridge"


def group_of(keyspace: Keyspace) -> str:
    """One group per keyspace: the bridges of one orchestrator share the entries, and
    another one on the same Redis (a VNF manager beside the NFVO) gets every entry too."""
    return f"{GROUP}:{keyspace.prefix}"


class NotificationBridge:
    def __init__(
        self,
        redis: aioredis.Redis,
        keyspace: Keyspace,
        vim: str,
        prefix: str,
        *,
        consumer: str | None = None,
        block_ms: int = 1000,
        claim_idle_ms: int = 30_000,
    ) -> None:
        self.redis, self.keyspace, self.vim, self.prefix = redis, keyspace, vim, prefix
        self.consumer = consumer or f"{socket.gethostname()}-{id(self):x}"
        self.streams = {stream_key(topic, prefix): topic for topic in VimTopic}
        self.group = ConsumerGroup(
            redis,
            list(self.streams),
            group_of(keyspace),
            self.consumer,
            self._handle,
            block_seconds=block_ms / 1000,
            claim_idle_seconds=claim_idle_ms / 1000,
        )

    async def ensure_groups(self) -> None:
        await self.group.ensure()

    async def pump_once(self) -> int:
        """Handle what is waiting: this bridge's own unacknowledged entries, those a
        dead bridge left, then new ones; how many."""
        return await self.group.pump()

    async def run(self, stop: asyncio.Event) -> None:
        await self.group.run(stop)

    async def _handle(self, entry: Entry) -> list[Write]:
        try:
            event = convert(self.vim, decode_entry(self.streams[entry.stream], dict(entry.fields)))
        except NotificationFormatError as exc:
            log.warning(
                "skipping malformed VIM notification",
                extra={"stream": entry.stream, "error": str(exc)},
            )
            return []
        if event is None:
            return []
        return [publication(self.keyspace, EventStream.VIM, event)]
