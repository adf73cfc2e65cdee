"""The NFVO's runtime: the one composition of an orchestrator process.

``nfvo serve``, ``nfvo worker`` (and the coming ``nfvo up``) each open one runtime: the
shared platform (``nfvo.platform``: Redis, keyspace, secret box, notifier, VIM
registry, job registry, background services) under the ``key_prefix``, plus what the
NFVO adds: the blob store, the catalogue, the placement sites, and the NFVO's job
types. Job steps get these through typed keys (``ctx[BLOBS]``, ``ctx[SITES]``...), so
any worker in any process can run any job; ``build_app(runtime)`` only mounts routes.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass

import redis.asyncio as aioredis

from nfvo.catalog import jobs as catalog_jobs
from nfvo.catalog.service import CatalogLimits, Catalogue
from nfvo.catalog.uploads import UploadJanitor
from nfvo.config import Settings
from nfvo.lcm import jobs as lcm_jobs
from nfvo.lcm.grant_records import GrantRecords
from nfvo.lcm.granting import GRANTING, Granting
from nfvo.lcm.ns_lifecycle import NS_LIFECYCLE, NsLifecycle
from nfvo.lcm.ns_records import NsRecords
from nfvo.lcm.ns_scopes import NsScopes
from nfvo.lcm.vnf_notices import VnfNotices
from nfvo.lcm.vnfms import VNFMS, VnfmRegistry
from nfvo.placement.sites import SITES, Sites
from nfvo.platform import Background, Platform, open_store
from nfvo.store.blobs import BLOBS, BlobStore, LocalBlobStore
from nfvo.store.embedded import EmbeddedRedis
from nfvo.store.keys import Keyspace
from nfvo.store.scratch import SCRATCH, Scratch
from nfvo.store.steps import JobRegistry


def catalog_limits(settings: Settings) -> CatalogLimits:
    return CatalogLimits(
        max_bytes=settings.package_max_bytes,
        late_binding=settings.nsd_late_binding,
        upload_timeout=settings.upload_timeout_seconds,
        allow_private=settings.upload_allow_private,
        signature_policy=settings.package_signature_policy,
        trust_anchors=settings.trust_anchors_for,
    )


@dataclass(frozen=True)
class Runtime:
    platform: Platform
    blobs: BlobStore
    catalogue: Catalogue
    sites: Sites
    granting: Granting
    vnfms: VnfmRegistry
    lifecycle: NsLifecycle

    @property
    def settings(self) -> Settings:
        return self.platform.settings

    @property
    def redis(self) -> aioredis.Redis:
        return self.platform.redis

    @property
    def keyspace(self) -> Keyspace:
        return self.platform.keyspace


JobTypes = Callable[[JobRegistry], None]


def compose(
    settings: Settings,
    redis: aioredis.Redis,
    plugins: Sequence[JobTypes] = (),
    embedded: EmbeddedRedis | None = None,
) -> Runtime:
    """The NFVO's parts on ``redis`` (``embedded``: the server this process owns), wired
    but not started; ``plugins`` register job types of their own beside the NFVO's
    (``nfvo worker --jobs MODULE``)."""
    platform = Platform(settings, redis, Keyspace(settings.key_prefix), embedded)
    blobs = LocalBlobStore(settings.effective_blob_dir)
    sites = Sites(platform.vims, redis, platform.keyspace)
    platform.resources[BLOBS] = blobs
    platform.resources[SITES] = sites
    platform.resources[SCRATCH] = Scratch(settings.data_dir / "scratch")
    for register_jobs in (catalog_jobs.register_jobs, lcm_jobs.register_jobs, *plugins):
        register_jobs(platform.jobs)
    catalogue = Catalogue(
        redis,
        platform.keyspace,
        blobs,
        catalog_limits(settings),
        notifier=platform.notifier,
        box=platform.box,
    )
    keyspace = platform.keyspace
    scopes = NsScopes(NsRecords(redis, keyspace), GrantRecords(redis, keyspace), catalogue.store)
    granting = Granting(redis, keyspace, catalogue.store, sites, platform.vims, scopes)
    vnfms = VnfmRegistry(redis, keyspace, platform.box)
    vnf_notices = VnfNotices(redis, keyspace, platform.box, settings.nfvo_url)
    lifecycle = NsLifecycle(
        redis,
        keyspace,
        catalogue.store,
        platform.vims,
        vnfms,
        granting,
        platform.notifier,
        vnf_notices,
    )
    platform.resources[GRANTING] = granting
    platform.resources[VNFMS] = vnfms
    platform.resources[NS_LIFECYCLE] = lifecycle
    platform.add_service("NS lifecycle", lifecycle.run)
    return Runtime(platform, blobs, catalogue, sites, granting, vnfms, lifecycle)


@asynccontextmanager
async def open_runtime(
    settings: Settings, background: Background, plugins: Sequence[JobTypes] = ()
) -> AsyncIterator[Runtime]:
    """The runtime of one process, started; stopped (bounded) when the block ends."""
    async with open_store(settings) as (redis, embedded):
        runtime = compose(settings, redis, plugins, embedded)
        if background.follow_vims:
            runtime.platform.add_service("placement sites", runtime.sites.follow)
        if background.housekeeping:
            # What killed processes left: their scratch folders and partial blob writes.
            runtime.platform.resources[SCRATCH].clean()
            runtime.blobs.clean()
            catalogue = runtime.catalogue
            janitor = UploadJanitor(
                catalogue.store, catalogue.jobs, redis, runtime.keyspace, catalogue.notices
            )
            runtime.platform.add_service("abandoned uploads", janitor.run)
        async with runtime.platform.running(background):
            yield runtime
