import asyncio

import redis.asyncio as aioredis

from nfvo.store.connection import connect
from nfvo.store.events import EventStream, read_all
from nfvo.store.keys import Keyspace
from nfvo.vim.bridge import NotificationBridge, group_of
from nfvo.vim.notifications import (
    HostNotification,
    NovaNotification,
    VimTopic,
    encode_host,
    encode_nova,
    stream_key,
)
from tests.support.polling import eventually
from tests.support.processes import RedisServer


def created(server_id: str, message_id: str) -> NovaNotification:
    return NovaNotification(
        message_id=message_id,
        publisher_id="nova-compute:compute-01",
        event_type="instance.create.end",
        priority="INFO",
        timestamp="2026-11-28 03:27:36.000001",
        payload={
            "nova_object.name": "InstanceCreatePayload",
            "nova_object.namespace": "nova",
            "nova_object.version": "1.12",
            "nova_object.data": {"uuid": server_id, "state": "active"},
        },
    )


async def test_notifications_become_envelopes_once(
    redis: aioredis.Redis, keyspace: Keyspace
) -> None:
    prefix = keyspace.prefix + "-os"
    info = stream_key(VimTopic.NOVA_INFO, prefix)
    hosts = stream_key(VimTopic.HOST_MONITOR, prefix)
    bridge = NotificationBridge(redis, keyspace, "lab", prefix, block_ms=10)
    await bridge.ensure_groups()
    await redis.xadd(info, encode_nova(created("s1", "m1")))  # type: ignore[arg-type]
    await redis.xadd(info, {"message": b"not json"})
    await redis.xadd(
        hosts,
        encode_host(  # type: ignore[arg-type]
            HostNotification(
                type="COMPUTE_HOST",
                hostname="compute-01",
                generated_time="2026-11-28T03:30:00",
                payload={"event": "STOPPED", "cluster_status": "OFFLINE", "host_status": "NORMAL"},
            )
        ),
    )
    assert await bridge.pump_once() == 3
    events = await read_all(redis, keyspace, EventStream.VIM)
    assert sorted(e.type for e in events) == ["vim.host.failed", "vim.server.created"]
    assert await bridge.pump_once() == 0
    for key in (info, hosts):
        assert (await redis.xpending(key, group_of(keyspace)))["pending"] == 0
    await redis.delete(info, hosts)


async def test_a_dead_bridges_entries_are_claimed(
    redis: aioredis.Redis, keyspace: Keyspace
) -> None:
    prefix = keyspace.prefix + "-os"
    info = stream_key(VimTopic.NOVA_INFO, prefix)
    dead = NotificationBridge(redis, keyspace, "lab", prefix, consumer="dead", block_ms=10)
    await dead.ensure_groups()
    await redis.xadd(info, encode_nova(created("s2", "m2")))  # type: ignore[arg-type]
    # The dead bridge read the entry and never acknowledged it.
    await redis.xreadgroup(group_of(keyspace), "dead", {info: ">"}, count=10)
    alive = NotificationBridge(
        redis, keyspace, "lab", prefix, consumer="alive", block_ms=10, claim_idle_ms=0
    )
    assert await alive.pump_once() == 1
    events = await read_all(redis, keyspace, EventStream.VIM)
    assert [e.subject for e in events] == ["servers/s2"]
    await redis.delete(*[stream_key(t, prefix) for t in VimTopic])


async def test_the_bridge_resumes_after_killed_connections_and_a_restart(
    private_redis: RedisServer,
) -> None:
    keyspace = Keyspace("bridge")
    info = stream_key(VimTopic.NOVA_INFO, "os")

    async def bridged(server_id: str) -> None:
        """A notification written now, by a client of its own, reaches vim-events."""
        client = connect(private_redis.url)
        try:
            await client.xadd(info, encode_nova(created(server_id, f"m-{server_id}")))  # type: ignore[arg-type]

            async def published() -> bool:
                events = await read_all(client, keyspace, EventStream.VIM)
                return f"servers/{server_id}" in [event.subject for event in events]

            await eventually(published)
        finally:
            await client.aclose()

    redis = connect(private_redis.url)
    bridge = NotificationBridge(redis, keyspace, "lab", "os", block_ms=100)
    stop = asyncio.Event()
    running = asyncio.create_task(bridge.run(stop))
    try:
        await bridged("s1")
        killer = connect(private_redis.url)
        assert await killer.client_kill_filter(_type="normal", skipme=True) >= 1
        await killer.aclose()
        await bridged("s2")
        private_redis.kill()
        private_redis.start()  # same port, its streams and the bridge's group lost
        await bridged("s3")
    finally:
        stop.set()
        await running
        await redis.aclose()
    assert not running.exception()
