"""Cinder v3 volumes, and Nova's os-volume_attachments that attach them."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

from aiohttp import web

from simulators.openstack import cinder_quotas
from simulators.openstack.microversion import Version, microversion_middleware
from simulators.openstack.model import Volume, iso, new_id, utc_now
from simulators.openstack.state import NAMESPACE
from simulators.openstack.web import (
    ApiError,
    Handler,
    auth_middleware,
    base_url,
    cloud_of,
    error_middleware,
    identity_of,
    json_response,
    nova_error,
    read_json,
)

MIN_VERSION, MAX_VERSION = Version(3, 0), Version(3, 70)
PUBLIC = {"/volume", "/volume/", "/volume/v3", "/volume/v3/"}


def volume_view(request: web.Request, volume: Volume) -> dict[str, Any]:
    base = base_url(request)
    body: dict[str, Any] = {
        "id": volume.id,
        "name": volume.name,
        "status": volume.status,
        "size": volume.size,
        "availability_zone": volume.zone,
        "created_at": iso(volume.created_at),
        "updated_at": iso(volume.updated_at),
        "attachments": list(volume.attachments),
        "bootable": str(volume.bootable).lower(),
        "encrypted": False,
        "description": volume.description,
        "volume_type": volume.volume_type,
        "metadata": dict(volume.metadata),
        "user_id": volume.user_id,
        "multiattach": False,
        "snapshot_id": None,
        "source_volid": None,
        "replication_status": None,
        "consistencygroup_id": None,
        "group_id": None,
        "links": [
            {"rel": "self", "href": f"{base}/volume/v3/{volume.project_id}/volumes/{volume.id}"}
        ],
    }
    if identity_of(request).is_admin:
        body.update(
            {
                "os-vol-tenant-attr:tenant_id": volume.project_id,
                "os-vol-host-attr:host": "cinder-volume@lvm#lvm",
                "os-vol-mig-status-attr:migstat": None,
                "os-vol-mig-status-attr:name_id": None,
            }
        )
    return body


def find_volume(request: web.Request, volume_id: str | None = None) -> Volume:
    volume_id = volume_id or request.match_info["volume_id"]
    volume = cloud_of(request).volumes.get(volume_id)
    identity = identity_of(request)
    if volume is None or not (identity.is_admin or volume.project_id == identity.project_id):
        raise ApiError(404, f"Volume {volume_id} could not be found.")
    return volume


async def versions(request: web.Request) -> web.Response:
    version = {
        "id": "v3.0",
        "status": "CURRENT",
        "version": str(MAX_VERSION),
        "min_version": str(MIN_VERSION),
        "updated": "2023-03-01T00:00:00Z",
        "links": [{"rel": "self", "href": f"{base_url(request)}/volume/v3/"}],
        "media-types": [
            {"base": "application/json", "type": "application/vnd.openstack.volume+json;version=3"}
        ],
    }
    return json_response(
        {"versions": [version]}, 300 if request.path in ("/volume", "/volume/") else 200
    )


def _project(request: web.Request) -> str:
    return request.match_info["project_id"]


@web.middleware
async def project_scope(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Only an admin may name another project in the path."""
    project_id = request.match_info.get("project_id")
    if project_id is not None:
        identity = identity_of(request)
        if project_id != identity.project_id and not identity.is_admin:
            raise ApiError(403, "Policy doesn't allow volume access to this project.")
    return await handler(request)


async def create_volume(request: web.Request) -> web.Response:
    project_id = _project(request)
    raw = (await read_json(request)).get("volume")
    if not isinstance(raw, dict) or not isinstance(raw.get("size"), int) or raw["size"] < 1:
        raise ApiError(400, "Invalid input received: size must be an integer of at least 1.")
    cloud = cloud_of(request)
    zone = raw.get("availability_zone") or next(iter(cloud.inventory.zones))
    if zone not in cloud.inventory.zones:
        raise ApiError(400, f"Invalid input received: Availability zone '{zone}' is invalid.")
    cinder_quotas.check_volume(cloud, project_id, raw["size"])
    identity = identity_of(request)
    volume = Volume(
        new_id(),
        raw.get("name"),
        raw["size"],
        project_id,
        identity.user_id,
        zone,
        description=raw.get("description"),
        metadata=dict(raw.get("metadata") or {}),
        bootable=bool(raw.get("imageRef")),
    )
    cloud.volumes[volume.id] = volume
    delay = cloud.config.scaled(cloud.config.action_time.sample(cloud.rng))

    def ready() -> None:
        if volume.status == "creating":
            volume.status, volume.updated_at = "available", utc_now()

    if delay <= 0:
        ready()
    else:
        asyncio.get_running_loop().call_later(delay, ready)
    return json_response({"volume": volume_view(request, volume)}, 202)


async def list_volumes(request: web.Request) -> web.Response:
    project_id = _project(request)
    identity = identity_of(request)
    every = identity.is_admin and request.query.get("all_tenants") in ("1", "true", "True")
    volumes = [v for v in cloud_of(request).volumes.values() if every or v.project_id == project_id]
    if "name" in request.query:
        volumes = [v for v in volumes if v.name == request.query["name"]]
    if "status" in request.query:
        volumes = [v for v in volumes if v.status == request.query["status"]]
    detail = request.path.endswith("/detail")
    views = [
        volume_view(request, v)
        if detail
        else {"id": v.id, "name": v.name, "links": volume_view(request, v)["links"]}
        for v in volumes
    ]
    return json_response({"volumes": views})


async def show_volume(request: web.Request) -> web.Response:
    _project(request)
    return json_response({"volume": volume_view(request, find_volume(request))})


async def delete_volume(request: web.Request) -> web.Response:
    _project(request)
    volume = find_volume(request)
    if volume.status not in ("available", "error", "creating"):
        raise ApiError(
            400,
            "Invalid volume: Volume status must be available or error or "
            "error_restoring or error_extending or error_managing and must not "
            "be migrating, attached, belong to a group, have snapshots, awaiting "
            "a transfer, or be disassociated from snapshots after volume "
            "transfer.",
        )
    del cloud_of(request).volumes[volume.id]
    return web.Response(status=202)


DEFAULT_TYPE_ID = str(uuid.uuid5(NAMESPACE, "volume_type:__DEFAULT__"))


def _type_view() -> dict[str, Any]:
    """The one volume type, Cinder's own default since Train."""
    return {
        "id": DEFAULT_TYPE_ID,
        "name": "__DEFAULT__",
        "description": "Default Volume Type",
        "is_public": True,
        "extra_specs": {},
        "qos_specs_id": None,
        "os-volume-type-access:is_public": True,
    }


async def list_types(request: web.Request) -> web.Response:
    return json_response({"volume_types": [_type_view()]})


async def show_type(request: web.Request) -> web.Response:
    type_id = request.match_info["type_id"]
    if type_id not in (DEFAULT_TYPE_ID, "__DEFAULT__", "default"):
        raise ApiError(404, f"Volume type {type_id} could not be found.")
    return json_response({"volume_type": _type_view()})


def volume_app() -> web.Application:
    app = web.Application(
        middlewares=[
            error_middleware(nova_error),
            auth_middleware(lambda r: r.path in PUBLIC),
            microversion_middleware("volume", MIN_VERSION, MAX_VERSION, None, PUBLIC),
            project_scope,
        ]
    )
    app.router.add_get("/", versions)
    app.router.add_get("/v3", versions)
    app.router.add_get("/v3/", versions)
    base = "/v3/{project_id}/volumes"
    app.router.add_get(base, list_volumes)
    app.router.add_get(base + "/detail", list_volumes)
    app.router.add_post(base, create_volume)
    app.router.add_get(base + "/{volume_id}", show_volume)
    app.router.add_delete(base + "/{volume_id}", delete_volume)
    app.router.add_get("/v3/{project_id}/types", list_types)
    app.router.add_get("/v3/{project_id}/types/{type_id}", show_type)
    cinder_quotas.add_routes(app, "/v3/{project_id}")
    return app


def install(app: web.Application) -> None:
    app.router.add_get("/volume", versions)
    app.add_subapp("/volume", volume_app())
