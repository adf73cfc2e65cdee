"""Nova's os-volume_attachments: attach a Cinder volume to a server."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from simulators.openstack.cinder import find_volume
from simulators.openstack.microversion import at_least
from simulators.openstack.model import Server, Volume, iso, utc_now
from simulators.openstack.nova.servers import find_server
from simulators.openstack.web import ApiError, json_response, read_json


def attachment_view(request: web.Request, server: Server, volume: Volume) -> dict[str, Any]:
    index = server.volume_ids.index(volume.id)
    body: dict[str, Any] = {
        "id": volume.id,
        "serverId": server.id,
        "volumeId": volume.id,
        "device": f"/dev/vd{chr(ord('b') + index)}",
    }
    if at_least(request, 70):
        body["tag"] = None
    if at_least(request, 79):
        body["delete_on_termination"] = False
    if at_least(request, 89):
        body.pop("id")
        body["attachment_id"] = (
            volume.attachments[0]["attachment_id"] if volume.attachments else None
        )
        body["bdm_uuid"] = volume.id
    return body


async def attach(request: web.Request) -> web.Response:
    server = find_server(request)
    raw = (await read_json(request)).get("volumeAttachment")
    if not isinstance(raw, dict) or "volumeId" not in raw:
        raise ApiError(400, "Invalid input for field/attribute volumeAttachment.")
    try:
        volume = find_volume(request, raw["volumeId"])
    except ApiError as exc:
        raise ApiError(404, f"Volume {raw['volumeId']} could not be found.") from exc
    if volume.status != "available":
        raise ApiError(
            400,
            f"Invalid volume: volume {volume.id} status must be 'available'. "
            f"Currently in '{volume.status}'",
        )
    if server.status not in ("ACTIVE", "SHUTOFF"):
        raise ApiError(
            409,
            f"Cannot 'attach_volume' instance {server.id} while it is in "
            f"vm_state {server.vm_state}",
        )
    server.volume_ids.append(volume.id)
    volume.status = "in-use"
    volume.attachments = [
        {
            "server_id": server.id,
            "attachment_id": f"att-{volume.id[:8]}",
            "attached_at": iso(utc_now()),
            "host_name": server.host,
            "volume_id": volume.id,
            "id": volume.id,
            "device": f"/dev/vd{chr(ord('a') + len(server.volume_ids))}",
        }
    ]
    return json_response({"volumeAttachment": attachment_view(request, server, volume)})


async def list_attachments(request: web.Request) -> web.Response:
    server = find_server(request)
    from simulators.openstack.web import cloud_of

    volumes = [
        cloud_of(request).volumes[v] for v in server.volume_ids if v in cloud_of(request).volumes
    ]
    return json_response(
        {"volumeAttachments": [attachment_view(request, server, v) for v in volumes]}
    )


async def detach(request: web.Request) -> web.Response:
    server = find_server(request)
    volume_id = request.match_info["volume_id"]
    if volume_id not in server.volume_ids:
        raise ApiError(404, f"Volume {volume_id} is not attached to {server.id}")
    volume = find_volume(request, volume_id)
    server.volume_ids.remove(volume_id)
    volume.status, volume.attachments = "available", []
    return web.Response(status=202)


def add_routes(app: web.Application) -> None:
    base = "/servers/{server_id}/os-volume_attachments"
    app.router.add_get(base, list_attachments)
    app.router.add_post(base, attach)
    app.router.add_delete(base + "/{volume_id}", detach)
