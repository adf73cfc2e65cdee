"""The repository against a real Redis: versions, indexes, paging, guards."""

import asyncio
from collections.abc import Awaitable, Callable

import pytest
import redis.asyncio as aioredis

from nfvo.store.connection import connect
from nfvo.store.errors import (
    AlreadyExists,
    ConcurrencyConflict,
    LeaseLost,
    ResourceLocked,
    StoreNotFound,
    StoreUnavailable,
)
from nfvo.store.guards import Claim, Fence, Release
from nfvo.store.keys import Keyspace
from nfvo.store.repository import Outbox, Repository
from tests.support.processes import RedisServer


@pytest.fixture
def packages(redis: aioredis.Redis, keyspace: Keyspace) -> Repository:
    return Repository(redis, keyspace, "vnf_package", indexed=("owner", "state", "vnfdId"))


async def ids(repository: Repository, where: tuple[str, str]) -> list[str]:
    return [item.id for item in (await repository.list(where=where, limit=1000)).items]


async def test_create_get_put_delete(packages: Repository) -> None:
    created = await packages.create("p1", {"owner": "a", "state": "CREATED"})
    assert created.version == 1
    assert (await packages.get("p1")).document == {"owner": "a", "state": "CREATED"}
    updated = await packages.put("p1", {"owner": "a", "state": "ONBOARDED"}, version=1)
    assert updated.version == 2 and (await packages.get("p1")).version == 2
    await packages.delete("p1", version=2)
    assert await packages.find("p1") is None
    with pytest.raises(StoreNotFound, match="vnf_package p1 does not exist"):
        await packages.get("p1")
    with pytest.raises(StoreNotFound):
        await packages.put("p1", {}, version=None)


async def test_create_refuses_an_existing_id(packages: Repository) -> None:
    await packages.create("p1", {"owner": "a"})
    with pytest.raises(AlreadyExists, match="vnf_package p1 already exists"):
        await packages.create("p1", {"owner": "b"})
    assert (await packages.get("p1")).document == {"owner": "a"}


async def test_stale_version_is_refused(packages: Repository) -> None:
    await packages.create("p1", {"state": "A"})
    await packages.put("p1", {"state": "B"}, version=1)
    with pytest.raises(ConcurrencyConflict, match="vnf_package p1 is at version 2, not 1"):
        await packages.put("p1", {"state": "C"}, version=1)
    assert (await packages.get("p1")).document == {"state": "B"}
    assert await ids(packages, ("state", "C")) == []


async def test_two_concurrent_updates_one_loses(packages: Repository) -> None:
    await packages.create("p1", {"state": "A"})
    read = await packages.get("p1")
    results = await asyncio.gather(
        packages.put("p1", {"state": "B"}, version=read.version),
        packages.put("p1", {"state": "C"}, version=read.version),
        return_exceptions=True,
    )
    losers = [r for r in results if isinstance(r, ConcurrencyConflict)]
    winners = [r for r in results if not isinstance(r, BaseException)]
    assert len(losers) == 1 and len(winners) == 1
    stored = await packages.get("p1")
    assert stored.version == 2 and stored.document == winners[0].document


async def test_indexes_follow_changed_values(packages: Repository) -> None:
    await packages.create("p1", {"owner": "a", "state": "CREATED", "vnfdId": "d1"})
    await packages.create("p2", {"owner": "a", "state": "CREATED", "vnfdId": "d2"})
    await packages.put("p1", {"owner": "b", "state": "ONBOARDED", "vnfdId": "d1"}, version=1)
    assert await ids(packages, ("owner", "a")) == ["p2"]
    assert await ids(packages, ("owner", "b")) == ["p1"]
    assert await ids(packages, ("state", "CREATED")) == ["p2"]
    assert await ids(packages, ("state", "ONBOARDED")) == ["p1"]
    await packages.put("p2", {"owner": "a"}, version=1)  # attributes removed
    assert await ids(packages, ("state", "CREATED")) == []
    assert await ids(packages, ("vnfdId", "d2")) == []
    await packages.delete("p1")
    assert await ids(packages, ("owner", "b")) == []
    assert await ids(packages, ("vnfdId", "d1")) == []


async def test_multi_valued_and_custom_extract(redis: aioredis.Redis, keyspace: Keyspace) -> None:
    repository = Repository(
        redis,
        keyspace,
        "vnf_instance",
        indexed=("tag", "instantiated"),
        extract=lambda doc: {"tag": doc["tags"], "instantiated": doc["state"] == "INSTANTIATED"},
    )
    await repository.create("v1", {"tags": ["upf", "edge"], "state": "INSTANTIATED"})
    assert await ids(repository, ("tag", "edge")) == ["v1"]
    assert await ids(repository, ("instantiated", "true")) == ["v1"]
    with pytest.raises(ValueError, match="no index on 'state'"):
        await repository.list(where=("state", "x"))


async def test_paging_through_1000_documents(packages: Repository) -> None:
    for batch in range(10):
        await asyncio.gather(
            *(
                packages.create(f"p{n:04}", {"owner": "ab"[n % 2], "n": n})
                for n in range(batch * 100, batch * 100 + 100)
            )
        )
    seen: list[str] = []
    cursor: str | None = None
    pages = 0
    while True:
        page = await packages.list(limit=64, cursor=cursor)
        seen += [item.id for item in page.items]
        pages += 1
        if page.cursor is None:
            break
        cursor = page.cursor
    assert len(seen) == 1000 and len(set(seen)) == 1000 and pages == 16
    created = [(await packages.get(id_)).created for id_ in seen[:50]]
    assert created == sorted(created)  # creation order
    owned: list[str] = []
    cursor = None
    while True:
        page = await packages.list(where=("owner", "b"), limit=100, cursor=cursor)
        owned += [item.id for item in page.items]
        if page.cursor is None:
            break
        cursor = page.cursor
    assert sorted(owned) == [f"p{n:04}" for n in range(1, 1000, 2)]


async def test_guards_commit_with_the_document(
    redis: aioredis.Redis, keyspace: Keyspace, packages: Repository
) -> None:
    lease = keyspace.lease("jobs", "j1")
    await redis.set(lease, "7:worker-a")
    await packages.create("p1", {"state": "A"}, guards=[Fence(lease, "7:worker-a")])
    await redis.set(lease, "8:worker-b")
    with pytest.raises(LeaseLost):
        await packages.put("p1", {"state": "B"}, version=1, guards=[Fence(lease, "7:worker-a")])
    assert (await packages.get("p1")).document == {"state": "A"}
    lock = keyspace.lock("ns_instance", "n1")
    await packages.put("p1", {"state": "B"}, version=1, guards=[Claim(lock, "op1:1")])
    with pytest.raises(ResourceLocked) as caught:
        await packages.create("p2", {"state": "B"}, guards=[Claim(lock, "op2:2")])
    assert caught.value.holder == "op1:1"
    assert await packages.find("p2") is None
    assert await ids(packages, ("state", "B")) == ["p1"]
    await packages.put("p1", {"state": "C"}, version=2, guards=[Release(lock, "op1:1")])
    assert await redis.get(lock) is None


async def test_outbox_event_is_written_with_the_document(
    redis: aioredis.Redis, keyspace: Keyspace, packages: Repository
) -> None:
    stream = keyspace.stream("lcm-events")
    await packages.create("p1", {"state": "A"}, outbox=Outbox(stream, "event", b"{}"))
    with pytest.raises(AlreadyExists):
        await packages.create("p1", {"state": "A"}, outbox=Outbox(stream, "event", b"{}"))
    assert await redis.xlen(stream) == 1


async def test_pages_of_an_intersection_of_indexes(packages: Repository) -> None:
    # 1200 documents: owner a/b alternating, state cycling over three values.
    states = ("CREATED", "ONBOARDED", "ERROR")
    for n in range(1200):
        document = {"owner": "ab"[n % 2], "state": states[n % 3], "vnfdId": f"d{n % 7}"}
        await packages.create(f"p{n:04}", document)
    conditions = [("owner", "b"), ("state", "ONBOARDED"), ("vnfdId", "d3")]
    expected = [f"p{n:04}" for n in range(1200) if n % 2 == 1 and n % 3 == 1 and n % 7 == 3]
    seen: list[str] = []
    cursor = None
    while True:
        page = await packages.list_where_all(conditions, limit=7, cursor=cursor)
        assert len(page.items) <= 7
        seen += [item.id for item in page.items]
        if page.cursor is None:
            break
        cursor = page.cursor
    assert seen == expected  # creation order, every page, nothing twice
    none = await packages.list_where_all([("owner", "a"), ("state", "nope")], limit=10)
    assert none.items == [] and none.cursor is None
    single = await packages.list_where_all([("owner", "a")], limit=5)
    assert [item.id for item in single.items] == ["p0000", "p0002", "p0004", "p0006", "p0008"]
    with pytest.raises(ValueError, match="no index on 'name'"):
        await packages.list_where_all([("owner", "a"), ("name", "x")])


async def test_a_store_that_does_not_answer_says_what_it_was_asked(
    keyspace: Keyspace, free_port: int
) -> None:
    nowhere = connect(f"redis://127.0.0.1:{free_port}")  # nothing listens there
    packages = Repository(nowhere, keyspace, "vnf_package", indexed=("state",))
    calls: list[tuple[Callable[[], Awaitable[object]], str]] = [
        (lambda: packages.get("p1"), "reading vnf_package p1"),
        (lambda: packages.create("p1", {"state": "A"}), "writing vnf_package p1"),
        (lambda: packages.list(where=("state", "A")), "listing vnf_package"),
        (lambda: packages.list_where_all([("state", "A"), ("state", "B")]), "listing vnf_package"),
    ]
    try:
        for call, what in calls:
            with pytest.raises(StoreUnavailable) as caught:
                await call()
            assert caught.value.detail == (
                f"the store is busy or unreachable ({what}); retry shortly"
            )
    finally:
        await nowhere.aclose()


async def test_a_read_after_a_redis_restart_uses_a_fresh_connection(
    private_redis: RedisServer, keyspace: Keyspace
) -> None:
    client = connect(private_redis.url)
    try:
        things = Repository(client, keyspace, "thing")
        await things.create("t1", {"n": 1})
        assert await things.find("t1") is not None  # a pooled connection now exists
        private_redis.restart()  # its data is gone with it; the pooled connection is stale
        assert await things.find("t1") is None  # answered, not a 503
        page = await things.list()
        assert page.items == []
    finally:
        await client.aclose()
