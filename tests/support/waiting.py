"""Waiting in tests for what another task or process makes true, with a bound."""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Awaitable, Callable


async def eventually(
    check: Callable[[], bool | Awaitable[bool]], within: float = 10.0, interval: float = 0.02
) -> None:
    """Return once ``check()`` is true; TimeoutError after ``within`` seconds."""
    async with asyncio.timeout(within):
        while True:
            outcome = check()
            if await outcome if inspect.isawaitable(outcome) else outcome:
                return
            await asyncio.sleep(interval)
