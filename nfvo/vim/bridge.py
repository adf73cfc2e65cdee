"""Moves a VIM's notification streams onto the project's ``vim-events`` stream.

It reads through a consumer group (any number of bridges, each entry handled by one),
publishes the converted envelope, and only then acknowledges, so a crash between the
two redelivers the entry; the converted event keeps the same id, and consumers re-read
the resource anyway. Malformed entries are logged and acknowledged: a cloud's bad
message must not wedge the stream.
"""

from __future__ import annotations

import asyncio
import logging
import socket
from typing import Any

import redis.asyncio as aioredis
from redis.exceptions import ResponseError

from nfvo.store.events import EventStream, publish
from nfvo.store.keys import Keyspace
from nfvo.vim.events import convert
from nfvo.vim.notifications import NotificationFormatError, VimTopic, decode_entry, stream_key

log = logging.getLogger(__name__)
GROUP = "nfvo-vim-bridge"


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
        self.block_ms = block_ms
        self.claim_idle_ms = claim_idle_ms
        self.streams = {stream_key(topic, prefix): topic for topic in VimTopic}

    async def ensure_groups(self) -> None:
        for key in self.streams:
            try:
                await self.redis.xgroup_create(key, GROUP, id="0", mkstream=True)
            except ResponseError as exc:
                if "BUSYGROUP" not in str(exc):
                    raise

    async def pump_once(self, count: int = 100) -> int:
        """Handle what is waiting: entries a dead bridge left, this bridge's own
        unacknowledged ones, then new ones."""
        handled = 0
        for key in self.streams:
            reply: Any = await self.redis.xautoclaim(
                key, GROUP, self.consumer, self.claim_idle_ms, count=count
            )
            for entry_id, fields in reply[1]:
                await self._handle(key, entry_id, fields)
                handled += 1
        for start in ("0", ">"):
            replies: Any = await self.redis.xreadgroup(
                GROUP,
                self.consumer,
                {key: start for key in self.streams},
                count=count,
                block=None if start == "0" else self.block_ms,
            )
            for raw_key, entries in replies or []:
                key = raw_key.decode() if isinstance(raw_key, bytes) else raw_key
                for entry_id, fields in entries:
                    await self._handle(key, entry_id, fields)
                    handled += 1
        return handled

    async def _handle(self, key: str, entry_id: bytes, fields: dict[bytes, bytes]) -> None:
        topic = self.streams[key]
        try:
            event = convert(self.vim, decode_entry(topic, fields)) if fields else None
        except NotificationFormatError as exc:
            log.warning(
                "skipping malformed VIM notification", extra={"stream": key, "error": str(exc)}
            )
            event = None
        if event is not None:
            await publish(self.redis, self.keyspace, EventStream.VIM, event)
        await self.redis.xack(key, GROUP, entry_id)

    async def run(self, stop: asyncio.Event) -> None:
        await self.ensure_groups()
        while not stop.is_set():
            await self.pump_once()
