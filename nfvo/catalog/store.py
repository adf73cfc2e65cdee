"""The catalogue's documents and blobs: one repository per kind, one for descriptor models
(``descriptors.stored`` documents, read back typed).

Shared by the service (API calls) and the onboarding job, whose steps are handed the
process's blob store by the runtime (``ctx[BLOBS]``).
"""

from __future__ import annotations

import builtins
from collections.abc import Iterable, Mapping, Sequence
from functools import partial
from typing import Any

import redis.asyncio as aioredis

from descriptors.stored import StoredDescriptor, StoredNsd, StoredVnfd, load_stored
from nfvo.catalog.access import is_shared, resolves_for
from nfvo.catalog.records import MODEL_KIND, CatalogRecord, Kind
from nfvo.catalog.views import CONTENT_INDEX, index_names, index_values
from nfvo.catalog.wire import OnboardingState
from nfvo.sol.problems import Conflict, NotFound
from nfvo.store.blobs import BlobStore
from nfvo.store.guards import Guard
from nfvo.store.keys import Keyspace, is_valid_id
from nfvo.store.repository import Repository, Versioned

Listed = tuple[str, CatalogRecord]  # (creation key, record)

_NOUNS = {Kind.VNF_PACKAGE: "VNF package", Kind.NSD: "NSD", Kind.PNFD: "PNFD"}


def noun(kind: Kind) -> str:
    return _NOUNS[kind]


class CatalogStore:
    """Records of every kind, the normalised models, and the blob store."""

    def __init__(self, redis: aioredis.Redis, keyspace: Keyspace, blobs: BlobStore) -> None:
        self.blobs = blobs
        self._repositories = {
            kind: Repository(
                redis,
                keyspace,
                kind.value,
                indexed=index_names(kind),
                extract=partial(index_values, kind),
            )
            for kind in Kind
        }
        self.models = Repository(redis, keyspace, MODEL_KIND)

    def repository(self, kind: Kind) -> Repository:
        return self._repositories[kind]

    async def load(self, kind: Kind, record_id: str) -> tuple[CatalogRecord, int]:
        found = await self.repository(kind).find(record_id) if is_valid_id(record_id) else None
        if found is None:
            raise NotFound(f"there is no {noun(kind)} {record_id!r}")
        return CatalogRecord.from_document(found.document), found.version

    async def find(self, kind: Kind, record_id: str) -> CatalogRecord | None:
        if not is_valid_id(record_id):
            return None
        found = await self.repository(kind).find(record_id)
        return CatalogRecord.from_document(found.document) if found else None

    async def save(
        self, record: CatalogRecord, *, version: int | None, guards: Sequence[Guard] = ()
    ) -> int:
        stored = await self.repository(record.kind).put(
            record.id, record.to_document(), version=version, guards=guards
        )
        return stored.version

    async def duplicate_of(self, record: CatalogRecord, sha256: str) -> CatalogRecord | None:
        """Another entry of ``record``'s project, onboarded or onboarding, with the same
        content (other projects are not looked at: they are not this tenant's business)."""
        busy = (OnboardingState.ONBOARDED, OnboardingState.PROCESSING)
        for other in await self.where(record.kind, CONTENT_INDEX, sha256):
            mine = other.owner == record.owner and other.id != record.id
            if mine and other.onboarding_state in busy:
                return other
        return None

    async def where(self, kind: Kind, attribute: str, value: str) -> list[CatalogRecord]:
        """Every record whose indexed wire ``attribute`` is ``value``."""
        return [
            CatalogRecord.from_document(item.document)
            for item in await self._all(kind, (attribute, value))
        ]

    async def query(self, kind: Kind, index: Mapping[str, Iterable[str]]) -> builtins.list[Listed]:
        """Records the index part of a filter plan selects (all when it is empty): any
        of an attribute's values, every attribute; in creation order, with their keys."""
        if not index:
            items = await self._all(kind, None)
        else:
            chosen: dict[str, Versioned] | None = None
            for attribute, values in index.items():
                matched: dict[str, Versioned] = {}
                for value in values:
                    matched.update({i.id: i for i in await self._all(kind, (attribute, value))})
                chosen = (
                    matched if chosen is None else {k: chosen[k] for k in chosen if k in matched}
                )
            items = sorted((chosen or {}).values(), key=lambda item: item.created)
        return [_listed(item) for item in items]

    async def page(
        self, kind: Kind, where: Sequence[tuple[str, str]], *, after: str | None, limit: int
    ) -> tuple[builtins.list[Versioned], bool]:
        """One page in creation order of the records meeting every ``(attribute, value)``
        (all when none), only the page's bodies read, as stored (undecoded until used);
        and whether more follow."""
        cursor = str(int(after)) if after is not None else None
        page = await self.repository(kind).list_where_all(where, limit=limit, cursor=cursor)
        return page.items, page.cursor is not None

    async def _all(self, kind: Kind, where: tuple[str, str] | None) -> builtins.list[Versioned]:
        items: list[Versioned] = []
        cursor: str | None = None
        while True:
            page = await self.repository(kind).list(where=where, limit=500, cursor=cursor)
            items += page.items
            if page.cursor is None:
                return items
            cursor = page.cursor

    async def put_model(
        self, record_id: str, document: dict[str, Any], guards: Sequence[Guard]
    ) -> None:
        if await self.models.find(record_id) is None:
            await self.models.create(record_id, document, guards=guards)
        else:
            await self.models.put(record_id, document, version=None, guards=guards)

    async def descriptor(self, record_id: str) -> StoredDescriptor:
        """The typed model stored when VNF package or NSD ``record_id`` was onboarded
        (older document versions migrate on read). NotFound when there is none."""
        found = await self.models.find(record_id) if is_valid_id(record_id) else None
        if found is None:
            raise NotFound(f"there is no onboarded VNF package or NSD {record_id!r}")
        return load_stored(found.document)

    async def composable(
        self, vnfd_id: str, project: str, *, any_owner: bool = False
    ) -> builtins.list[CatalogRecord]:
        """The onboarded VNF packages of ``vnfd_id`` an NSD of ``project`` may compose: its
        own project's first, then shared ones; never another project's private ones (a
        vnfdId is unique per project, ``catalog/access.py``) unless ``any_owner`` (for a
        VNFM's client, which reads every onboarded package), after those."""
        found = [
            record
            for record in await self.where(Kind.VNF_PACKAGE, "vnfdId", vnfd_id)
            if resolves_for(project, record)
            or (any_owner and record.onboarding_state is OnboardingState.ONBOARDED)
        ]
        return sorted(found, key=lambda r: (r.owner != project, not is_shared(r), r.owner))

    async def vnf_descriptor(
        self, vnfd_id: str, *, project: str, any_owner: bool = False
    ) -> StoredVnfd:
        """The stored model of the VNF package ``vnfd_id`` names for ``project``
        (``any_owner``: as :meth:`composable` says)."""
        for record in await self.composable(vnfd_id, project, any_owner=any_owner):
            stored = await self.descriptor(record.id)
            if isinstance(stored, StoredVnfd):
                return stored
        raise NotFound(f"no VNF package with vnfdId {vnfd_id!r} is onboarded")

    async def constituents(self, nsd: StoredNsd, *, project: str) -> builtins.list[StoredVnfd]:
        """The stored model of every VNFD the NSD's profiles name, found by vnfdId as
        ``project`` (the NSD's owner) resolves them; Conflict naming each one not
        onboarded (an NSD onboarded with late binding)."""
        found: list[StoredVnfd] = []
        missing: list[str] = []
        for vnfd_id in nsd.vnfd_ids:
            try:
                found.append(await self.vnf_descriptor(vnfd_id, project=project))
            except NotFound:
                missing.append(vnfd_id)
        if missing:
            raise Conflict(
                f"NSD {nsd.nsd.descriptor_id} ({nsd.nsd.name}) names VNFDs that are not "
                f"onboarded: {', '.join(missing)}"
            )
        return found


def duplicate_text(other: CatalogRecord, sha256: str) -> str:
    return (
        f"the same content (SHA-256 {sha256[:16]}...) is already onboarded as "
        f"{noun(other.kind)} {other.id}"
    )


def creation_key(created: int) -> str:
    """A record's place in creation order as text that sorts the same way (page markers)."""
    return f"{created:020d}"


def _listed(item: Versioned) -> Listed:
    return creation_key(item.created), CatalogRecord.from_document(item.document)
