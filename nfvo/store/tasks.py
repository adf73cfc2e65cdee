"""Background tasks that stop when asked, in bounded time, without swallowing a cancel.

Python 3.11's ``asyncio.wait_for`` can swallow a cancellation that arrives as its inner
wait completes (fixed in 3.12), so a loop built on it may never end; these helpers use
``asyncio.timeout`` instead, and every stop waits at most a bounded time.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable

log = logging.getLogger(__name__)

STOP_SECONDS = 5.0  # how long a stopped task may take to end before it is abandoned


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
