"""Background tasks that stop when asked, in bounded time, without swallowing a cancel;
and the supervisor that keeps a process's background services running.

Python 3.11's ``asyncio.wait_for`` can swallow a cancellation that arrives as its inner
wait completes (fixed in 3.12), so a loop built on it may never end; these helpers use
``asyncio.timeout`` instead, and every stop waits at most a bounded time.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field, replace
from enum import StrEnum

from redis.exceptions import RedisError

log = logging.getLogger(__name__)

STOP_SECONDS = 5.0
# What a service meets when the store or a peer is away: logged in a line, not as a bug.
OUTAGES = (
    RedisError,
    ConnectionError,
    TimeoutError,
)  # how long a stopped task may take to end before it is abandoned


async def sleep_unless(event: asyncio.Event, seconds: float) -> bool:
    """Sleep up to ``seconds``, waking early when ``event`` is set; whether it is set."""
    if event.is_set():
        return True
    try:
        async with asyncio.timeout(max(seconds, 0.0)):
            await event.wait()
    except TimeoutError:
        return False
    return True


async def first_of(*events: asyncio.Event) -> None:
    """Wait until any of ``events`` is set."""
    waiters = [asyncio.create_task(event.wait()) for event in events]
    try:
        await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for waiter in waiters:
            waiter.cancel()


async def cancel_and_wait(
    tasks: Iterable[asyncio.Task[object] | None], *, within: float = STOP_SECONDS
) -> None:
    """Cancel ``tasks`` and wait for them, at most ``within`` seconds; say which did not end.

    The caller's own cancellation still propagates: only the tasks' ends are awaited.
    """
    pending = [task for task in tasks if task is not None and not task.done()]
    for task in pending:
        task.cancel()
    if not pending:
        return
    _done, stuck = await asyncio.wait(pending, timeout=within)
    for task in stuck:
        log.error("a background task did not stop within %.1fs", within, extra={"task": task})


async def until_stopped(stop: asyncio.Event, inner: asyncio.Task[None] | None) -> None:
    """Wait for ``stop``; raise if ``inner`` (the task doing a service's work) ends first,
    so the supervisor sees a service whose own loop died."""
    if inner is None:
        raise RuntimeError("the service did not start its task")
    waiter = asyncio.create_task(stop.wait())
    try:
        await asyncio.wait([waiter, inner], return_when=asyncio.FIRST_COMPLETED)
    finally:
        waiter.cancel()
    if not stop.is_set():
        error = None if inner.cancelled() else inner.exception()
        if error is not None:
            raise error  # as it is, so the supervisor can tell an outage from a bug
        raise RuntimeError(f"its task {inner.get_name()!r} ended")


Service = Callable[[asyncio.Event], Awaitable[None]]
"""A background service: runs until the event is set, then returns (cleaning up)."""


class ServiceState(StrEnum):
    STARTING = "starting"
    RUNNING = "running"
    RESTARTING = "restarting"  # it ended or failed on its own; started again after a pause
    STOPPED = "stopped"


@dataclass
class ServiceHealth:
    name: str
    state: ServiceState = ServiceState.STARTING
    restarts: int = 0
    last_error: str | None = None


@dataclass
class Supervisor:
    """Runs a process's background services; restarts one that dies, and says so.

    A service that returns or raises before it is told to stop is logged (with its
    error) and started again after a backoff that grows with its consecutive failures
    (reset once it has run for a minute). :meth:`stop` sets every service's stop event
    and waits up to ``within`` seconds before cancelling what still runs, and as long
    again for the cancelled ones to end.
    """

    base_delay: float = 0.5
    max_delay: float = 30.0
    healthy_after: float = 60.0  # seconds of running that reset the backoff
    _services: dict[str, Service] = field(default_factory=dict)
    _health: dict[str, ServiceHealth] = field(default_factory=dict)
    _tasks: list[asyncio.Task[None]] = field(default_factory=list)
    _stop: asyncio.Event = field(default_factory=asyncio.Event)

    def add(self, name: str, service: Service) -> None:
        if name in self._services:
            raise ValueError(f"a service named {name!r} is already supervised")
        if self._tasks:
            raise RuntimeError("services are added before the supervisor starts")
        self._services[name] = service
        self._health[name] = ServiceHealth(name)

    @property
    def names(self) -> list[str]:
        return list(self._services)

    def health(self) -> list[ServiceHealth]:
        return [replace(health) for health in self._health.values()]

    async def start(self) -> None:
        self._stop.clear()
        for name, service in self._services.items():
            self._tasks.append(asyncio.create_task(self._keep(name, service), name=name))

    async def stop(self, within: float = STOP_SECONDS) -> None:
        self._stop.set()
        if self._tasks:
            _done, late = await asyncio.wait(self._tasks, timeout=within)
            await cancel_and_wait(late, within=within)
        self._tasks.clear()

    async def _keep(self, name: str, service: Service) -> None:
        health = self._health[name]
        failures = 0
        loop = asyncio.get_running_loop()
        while not self._stop.is_set():
            health.state = ServiceState.RUNNING
            started = loop.time()
            try:
                await service(self._stop)
                if self._stop.is_set():
                    break
                health.last_error = "it ended by itself"
            except asyncio.CancelledError:
                raise
            except OUTAGES as exc:  # the store or a cloud away: expected, no traceback
                health.last_error = f"{type(exc).__name__}: {exc}"
            except Exception as exc:
                health.last_error = f"{type(exc).__name__}: {exc}"
                log.exception("background service %s failed", name)
            failures = 1 if loop.time() - started > self.healthy_after else failures + 1
            delay = min(self.max_delay, self.base_delay * 2.0 ** (failures - 1))
            health.state, health.restarts = ServiceState.RESTARTING, health.restarts + 1
            log.error(
                "background service %s stopped unexpectedly (%s); restarting in %.1fs",
                name,
                health.last_error,
                delay,
            )
            await sleep_unless(self._stop, delay)
        health.state = ServiceState.STOPPED
