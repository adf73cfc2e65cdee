"""What the NS lifecycle stores: NS instances, their VNF members, occurrence details.

- An NS instance is its SOL005 document (``NsInstance``, ETSI names) plus its owner and
  the lifecycle's own part ``_lcm`` (never shown): the VIM, the resolved bindings,
  zones, rules and VNFMs, and the parts the NS is made of (``nfvo.lcm.ns_plans``).
  The document changes when an operation starts (intent) and when it ends (what was
  built); steps in between write only members and their step outputs.
- A member is one VNF instance of an NS (kind ``ns_vnf``, id ``<ns>.<key>``): written
  before the VNFM is asked to create it, and indexed by its VNF instance id, so a
  grant for that VNF finds its NS (``nfvo.lcm.ns_scopes``).
- The occurrences go through the platform's engine (SOL005's table); what the engine's
  record lacks (the jobs that ran it, a pending cancellation, the resource changes) is
  the occurrence's detail (kind ``ns_lcm_op_detail``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Self

import redis.asyncio as aioredis

from nfvo.sol.problems import NotFound
from nfvo.store.errors import ConcurrencyConflict
from nfvo.store.guards import Guard
from nfvo.store.keys import Keyspace, is_valid_id
from nfvo.store.occurrences import NS_LCM, OccurrenceEngine
from nfvo.store.repository import Repository, Versioned

INSTANCE_KIND = "ns_instance"
MEMBER_KIND = "ns_vnf"
DETAIL_KIND = "ns_lcm_op_detail"
LCM = "_lcm"  # the lifecycle's own part of an NS instance document
INDEXED = ("owner", "nsdId", "nsdInfoId", "nsState", "nsInstanceName")
_RETRIES = 10


@dataclass(frozen=True)
class Member:
    """One VNF instance of an NS, as the lifecycle keeps it."""

    ns_instance_id: str
    key: str  # <profile>-<index>
    profile_id: str
    vnfd_id: str
    vnfm: str
    vnf_instance_id: str | None = None

    @property
    def id(self) -> str:
        return member_id(self.ns_instance_id, self.key)

    @property
    def name(self) -> str:
        """The VNF instance's name on its VNFM, unique per NS: how a re-run finds it."""
        return f"{self.key}.{self.ns_instance_id}"

    def to_document(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "nsInstanceId": self.ns_instance_id,
            "key": self.key,
            "profileId": self.profile_id,
            "vnfdId": self.vnfd_id,
            "vnfm": self.vnfm,
            "vnfInstanceId": self.vnf_instance_id,
        }

    @classmethod
    def from_document(cls, document: Mapping[str, Any]) -> Self:
        return cls(
            ns_instance_id=document["nsInstanceId"],
            key=document["key"],
            profile_id=document["profileId"],
            vnfd_id=document["vnfdId"],
            vnfm=document["vnfm"],
            vnf_instance_id=document.get("vnfInstanceId"),
        )


def member_id(ns_instance_id: str, key: str) -> str:
    return f"{ns_instance_id}.{key}"


@dataclass(frozen=True)
class Detail:
    """What an NS occurrence carries beyond the engine's record."""

    jobs: tuple[str, ...] = ()  # every job that ran it, the current one last
    rolling_back: bool = False  # the current job undoes the operation
    cancel_pending: bool = False
    cancel_mode: str | None = None
    resource_changes: dict[str, Any] = field(default_factory=dict)

    def to_document(self, occurrence_id: str) -> dict[str, Any]:
        return {
            "id": occurrence_id,
            "jobs": list(self.jobs),
            "rollingBack": self.rolling_back,
            "cancelPending": self.cancel_pending,
            "cancelMode": self.cancel_mode,
            "resourceChanges": self.resource_changes,
        }

    @classmethod
    def from_document(cls, document: Mapping[str, Any] | None) -> Self:
        document = document or {}
        return cls(
            jobs=tuple(document.get("jobs") or ()),
            rolling_back=bool(document.get("rollingBack")),
            cancel_pending=bool(document.get("cancelPending")),
            cancel_mode=document.get("cancelMode"),
            resource_changes=dict(document.get("resourceChanges") or {}),
        )

    def but(self, **changes: Any) -> Self:
        return replace(self, **changes)


def _member_indexes(document: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "nsInstanceId": document.get("nsInstanceId"),
        "vnfInstanceId": document.get("vnfInstanceId"),
    }


class NsRecords:
    def __init__(self, redis: aioredis.Redis, keyspace: Keyspace) -> None:
        self.instances = Repository(redis, keyspace, INSTANCE_KIND, indexed=INDEXED)
        self.members = Repository(
            redis,
            keyspace,
            MEMBER_KIND,
            indexed=("nsInstanceId", "vnfInstanceId"),
            extract=_member_indexes,
        )
        self.details = Repository(redis, keyspace, DETAIL_KIND)
        self.occurrences = OccurrenceEngine(redis, keyspace, NS_LCM, source="nfvo/lcm")

    # -- NS instances --------------------------------------------------------------------

    async def find(self, ns_instance_id: str) -> Versioned | None:
        return await self.instances.find(ns_instance_id) if is_valid_id(ns_instance_id) else None

    async def get(self, ns_instance_id: str) -> Versioned:
        found = await self.find(ns_instance_id)
        if found is None:
            raise NotFound(f"there is no NS instance {ns_instance_id!r}")
        return found

    async def change(
        self,
        ns_instance_id: str,
        change: Callable[[dict[str, Any]], dict[str, Any]],
        guards: Sequence[Guard] = (),
    ) -> dict[str, Any]:
        """Apply ``change`` to the stored document, again on a concurrent write."""
        for _ in range(_RETRIES):
            current = await self.get(ns_instance_id)
            changed = change(dict(current.document))
            try:
                await self.instances.put(
                    ns_instance_id, changed, version=current.version, guards=guards
                )
            except ConcurrencyConflict:
                continue
            return changed
        raise ConcurrencyConflict(f"NS instance {ns_instance_id} keeps changing; try again")

    # -- members ---------------------------------------------------------------------------

    async def member(self, ns_instance_id: str, key: str) -> Member | None:
        found = await self.members.find(member_id(ns_instance_id, key))
        return Member.from_document(found.document) if found else None

    async def save_member(self, member: Member, guards: Sequence[Guard] = ()) -> Member:
        if await self.members.find(member.id) is None:
            await self.members.create(member.id, member.to_document(), guards=guards)
        else:
            await self.members.put(member.id, member.to_document(), version=None, guards=guards)
        return member

    async def drop_member(self, member: Member, guards: Sequence[Guard] = ()) -> None:
        if await self.members.find(member.id) is not None:
            await self.members.delete(member.id, guards=guards)

    async def members_of(self, ns_instance_id: str) -> list[Member]:
        return [
            Member.from_document(v.document)
            for v in await self._all(("nsInstanceId", ns_instance_id))
        ]

    async def member_of_vnf(self, vnf_instance_id: str) -> Member | None:
        page = await self.members.list(where=("vnfInstanceId", vnf_instance_id), limit=1)
        return Member.from_document(page.items[0].document) if page.items else None

    async def _all(self, where: tuple[str, str]) -> list[Versioned]:
        items: list[Versioned] = []
        cursor: str | None = None
        while True:
            page = await self.members.list(where=where, limit=500, cursor=cursor)
            items += page.items
            if page.cursor is None:
                return items
            cursor = page.cursor

    # -- occurrence details ------------------------------------------------------------

    async def detail(self, occurrence_id: str) -> Detail:
        found = await self.details.find(occurrence_id)
        return Detail.from_document(found.document if found else None)

    async def save_detail(
        self, occurrence_id: str, detail: Detail, guards: Sequence[Guard] = ()
    ) -> None:
        document = detail.to_document(occurrence_id)
        if await self.details.find(occurrence_id) is None:
            await self.details.create(occurrence_id, document, guards=guards)
        else:
            await self.details.put(occurrence_id, document, version=None, guards=guards)
