"""The supervisor of background services: restarts what dies and says so; stops in
bounded time, even a service that ignores its stop event or swallows a cancel."""

from __future__ import annotations

import asyncio
import logging
import time

import pytest

from nfvo.store.tasks import ServiceState, Supervisor, until_stopped
from tests.support.waiting import eventually


def supervisor() -> Supervisor:
    return Supervisor(base_delay=0.01, max_delay=0.05)


async def test_a_failing_service_is_restarted_and_the_failure_logged(
    caplog: pytest.LogCaptureFixture,
) -> None:
    runs = 0

    async def flaky(stop: asyncio.Event) -> None:
        nonlocal runs
        runs += 1
        if runs < 3:
            raise ConnectionError(f"dropped #{runs}")
        await stop.wait()

    keeper = supervisor()
    keeper.add("flaky", flaky)
    with caplog.at_level(logging.ERROR, logger="nfvo.store.tasks"):
        await keeper.start()
        await eventually(lambda: runs >= 3)
        [health] = keeper.health()
        assert health.state is ServiceState.RUNNING
        assert health.restarts == 2 and health.last_error == "ConnectionError: dropped #2"
        await keeper.stop()
    assert keeper.health()[0].state is ServiceState.STOPPED
    assert sum("flaky stopped unexpectedly" in r.getMessage() for r in caplog.records) == 2


async def test_a_service_that_ends_by_itself_is_restarted() -> None:
    runs = 0

    async def quitter(stop: asyncio.Event) -> None:
        nonlocal runs
        runs += 1

    keeper = supervisor()
    keeper.add("quitter", quitter)
    await keeper.start()
    await eventually(lambda: runs >= 3)
    await keeper.stop()
    assert keeper.health()[0].last_error == "it ended by itself"


async def test_stop_is_bounded_for_a_service_that_ignores_it_and_swallows_a_cancel() -> None:
    async def stubborn(_stop: asyncio.Event) -> None:
        try:
            await asyncio.sleep(3600)
        except asyncio.CancelledError:
            await asyncio.sleep(3600)  # swallowed; only a second cancel ends it

    keeper = supervisor()
    keeper.add("stubborn", stubborn)
    await keeper.start()
    await asyncio.sleep(0.01)
    started = time.monotonic()
    await keeper.stop(within=0.2)
    assert time.monotonic() - started < 0.2 + 0.2 + 0.5  # its wait, then the bounded cancel


async def test_a_service_whose_own_task_dies_is_seen_dying() -> None:
    async def inner() -> None:
        raise OSError("the loop broke")

    stop = asyncio.Event()
    task = asyncio.create_task(inner(), name="fetch loop")
    with pytest.raises(OSError, match="the loop broke"):
        await until_stopped(stop, task)


def test_names_are_unique() -> None:
    keeper = supervisor()

    async def idle(stop: asyncio.Event) -> None:
        await stop.wait()

    keeper.add("a", idle)
    with pytest.raises(ValueError, match="already supervised"):
        keeper.add("a", idle)
