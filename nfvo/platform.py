"""The shared platform composed for one process: what the NFVO and the VNFM both run on.

A :class:`Platform` holds one keyspace's Redis client, secret box, notifier, VIM
registry, job registry, the resources its job steps are handed (typed keys, see
``nfvo.store.resources``) and the supervisor of its background services. The NFVO's
runtime (``nfvo.runtime``) and the VNFM's each build one under their own key prefix,
add their own resources and job types, and start it:

    platform = Platform(settings, redis, Keyspace("nfvo"))
    platform.resources[BLOBS] = blobs
    register_jobs(platform.jobs)
    async with platform.running(Background(workers=4)):
        ...serve...

Starting checks the wiring (every job type's needs are provided) before anything runs,
then starts, in order, the job workers, notification delivery and the VIM event
sources the :class:`Background` asks for; stopping undoes it in reverse, bounded.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

import redis.asyncio as aioredis
from redis.exceptions import RedisError

from nfvo.config import Settings
from nfvo.sol.callbacks import CallbackClient
from nfvo.sol.notifications import NOTIFIER, DeliveryPolicy, Notifier
from nfvo.store.connection import store_for
from nfvo.store.embedded import EmbeddedRedis
from nfvo.store.keys import Keyspace
from nfvo.store.resources import Resources
from nfvo.store.secrets import SECRETS, SecretBox
from nfvo.store.steps import JobRegistry
from nfvo.store.tasks import (
    STOP_SECONDS,
    Service,
    ServiceHealth,
    ServiceState,
    Supervisor,
    sleep_unless,
)
from nfvo.store.workers import DEFAULT_LEASE_SECONDS, WorkerPool
from nfvo.vim.probe import VimProbe, VimState
from nfvo.vim.registry import VIMS, VimRegistry
from nfvo.vim.sources import VimEventSources
from nfvo.vim.waiting import VimEventFeed

log = logging.getLogger("nfvo.platform")


@dataclass(frozen=True)
class Background:
    """What a process runs besides serving requests (docs/architecture.md, processes)."""

    workers: int = 4  # jobs run at once by this process; 0 runs no job
    deliver_notifications: bool = True
    follow_vims: bool = True  # VIM notification bridges and pollers
    housekeeping: bool = True  # recover what killed processes left (uploads, scratch)
    grace: float = 10.0  # seconds running jobs get to finish on stop
    lease_seconds: float = DEFAULT_LEASE_SECONDS  # a dead worker's jobs move on after it


@dataclass(frozen=True)
class Health:
    store: str  # "ok" or why not
    services: list[ServiceHealth]
    vims: list[VimState]

    @property
    def ready(self) -> bool:
        """Serving is worth routing to: the store answers, every service runs, every
        registered VIM answers (a VIM down leaves reads possible, lifecycles not)."""
        return (
            self.store == "ok"
            and all(service.state is ServiceState.RUNNING for service in self.services)
            and all(vim.reachable for vim in self.vims)
        )


NOTHING = Background(workers=0, deliver_notifications=False, follow_vims=False, housekeeping=False)


@asynccontextmanager
async def open_store(
    settings: Settings,
) -> AsyncIterator[tuple[aioredis.Redis, EmbeddedRedis | None]]:
    """The configured Redis, or an embedded one owned by this process (its append-only
    file in the data directory, so a killed orchestrator restarts with its state)."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    async with store_for(
        settings.redis_url, settings.data_dir, owned=True, binary=settings.redis_server_binary
    ) as store:
        yield store


class Platform:
    def __init__(
        self,
        settings: Settings,
        redis: aioredis.Redis,
        keyspace: Keyspace,
        embedded: EmbeddedRedis | None = None,
    ) -> None:
        self.settings, self.redis, self.keyspace = settings, redis, keyspace
        self.embedded = embedded  # the Redis this process owns, watched while it runs
        self.fatal = asyncio.Event()  # set when the process must exit non-zero
        self.fatal_reason = ""
        self.resources = Resources()
        self.jobs = JobRegistry()
        self.supervisor = Supervisor()
        self.box = SecretBox.from_settings(settings)
        self.notifier = Notifier(
            redis,
            keyspace,
            CallbackClient.from_settings(settings),
            DeliveryPolicy.from_settings(settings),
            box=self.box,
        )
        self.vims = VimRegistry(redis, keyspace, self.box, VimEventFeed(redis, keyspace))
        self.resources[SECRETS] = self.box
        self.resources[NOTIFIER] = self.notifier
        self.resources[VIMS] = self.vims
        self._services: list[tuple[str, Service]] = []
        self.pool: WorkerPool | None = None
        self._stop_within = STOP_SECONDS
        self._probe = VimProbe(self.vims)

    def add_service(self, name: str, service: Service) -> None:
        """A background service of this process, started after the platform's own."""
        self._services.append((name, service))

    @asynccontextmanager
    async def running(self, background: Background) -> AsyncIterator[Platform]:
        self.jobs.check(self.resources)  # wiring mistakes stop the start, not a job
        self.resources.freeze()
        prefix = self.keyspace.prefix
        if background.workers and list(self.jobs):
            self.pool = WorkerPool(
                self.redis,
                self.keyspace,
                self.jobs,
                self.resources,
                concurrency=background.workers,
                lease_seconds=background.lease_seconds,
                grace=background.grace,
                retention=self.settings.job_retention_seconds,
            )
            self.supervisor.add(f"{prefix} workers", self.pool.run)
        if background.deliver_notifications:
            self.supervisor.add(f"{prefix} notifications", self.notifier.run)
        if background.follow_vims:
            sources = VimEventSources(self.vims, self.redis, self.keyspace)
            self.supervisor.add(f"{prefix} VIM events", sources.run)
        if self.embedded is not None:
            self.supervisor.add(f"{prefix} embedded Redis", self._watch_embedded)
        for name, service in self._services:
            self.supervisor.add(f"{prefix} {name}", service)
        self._stop_within = background.grace + STOP_SECONDS
        await self.supervisor.start()
        try:
            yield self
        finally:
            await self.stop()
            await self.vims.close()
            await self.notifier.client.close()

    async def _watch_embedded(self, stop: asyncio.Event) -> None:
        """Never half-alive: a dead embedded Redis is started again, or the process ends."""
        embedded = self.embedded
        assert embedded is not None
        while not await sleep_unless(stop, 1.0):
            if embedded.alive():
                continue
            if self.settings.embedded_redis_on_death == "exit":
                self.fatal_reason = f"the embedded Redis (port {embedded.port}) died"
                log.error("%s; exiting (embedded_redis_on_death=exit)", self.fatal_reason)
                self.fatal.set()
                await stop.wait()  # ended by the stop that follows, not restarted
                return
            log.error("the embedded Redis (port %s) died; starting it again", embedded.port)
            await asyncio.to_thread(embedded.revive)
            log.warning("the embedded Redis is back on port %s", embedded.port)

    async def health(self) -> Health:
        """What ``/health/ready`` reports: the store, each background service, each VIM."""
        try:
            async with asyncio.timeout(2.0):
                await self.redis.ping()
            store = "ok"
        except (RedisError, TimeoutError, OSError) as exc:
            store = f"unreachable: {type(exc).__name__}"
        try:
            vims = await self._probe.states()
        except RedisError:
            vims = []  # the store's failure already says why
        return Health(store, self.supervisor.health(), vims)

    async def stop(self) -> None:
        """Stop the background services (running jobs get their grace); idempotent, so a
        server can stop them while its in-flight requests drain in the same grace."""
        await self.supervisor.stop(within=self._stop_within)
