"""Nova v2.1 on aiohttp, microversions 2.1 to 2.96."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from simulators.openstack.microversion import Version, microversion_middleware
from simulators.openstack.nova import (
    actions,
    aggregates,
    consoles,
    flavors,
    infra,
    keypairs,
    limits,
    migrations,
    quotas,
    server_groups,
    servers,
    volumes,
)
from simulators.openstack.web import (
    auth_middleware,
    base_url,
    error_middleware,
    json_response,
    nova_error,
)

MIN_VERSION = Version(2, 1)
MAX_VERSION = Version(2, 96)
PUBLIC = {"/compute", "/compute/", "/compute/v2.1", "/compute/v2.1/"}


def _version(request: web.Request) -> dict[str, Any]:
    return {
        "id": "v2.1",
        "status": "CURRENT",
        "version": str(MAX_VERSION),
        "min_version": str(MIN_VERSION),
        "updated": "2013-07-23T11:33:21Z",
        "links": [
            {"rel": "self", "href": f"{base_url(request)}/compute/v2.1/"},
            {"rel": "describedby", "type": "text/html", "href": "http://docs.openstack.org/"},
        ],
        "media-types": [
            {
                "base": "application/json",
                "type": "application/vnd.openstack.compute+json;version=2.1",
            }
        ],
    }


async def versions(request: web.Request) -> web.Response:
    legacy = {
        "id": "v2.0",
        "status": "SUPPORTED",
        "version": "",
        "min_version": "",
        "updated": "2011-01-21T11:33:21Z",
        "links": [{"rel": "self", "href": f"{base_url(request)}/compute/v2/"}],
    }
    return json_response({"versions": [legacy, _version(request)]})


async def version(request: web.Request) -> web.Response:
    return json_response({"version": _version(request)})


def compute_app() -> web.Application:
    app = web.Application(
        middlewares=[
            error_middleware(nova_error),
            auth_middleware(lambda r: r.path in PUBLIC),
            microversion_middleware(
                "compute", MIN_VERSION, MAX_VERSION, "X-OpenStack-Nova-API-Version", PUBLIC
            ),
        ]
    )
    app.router.add_get("/", versions)
    app.router.add_get("/v2.1", version)
    app.router.add_get("/v2.1/", version)
    v21 = web.Application()
    for module in (
        servers,
        actions,
        flavors,
        server_groups,
        infra,
        aggregates,
        consoles,
        volumes,
        keypairs,
        limits,
        quotas,
        migrations,
    ):
        module.add_routes(v21)
    app.add_subapp("/v2.1", v21)
    return app
