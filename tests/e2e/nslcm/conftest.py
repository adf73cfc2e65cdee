"""Fixtures of the NS lifecycle scenarios: the lab cloud, a served NFVO, the 5G core."""

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.integration.lcm.conftest import lab, shipped, start_nfvo
from tests.integration.lcm.fivegc import FiveGc, five_gc

__all__ = ["lab", "shipped", "start_nfvo"]


@pytest.fixture
async def core(start_nfvo: object, shipped: dict[str, Path]) -> AsyncIterator[FiveGc]:
    async with five_gc(start_nfvo, shipped) as ready:  # type: ignore[arg-type]
        yield ready
