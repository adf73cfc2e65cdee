"""The VIM registry on Redis: round trip, secrets sealed at rest, default handling, and
the facade it opens against the simulator."""

from __future__ import annotations

from pathlib import Path

import pytest
import redis.asyncio as aioredis

from nfvo.store.errors import AlreadyExists, StoreNotFound
from nfvo.store.keys import Keyspace
from nfvo.store.secrets import SecretBox, key_file
from nfvo.vim.registry import KIND, VimRecord, VimRegistry
from simulators.openstack.simulator import Simulator
from tests.integration.vim.conftest import cloud_entry

CLOUD = {
    "auth": {
        "auth_url": "http://127.0.0.1:1/identity/v3",
        "username": "nfvo",
        "password": "very-secret-password",
        "project_name": "core",
    },
    "region_name": "RegionOne",
}


@pytest.fixture
async def registry(redis: aioredis.Redis, keyspace: Keyspace, tmp_path: Path) -> VimRegistry:
    return VimRegistry(redis, keyspace, SecretBox(key_file(tmp_path / "key")))


async def test_round_trip_and_secrets_sealed_in_redis(
    registry: VimRegistry, redis: aioredis.Redis, keyspace: Keyspace
) -> None:
    record = VimRecord("edge-1", CLOUD, admin=True, max_concurrency=3)
    added = await registry.add(record)
    assert added.is_default  # the first VIM becomes the default
    assert await registry.get("edge-1") == added
    assert added.cloud == CLOUD and added.region == "RegionOne"
    raw = await redis.hgetall(keyspace.document(KIND, "edge-1"))
    assert raw and b"very-secret-password" not in b"".join(raw.values())
    assert b"sealed" in raw[b"body"]
    with pytest.raises(AlreadyExists, match="VIM edge-1 is already registered"):
        await registry.add(record)
    changed = await registry.add(
        VimRecord("edge-1", {**CLOUD, "region_name": "Two"}), replace_existing=True
    )
    assert changed.region == "Two" and changed.admin is False


async def test_default_follows_set_default_and_remove(registry: VimRegistry) -> None:
    with pytest.raises(StoreNotFound, match="no VIM is registered"):
        await registry.default()
    await registry.add(VimRecord("a", CLOUD))
    await registry.add(VimRecord("b", CLOUD))
    assert (await registry.default()).name == "a"
    await registry.set_default("b")
    assert [(r.name, r.is_default) for r in await registry.list()] == [("a", False), ("b", True)]
    await registry.add(VimRecord("c", CLOUD, is_default=True))
    assert await registry.default_name() == "c"
    await registry.remove("c")
    assert await registry.default_name() is None
    with pytest.raises(StoreNotFound):
        await registry.set_default("c")
    with pytest.raises(StoreNotFound):
        await registry.remove("c")


async def test_open_vim_builds_one_facade_per_vim(registry: VimRegistry, sim: Simulator) -> None:
    await registry.add(VimRecord("lab", cloud_entry(sim, "sim"), admin=True))
    try:
        vim = await registry.open_vim()
        assert await registry.open_vim("lab") is vim
        assert vim.session.spec.admin and (await vim.network.network("mgmt")).name == "mgmt"
    finally:
        await registry.close()
