"""Nova flavors and their extra specs."""

from __future__ import annotations

from aiohttp import web

from simulators.openstack.model import Flavor, new_id
from simulators.openstack.nova.views import flavor_view
from simulators.openstack.web import ApiError, cloud_of, identity_of, json_response, read_json


def find_flavor(request: web.Request) -> Flavor:
    flavor_id = request.match_info["flavor_id"]
    flavor = cloud_of(request).flavors.get(flavor_id)
    if flavor is None:
        raise ApiError(404, f"Flavor {flavor_id} could not be found.")
    return flavor


def _visible(request: web.Request) -> list[Flavor]:
    identity = identity_of(request)
    flavors = [f for f in cloud_of(request).flavors.values() if f.is_public or identity.is_admin]
    query = request.query
    if "minRam" in query:
        flavors = [f for f in flavors if f.ram >= int(query["minRam"])]
    if "minDisk" in query:
        flavors = [f for f in flavors if f.disk >= int(query["minDisk"])]
    return sorted(flavors, key=lambda f: f.id)


async def list_flavors(request: web.Request) -> web.Response:
    return json_response({"flavors": [flavor_view(request, f, False) for f in _visible(request)]})


async def list_flavors_detail(request: web.Request) -> web.Response:
    return json_response({"flavors": [flavor_view(request, f) for f in _visible(request)]})


async def show_flavor(request: web.Request) -> web.Response:
    return json_response({"flavor": flavor_view(request, find_flavor(request))})


async def create_flavor(request: web.Request) -> web.Response:
    identity_of(request).require_admin("os_compute_api:os-flavor-manage:create")
    raw = (await read_json(request)).get("flavor")
    if not isinstance(raw, dict):
        raise ApiError(400, "Invalid input for field/attribute flavor.")
    cloud = cloud_of(request)
    try:
        flavor = Flavor(
            id=str(raw.get("id") or new_id()),
            name=str(raw["name"]),
            vcpus=int(raw["vcpus"]),
            ram=int(raw["ram"]),
            disk=int(raw.get("disk", 0)),
            ephemeral=int(raw.get("OS-FLV-EXT-DATA:ephemeral", 0)),
            swap=int(raw.get("swap") or 0),
            is_public=bool(raw.get("os-flavor-access:is_public", True)),
            description=raw.get("description"),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise ApiError(400, f"Invalid input for field/attribute flavor: {exc}") from exc
    if flavor.vcpus < 1 or flavor.ram < 1:
        raise ApiError(400, "Invalid input for field/attribute vcpus or ram.")
    if any(f.name == flavor.name or f.id == flavor.id for f in cloud.flavors.values()):
        raise ApiError(409, f"Flavor with name {flavor.name} already exists.")
    cloud.flavors[flavor.id] = flavor
    return json_response({"flavor": flavor_view(request, flavor)})


async def delete_flavor(request: web.Request) -> web.Response:
    identity_of(request).require_admin("os_compute_api:os-flavor-manage:delete")
    flavor = find_flavor(request)
    del cloud_of(request).flavors[flavor.id]
    return web.Response(status=202)


async def get_extra_specs(request: web.Request) -> web.Response:
    return json_response({"extra_specs": dict(find_flavor(request).extra_specs)})


async def set_extra_specs(request: web.Request) -> web.Response:
    identity_of(request).require_admin("os_compute_api:os-flavor-extra-specs:create")
    flavor = find_flavor(request)
    specs = (await read_json(request)).get("extra_specs")
    if not isinstance(specs, dict):
        raise ApiError(400, "Invalid input for field/attribute extra_specs.")
    flavor.extra_specs.update({str(k): str(v) for k, v in specs.items()})
    return json_response({"extra_specs": {str(k): str(v) for k, v in specs.items()}})


async def get_extra_spec(request: web.Request) -> web.Response:
    flavor = find_flavor(request)
    key = request.match_info["key"]
    if key not in flavor.extra_specs:
        raise ApiError(404, f"Flavor {flavor.id} has no extra specs with key {key}.")
    return json_response({key: flavor.extra_specs[key]})


async def put_extra_spec(request: web.Request) -> web.Response:
    identity_of(request).require_admin("os_compute_api:os-flavor-extra-specs:update")
    flavor = find_flavor(request)
    key = request.match_info["key"]
    body = await read_json(request)
    if list(body) != [key]:
        raise ApiError(400, "Request body and URI mismatch")
    flavor.extra_specs[key] = str(body[key])
    return json_response({key: flavor.extra_specs[key]})


async def delete_extra_spec(request: web.Request) -> web.Response:
    identity_of(request).require_admin("os_compute_api:os-flavor-extra-specs:delete")
    flavor = find_flavor(request)
    key = request.match_info["key"]
    if flavor.extra_specs.pop(key, None) is None:
        raise ApiError(404, f"Flavor {flavor.id} has no extra specs with key {key}.")
    return web.Response(status=200)


def add_routes(app: web.Application) -> None:
    app.router.add_get("/flavors", list_flavors)
    app.router.add_post("/flavors", create_flavor)
    app.router.add_get("/flavors/detail", list_flavors_detail)
    app.router.add_get("/flavors/{flavor_id}", show_flavor)
    app.router.add_delete("/flavors/{flavor_id}", delete_flavor)
    app.router.add_get("/flavors/{flavor_id}/os-extra_specs", get_extra_specs)
    app.router.add_post("/flavors/{flavor_id}/os-extra_specs", set_extra_specs)
    app.router.add_get("/flavors/{flavor_id}/os-extra_specs/{key}", get_extra_spec)
    app.router.add_put("/flavors/{flavor_id}/os-extra_specs/{key}", put_extra_spec)
    app.router.add_delete("/flavors/{flavor_id}/os-extra_specs/{key}", delete_extra_spec)
