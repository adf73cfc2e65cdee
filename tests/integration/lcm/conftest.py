"""An NFVO served on loopback over the simulated lab cloud, registered as its VIM with
the lab's site inventory: real Redis, real HTTP, real openstacksdk."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import redis.asyncio as aioredis
import yaml
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from nfvo.api.app import build_app
from nfvo.config import Settings, load_settings
from nfvo.platform import Background
from nfvo.runtime import Runtime, compose
from nfvo.store.embedded import free_port
from nfvo.store.keys import Keyspace
from nfvo.vim.inventory import load_inventory
from nfvo.vim.registry import VimRecord
from simulators.openstack.config import SimConfig
from simulators.openstack.inventory import INVENTORY_DIR
from simulators.openstack.simulator import Simulator
from tests.integration.catalog.conftest import onboard, shipped
from tests.integration.vim.conftest import FAST_RETRIES

__all__ = ["shipped"]

LAB = INVENTORY_DIR / "lab.yaml"
Client = TestClient[web.Request, web.Application]
BACKGROUND = Background(workers=4, follow_vims=True, grace=2)


@dataclass
class Nfvo:
    client: Client
    runtime: Runtime
    sim: Simulator

    async def onboard(self, csar: Path) -> dict[str, Any]:
        info = await onboard(self.client, csar)
        assert info["onboardingState"] == "ONBOARDED", info
        return info


@pytest.fixture
async def lab(redis_url: str, keyspace: Keyspace) -> AsyncIterator[Simulator]:
    """The lab cloud, its notifications on our Redis under ``<prefix>-os``."""
    config = SimConfig(time_scale=0, redis_url=redis_url, stream_prefix=f"{keyspace.prefix}-os")
    async with Simulator(LAB, config=config) as simulator:
        yield simulator


def lab_vim(sim: Simulator, keyspace: Keyspace, *, admin: bool = True) -> VimRecord:
    entry = yaml.safe_load(sim.clouds_yaml_path.read_text())["clouds"][
        "sim" if admin else "sim-member"
    ]
    return VimRecord(
        "lab",
        dict(entry),
        admin=admin,
        retry=FAST_RETRIES,
        notifications=f"{keyspace.prefix}-os",
        site=load_inventory(LAB).document,
    )


StartNfvo = Callable[..., Any]


@pytest.fixture
async def start_nfvo(
    redis: aioredis.Redis, redis_url: str, keyspace: Keyspace, tmp_path: Path, lab: Simulator
) -> AsyncIterator[StartNfvo]:
    """Start the NFVO (workers, notifications, VIM events in-process) with settings
    overrides, the lab registered as its default VIM; stopped after the test."""
    stack = contextlib.AsyncExitStack()

    async def start(*, admin: bool = True, **overrides: Any) -> Nfvo:
        port = free_port()
        settings: Settings = load_settings(
            None,
            redis_url=redis_url,
            key_prefix=keyspace.prefix,
            data_dir=tmp_path,
            nfvo_url=f"http://127.0.0.1:{port}",
            # Subscribers listen on loopback here, as nowhere in production.
            **{"auth_enabled": False, "callback_allowed_networks": ["127.0.0.0/8"], **overrides},
        )
        runtime = compose(settings, redis)
        await runtime.platform.vims.add(lab_vim(lab, keyspace, admin=admin))
        runtime.platform.add_service("placement sites", runtime.sites.follow)
        await stack.enter_async_context(runtime.platform.running(BACKGROUND))
        client: Client = TestClient(TestServer(build_app(runtime), host="127.0.0.1", port=port))
        await client.start_server()
        stack.push_async_callback(client.close)
        return Nfvo(client, runtime, lab)

    async with stack:
        yield start
