"""Reservations in Redis: held at decision time, never double-booked, freed on release."""

from __future__ import annotations

import asyncio
from collections import Counter

import pytest
import redis.asyncio as aioredis

from nfvo.placement.model import PlacementRequest
from nfvo.placement.reservations import (
    Placer,
    Reservation,
    Reservations,
    ReservationState,
)
from nfvo.sol.problems import Conflict
from nfvo.store.keys import Keyspace
from tests.unit.placement.builders import cell, graph, host, nic, request, sriov, vdu

# Two hosts with 3 VFs each on sriov-n3: room for exactly six VNFCs with one VF.
SITE = (
    host("c1", numa_cells=[cell(0, dedicated=0)], nics=[nic("p1", "sriov-n3", vfs=3)]),
    host("c2", numa_cells=[cell(0, dedicated=0)], nics=[nic("p1", "sriov-n3", vfs=3)]),
)


def one_vf(request_id: str) -> PlacementRequest:
    wanted = request(vdu("upf", vcpus=1, memory_mb=1024, interfaces=sriov("n3")))
    return wanted.model_copy(update={"request_id": request_id})


async def test_fifty_concurrent_requests_never_double_book_the_last_vfs(
    redis: aioredis.Redis, keyspace: Keyspace
) -> None:
    placer = Placer(graph(*SITE), Reservations(redis, keyspace))
    decisions = await asyncio.gather(*(placer.decide(one_vf(f"r{i}")) for i in range(50)))
    placed = [d for d in decisions if d.feasible]
    assert len(placed) == 6
    per_pf = Counter(
        (p.host, pf.device) for d in placed for p in d.placements for pf in p.physical_functions
    )
    assert per_pf == {("c1", "p1"): 3, ("c2", "p1"): 3}
    refused = [d for d in decisions if not d.feasible]
    assert all(d.explanation is not None and "VF" in str(d.explanation) for d in refused)
    assert len({p.reservation_id for d in placed for p in d.placements}) == 6


async def test_release_gives_the_room_back_and_commit_keeps_it(
    redis: aioredis.Redis, keyspace: Keyspace
) -> None:
    reservations = Reservations(redis, keyspace)
    placer = Placer(graph(*SITE), reservations)
    held = [await placer.decide(one_vf(f"r{i}")) for i in range(6)]
    assert all(d.feasible for d in held)
    assert not (await placer.decide(one_vf("late"))).feasible
    first = held[0].placements[0].reservation_id
    second = held[1].placements[0].reservation_id
    assert first and second
    await reservations.commit(second)  # committed still counts
    assert not (await placer.decide(one_vf("still-late"))).feasible
    released = await reservations.release(first)
    assert released.state is ReservationState.RELEASED
    assert (await placer.decide(one_vf("now"))).feasible


async def test_transitions_are_idempotent_and_checked(
    redis: aioredis.Redis, keyspace: Keyspace
) -> None:
    reservations = Reservations(redis, keyspace)
    held = await reservations.hold("r", ())
    assert (await reservations.commit(held.id)).state is ReservationState.COMMITTED
    assert (await reservations.commit(held.id)).state is ReservationState.COMMITTED
    await reservations.release(held.id)
    with pytest.raises(Conflict, match="is RELEASED; it cannot become COMMITTED"):
        await reservations.commit(held.id)


async def test_a_reservation_round_trips_with_its_claims(
    redis: aioredis.Redis, keyspace: Keyspace
) -> None:
    placer = Placer(graph(*SITE), Reservations(redis, keyspace))
    decision = await placer.decide(one_vf("r"))
    (active,) = await placer.reservations.active()
    assert Reservation.from_json(active.to_json()) == active
    assert active.usages[0].claim.ports[0].physnet == "sriov-n3"
    assert decision.placements[0].reservation_id == active.id


async def test_sites_do_not_see_each_others_reservations(
    redis: aioredis.Redis, keyspace: Keyspace
) -> None:
    lab = Placer(graph(*SITE), Reservations(redis, keyspace, site="lab"))
    other = Placer(graph(*SITE), Reservations(redis, keyspace, site="other"))
    for i in range(6):
        assert (await lab.decide(one_vf(f"lab{i}"))).feasible
    assert (await other.decide(one_vf("other"))).feasible
