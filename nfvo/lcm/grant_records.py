"""The NFVO's record of each grant: the request, the decision, its reservations.

A grant is PENDING while it is decided, then GRANTED (with the Grant as answered and
the reservations it holds) or REJECTED (with the reason). When the VNF operation it
was asked for ends, its reservations are committed or released and the record says
which (``settled``). Records are owned by the asking client's project.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any, Self

import redis.asyncio as aioredis

from nfvo.sol.grant import GrantRequest
from nfvo.store.keys import Keyspace
from nfvo.store.repository import Repository

KIND = "grant"
GRANT_ROOT = "/grant/v1"


def grant_href(grant_id: str) -> str:
    return f"{GRANT_ROOT}/grants/{grant_id}"


class GrantState(StrEnum):
    PENDING = "PENDING"
    GRANTED = "GRANTED"
    REJECTED = "REJECTED"


class Settlement(StrEnum):
    COMMITTED = "COMMITTED"  # the operation completed: its resources exist
    RELEASED = "RELEASED"  # it failed or was rolled back: nothing of it stays


@dataclass(frozen=True)
class GrantRecord:
    id: str
    request: dict[str, Any]  # the GrantRequest as received (wire names)
    owner: str
    state: GrantState = GrantState.PENDING
    vim: str | None = None
    grant: dict[str, Any] | None = None  # the Grant as answered
    reason: str | None = None
    shortage: bool = False  # refused for capacity or quota
    reservations: tuple[str, ...] = ()
    settled: Settlement | None = None
    notes: tuple[str, ...] = ()
    created: float = field(default_factory=time.time)
    version: int = 0

    @property
    def asked(self) -> GrantRequest:
        return GrantRequest.model_validate(self.request)

    @property
    def vnf_lcm_op_occ_id(self) -> str:
        return str(self.request["vnfLcmOpOccId"])

    @property
    def vnf_instance_id(self) -> str:
        return str(self.request["vnfInstanceId"])

    def but(self, **changes: Any) -> Self:
        return replace(self, **changes)

    def to_document(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "request": self.request,
            "owner": self.owner,
            "state": self.state.value,
            "vim": self.vim,
            "grant": self.grant,
            "reason": self.reason,
            "shortage": self.shortage,
            "reservations": list(self.reservations),
            "settled": self.settled.value if self.settled else None,
            "notes": list(self.notes),
            "created": self.created,
            # indexed
            "vnf_lcm_op_occ_id": self.vnf_lcm_op_occ_id,
            "vnf_instance_id": self.vnf_instance_id,
        }

    @classmethod
    def from_document(cls, document: Mapping[str, Any], version: int) -> Self:
        return cls(
            id=document["id"],
            request=document["request"],
            owner=document["owner"],
            state=GrantState(document["state"]),
            vim=document.get("vim"),
            grant=document.get("grant"),
            reason=document.get("reason"),
            shortage=bool(document.get("shortage")),
            reservations=tuple(document.get("reservations") or ()),
            settled=Settlement(document["settled"]) if document.get("settled") else None,
            notes=tuple(document.get("notes") or ()),
            created=float(document.get("created") or 0),
            version=version,
        )


class GrantRecords:
    def __init__(self, redis: aioredis.Redis, keyspace: Keyspace) -> None:
        self.repository = Repository(
            redis,
            keyspace,
            KIND,
            indexed=("owner", "state", "vnf_lcm_op_occ_id", "vnf_instance_id"),
        )

    async def find(self, grant_id: str) -> GrantRecord | None:
        found = await self.repository.find(grant_id)
        return GrantRecord.from_document(found.document, found.version) if found else None

    async def create(self, record: GrantRecord) -> GrantRecord | None:
        """Store a new record; None if one with its id exists already (a repeated ask)."""
        if await self.repository.find(record.id) is not None:
            return None
        stored = await self.repository.create(record.id, record.to_document())
        return record.but(version=stored.version)

    async def save(self, record: GrantRecord) -> GrantRecord:
        """Replace the record if it is still at the version it was read at."""
        stored = await self.repository.put(record.id, record.to_document(), version=record.version)
        return record.but(version=stored.version)

    async def where(self, attribute: str, value: str) -> list[GrantRecord]:
        found: list[GrantRecord] = []
        cursor: str | None = None
        while True:
            page = await self.repository.list(where=(attribute, value), limit=200, cursor=cursor)
            found += [GrantRecord.from_document(i.document, i.version) for i in page.items]
            if page.cursor is None:
                return found
            cursor = page.cursor
