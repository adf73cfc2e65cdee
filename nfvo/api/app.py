"""The served REST APIs of one runtime, mounted under one root.

``build_app(runtime)`` only mounts routes over what the runtime already holds, in the
order requests meet them (docs/api.md): audit, authentication and scope checks (or the
open principal when ``auth_enabled`` is false), then each API, the token endpoint
when the settings name clients, and the health probes. Background work (jobs,
notification delivery, VIM events) is the runtime's, not the app's. Later interfaces
add their app to ``apis``.
"""

from __future__ import annotations

from collections.abc import Sequence

from aiohttp import web

from nfvo.api import callbacks, grant, nsd, nslcm, vnfpkgm
from nfvo.api.catalog_handlers import CATALOGUE
from nfvo.api.health import health_routes
from nfvo.runtime import Runtime
from nfvo.sol.audit import audit_middleware
from nfvo.sol.auth import authentication_from_settings
from nfvo.sol.http import make_root_app
from nfvo.sol.paging import Paging
from nfvo.sol.subscriptions import NOTIFIER
from nfvo.sol.versions import API_INFO


def build_app(runtime: Runtime, beside: Sequence[web.Application] = ()) -> web.Application:
    """The root app serving ``/vnfpkgm/v2``, ``/nsd/v2``, ``/nslcm/v2``, ``/grant/v1``
    and the VNFMs' callbacks over ``runtime``, and the API apps of ``beside`` (another
    composition's, such as the VNF manager's ``/vnflcm/v2``, which the composition
    root builds) behind the same middlewares. An API of ``beside`` takes the place of
    ours of the same name and major version (a grant engine of another make)."""
    auth = authentication_from_settings(runtime.settings, runtime.redis, runtime.keyspace)
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
    replaced = {_version(api) for api in beside}
    ours = [
        api for api in (*catalogues, lifecycle, granting, notices) if _version(api) not in replaced
    ]
    return make_root_app(
        [*ours, *beside],
        middlewares=[audit_middleware(runtime.redis, runtime.keyspace), auth.middleware],
        routes=[*auth.routes, *health_routes(runtime.platform)],
        # Markers signed with a key every process sharing the store derives alike, so a
        # page fetched from one server continues on another.
        paging=Paging(runtime.platform.box.derive("paging")),
        title="nfvo",
    )


def _version(api: web.Application) -> tuple[str, int]:
    return api[API_INFO].api_name, api[API_INFO].major
