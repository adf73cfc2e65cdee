"""Waiting for servers from vim-events (the simulator's notifications bridged), and by
polling when no event comes."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import pytest
import redis.asyncio as aioredis

from nfvo.store.events import Event, EventStream, publish
from nfvo.store.keys import Keyspace
from nfvo.vim.bridge import NotificationBridge
from nfvo.vim.compute import FlavorSpec, ServerRequest
from nfvo.vim.facade import Vim
from nfvo.vim.network import PortRequest
from nfvo.vim.session import VimSpec
from nfvo.vim.tags import ResourceIdentity
from nfvo.vim.waiting import VimEventFeed
from simulators.openstack.config import Delay, SimConfig
from simulators.openstack.inventory import INVENTORY_DIR
from simulators.openstack.simulator import Simulator
from tests.integration.vim.conftest import FAST_RETRIES, cloud_entry

VNF = "5b0e6a3c-2d1f-4e8a-9c7b-6a5d4e3f2a1b"
BOOT = 0.6


@pytest.fixture
async def booting_sim(redis_url: str, keyspace: Keyspace) -> AsyncIterator[Simulator]:
    config = SimConfig(
        time_scale=1,
        boot_time=Delay("fixed", BOOT),
        redis_url=redis_url,
        stream_prefix=f"{keyspace.prefix}-os",
    )
    async with Simulator(INVENTORY_DIR / "lab.yaml", config=config) as simulator:
        yield simulator


async def boot(vim: Vim, index: int) -> str:
    image_id = (await vim.storage.image_named("cirros")).id
    flavor = await vim.compute.ensure_flavor(FlavorSpec(1, 512, 1))
    mgmt = await vim.network.network("mgmt")
    port = await vim.network.create_port(PortRequest(ResourceIdentity(VNF, "cp", index), mgmt.id))
    request = ServerRequest(ResourceIdentity(VNF, "vdu", index), image_id, flavor.id, [port.id])
    return (await vim.compute.create_server(request)).id


async def test_a_wait_follows_the_bridged_events(
    booting_sim: Simulator, redis: aioredis.Redis, keyspace: Keyspace
) -> None:
    bridge = NotificationBridge(redis, keyspace, "lab", f"{keyspace.prefix}-os", block_ms=50)
    stop = asyncio.Event()
    pumping = asyncio.create_task(bridge.run(stop))
    # A fallback far beyond the boot: only an event can end the wait this early.
    feed = VimEventFeed(redis, keyspace, fallback_interval=30.0)
    spec = VimSpec("lab", cloud_entry(booting_sim, "sim"), admin=True, retry=FAST_RETRIES)
    try:
        async with Vim(spec, feed) as vim:
            server_id = await boot(vim, 0)
            started = time.monotonic()
            server = await vim.compute.wait_for_server(server_id, patience=20)
            assert server.status == "ACTIVE"
            assert time.monotonic() - started < BOOT + 5
            await vim.compute.delete_server(server_id)
            gone = await vim.compute.wait_for_server(server_id, "DELETED", patience=20)
            assert gone.status == "DELETED"
    finally:
        stop.set()
        await pumping


async def test_without_events_the_wait_falls_back_to_polling(
    booting_sim: Simulator, redis: aioredis.Redis, keyspace: Keyspace
) -> None:
    feed = VimEventFeed(redis, keyspace, fallback_interval=0.1)  # no bridge runs
    spec = VimSpec("lab", cloud_entry(booting_sim, "sim"), admin=True, retry=FAST_RETRIES)
    async with Vim(spec, feed) as vim:
        server_id = await boot(vim, 1)
        assert (await vim.compute.wait_for_server(server_id, patience=20)).status == "ACTIVE"


async def test_duplicate_and_foreign_events_only_cause_re_reads(
    redis: aioredis.Redis, keyspace: Keyspace
) -> None:
    feed = VimEventFeed(redis, keyspace, fallback_interval=1.0)
    position = await feed.position()
    for subject in ("servers/other", "servers/mine", "servers/mine"):
        await publish(
            redis, keyspace, EventStream.VIM,
            Event(source="vim/lab/nova", type="vim.server.state_changed", subject=subject),
        )  # fmt: skip
    await redis.xadd(keyspace.stream(EventStream.VIM.value), {"event": b"servers/mine garbage"})
    position, mentioned = await feed.next_about("servers/mine", position, 0.5)
    assert mentioned and position == await feed.position()
    _, again = await feed.next_about("servers/mine", position, 0.05)
    assert not again  # nothing new: the read timed out
