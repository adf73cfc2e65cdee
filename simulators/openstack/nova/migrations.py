"""Nova's resize and cold-migrate actions, their confirm and revert, and the migration
records of ``GET /os-migrations`` (admin)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aiohttp import web

from simulators.openstack import migration
from simulators.openstack.compute import LIFECYCLE
from simulators.openstack.microversion import at_least
from simulators.openstack.model import Migration, Server, iso
from simulators.openstack.nova import quotas
from simulators.openstack.nova.boot import ref_id
from simulators.openstack.nova.servers import find_server
from simulators.openstack.scheduler.request import InvalidRequest
from simulators.openstack.state import Cloud
from simulators.openstack.web import ApiError, cloud_of, identity_of, json_response


async def resize(request: web.Request, server: Server, body: Any) -> web.Response:
    cloud = cloud_of(request)
    flavor_ref = body.get("flavorRef") if isinstance(body, dict) else None
    if not flavor_ref:
        raise ApiError(
            400,
            f"Invalid input for field/attribute resize. Value: {body}. "
            "'flavorRef' is a required property",
        )
    flavor = cloud.flavors.get(ref_id(flavor_ref))
    if flavor is None:
        raise ApiError(400, "Unable to locate requested flavor.")
    if flavor.id == server.flavor["id"]:
        raise ApiError(400, "When resizing, instances must change flavor!")
    if flavor.disk < server.flavor["disk"]:
        raise ApiError(
            400, "Server disk was unable to be resized because: Unable to resize disk down."
        )
    wanted = flavor.snapshot()
    try:
        spec = migration.resize_spec(server, wanted)
    except InvalidRequest as exc:
        raise ApiError(400, str(exc)) from exc
    quotas.check_resize(cloud, server.project_id, server.flavor, wanted)
    await migration.start(request.config_dict[LIFECYCLE], server, wanted, spec, None)
    return web.Response(status=202)


async def migrate(request: web.Request, server: Server, body: Any) -> web.Response:
    identity_of(request).require_admin("os_compute_api:os-migrate-server:migrate")
    target = None
    if isinstance(body, dict) and body:
        if not at_least(request, 56) or set(body) - {"host"}:
            raise ApiError(
                400,
                "Invalid input for field/attribute migrate. Additional properties are not "
                f"allowed ({', '.join(map(repr, sorted(body)))} was unexpected)",
            )
        target = body.get("host")
    cloud = cloud_of(request)
    if target is not None:
        if target not in cloud.hosts:
            raise ApiError(400, f"Compute host {target} could not be found.")
        if target == server.host:
            raise ApiError(400, "Cannot migrate to the host where the server exists.")
    assert server.request_spec is not None
    lifecycle = request.config_dict[LIFECYCLE]
    await migration.start(lifecycle, server, server.flavor, server.request_spec, target)
    return web.Response(status=202)


def _finished(request: web.Request, server: Server) -> Migration:
    found = migration.current(request.config_dict[LIFECYCLE], server)
    if found is None or found.status != "finished":
        raise ApiError(400, "Instance has not been resized.")
    return found


async def confirm_resize(request: web.Request, server: Server, body: Any) -> web.Response:
    lifecycle = request.config_dict[LIFECYCLE]
    await migration.confirm(lifecycle, server, _finished(request, server))
    return web.Response(status=204)


async def revert_resize(request: web.Request, server: Server, body: Any) -> web.Response:
    lifecycle = request.config_dict[LIFECYCLE]
    await migration.revert(lifecycle, server, _finished(request, server))
    return web.Response(status=202)


def _flavor_number(cloud: Cloud, flavor_id: str) -> int:
    """Nova's migration records name flavors by their database id, an integer."""
    ids = list(cloud.flavors)
    return ids.index(flavor_id) + 1 if flavor_id in ids else 0


def migration_view(request: web.Request, record: Migration) -> dict[str, Any]:
    cloud = cloud_of(request)
    body: dict[str, Any] = {
        "id": record.id,
        "instance_uuid": record.server_id,
        "source_compute": record.source,
        "source_node": record.source,
        "dest_compute": record.dest,
        "dest_node": record.dest,
        "dest_host": "",
        "status": record.status,
        "old_instance_type_id": _flavor_number(cloud, record.old_flavor["id"]),
        "new_instance_type_id": _flavor_number(cloud, record.new_flavor["id"]),
        "created_at": iso(record.created_at),
        "updated_at": iso(record.updated_at),
    }
    if at_least(request, 23):
        body["migration_type"] = record.kind
    if at_least(request, 59):
        body["uuid"] = record.uuid
    if at_least(request, 80):
        body["user_id"], body["project_id"] = record.user_id, record.project_id
    return body


FILTERS: dict[str, Callable[[Migration], str | None]] = {
    "instance_uuid": lambda m: m.server_id,
    "status": lambda m: m.status,
    "migration_type": lambda m: m.kind,
    "source_compute": lambda m: m.source,
    "project_id": lambda m: m.project_id,
    "user_id": lambda m: m.user_id,
}


async def list_migrations(request: web.Request) -> web.Response:
    identity_of(request).require_admin("os_compute_api:os-migrations:index")
    query = request.query
    records = [
        m
        for m in reversed(cloud_of(request).migrations.values())
        if all(str(get(m)) == query[k] for k, get in FILTERS.items() if k in query)
        and query.get("host") in (None, m.source, m.dest)
    ]
    return json_response({"migrations": [migration_view(request, m) for m in records]})


async def list_server_migrations(request: web.Request) -> web.Response:
    """Only live migrations in progress are listed here: never any in the simulator."""
    find_server(request)
    return json_response({"migrations": []})


def add_routes(app: web.Application) -> None:
    app.router.add_get("/os-migrations", list_migrations)
    app.router.add_get("/servers/{server_id}/migrations", list_server_migrations)
