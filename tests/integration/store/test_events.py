from datetime import UTC, datetime

import pytest
import redis.asyncio as aioredis

from nfvo.store.events import Event, EventStream, publish, read_all
from nfvo.store.keys import Keyspace


def test_json_round_trip() -> None:
    event = Event(
        source="vim/lab/nova",
        type="vim.server.state_changed",
        subject="servers/s1",
        data={"old": "BUILD", "new": "ACTIVE"},
    )
    assert Event.from_json(event.to_json()) == event
    assert event.time.tzinfo is not None


def test_naive_times_are_refused() -> None:
    with pytest.raises(ValueError, match="timezone"):
        Event(source="s", type="t", subject="x", time=datetime(2026, 1, 1))


async def test_publish_and_read_in_order(redis: aioredis.Redis, keyspace: Keyspace) -> None:
    events = [
        Event(source="nfvo/lcm", type="lcm.occurrence.changed", subject=f"ops/{i}", data={"i": i})
        for i in range(5)
    ]
    for event in events:
        await publish(redis, keyspace, EventStream.LCM, event)
    assert await read_all(redis, keyspace, EventStream.LCM) == events
    assert await read_all(redis, keyspace, EventStream.ALARMS) == []


async def test_streams_are_trimmed(redis: aioredis.Redis, keyspace: Keyspace) -> None:
    for i in range(300):
        await publish(
            redis,
            keyspace,
            EventStream.AUDIT,
            Event(source="s", type="t", subject=str(i)),
            max_length=10,
        )
    # Approximate trimming keeps whole macro nodes: bounded, not exact.
    assert await redis.xlen(keyspace.stream(EventStream.AUDIT)) < 300


def test_entries_without_the_field_are_refused() -> None:
    with pytest.raises(ValueError, match="no 'event' field"):
        Event.from_entry({b"other": b"{}"})


def test_time_is_utc_now_by_default() -> None:
    assert (
        abs((Event(source="s", type="t", subject="x").time - datetime.now(UTC)).total_seconds()) < 5
    )
