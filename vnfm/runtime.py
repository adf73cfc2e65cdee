"""The VNF manager's runtime: the shared platform under the manager's own key prefix.

Like the NFVO's (``nfvo.runtime``), one composition per process: the platform
(``nfvo.platform``: Redis, keyspace, secret box, notifier, VIM registry, job registry,
background services) under ``vnfm_key_prefix`` (``<key_prefix>-vnfm``), plus what the
manager adds: its NFVO client, the package source and the lifecycle service, handed to
its job steps by typed key (``ctx[LIFECYCLE]``, ``ctx[PACKAGES]``, ``ctx[NFVO]``), and
its own job types (``vnfm.jobs.register_jobs``). ``nfvo serve`` mounts
:func:`api_app` beside the NFVO's APIs (on one Redis, two keyspaces); ``nfvo vnfm
serve`` serves :func:`build_app` alone.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

import redis.asyncio as aioredis
from aiohttp import web

from descriptors.package_security import SignatureMode, SignaturePolicy
from nfvo.config import Settings
from nfvo.platform import Background, Platform, open_store
from nfvo.sol.audit import audit_middleware
from nfvo.sol.auth import authentication_from_settings
from nfvo.sol.http import make_root_app
from nfvo.sol.paging import Paging
from nfvo.sol.subscriptions import NOTIFIER
from nfvo.store.embedded import EmbeddedRedis
from nfvo.store.keys import Keyspace
from vnfm import api, jobs
from vnfm.lifecycle import LIFECYCLE, Lifecycle
from vnfm.nfvo_client import NFVO, NfvoClient
from vnfm.notices import LcmNotices
from vnfm.packages import PACKAGES, PackageSource


@dataclass(frozen=True)
class VnfmRuntime:
    platform: Platform
    nfvo: NfvoClient
    packages: PackageSource
    lifecycle: Lifecycle

    @property
    def settings(self) -> Settings:
        return self.platform.settings


def compose(
    settings: Settings, redis: aioredis.Redis, embedded: EmbeddedRedis | None = None
) -> VnfmRuntime:
    """The manager's parts on ``redis`` (``embedded``: the server this process owns, when
    it is served alone), wired but not started."""
    keyspace = Keyspace(settings.effective_vnfm_key_prefix)
    platform = Platform(settings, redis, keyspace, embedded)
    secret = settings.vnfm_client_secret
    nfvo = NfvoClient(
        settings.effective_vnfm_nfvo_url,
        client_id=settings.vnfm_client_id,
        client_secret=secret.get_secret_value() if secret else None,
        grant_patience=settings.vnfm_grant_timeout_seconds,
    )
    signatures = SignaturePolicy(
        mode=SignatureMode(settings.package_signature_policy),
        trust_anchors=settings.package_trust_anchors,
    )
    packages = PackageSource(nfvo, settings.data_dir / "vnfm" / "packages", signatures)
    lifecycle = Lifecycle(
        redis,
        platform.keyspace,
        LcmNotices(platform.notifier),
        packages,
        boot_timeout=settings.vnfm_boot_timeout_seconds,
    )
    platform.resources[NFVO] = nfvo
    platform.resources[PACKAGES] = packages
    platform.resources[LIFECYCLE] = lifecycle
    jobs.register_jobs(platform.jobs)
    return VnfmRuntime(platform, nfvo, packages, lifecycle)


@asynccontextmanager
async def running(runtime: VnfmRuntime, background: Background) -> AsyncIterator[VnfmRuntime]:
    """The runtime started; stopped (bounded) and its NFVO session closed at the end."""
    try:
        async with runtime.platform.running(background):
            yield runtime
    finally:
        await runtime.nfvo.close()


@asynccontextmanager
async def open_vnfm(settings: Settings, background: Background) -> AsyncIterator[VnfmRuntime]:
    """The runtime of a process serving the manager alone (``nfvo vnfm serve``)."""
    async with (
        open_store(settings) as (redis, embedded),
        running(compose(settings, redis, embedded), background) as rt,
    ):
        yield rt


def api_app(runtime: VnfmRuntime) -> web.Application:
    """``/vnflcm/v2`` over ``runtime``, to mount under any root."""
    app = api.make_app()
    app[api.LIFECYCLE] = runtime.lifecycle
    app[api.VNFM_VIMS] = runtime.platform.vims
    app[NOTIFIER] = runtime.platform.notifier
    return app


def build_app(runtime: VnfmRuntime) -> web.Application:
    """The root app of a manager served alone: its API behind audit and authentication."""
    auth = authentication_from_settings(
        runtime.settings, runtime.platform.redis, runtime.platform.keyspace
    )
    return make_root_app(
        [api_app(runtime)],
        middlewares=[
            audit_middleware(runtime.platform.redis, runtime.platform.keyspace),
            auth.middleware,
        ],
        routes=auth.routes,
        paging=Paging(runtime.platform.box.derive("paging")),
        title="vnfm",
    )
