"""Reservations: what a decision takes, held in Redis until the operation ends.

A decision takes capacity the moment it is made (at grant time), long before Nova has
booted anything, so the capacity must be held somewhere every planner sees: a
reservation record per decision, HELD while the operation runs, COMMITTED when it
completes (the servers now exist), RELEASED when it is rolled back or failed. Nothing
expires on a timer, so a slow boot never loses its room.

Decisions are serialised by one Redis lock per site: each planner reads every active
reservation, applies it to its private copy of the free capacity, plans and writes its
own reservation before the next planner starts, so concurrent requests competing for
the last VFs can never book the same one twice, whichever process they run in.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import asdict, dataclass
from enum import StrEnum
from typing import Any

import redis.asyncio as aioredis

from nfvo.placement.engine import plan
from nfvo.placement.model import PlacementDecision, PlacementRequest
from nfvo.sol.problems import Conflict
from nfvo.store.keys import Keyspace
from nfvo.store.repository import Repository
from nfvo.vim.infrastructure import CapacityView, InfrastructureGraph
from nfvo.vim.usage import CellClaim, Claim, PortClaim, Usage

KIND = "reservation"
LOCK_SECONDS = 30.0


class ReservationState(StrEnum):
    HELD = "HELD"
    COMMITTED = "COMMITTED"
    RELEASED = "RELEASED"


ACTIVE = (ReservationState.HELD, ReservationState.COMMITTED)


def usage_to_json(usage: Usage) -> dict[str, Any]:
    return asdict(usage)


def usage_from_json(data: dict[str, Any]) -> Usage:
    claim = data["claim"]
    return Usage(
        host=data["host"],
        consumer=data["consumer"],
        claim=Claim(
            cells=tuple(CellClaim(**cell) for cell in claim["cells"]),
            vcpus=claim["vcpus"],
            memory_mb=claim["memory_mb"],
            disk_gb=claim["disk_gb"],
            ports=tuple(PortClaim(**port) for port in claim["ports"]),
        ),
    )


@dataclass(frozen=True)
class Reservation:
    id: str
    request_id: str
    state: ReservationState
    usages: tuple[Usage, ...]
    created: float
    vnf_instance_ids: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "request_id": self.request_id,
            "state": self.state.value,
            "usages": [usage_to_json(u) for u in self.usages],
            "created": self.created,
            "vnf_instance_ids": list(self.vnf_instance_ids),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Reservation:
        return cls(
            id=data["id"],
            request_id=data["request_id"],
            state=ReservationState(data["state"]),
            usages=tuple(usage_from_json(u) for u in data["usages"]),
            created=data["created"],
            vnf_instance_ids=tuple(data.get("vnf_instance_ids", ())),
        )


class Reservations:
    """The reservation records of one site."""

    def __init__(self, redis: aioredis.Redis, keyspace: Keyspace, site: str = "default") -> None:
        self.redis, self.keyspace, self.site = redis, keyspace, site
        self.repository = Repository(redis, keyspace, KIND, indexed=("state", "site"))

    async def active(self, states: tuple[ReservationState, ...] = ACTIVE) -> list[Reservation]:
        found: list[Reservation] = []
        for state in states:
            cursor: str | None = None
            while True:
                page = await self.repository.list(
                    where=("state", state.value), limit=500, cursor=cursor
                )
                found += [
                    Reservation.from_json(item.document)
                    for item in page.items
                    if item.document.get("site") == self.site
                ]
                if page.cursor is None:
                    break
                cursor = page.cursor
        return found

    async def hold(
        self, request_id: str, usages: tuple[Usage, ...], vnf_instance_ids: tuple[str, ...] = ()
    ) -> Reservation:
        """Hold ``usages``; the VNF instances named are the ones whose servers will
        realise it, so usage observed on the cloud skips them while it is held."""
        reservation = Reservation(
            id=str(uuid.uuid4()),
            request_id=request_id,
            state=ReservationState.HELD,
            usages=usages,
            created=time.time(),
            vnf_instance_ids=vnf_instance_ids,
        )
        await self.repository.create(reservation.id, {**reservation.to_json(), "site": self.site})
        return reservation

    async def generation(self) -> int:
        """How many reservations of this site were committed or released so far: a live
        graph built before the last one counts the servers it concerns wrongly."""
        value = await self.redis.get(self._generation_key)
        return int(value or 0)

    @property
    def _generation_key(self) -> str:
        return self.keyspace.counter(f"{KIND}-ends-{self.site}")

    async def commit(self, reservation_id: str) -> Reservation:
        return await self._move(reservation_id, ReservationState.COMMITTED, ReservationState.HELD)

    async def release(self, reservation_id: str) -> Reservation:
        return await self._move(reservation_id, ReservationState.RELEASED, *ACTIVE)

    async def _move(
        self, reservation_id: str, target: ReservationState, *sources: ReservationState
    ) -> Reservation:
        stored = await self.repository.get(reservation_id)
        current = ReservationState(stored.document["state"])
        if current is target:
            return Reservation.from_json(stored.document)  # idempotent: a retried step
        if current not in sources:
            raise Conflict(
                f"reservation {reservation_id} is {current.value}; it cannot become {target.value}"
            )
        document = {**stored.document, "state": target.value}
        await self.repository.put(reservation_id, document, version=stored.version)
        await self.redis.incr(self._generation_key)
        return Reservation.from_json(document)

    @asynccontextmanager
    async def exclusive(self) -> AsyncIterator[None]:
        """One planner of this site at a time, across processes."""
        lock = self.redis.lock(
            self.keyspace.lock(KIND, self.site),
            timeout=LOCK_SECONDS,
            sleep=0.005,
            blocking_timeout=LOCK_SECONDS * 2,
        )
        async with lock:
            yield


def apply_to_view(view: CapacityView, usage: Usage) -> None:
    """Take ``usage`` from a planning copy (never from the graph itself)."""
    index = next((i for i, host in enumerate(view.hosts) if host.name == usage.host), None)
    if index is not None:  # a host that left the cloud no longer counts
        view.states[index].apply(view.hosts[index], usage)


class Placer:
    """Decisions with reservations: plan against the graph less the reservations it
    does not count itself (``counted``: every active one on a graph of the inventory
    alone; only the held ones on a live graph, which counts a committed reservation's
    servers as the cloud runs them).

    ``caveats`` (how the graph was obtained: "no admin rights: capacity without usage",
    ...) are attached to every decision, so every answer says what it rests on.
    """

    def __init__(
        self,
        graph: InfrastructureGraph,
        reservations: Reservations,
        caveats: tuple[str, ...] = (),
        counted: tuple[ReservationState, ...] = ACTIVE,
    ) -> None:
        self.graph, self.reservations, self.caveats = graph, reservations, caveats
        self.counted = counted

    async def decide(self, request: PlacementRequest) -> PlacementDecision:
        async with self.reservations.exclusive():
            view = self.graph.capacity_view()
            for reservation in await self.reservations.active(self.counted):
                for usage in reservation.usages:
                    apply_to_view(view, usage)
            # The search is CPU-bound (milliseconds, up to a second for huge requests).
            result = await asyncio.to_thread(plan, request, view)
            if not result.decision.feasible:
                caveats = [*result.decision.caveats, *self.caveats]
                return result.decision.model_copy(update={"caveats": caveats})
            instances = tuple(
                sorted({v.vnf_instance_id for v in request.vnfcs if v.vnf_instance_id})
            )
            reservation = await self.reservations.hold(request.request_id, result.usages, instances)
        placements = [
            p.model_copy(update={"reservation_id": reservation.id})
            for p in result.decision.placements
        ]
        caveats = [*result.decision.caveats, *self.caveats]
        return result.decision.model_copy(update={"placements": placements, "caveats": caveats})
