"""Placement's API over the records of ``resource_providers``: providers, inventories,
usages, traits, aggregates and allocations (read), and allocations written by other
consumers (``placement_allocations``)."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from simulators.openstack import placement_allocations, placement_vocabulary
from simulators.openstack.microversion import MICROVERSION, Version, microversion_middleware
from simulators.openstack.placement_candidates import list_candidates
from simulators.openstack.placement_filters import matches, parse_filter, provider_aggregates
from simulators.openstack.resource_providers import (
    allocations,
    generation,
    inventory,
    providers,
    usage_totals,
)
from simulators.openstack.resource_providers import traits as provider_traits
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


def _provider_view(
    request: web.Request, provider_id: str, provider: dict[str, Any]
) -> dict[str, Any]:
    base = f"/resource_providers/{provider_id}"
    body: dict[str, Any] = {
        "uuid": provider_id,
        "name": provider["name"],
        "generation": generation(provider),
        "links": [{"rel": "self", "href": base}]
        + [
            {"rel": r, "href": f"{base}/{r}"}
            for r in ("inventories", "usages", "aggregates", "traits", "allocations")
        ],
    }
    if request[MICROVERSION] >= Version(1, 14):
        body["parent_provider_uuid"] = provider["parent"]
        body["root_provider_uuid"] = provider["root"]
    return body


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
    cloud = cloud_of(request)
    wanted = parse_filter(request, cloud)
    query = request.query
    items = [
        _provider_view(request, provider_id, provider)
        for provider_id, provider in providers(cloud).items()
        if query.get("name") in (None, provider["name"])
        and query.get("uuid") in (None, provider_id)
        and matches(cloud, provider_id, provider, wanted)
    ]
    return json_response({"resource_providers": items})


async def show_provider(request: web.Request) -> web.Response:
    return json_response(_provider_view(request, *_provider(request)))


def _of_provider(provider: dict[str, Any], body: dict[str, Any]) -> web.Response:
    return json_response({**body, "resource_provider_generation": generation(provider)})


async def inventories(request: web.Request) -> web.Response:
    _, provider = _provider(request)
    return _of_provider(provider, {"inventories": inventory(provider)})


async def usages(request: web.Request) -> web.Response:
    provider_id, provider = _provider(request)
    totals = usage_totals(cloud_of(request), provider_id, provider)
    return _of_provider(provider, {"usages": totals})


async def traits(request: web.Request) -> web.Response:
    _, provider = _provider(request)
    return _of_provider(provider, {"traits": provider_traits(provider)})


async def aggregates(request: web.Request) -> web.Response:
    _, provider = _provider(request)
    ids = sorted(provider_aggregates(cloud_of(request), provider))
    return _of_provider(provider, {"aggregates": ids})


async def provider_allocations(request: web.Request) -> web.Response:
    provider_id, provider = _provider(request)
    held = allocations(cloud_of(request), provider_id, provider)
    return _of_provider(provider, {"allocations": {c: {"resources": r} for c, r in held.items()}})


async def consumer_allocations(request: web.Request) -> web.Response:
    """A server's allocations (on its host), a resize's or migration's (the source it
    holds until confirmed), or those another consumer wrote."""
    cloud = cloud_of(request)
    consumer = request.match_info["consumer"]
    if consumer in cloud.allocations:
        return json_response(
            placement_allocations.consumer_view(cloud, cloud.allocations[consumer])
        )
    server = cloud.servers.get(consumer)
    migration = cloud.migrations.get(consumer)
    owner = server or (cloud.servers.get(migration.server_id) if migration else None)
    body: dict[str, Any] = {"allocations": {}}
    hosts = {server.host} if server else {migration.source} if migration else set()
    for provider_id, provider in providers(cloud).items():
        if provider["host"].name not in hosts:
            continue
        resources = allocations(cloud, provider_id, provider).get(consumer)
        if resources:
            body["allocations"][provider_id] = {
                "resources": resources,
                "generation": generation(provider),
            }
    if owner is not None and body["allocations"]:
        body.update(
            {
                "project_id": owner.project_id,
                "user_id": owner.user_id,
                "consumer_generation": owner.consumer_generation if server else 1,
            }
        )
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
    app.router.add_get("/allocation_candidates", _admin_only(list_candidates))
    placement_vocabulary.add_routes(app, _admin_only)
    app.router.add_put("/allocations/{consumer}", _admin_only(placement_allocations.replace))
    app.router.add_delete("/allocations/{consumer}", _admin_only(placement_allocations.delete))
    return app


def install(app: web.Application) -> None:
    app.router.add_get("/placement", versions)
    app.add_subapp("/placement", placement_app())
