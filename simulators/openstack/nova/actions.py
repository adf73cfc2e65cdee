"""Server actions (reboot, stop, start, rebuild), instance actions, tags and metadata."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from simulators.openstack.compute import LIFECYCLE
from simulators.openstack.microversion import at_least
from simulators.openstack.model import InstanceAction, iso, utc_now
from simulators.openstack.nova.boot import check_tags, ref_id
from simulators.openstack.nova.servers import find_server
from simulators.openstack.web import ApiError, cloud_of, identity_of, json_response, read_json

ALLOWED = {
    "reboot": ("ACTIVE", "SHUTOFF", "ERROR"),
    "os-stop": ("ACTIVE", "ERROR"),
    "os-start": ("SHUTOFF",),
    "rebuild": ("ACTIVE", "SHUTOFF", "ERROR"),
}


def _conflict(server_id: str, action: str, state: str) -> ApiError:
    return ApiError(409, f"Cannot '{action}' instance {server_id} while it is in vm_state {state}")


async def server_action(request: web.Request) -> web.Response:
    server = find_server(request)
    body = await read_json(request)
    if len(body) != 1 or next(iter(body)) not in ALLOWED:
        raise ApiError(400, f"There is no such action: {', '.join(body) or 'none'}")
    action = next(iter(body))
    if server.status not in ALLOWED[action] or server.task_state is not None:
        raise _conflict(server.id, action.removeprefix("os-"), server.vm_state)
    lifecycle = request.config_dict[LIFECYCLE]
    if action == "reboot":
        reboot = body["reboot"] or {}
        if reboot.get("type", "").upper() not in ("SOFT", "HARD"):
            raise ApiError(400, "Invalid input for field/attribute type.")
        await lifecycle.power_action(server, "reboot")
    elif action == "os-stop":
        await lifecycle.power_action(server, "stop")
    elif action == "os-start":
        await lifecycle.power_action(server, "start")
    else:
        image_id = ref_id((body["rebuild"] or {}).get("imageRef", ""))
        if image_id not in cloud_of(request).images:
            raise ApiError(400, f"Image {image_id} could not be found.")
        await lifecycle.rebuild(server, image_id)
        return json_response({"server": {"id": server.id, "status": server.status}}, 202)
    return web.Response(status=202)


def _action_view(
    request: web.Request, action: InstanceAction, server_id: str, events: bool
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "action": action.action,
        "instance_uuid": server_id,
        "message": action.message,
        "project_id": action.project_id,
        "request_id": action.request_id,
        "user_id": action.user_id,
        "start_time": iso(action.start_time),
    }
    if at_least(request, 58):
        body["updated_at"] = iso(action.updated_at)
    if events:
        admin = identity_of(request).is_admin
        body["events"] = []
        for event in action.events:
            view = {
                "event": event["event"],
                "start_time": iso(event["start_time"]),
                "finish_time": iso(event["finish_time"]),
                "result": event["result"],
            }
            if admin:
                view["traceback"] = None
                if at_least(request, 62):
                    view["host"] = event["host"] or ""
            body["events"].append(view)
    return body


async def list_instance_actions(request: web.Request) -> web.Response:
    server = find_server(request)
    actions = [_action_view(request, a, server.id, False) for a in reversed(server.actions)]
    return json_response({"instanceActions": actions})


async def show_instance_action(request: web.Request) -> web.Response:
    server = find_server(request)
    request_id = request.match_info["request_id"]
    for action in server.actions:
        if action.request_id == request_id:
            return json_response({"instanceAction": _action_view(request, action, server.id, True)})
    raise ApiError(404, f"Action for request_id {request_id} on instance {server.id} not found")


def _tags_supported(request: web.Request) -> None:
    if not at_least(request, 26):
        raise ApiError(404, "The resource could not be found.")


async def get_tags(request: web.Request) -> web.Response:
    _tags_supported(request)
    return json_response({"tags": list(find_server(request).tags)})


async def replace_tags(request: web.Request) -> web.Response:
    _tags_supported(request)
    server = find_server(request)
    server.tags = check_tags((await read_json(request)).get("tags"))
    server.updated_at = utc_now()
    return json_response({"tags": list(server.tags)})


async def delete_tags(request: web.Request) -> web.Response:
    _tags_supported(request)
    find_server(request).tags = []
    return web.Response(status=204)


async def check_tag(request: web.Request) -> web.Response:
    _tags_supported(request)
    tag = request.match_info["tag"]
    if tag not in find_server(request).tags:
        raise ApiError(404, f"Tag {tag} could not be found.")
    return web.Response(status=204)


async def add_tag(request: web.Request) -> web.Response:
    _tags_supported(request)
    server = find_server(request)
    tag = request.match_info["tag"]
    if tag in server.tags:
        return web.Response(status=204)
    server.tags = check_tags([*server.tags, tag])
    server.updated_at = utc_now()
    return web.Response(status=201)


async def delete_tag(request: web.Request) -> web.Response:
    _tags_supported(request)
    server = find_server(request)
    tag = request.match_info["tag"]
    if tag not in server.tags:
        raise ApiError(404, f"Tag {tag} could not be found.")
    server.tags.remove(tag)
    return web.Response(status=204)


async def get_metadata(request: web.Request) -> web.Response:
    return json_response({"metadata": dict(find_server(request).metadata)})


async def set_metadata(request: web.Request) -> web.Response:
    server = find_server(request)
    metadata = (await read_json(request)).get("metadata")
    if not isinstance(metadata, dict):
        raise ApiError(400, "Malformed request body")
    values = {str(k): str(v) for k, v in metadata.items()}
    if request.method == "PUT":
        server.metadata = values
    else:
        server.metadata.update(values)
    server.updated_at = utc_now()
    return json_response({"metadata": dict(server.metadata)})


async def delete_metadata_item(request: web.Request) -> web.Response:
    server = find_server(request)
    key = request.match_info["key"]
    if server.metadata.pop(key, None) is None:
        raise ApiError(404, "Metadata item was not found")
    return web.Response(status=204)


def add_routes(app: web.Application) -> None:
    app.router.add_post("/servers/{server_id}/action", server_action)
    app.router.add_get("/servers/{server_id}/os-instance-actions", list_instance_actions)
    app.router.add_get(
        "/servers/{server_id}/os-instance-actions/{request_id}", show_instance_action
    )
    app.router.add_get("/servers/{server_id}/tags", get_tags)
    app.router.add_put("/servers/{server_id}/tags", replace_tags)
    app.router.add_delete("/servers/{server_id}/tags", delete_tags)
    app.router.add_get("/servers/{server_id}/tags/{tag}", check_tag)
    app.router.add_put("/servers/{server_id}/tags/{tag}", add_tag)
    app.router.add_delete("/servers/{server_id}/tags/{tag}", delete_tag)
    app.router.add_get("/servers/{server_id}/metadata", get_metadata)
    app.router.add_post("/servers/{server_id}/metadata", set_metadata)
    app.router.add_put("/servers/{server_id}/metadata", set_metadata)
    app.router.add_delete("/servers/{server_id}/metadata/{key}", delete_metadata_item)
