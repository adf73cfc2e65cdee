"""Nova's os-aggregates (admin): the site's host aggregates and zones, read-only."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from simulators.openstack.aggregates import Aggregate, aggregates
from simulators.openstack.microversion import at_least
from simulators.openstack.model import iso
from simulators.openstack.web import ApiError, cloud_of, identity_of, json_response


def aggregate_view(request: web.Request, aggregate: Aggregate) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": aggregate.id,
        "name": aggregate.name,
        "availability_zone": aggregate.zone,
        "hosts": list(aggregate.hosts),
        "metadata": dict(aggregate.metadata),
        "created_at": iso(cloud_of(request).created_at),
        "updated_at": None,
        "deleted": False,
        "deleted_at": None,
    }
    if at_least(request, 41):
        body["uuid"] = aggregate.uuid
    return body


async def list_aggregates(request: web.Request) -> web.Response:
    identity_of(request).require_admin("os_compute_api:os-aggregates:index")
    every = aggregates(cloud_of(request))
    return json_response({"aggregates": [aggregate_view(request, a) for a in every]})


async def show_aggregate(request: web.Request) -> web.Response:
    identity_of(request).require_admin("os_compute_api:os-aggregates:show")
    wanted = request.match_info["aggregate_id"]
    for aggregate in aggregates(cloud_of(request)):
        if wanted == str(aggregate.id):
            return json_response({"aggregate": aggregate_view(request, aggregate)})
    raise ApiError(404, f"Aggregate {wanted} could not be found.")


def add_routes(app: web.Application) -> None:
    app.router.add_get("/os-aggregates", list_aggregates)
    app.router.add_get("/os-aggregates/{aggregate_id}", show_aggregate)
