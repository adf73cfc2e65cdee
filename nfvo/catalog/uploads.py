"""Who is uploading an entry's content, and the recovery of uploads nobody owns any more.

A streaming upload (and an ``upload_from_uri`` until its fetch job is queued) holds the
lease ``{prefix}:lease:upload:{id}`` for :data:`LEASE_SECONDS`, renewed every third of
it. A process killed mid-upload stops renewing. :class:`UploadJanitor`, one of the
runtime's services, then finds the entry UPLOADING with neither a lease nor an
unfinished job, puts it back to CREATED (so DELETE and a new upload work again) and
discards the partial content; it looks at start and every :data:`SWEEP_SECONDS`.

An entry PROCESSING is its onboarding job's. With neither the lease nor a job, its
upload stopped between storing the content and queueing the job (the process died,
or the store failed the second write): it goes back to CREATED the same way. With a
job that ended without finishing it (its steps failed: the store refused writes, or
retries ran out in an outage), it goes to ERROR, saying so, and subscribers are told
as onboarding would have told them: nothing else would ever move it on.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass

import redis.asyncio as aioredis
from redis.exceptions import RedisError

from nfvo.catalog.files import content_key
from nfvo.catalog.notices import Event, Notices
from nfvo.catalog.records import CatalogRecord, Kind, StoredProblem
from nfvo.catalog.store import CatalogStore, noun
from nfvo.catalog.views import state_attribute
from nfvo.catalog.wire import OnboardingState
from nfvo.sol.problems import Conflict
from nfvo.store.errors import ConcurrencyConflict
from nfvo.store.jobs import JobRecord, Jobs
from nfvo.store.keys import Keyspace
from nfvo.store.tasks import sleep_unless

log = logging.getLogger("nfvo.catalog")

LEASE_SECONDS = 10.0
SWEEP_SECONDS = 10.0
UPLOAD = "upload"

_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""


def onboarding_key(record_id: str) -> str:
    """The idempotency key of an entry's onboarding job (one job per entry)."""
    return f"onboard:{record_id}"


@contextlib.asynccontextmanager
async def upload_lease(
    redis: aioredis.Redis, keyspace: Keyspace, record_id: str
) -> AsyncIterator[None]:
    """Hold the entry's upload lease while the block runs (renewed in the background);
    409 when another request holds it."""
    key, holder = keyspace.lease(UPLOAD, record_id), uuid.uuid4().hex
    lease_ms = int(LEASE_SECONDS * 1000)
    if not await redis.set(key, holder, px=lease_ms, nx=True):
        raise Conflict(f"the content of {record_id} is being uploaded by another request")

    async def renew() -> None:
        while True:
            await asyncio.sleep(LEASE_SECONDS / 3)
            with contextlib.suppress(RedisError):  # a short outage: the next one may land
                await redis.set(key, holder, px=lease_ms, xx=True)

    renewing = asyncio.create_task(renew(), name=f"upload lease {record_id}")
    try:
        yield
    finally:
        renewing.cancel()
        with contextlib.suppress(RedisError, asyncio.CancelledError):
            await asyncio.shield(redis.eval(_RELEASE, 1, key, holder))


@dataclass
class UploadJanitor:
    store: CatalogStore
    jobs: Jobs
    redis: aioredis.Redis
    keyspace: Keyspace
    notices: Notices

    async def run(self, stop: asyncio.Event) -> None:
        """A supervised service: recover abandoned uploads now and every sweep."""
        while not stop.is_set():
            try:
                await self.recover()
            except RedisError as exc:
                log.warning("abandoned uploads not checked: %s", exc)
            await sleep_unless(stop, SWEEP_SECONDS)

    async def recover(self) -> list[CatalogRecord]:
        """Every abandoned upload put back to CREATED (its partial content discarded), every
        onboarding whose job ended without finishing it put to ERROR; the entries changed."""
        recovered = []
        for kind in Kind:
            attribute = state_attribute(kind)
            for state in (OnboardingState.UPLOADING, OnboardingState.PROCESSING):
                for record in await self.store.where(kind, attribute, state):
                    if await self._recover(record):
                        recovered.append(record)
        return recovered

    async def _recover(self, record: CatalogRecord) -> bool:
        if await self.redis.exists(self.keyspace.lease(UPLOAD, record.id)):
            return False
        job = await self.jobs.find_by_key(onboarding_key(record.id))
        if job is not None and not job.state.final:
            return False  # its job will move it on
        if job is not None and record.onboarding_state is OnboardingState.PROCESSING:
            return await self._fail(record, job)
        return await self._reset(record)

    async def _reset(self, record: CatalogRecord) -> bool:
        current, version = await self.store.load(record.kind, record.id)
        if current.onboarding_state is not record.onboarding_state:
            return False
        created = current.but(
            onboarding_state=OnboardingState.CREATED,
            content_key=None,
            content_sha256=None,
            content_size=None,
            content_type=None,
        )
        try:
            await self.store.save(created, version=version)
        except ConcurrencyConflict:
            return False  # it moved on meanwhile: someone does own it
        await self.store.blobs.discard(content_key(record.kind.value, record.id))
        log.warning(
            "the upload of %s %s was abandoned (its process stopped): back to CREATED",
            noun(record.kind),
            record.id,
        )
        return True

    async def _fail(self, record: CatalogRecord, job: JobRecord) -> bool:
        current, version = await self.store.load(record.kind, record.id)
        if current.onboarding_state is not OnboardingState.PROCESSING:
            return False
        reason = StoredProblem(
            message=f"onboarding stopped before it finished (job {job.id} {job.state.value}); "
            "delete this entry and upload the package again",
            code="internal",
        )
        failed = current.but(onboarding_state=OnboardingState.ERROR, failure=[reason])
        try:
            await self.store.save(failed, version=version)
        except ConcurrencyConflict:
            return False
        log.warning(
            "the onboarding of %s %s ended without finishing (job %s %s: %s): ERROR",
            noun(record.kind),
            record.id,
            job.id,
            job.state.value,
            job.error,
        )
        await self.notices.announce(failed, Event.ONBOARDING_FAILED)  # as onboarding would
        return True
