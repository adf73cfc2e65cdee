"""Each registered VIM's event source, kept running: a bridge of its notification streams,
or a poller where it has none (docs/events.md).

The registry is re-read every ``rescan`` seconds, so a VIM added, changed or removed by
``nfvo vim`` in another process gains, changes or loses its source without a restart.
A source that fails (the cloud or Redis unreachable) is started again after a backoff.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import redis.asyncio as aioredis
from redis.exceptions import RedisError

from nfvo.store.errors import StoreUnavailable
from nfvo.store.keys import Keyspace
from nfvo.store.tasks import cancel_and_wait, sleep_unless
from nfvo.vim.bridge import NotificationBridge
from nfvo.vim.errors import VimError
from nfvo.vim.poller import VimPoller
from nfvo.vim.registry import VimRecord, VimRegistry

log = logging.getLogger(__name__)

MAX_BACKOFF = 60.0


def source_of(record: VimRecord) -> tuple[str, object] | None:
    """What follows ``record``'s changes, as a comparable value; None when nothing does."""
    if record.notifications:
        return ("notifications", record.notifications)
    if record.poll_interval:
        return ("poll", record.poll_interval)
    return None


@dataclass
class _Running:
    source: tuple[str, object]
    stop: asyncio.Event
    task: asyncio.Task[None]


@dataclass
class VimEventSources:
    """A supervised service: one task per VIM that has an event source."""

    registry: VimRegistry
    redis: aioredis.Redis
    keyspace: Keyspace
    rescan: float = 30.0
    _running: dict[str, _Running] = field(default_factory=dict)

    @property
    def following(self) -> dict[str, tuple[str, object]]:
        return {name: running.source for name, running in self._running.items()}

    async def run(self, stop: asyncio.Event) -> None:
        try:
            while not stop.is_set():
                try:
                    self._reconcile({r.name: r for r in await self.registry.list()})
                except (RedisError, StoreUnavailable) as exc:
                    log.warning("the VIM registry could not be read: %s", exc)
                await sleep_unless(stop, self.rescan)
        finally:
            for running in self._running.values():
                running.stop.set()
            await cancel_and_wait([r.task for r in self._running.values()], within=2.0)
            self._running.clear()

    def _reconcile(self, records: dict[str, VimRecord]) -> None:
        for name, running in list(self._running.items()):
            record = records.get(name)
            if record is None or source_of(record) != running.source or running.task.done():
                running.stop.set()
                running.task.cancel()
                del self._running[name]
        for name, record in records.items():
            source = source_of(record)
            if source is None or name in self._running:
                continue
            stop = asyncio.Event()
            task = asyncio.create_task(self._follow(record, stop), name=f"vim events {name}")
            self._running[name] = _Running(source, stop, task)

    async def _follow(self, record: VimRecord, stop: asyncio.Event) -> None:
        failures = 0
        while not stop.is_set():
            try:
                await self._source(record)(stop)
            except (VimError, RedisError, StoreUnavailable, OSError) as exc:
                failures += 1
                delay = min(MAX_BACKOFF, 2.0**failures)
                log.warning(
                    "events of VIM %s: %s; again in %.0fs", record.name, exc, delay
                )  # one line per failed round, at most once a minute when it lasts
                await sleep_unless(stop, delay)
            else:
                failures = 0

    def _source(self, record: VimRecord) -> Callable[[asyncio.Event], Awaitable[None]]:
        if record.notifications:
            bridge = NotificationBridge(
                self.redis, self.keyspace, record.name, record.notifications
            )
            return bridge.run

        async def poll(stop: asyncio.Event) -> None:
            vim = await self.registry.open_vim(record.name)
            poller = VimPoller(vim, self.redis, self.keyspace)
            await poller.run(stop, interval=record.poll_interval or 10.0)

        return poll
