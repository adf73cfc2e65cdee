"""Waiting in a test for what another task or process brings about."""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Callable
from typing import Any


async def eventually(condition: Callable[[], Any], within: float = 15.0) -> None:
    """Poll ``condition`` (a boolean, or an awaitable of one) until it holds; TimeoutError
    after ``within`` seconds."""
    async with asyncio.timeout(within):
        while True:
            holds = condition()
            if await holds if inspect.isawaitable(holds) else holds:
                return
            await asyncio.sleep(0.05)
