"""The two stream readers against real Redis: once-only effects across a SIGKILL, order
per key, followers through dropped connections and restarts, bounded stops."""

from __future__ import annotations

import asyncio
import random
import time
from collections import defaultdict
from pathlib import Path

import redis.asyncio as aioredis

from nfvo.store.connection import connect
from nfvo.store.consumers import ConsumerGroup, Entry, Follower, Write
from nfvo.store.keys import Keyspace
from tests.integration.store import group_consumer
from tests.support.polling import eventually
from tests.support.processes import ManagedProcess, RedisServer, python_argv

REPO_ROOT = Path(__file__).resolve().parents[3]


async def test_each_entry_s_effect_happens_once_when_a_consumer_is_killed_mid_way(
    process_factory: type[ManagedProcess], redis_url: str, redis: aioredis.Redis, keyspace: Keyspace
) -> None:
    prefix = keyspace.prefix

    def consumer(name: str, *stuck_after: str) -> ManagedProcess:
        argv = python_argv("-m", group_consumer.__name__, redis_url, prefix, name, *stuck_after)
        process = process_factory(argv, cwd=REPO_ROOT)
        process.ready = lambda: b"ready" in (process.log_path or Path()).read_bytes()
        return process.start()

    victim, survivor = consumer("victim", "20"), consumer("survivor")
    sent: dict[str, list[str]] = defaultdict(list)
    ids = []
    for seq in range(300):
        key = f"k{seq % 5}"
        fields = {"key": key, "seq": str(seq)}
        ids.append((await redis.xadd(group_consumer.stream(prefix), fields)).decode())  # type: ignore[arg-type]
        sent[key].append(str(seq))

    await eventually(lambda: redis.exists(group_consumer.stuck_key(prefix)))
    victim.kill()  # handled (counted, writes computed), not acknowledged
    stuck = (await redis.get(group_consumer.stuck_key(prefix))).decode()

    effects = [group_consumer.effect_key(prefix, entry_id) for entry_id in ids]

    async def all_done() -> bool:
        return all(value is not None for value in await redis.mget(effects))

    await eventually(all_done)
    await asyncio.sleep(1.0)  # a second handling would have written by now
    assert set(await redis.mget(effects)) == {b"1"}  # once each, none twice
    handled = await redis.hgetall(group_consumer.handled_key(prefix))  # type: ignore[misc]
    assert int(handled[stuck.encode()]) >= 2  # the stuck entry really was handled twice
    for key, seqs in sent.items():
        logged = await redis.lrange(group_consumer.log_key(prefix, key), 0, -1)
        assert sorted(logged) == sorted(seq.encode() for seq in seqs)
    pending = await redis.xpending(group_consumer.stream(prefix), group_consumer.GROUP)
    assert pending["pending"] == 0
    assert survivor.running


async def test_batches_keep_order_per_key_and_run_keys_in_parallel(
    redis: aioredis.Redis, keyspace: Keyspace
) -> None:
    stream = keyspace.stream("ordered")
    seen: dict[str, list[int]] = defaultdict(list)
    running, most = 0, 0

    async def handle(entry: Entry) -> None:
        nonlocal running, most
        running += 1
        most = max(most, running)
        await asyncio.sleep(random.uniform(0, 0.01))  # unordered, were keys not serial
        seen[entry.text("key") or ""].append(int(entry.text("seq") or -1))
        running -= 1

    for seq in range(200):
        await redis.xadd(stream, {"key": f"k{seq % 4}", "seq": seq})
    group = ConsumerGroup(
        redis, stream, "ordered", "one", handle, key=lambda entry: entry.text("key"), count=20
    )
    await group.start()
    try:
        await eventually(lambda: sum(map(len, seen.values())) == 200)
    finally:
        await group.stop()
    assert all(seqs == sorted(seqs) and len(seqs) == 50 for seqs in seen.values())
    assert 1 < most <= 4  # keys in parallel, each key one at a time
    assert (await redis.xpending(stream, "ordered"))["pending"] == 0


async def test_a_paused_consumer_writes_nothing_for_an_entry_handled_elsewhere(
    redis: aioredis.Redis, keyspace: Keyspace
) -> None:
    stream, counter = keyspace.stream("paused"), keyspace.counter("paused")
    paused, release = asyncio.Event(), asyncio.Event()

    async def slow(entry: Entry) -> list[Write]:
        paused.set()
        await release.wait()  # frozen past its claim: another consumer takes over
        return [Write("INCR", counter)]

    async def quick(entry: Entry) -> list[Write]:
        return [Write("INCR", counter)]

    first = ConsumerGroup(redis, stream, "g", "first", slow, block_seconds=0.05)
    second = ConsumerGroup(
        redis, stream, "g", "second", quick, block_seconds=0.05, claim_idle_seconds=0
    )
    await first.ensure()
    await redis.xadd(stream, {"n": 1})
    pumping = asyncio.create_task(first.pump())
    await paused.wait()
    assert await second.pump() == 1  # claimed and handled: written and acknowledged
    release.set()
    assert await pumping == 1  # handled again, but its writes are dropped
    assert await redis.get(counter) == b"1"


async def test_the_follower_resumes_after_killed_connections_and_a_restart(
    private_redis: RedisServer,
) -> None:
    redis = connect(private_redis.url)
    follower = Follower(redis, "events", block_seconds=0.2)
    seen: list[bytes] = []

    async def collect(entry: Entry) -> None:
        seen.append(entry.fields[b"n"])

    async def publish(n: str) -> None:
        writer = connect(private_redis.url)  # a client of its own, after the outage
        await writer.xadd("events", {"n": n})
        await writer.aclose()
        await eventually(lambda: n.encode() in seen)

    stop = asyncio.Event()
    following = asyncio.create_task(follower.follow(collect, stop))
    try:
        await asyncio.sleep(0.3)  # past its first position
        await publish("1")
        killer = connect(private_redis.url)
        assert await killer.client_kill_filter(_type="normal", skipme=True) >= 1
        await killer.aclose()
        await publish("2")
        private_redis.kill()
        private_redis.start()  # same port, its data lost
        await publish("3")
    finally:
        stop.set()
        await following
        await redis.aclose()
    assert seen == [b"1", b"2", b"3"]


async def test_stops_are_bounded_under_a_hung_redis(private_redis: RedisServer) -> None:
    redis = connect(private_redis.url)
    entered = asyncio.Event()

    async def forever(entry: Entry) -> None:
        entered.set()
        await redis.blpop(["never"], timeout=0)  # a Redis call that hangs with the server

    group = ConsumerGroup(redis, "jobs", "g", "one", forever, block_seconds=0.2)
    follower = Follower(redis, "events", block_seconds=0.2)
    await group.start()
    await redis.xadd("jobs", {"n": 1})
    await entered.wait()
    stop = asyncio.Event()
    following = asyncio.create_task(follower.follow(_ignore, stop))
    await asyncio.sleep(0.3)
    private_redis.pause()
    try:
        started = time.monotonic()
        await group.stop(grace=0.5)
        # the blocked read is let finish, then cut off (1.2 s, cancelled within 2 s);
        # the handler gets its grace, then is cancelled (within 2 s)
        assert time.monotonic() - started < 6.0
        started = time.monotonic()
        stop.set()
        await following  # its read gives up on the silent Redis after 0.2 + 5 s
        assert time.monotonic() - started < 6.5
    finally:
        private_redis.resume()
        await redis.aclose()


async def _ignore(entry: Entry) -> None:
    return None
