"""Neutron's tag API (standard-attr-tag) on networks, subnets, ports and security groups."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from simulators.openstack.neutron.common import check_tags, not_found, visible
from simulators.openstack.web import ApiError, cloud_of, identity_of, json_response, read_json

KINDS = {
    "networks": ("networks", "Network"),
    "subnets": ("subnets", "Subnet"),
    "ports": ("ports", "Port"),
    "security-groups": ("security_groups", "SecurityGroup"),
}


def _owner(request: web.Request) -> Any:
    resource = request.match_info["resource"]
    if resource not in KINDS:
        raise ApiError(404, "The resource could not be found.", "HTTPNotFound")
    attribute, kind = KINDS[resource]
    item_id = request.match_info["item_id"]
    item = getattr(cloud_of(request), attribute).get(item_id)
    identity = identity_of(request)
    if item is None or not visible(identity, item.project_id, getattr(item, "shared", False)):
        raise not_found(kind, item_id)
    if not visible(identity, item.project_id) and request.method != "GET":
        raise ApiError(403, "Not authorized to change this resource's tags", "PolicyNotAuthorized")
    return item


async def get_tags(request: web.Request) -> web.Response:
    return json_response({"tags": list(_owner(request).tags)})


async def replace_tags(request: web.Request) -> web.Response:
    item = _owner(request)
    item.tags = check_tags((await read_json(request)).get("tags"))
    return json_response({"tags": list(item.tags)})


async def delete_tags(request: web.Request) -> web.Response:
    _owner(request).tags = []
    return web.Response(status=204)


async def tag_exists(request: web.Request) -> web.Response:
    tag = request.match_info["tag"]
    if tag not in _owner(request).tags:
        raise ApiError(404, f"Tag {tag} could not be found.", "TagNotFound")
    return web.Response(status=204)


async def add_tag(request: web.Request) -> web.Response:
    item = _owner(request)
    tag = request.match_info["tag"]
    check_tags([tag])
    if tag not in item.tags:
        item.tags.append(tag)
    return web.Response(status=201)


async def delete_tag(request: web.Request) -> web.Response:
    item = _owner(request)
    tag = request.match_info["tag"]
    if tag not in item.tags:
        raise ApiError(404, f"Tag {tag} could not be found.", "TagNotFound")
    item.tags.remove(tag)
    return web.Response(status=204)


def add_routes(app: web.Application) -> None:
    base = "/v2.0/{resource}/{item_id}/tags"
    app.router.add_get(base, get_tags)
    app.router.add_put(base, replace_tags)
    app.router.add_delete(base, delete_tags)
    app.router.add_get(base + "/{tag}", tag_exists)
    app.router.add_put(base + "/{tag}", add_tag)
    app.router.add_delete(base + "/{tag}", delete_tag)
