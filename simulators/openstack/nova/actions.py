"""Server actions (reboot, stop, start, rebuild), instance actions, tags and metadata."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from simulators.openstack import evacuation
from simulators.openstack.compute import LIFECYCLE
from simulators.openstack.microversion import at_least
from simulators.openstack.model import InstanceAction, Server, iso, new_id, utc_now
from simulators.openstack.nova import migrations, quotas
from simulators.openstack.nova.boot import check_tags, ref_id
from simulators.openstack.nova.consoles import console_url
from simulators.openstack.nova.servers import find_server
from simulators.openstack.web import ApiError, cloud_of, identity_of, json_response, read_json

ActionHandler = Callable[[web.Request, Server, Any], Awaitable[web.Response]]


def _conflict(server_id: str, action: str, state: str) -> ApiError:
    return ApiError(409, f"Cannot '{action}' instance {server_id} while it is in vm_state {state}")


async def _reboot(request: web.Request, server: Server, body: Any) -> web.Response:
    if (body or {}).get("type", "").upper() not in ("SOFT", "HARD"):
        raise ApiError(400, "Invalid input for field/attribute type.")
    await request.config_dict[LIFECYCLE].power_action(server, "reboot")
    return web.Response(status=202)


async def _stop(request: web.Request, server: Server, body: Any) -> web.Response:
    await request.config_dict[LIFECYCLE].power_action(server, "stop")
    return web.Response(status=202)


async def _start(request: web.Request, server: Server, body: Any) -> web.Response:
    await request.config_dict[LIFECYCLE].power_action(server, "start")
    return web.Response(status=202)


async def _rebuild(request: web.Request, server: Server, body: Any) -> web.Response:
    image_id = ref_id((body or {}).get("imageRef", ""))
    if image_id not in cloud_of(request).images:
        raise ApiError(400, f"Image {image_id} could not be found.")
    await request.config_dict[LIFECYCLE].rebuild(server, image_id)
    return json_response({"server": {"id": server.id, "status": server.status}}, 202)


async def _evacuate(request: web.Request, server: Server, body: Any) -> web.Response:
    identity_of(request).require_admin("os_compute_api:os-evacuate")
    target = (body or {}).get("host")
    if target is not None and target not in cloud_of(request).hosts:
        raise ApiError(404, f"Compute host {target} could not be found.")
    lifecycle = request.config_dict[LIFECYCLE]
    in_use = evacuation.source_in_use(lifecycle, server)
    if in_use:
        raise ApiError(400, in_use)
    await evacuation.evacuate(lifecycle, server, target, stop=at_least(request, 95))
    if at_least(request, 14):
        return web.Response(status=200)
    return json_response({"adminPass": new_id()[:12]})


async def _vnc_console(request: web.Request, server: Server, body: Any) -> web.Response:
    """Before 2.6; removed (404) from 2.6, where remote-consoles took its place."""
    if at_least(request, 6):
        raise ApiError(404, "The resource could not be found.")
    kind = (body or {}).get("type")
    if kind not in ("novnc", "xvpvnc"):
        raise ApiError(400, "Invalid input for field/attribute type.")
    return json_response({"console": {"type": kind, "url": console_url(request, server, kind)}})


ACTIONS: dict[str, tuple[tuple[str, ...], ActionHandler]] = {
    "reboot": (("ACTIVE", "SHUTOFF", "ERROR"), _reboot),
    "os-stop": (("ACTIVE", "ERROR"), _stop),
    "os-start": (("SHUTOFF",), _start),
    "rebuild": (("ACTIVE", "SHUTOFF", "ERROR"), _rebuild),
    "evacuate": (("ACTIVE", "SHUTOFF", "ERROR"), _evacuate),
    "os-getVNCConsole": (("ACTIVE",), _vnc_console),
    "resize": (("ACTIVE", "SHUTOFF"), migrations.resize),
    "migrate": (("ACTIVE", "SHUTOFF"), migrations.migrate),
    "confirmResize": (("VERIFY_RESIZE",), migrations.confirm_resize),
    "revertResize": (("VERIFY_RESIZE",), migrations.revert_resize),
}


async def server_action(request: web.Request) -> web.Response:
    server = find_server(request)
    body = await read_json(request)
    if len(body) != 1 or next(iter(body)) not in ACTIONS:
        raise ApiError(400, f"There is no such action: {', '.join(body) or 'none'}")
    action, argument = next(iter(body.items()))
    states, handler = ACTIONS[action]
    if server.status not in states or server.task_state is not None:
        raise _conflict(server.id, action.removeprefix("os-"), server.vm_state)
    return await handler(request, server, argument)


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
    merged = values if request.method == "PUT" else {**server.metadata, **values}
    quotas.check_metadata(cloud_of(request), server.project_id, merged)
    server.metadata = merged
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
