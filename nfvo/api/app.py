"""The served REST APIs of one runtime, mounted under one root.

``build_app(runtime)`` only mounts routes over what the runtime already holds, in the
order requests meet them (docs/api.md): audit, authentication and scope checks (or the
open principal when ``auth_enabled`` is false), then each API, and the token endpoint
when the settings name clients. Background work (jobs, notification delivery, VIM
events) is the runtime's, not the app's. Later interfaces add their app to ``apis``.
"""

from __future__ import annotations

from aiohttp import web

from nfvo.api import callbacks, grant, nsd, nslcm, vnfpkgm
from nfvo.api.catalog_handlers import CATALOGUE
from nfvo.runtime import Runtime
from nfvo.sol.audit import audit_middleware
from nfvo.sol.auth import authentication_from_settings
from nfvo.sol.http import make_root_app
from nfvo.sol.paging import Paging
from nfvo.sol.subscriptions import NOTIFIER


def build_app(runtime: Runtime) -> web.Application:
    """The root app serving ``/vnfpkgm/v2``, ``/nsd/v2``, ``/nslcm/v2`` and ``/grant/v1``."""
    auth = authentication_from_settings(runtime.settings)
    catalogues = [vnfpkgm.make_app(), nsd.make_app()]
    for api in catalogues:
        api[CATALOGUE] = runtime.catalogue
        api[NOTIFIER] = runtime.platform.notifier
    granting = grant.make_app()
    granting[grant.GRANTING] = runtime.granting
    lifecycle = nslcm.make_app()
    lifecycle[nslcm.NS_LCM] = runtime.lifecycle
    lifecycle[NOTIFIER] = runtime.platform.notifier
    notices = callbacks.make_app()
    notices[callbacks.VNF_NOTICES] = runtime.lifecycle.vnf_notices
    apis = [*catalogues, lifecycle, granting, notices]
    return make_root_app(
        apis,
        middlewares=[audit_middleware(runtime.redis, runtime.keyspace), auth.middleware],
        routes=auth.routes,
        # Markers signed with a key every process sharing the store derives alike, so a
        # page fetched from one server continues on another.
        paging=Paging(runtime.platform.box.derive("paging")),
        title="nfvo",
    )
