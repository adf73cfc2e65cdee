"""A simulated cloud on loopback and the facade connected to it, as admin and as member."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
import yaml

from nfvo.vim.facade import Vim
from nfvo.vim.session import RetryPolicy, VimSpec
from simulators.openstack.config import SimConfig
from simulators.openstack.inventory import INVENTORY_DIR
from simulators.openstack.simulator import Simulator

FAST_RETRIES = RetryPolicy(attempts=6, base_delay=0.01, max_delay=0.05)


@pytest.fixture
async def sim() -> AsyncIterator[Simulator]:
    async with Simulator(INVENTORY_DIR / "lab.yaml", config=SimConfig(time_scale=0)) as simulator:
        yield simulator


def cloud_entry(sim: Simulator, name: str) -> dict[str, Any]:
    entries = yaml.safe_load(sim.clouds_yaml_path.read_text())["clouds"]
    return dict(entries[name])


@pytest.fixture
async def vim(sim: Simulator) -> AsyncIterator[Vim]:
    spec = VimSpec(name="lab", cloud=cloud_entry(sim, "sim"), admin=True, retry=FAST_RETRIES)
    async with Vim(spec) as facade:
        yield facade


@pytest.fixture
async def member_vim(sim: Simulator) -> AsyncIterator[Vim]:
    spec = VimSpec(
        name="lab", cloud=cloud_entry(sim, "sim-member"), admin=False, retry=FAST_RETRIES
    )
    async with Vim(spec) as facade:
        yield facade
