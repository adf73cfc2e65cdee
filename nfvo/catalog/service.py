"""The catalogue's operations: what the SOL005 handlers call (one function each).

VNF packages (SOL005 clause 9.4), NSDs and PNFDs (clause 5.4) share one record and one
life: created (CREATED, DISABLED, NOT_IN_USE), content uploaded (UPLOADING), onboarded
by a durable job (PROCESSING -> ONBOARDED + ENABLED, or ERROR with every problem).

Decisions where SOL005 leaves room (docs/api.md, docs/security.md):
- content identical (SHA-256) to an ONBOARDED or PROCESSING entry of the same kind and
  the same project is refused with 409 naming that entry, and the entry goes back to
  CREATED: a vnfdId names one package per project. Another project's entries are
  never compared with, so no refusal tells a tenant what another one holds;
- ``userDefinedData["nfvo.shared"]`` (publishing a VNF package to every project's
  NSDs) is set or cleared by an administrator only (403 for anyone else);
- PATCH to the state the entry already has, or of the operational state of an entry
  not ONBOARDED, is a 409;
- DELETE needs DISABLED and NOT_IN_USE (clauses 9.4.3.3.5, 5.4.3.3.5) and no onboarding
  in progress; the 409 names what is in the way.

A change of operational state and the deletion of an onboarded entry are notified to
subscribers (``nfvo.catalog.notices``) once stored; a notification that cannot be
queued is logged and never fails the request.
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import AsyncIterable, AsyncIterator, Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import redis.asyncio as aioredis

from descriptors.stored import StoredDescriptor
from nfvo.catalog.access import SHARED, Viewer, is_shared, may_change, may_read
from nfvo.catalog.fetch import check_uri, seal_credentials
from nfvo.catalog.files import content_key
from nfvo.catalog.notices import Event, Notices
from nfvo.catalog.onboarding import ONBOARD_JOB
from nfvo.catalog.records import CatalogRecord, Kind
from nfvo.catalog.renderings import Renderings
from nfvo.catalog.signatures import PARAM, policy_params
from nfvo.catalog.store import CatalogStore, Listed, creation_key, duplicate_text, noun
from nfvo.catalog.uploads import onboarding_key, upload_lease
from nfvo.catalog.wire import OnboardingState, OperationalState, UsageState
from nfvo.sol.negotiation import merge_patch
from nfvo.sol.notifications import Notifier
from nfvo.sol.problems import Conflict, Forbidden, InvalidRequest, NotFound
from nfvo.sol.selectors import Selection
from nfvo.sol.tenancy import OWNER, READ_ONBOARDED_SCOPE
from nfvo.sol.tokens import Principal
from nfvo.store.blobs import BlobStore
from nfvo.store.jobs import Jobs
from nfvo.store.keys import Keyspace
from nfvo.store.secrets import SecretBox


@dataclass(frozen=True)
class CatalogLimits:
    """What the settings bound (docs/configuration.md)."""

    max_bytes: int = 2 * 1024**3
    late_binding: bool = False
    upload_timeout: float = 300.0
    allow_private: bool = False
    signature_policy: str = "verify-if-present"
    trust_anchors: Callable[[str], Path | None] = lambda project: None


def _check_sharing(viewer: Viewer, before: Mapping[str, Any], after: Mapping[str, Any]) -> None:
    if before.get(SHARED) != after.get(SHARED) and viewer is not None and not viewer.is_admin:
        raise Forbidden(
            f"only an administrator may set or clear userDefinedData {SHARED!r}, which "
            "publishes a VNF package to every project"
        )


@dataclass(frozen=True)
class RenderedPage:
    """A page's JSON bodies in creation order, and the key the next page starts after
    (None on the last page)."""

    bodies: list[bytes]
    next_after: str | None


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class Catalogue:
    """The VNF package, NSD and PNFD catalogue of one keyspace."""

    def __init__(
        self,
        redis: aioredis.Redis,
        keyspace: Keyspace,
        blobs: BlobStore,
        limits: CatalogLimits = CatalogLimits(),
        *,
        notifier: Notifier,
        box: SecretBox,
    ) -> None:
        self._redis, self._keyspace = redis, keyspace
        self.store = CatalogStore(redis, keyspace, blobs)
        self.jobs = Jobs(redis, keyspace)
        self.limits = limits
        self.notices = Notices(notifier)
        self.box = box
        self.renderings = Renderings()

    async def _load(
        self, kind: Kind, record_id: str, viewer: Viewer, *, reading: bool = False
    ) -> tuple[CatalogRecord, int]:
        """The entry if ``viewer`` may see it; another project's reads as a missing one."""
        record, version = await self.store.load(kind, record_id)
        allowed = may_read(viewer, record) if reading else may_change(viewer, record)
        if not allowed:
            raise NotFound(f"there is no {noun(kind)} {record_id!r}")  # existence never leaks
        return record, version

    async def create(
        self, kind: Kind, user_defined_data: Mapping[str, Any] | None, *, viewer: Principal
    ) -> CatalogRecord:
        """A new entry owned by ``viewer``'s project."""
        data = dict(user_defined_data or {})
        _check_sharing(viewer, {}, data)
        record = CatalogRecord(
            id=str(uuid.uuid4()),
            kind=kind,
            created_at=_now(),
            owner=viewer.project,
            user_defined_data=data,
        )
        await self.store.repository(kind).create(record.id, record.to_document())
        return record

    def _narrowed(
        self, index: Mapping[str, Iterable[str]], viewer: Viewer
    ) -> dict[str, Iterable[str]] | None:
        """The index with tenancy applied (the owner index for a tenant); None when
        visibility needs each record's state (the VNFM's client reads other projects'
        ONBOARDED packages only)."""
        narrowed = dict(index)
        if viewer is not None and not viewer.is_admin:
            if READ_ONBOARDED_SCOPE in viewer.scopes:
                return None
            narrowed[OWNER] = [viewer.project]
        return narrowed

    async def query(
        self, kind: Kind, index: Mapping[str, Iterable[str]], *, viewer: Viewer
    ) -> list[Listed]:
        """What the index part of a filter selects of what ``viewer`` may read, in
        creation order, with each record's key (for paging)."""
        narrowed = self._narrowed(index, viewer)
        if narrowed is not None:
            return await self.store.query(kind, narrowed)
        listed = await self.store.query(kind, index)
        return [(key, record) for key, record in listed if may_read(viewer, record)]

    async def page(
        self,
        kind: Kind,
        index: Mapping[str, Iterable[str]],
        *,
        viewer: Viewer,
        after: str | None,
        limit: int,
        selection: Selection,
    ) -> RenderedPage | None:
        """One page read straight from Redis when the index (tenancy applied) names one
        value per attribute, each record's body selected and rendered (or as rendered
        before, ``nfvo.catalog.renderings``); None when :meth:`query` must read them all."""
        narrowed = self._narrowed(index, viewer)
        if narrowed is None:
            return None
        where: list[tuple[str, str]] = []
        for attribute, values in narrowed.items():
            chosen = list(values)
            if len(chosen) != 1:
                return None  # "in" with several values: a union, read whole
            where.append((attribute, chosen[0]))
        if after is not None and not after.isdigit():
            raise InvalidRequest("the nextpage_opaque_marker does not mark a place in this list")
        items, more = await self.store.page(kind, where, after=after, limit=limit)
        bodies = self.renderings.bodies(kind, items, selection)
        last = creation_key(items[-1].created) if more and items else None
        return RenderedPage(bodies, last)

    async def show(
        self, kind: Kind, record_id: str, *, viewer: Viewer, reading: bool = True
    ) -> tuple[CatalogRecord, int]:
        """The record and its stored version (for If-Match and the write that follows)."""
        return await self._load(kind, record_id, viewer, reading=reading)

    async def modify(
        self,
        kind: Kind,
        record_id: str,
        version: int,
        changes: Mapping[str, Any],
        *,
        viewer: Viewer,
    ) -> CatalogRecord:
        """Apply ``operational_state`` and a merge patch of ``user_defined_data``."""
        record, _ = await self._load(kind, record_id, viewer)
        state = changes.get("operational_state")
        updated = record
        if state is not None:
            if record.onboarding_state is not OnboardingState.ONBOARDED:
                raise Conflict(
                    f"{noun(kind)} {record_id} is {record.onboarding_state.value}; only an "
                    "ONBOARDED one can be enabled or disabled"
                )
            if state is record.operational_state:
                raise Conflict(f"{noun(kind)} {record_id} is already {state.value}")
            updated = updated.but(operational_state=state)
        if "user_defined_data" in changes:
            patched = merge_patch(record.user_defined_data, changes["user_defined_data"])
            data = patched if isinstance(patched, dict) else {}
            _check_sharing(viewer, record.user_defined_data, data)
            updated = updated.but(user_defined_data=data)
        await self.store.save(updated, version=version)
        if state is not None:
            await self.notices.announce(updated, Event.OPERATIONAL_STATE_SET)
        return updated

    async def delete(self, kind: Kind, record_id: str, *, viewer: Viewer) -> None:
        record, version = await self._load(kind, record_id, viewer)
        reasons = []
        if record.onboarding_state in (OnboardingState.UPLOADING, OnboardingState.PROCESSING):
            reasons.append(f"its onboarding is in progress ({record.onboarding_state.value})")
        if record.operational_state is OperationalState.ENABLED:
            reasons.append("it is ENABLED (disable it first)")
        if record.usage_state is UsageState.IN_USE:
            reasons.append("it is IN_USE")
        if reasons:
            raise Conflict(f"{noun(kind)} {record_id} cannot be deleted: {'; '.join(reasons)}")
        await self.store.repository(kind).delete(record_id, version=version)
        if await self.store.models.find(record_id) is not None:
            await self.store.models.delete(record_id)
        for item in record.files:
            await self.store.blobs.delete(item.blob_key)
        if record.content_key:
            await self.store.blobs.delete(record.content_key)
        await self.notices.announce(record, Event.DELETED)

    async def _uploadable(
        self, kind: Kind, record_id: str, viewer: Viewer
    ) -> tuple[CatalogRecord, int]:
        """The entry if content may be uploaded to it now; 409 otherwise."""
        record, version = await self._load(kind, record_id, viewer)
        if record.onboarding_state is not OnboardingState.CREATED:
            raise Conflict(
                f"{noun(kind)} {record_id} is {record.onboarding_state.value}; content can be "
                "uploaded only once, while it is CREATED"
            )
        return record, version

    @contextlib.asynccontextmanager
    async def _uploading(
        self, kind: Kind, record_id: str, viewer: Viewer
    ) -> AsyncIterator[tuple[CatalogRecord, int]]:
        """The entry, now UPLOADING and owned by this process while the block runs (its
        upload lease, see ``uploads.py``); 409 unless it was CREATED."""
        record, version = await self._uploadable(kind, record_id, viewer)
        async with upload_lease(self._redis, self._keyspace, record_id):
            uploading = record.but(onboarding_state=OnboardingState.UPLOADING)
            yield uploading, await self.store.save(uploading, version=version)

    async def upload(
        self,
        kind: Kind,
        record_id: str,
        chunks: AsyncIterable[bytes],
        content_type: str,
        *,
        viewer: Viewer,
    ) -> CatalogRecord:
        """Stream the content to the blob store and start onboarding (202)."""
        async with self._uploading(kind, record_id, viewer) as (record, version):
            key = content_key(kind.value, record_id)
            try:
                info = await self.store.blobs.put(key, chunks, self.limits.max_bytes)
                await self._refuse_duplicate(record, info.sha256)
            except BaseException:
                await self.store.blobs.delete(key)
                await self.store.save(
                    record.but(onboarding_state=OnboardingState.CREATED), version=version
                )
                raise
            processing = record.but(
                onboarding_state=OnboardingState.PROCESSING,
                content_key=key,
                content_sha256=info.sha256,
                content_size=info.size,
                content_type=content_type,
            )
            await self.store.save(processing, version=version)
            return await self._enqueue(processing, {})

    async def _refuse_duplicate(self, record: CatalogRecord, sha256: str) -> None:
        """409 for content the same project already has (other projects are not looked at)."""
        other = await self.store.duplicate_of(record, sha256)
        if other is not None:
            raise Conflict(duplicate_text(other, sha256))

    async def upload_from_uri(
        self,
        kind: Kind,
        record_id: str,
        uri: str,
        auth: tuple[str, str] | None,
        *,
        viewer: Viewer,
    ) -> CatalogRecord:
        """Check the state (409), then the address (400); fetch and onboard in the job
        (202). A request no address could make succeed costs no name resolution."""
        await self._uploadable(kind, record_id, viewer)
        await check_uri(uri, allow_private=self.limits.allow_private)
        async with self._uploading(kind, record_id, viewer) as (record, _):
            # Owned until the job is queued; the job owns it from then on.
            return await self._enqueue(record, self._fetch_parameters(uri, auth))

    def _fetch_parameters(self, uri: str, auth: tuple[str, str] | None) -> dict[str, Any]:
        return {
            "uri": uri,
            # Sealed: a job's parameters are readable by whoever reads the store.
            "auth": seal_credentials(self.box, auth) if auth else None,
            "maxBytes": self.limits.max_bytes,
            "timeout": self.limits.upload_timeout,
            "allowPrivate": self.limits.allow_private,
        }

    async def _enqueue(self, record: CatalogRecord, extra: Mapping[str, Any]) -> CatalogRecord:
        params = {
            "kind": record.kind.value,
            "id": record.id,
            "lateBinding": self.limits.late_binding,
            PARAM: policy_params(
                self.limits.signature_policy, self.limits.trust_anchors(record.owner)
            ),
            **extra,
        }
        job = await self.jobs.enqueue(
            ONBOARD_JOB, params, idempotency_key=onboarding_key(record.id)
        )
        return record.but(job_id=job.id)

    async def onboarded(self, kind: Kind, record_id: str, *, viewer: Viewer) -> CatalogRecord:
        """409 unless ONBOARDED: its files are known only then (clause 9.4.4.3.2)."""
        record, _ = await self._load(kind, record_id, viewer, reading=True)
        if record.onboarding_state is not OnboardingState.ONBOARDED:
            raise Conflict(
                f"{noun(kind)} {record_id} is {record.onboarding_state.value}, not ONBOARDED"
            )
        return record

    async def by_vnfd_id(self, vnfd_id: str, *, viewer: Viewer) -> CatalogRecord:
        """The onboarded VNF package of ``vnfd_id`` (the SOL003 face, SOL003 clause 10.4).

        A vnfdId is unique per project, so the reader's own project's package comes
        first, then a shared one; a vnfdId several projects onboarded, none shared, is a
        409 rather than a guess (a guess would deploy one tenant's package for another).
        """
        found = [
            record
            for record in await self.store.where(Kind.VNF_PACKAGE, "vnfdId", vnfd_id)
            if record.onboarding_state is OnboardingState.ONBOARDED and may_read(viewer, record)
        ]
        own = [r for r in found if viewer is not None and r.owner == viewer.project]
        chosen = own or [r for r in found if is_shared(r)] or found
        if not chosen:
            raise NotFound(f"no VNF package with vnfdId {vnfd_id!r} is onboarded")
        if len(chosen) > 1:
            ids = ", ".join(record.id for record in chosen)
            raise Conflict(
                f"vnfdId {vnfd_id!r} names the onboarded VNF packages of several projects "
                f"({ids}); none is shared, so read the one meant by its vnfPkgId"
            )
        return chosen[0]

    async def descriptor(self, record_id: str) -> StoredDescriptor:
        """For the lifecycle code: the typed VNFD or NSD stored at onboarding."""
        return await self.store.descriptor(record_id)

    async def set_usage(self, kind: Kind, record_id: str, in_use: bool) -> None:
        """For the lifecycle code: a VNF instance or NS instance now uses the entry."""
        record, version = await self.store.load(kind, record_id)
        state = UsageState.IN_USE if in_use else UsageState.NOT_IN_USE
        await self.store.save(record.but(usage_state=state), version=version)
