"""The composition of the served REST APIs: every interface mounted under one root.

``build_app`` is what ``nfvo serve`` (and the tests) call. It mounts, in the order
requests meet them (docs/api.md): audit, authentication and scope checks (or the
open principal when ``auth_enabled`` is false), then each API; the token endpoint
when the settings name clients; and the notifier that delivers subscriptions'
notifications while the app runs. Later interfaces add their app to ``apis``.
"""

from __future__ import annotations

from collections.abc import Iterable

import redis.asyncio as aioredis
from aiohttp import web

from nfvo.api import nsd, vnfpkgm
from nfvo.api.catalog_handlers import CATALOGUE
from nfvo.catalog.service import CatalogLimits, Catalogue
from nfvo.config import Settings
from nfvo.sol.audit import audit_middleware
from nfvo.sol.auth import authentication_from_settings
from nfvo.sol.callbacks import CallbackClient
from nfvo.sol.http import make_root_app
from nfvo.sol.notifications import DeliveryPolicy, Notifier
from nfvo.sol.paging import Paging
from nfvo.sol.subscriptions import NOTIFIER
from nfvo.sol.tokens import KeySource
from nfvo.store.blobs import BlobStore
from nfvo.store.keys import Keyspace
from nfvo.store.secrets import SecretBox


def catalog_limits(settings: Settings) -> CatalogLimits:
    return CatalogLimits(
        max_bytes=settings.package_max_bytes,
        late_binding=settings.nsd_late_binding,
        upload_timeout=settings.upload_timeout_seconds,
        allow_private=settings.upload_allow_private,
    )


def build_app(
    settings: Settings,
    redis: aioredis.Redis,
    blobs: BlobStore,
    *,
    keyspace: Keyspace | None = None,
    paging: Paging | None = None,
    key_sources: Iterable[KeySource] = (),
) -> web.Application:
    """The root app serving ``/vnfpkgm/v2`` and ``/nsd/v2`` on ``redis`` and ``blobs``.

    ``key_sources`` add token issuers beside those the settings name (tests).
    """
    keyspace = keyspace or Keyspace(settings.key_prefix)
    auth = authentication_from_settings(settings, extra_sources=key_sources)
    notifier = Notifier(
        redis,
        keyspace,
        CallbackClient(),
        DeliveryPolicy.from_settings(settings),
        box=SecretBox.from_settings(settings),
    )
    catalogue = Catalogue(redis, keyspace, blobs, catalog_limits(settings), notifier=notifier)
    apis = [vnfpkgm.make_app(), nsd.make_app()]
    for api in apis:
        api[CATALOGUE] = catalogue
        api[NOTIFIER] = notifier
    return make_root_app(
        apis,
        middlewares=[audit_middleware(redis, keyspace), auth.middleware],
        routes=auth.routes,
        cleanup_ctx=[notifier.cleanup_ctx],
        paging=paging,
        title="nfvo",
    )
