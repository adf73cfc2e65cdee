"""The composition of the served REST APIs: every interface mounted under one root.

``build_app`` is what ``nfvo serve`` (and the tests) call; later interfaces add their
app here, and the auth engineer passes authentication middlewares through
``middlewares`` (they run after the error and version middlewares, docs/api.md).
"""

from __future__ import annotations

from collections.abc import Sequence

import redis.asyncio as aioredis
from aiohttp import web
from aiohttp.typedefs import Middleware

from nfvo.api import nsd, vnfpkgm
from nfvo.api.catalog_handlers import CATALOGUE
from nfvo.catalog.service import CatalogLimits, Catalogue
from nfvo.config import Settings
from nfvo.sol.http import CleanupContext, make_root_app
from nfvo.sol.paging import Paging
from nfvo.store.blobs import BlobStore
from nfvo.store.keys import Keyspace


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
    middlewares: Sequence[Middleware] = (),
    cleanup_ctx: Sequence[CleanupContext] = (),
    paging: Paging | None = None,
) -> web.Application:
    """The root app serving ``/vnfpkgm/v2`` and ``/nsd/v2`` on ``redis`` and ``blobs``."""
    catalogue = Catalogue(
        redis, keyspace or Keyspace(settings.key_prefix), blobs, catalog_limits(settings)
    )
    apis = [vnfpkgm.make_app(), nsd.make_app()]
    for api in apis:
        api[CATALOGUE] = catalogue
    return make_root_app(
        apis, middlewares=middlewares, cleanup_ctx=cleanup_ctx, paging=paging, title="nfvo"
    )
