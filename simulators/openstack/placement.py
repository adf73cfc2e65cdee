"""Placement's API over the records of ``resource_providers``: providers, inventories,
usages, traits, aggregates and allocations (read), and allocations written by other
consumers (``placement_allocations``)."""

from __future__ import annotations

import uuid
from typing import Any

from aiohttp import web

from simulators.openstack import placement_allocations
from simulators.openstack.hosts import HostState
from simulators.openstack.microversion import Version, microversion_middleware
from simulators.openstack.resource_providers import allocations, inventory, providers, usage_totals
from simulators.openstack.state import NAMESPACE
from simulators.openstack.web import (
    ApiError,
    auth_middleware,
    cloud_of,
    error_middleware,
    identity_of,
    json_response,
    placement_error,
)

MIN_VERSION, MAX_VERSION = Version(1, 0), Version(1, 39)
PUBLIC = {"/placement", "/placement/"}


def _provider(request: web.Request) -> tuple[str, dict[str, Any]]:
    provider_id = request.match_info["uuid"]
    found = providers(cloud_of(request)).get(provider_id)
    if found is None:
        raise ApiError(404, f"No resource provider with uuid {provider_id} found")
    return provider_id, found


def _provider_view(provider_id: str, provider: dict[str, Any]) -> dict[str, Any]:
    base = f"/resource_providers/{provider_id}"
    return {
        "uuid": provider_id,
        "name": provider["name"],
        "generation": 1,
        "parent_provider_uuid": provider["parent"],
        "root_provider_uuid": provider["root"],
        "links": [{"rel": "self", "href": base}]
        + [
            {"rel": r, "href": f"{base}/{r}"}
            for r in ("inventories", "usages", "aggregates", "traits", "allocations")
        ],
    }


async def versions(request: web.Request) -> web.Response:
    return json_response(
        {
            "versions": [
                {
                    "id": "v1.0",
                    "max_version": str(MAX_VERSION),
                    "min_version": str(MIN_VERSION),
                    "status": "CURRENT",
                    "links": [{"rel": "self", "href": ""}],
                }
            ]
        }
    )


async def list_providers(request: web.Request) -> web.Response:
    query = request.query
    items = []
    for provider_id, provider in providers(cloud_of(request)).items():
        if query.get("name") not in (None, provider["name"]):
            continue
        if query.get("uuid") not in (None, provider_id):
            continue
        if query.get("in_tree") not in (None, provider["root"]):
            continue
        items.append(_provider_view(provider_id, provider))
    return json_response({"resource_providers": items})


async def show_provider(request: web.Request) -> web.Response:
    return json_response(_provider_view(*_provider(request)))


async def inventories(request: web.Request) -> web.Response:
    _, provider = _provider(request)
    return json_response({"inventories": inventory(provider), "resource_provider_generation": 1})


async def usages(request: web.Request) -> web.Response:
    provider_id, provider = _provider(request)
    totals = usage_totals(cloud_of(request), provider_id, provider)
    return json_response({"usages": totals, "resource_provider_generation": 1})


async def traits(request: web.Request) -> web.Response:
    _, provider = _provider(request)
    if provider["nic"] is not None:
        physnet = provider["nic"].spec.physnet.upper().replace("-", "_")
        names = ["COMPUTE_MANAGED_PCI_DEVICE", f"CUSTOM_PHYSNET_{physnet}"]
    else:
        host: HostState = provider["host"]
        names = sorted({*host.spec.traits, "COMPUTE_NODE"})
    return json_response({"traits": names, "resource_provider_generation": 1})


async def aggregates(request: web.Request) -> web.Response:
    _, provider = _provider(request)
    host: HostState = provider["host"]
    names = [*host.spec.aggregates, f"zone:{host.spec.zone}"]
    ids = [str(uuid.uuid5(NAMESPACE, f"aggregate:{n}")) for n in names]
    return json_response({"aggregates": ids, "resource_provider_generation": 1})


async def provider_allocations(request: web.Request) -> web.Response:
    provider_id, provider = _provider(request)
    held = allocations(cloud_of(request), provider_id, provider)
    return json_response(
        {
            "allocations": {c: {"resources": r} for c, r in held.items()},
            "resource_provider_generation": 1,
        }
    )


async def consumer_allocations(request: web.Request) -> web.Response:
    cloud = cloud_of(request)
    consumer = request.match_info["consumer"]
    server = cloud.servers.get(consumer)
    body: dict[str, Any] = {"allocations": {}}
    if server is not None and server.host:
        for provider_id, provider in providers(cloud).items():
            if provider["host"].name != server.host:
                continue
            resources = allocations(cloud, provider_id, provider).get(consumer)
            if resources:
                body["allocations"][provider_id] = {"resources": resources, "generation": 1}
        body.update(
            {"project_id": server.project_id, "user_id": server.user_id, "consumer_generation": 1}
        )
    elif consumer in cloud.allocations:
        body = placement_allocations.consumer_view(cloud.allocations[consumer])
    return json_response(body)


def _admin_only(handler: Any) -> Any:
    async def wrapped(request: web.Request) -> web.StreamResponse:
        identity_of(request).require_admin("placement:" + request.path.split("/")[2])
        return await handler(request)  # type: ignore[no-any-return]

    return wrapped


def placement_app() -> web.Application:
    app = web.Application(
        middlewares=[
            error_middleware(placement_error),
            auth_middleware(lambda r: r.path in PUBLIC),
            microversion_middleware("placement", MIN_VERSION, MAX_VERSION, None, PUBLIC),
        ]
    )
    app.router.add_get("/", versions)
    base = "/resource_providers/{uuid}"
    for path, handler in (
        ("/resource_providers", list_providers),
        (base, show_provider),
        (base + "/inventories", inventories),
        (base + "/usages", usages),
        (base + "/traits", traits),
        (base + "/aggregates", aggregates),
        (base + "/allocations", provider_allocations),
        ("/allocations/{consumer}", consumer_allocations),
    ):
        app.router.add_get(path, _admin_only(handler))
    app.router.add_put("/allocations/{consumer}", _admin_only(placement_allocations.replace))
    app.router.add_delete("/allocations/{consumer}", _admin_only(placement_allocations.delete))
    return app


def install(app: web.Application) -> None:
    app.router.add_get("/placement", versions)
    app.add_subapp("/placement", placement_app())
