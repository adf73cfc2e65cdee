"""Neutron security groups and their rules."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from simulators.openstack.model import SecurityGroup, iso, new_id
from simulators.openstack.neutron import quotas
from simulators.openstack.neutron.common import (
    check_tags,
    list_response,
    not_found,
    one_response,
    visible,
)
from simulators.openstack.web import ApiError, cloud_of, identity_of, read_json


def group_view(group: SecurityGroup) -> dict[str, Any]:
    return {
        "id": group.id,
        "name": group.name,
        "description": group.description,
        "tenant_id": group.project_id,
        "project_id": group.project_id,
        "security_group_rules": [dict(r) for r in group.rules],
        "stateful": group.stateful,
        "shared": False,
        "tags": list(group.tags),
        "created_at": iso(group.created_at),
        "updated_at": iso(group.created_at),
        "revision_number": 1,
    }


def find_group(request: web.Request, group_id: str) -> SecurityGroup:
    group = cloud_of(request).security_groups.get(group_id)
    if group is None or not visible(identity_of(request), group.project_id):
        raise not_found("SecurityGroup", group_id)
    return group


async def list_groups(request: web.Request) -> web.Response:
    identity = identity_of(request)
    cloud = cloud_of(request)
    cloud.default_security_group(identity.project_id)
    items = [g for g in cloud.security_groups.values() if visible(identity, g.project_id)]
    allowed = set(group_view(SecurityGroup("", "", "")))
    return list_response(request, "security_groups", items, group_view, allowed)


async def show_group(request: web.Request) -> web.Response:
    return one_response(
        request, "security_group", group_view(find_group(request, request.match_info["group_id"]))
    )


async def create_group(request: web.Request) -> web.Response:
    identity = identity_of(request)
    raw = (await read_json(request)).get("security_group", {})
    cloud = cloud_of(request)
    quotas.check(cloud, identity.project_id, "security_group")
    quotas.check(cloud, identity.project_id, "security_group_rule")  # its egress rule
    group = SecurityGroup(
        new_id(),
        raw.get("name", ""),
        identity.project_id,
        raw.get("description", ""),
        tags=check_tags(raw.get("tags", [])),
    )
    group.rules = [
        {
            "id": new_id(),
            "direction": "egress",
            "ethertype": "IPv4",
            "protocol": None,
            "port_range_min": None,
            "port_range_max": None,
            "remote_ip_prefix": None,
            "remote_group_id": None,
            "security_group_id": group.id,
            "project_id": group.project_id,
            "tenant_id": group.project_id,
            "description": "",
        }
    ]
    cloud_of(request).security_groups[group.id] = group
    return one_response(request, "security_group", group_view(group), 201)


async def delete_group(request: web.Request) -> web.Response:
    cloud = cloud_of(request)
    group = find_group(request, request.match_info["group_id"])
    if any(group.id in p.security_group_ids for p in cloud.ports.values()):
        raise ApiError(409, f"Security Group {group.id} in use.", "SecurityGroupInUse")
    del cloud.security_groups[group.id]
    return web.Response(status=204)


async def create_rule(request: web.Request) -> web.Response:
    raw = (await read_json(request)).get("security_group_rule", {})
    group = find_group(request, raw.get("security_group_id", ""))
    quotas.check(cloud_of(request), group.project_id, "security_group_rule")
    rule = {
        "id": new_id(),
        "direction": raw.get("direction", "ingress"),
        "ethertype": raw.get("ethertype", "IPv4"),
        "protocol": raw.get("protocol"),
        "port_range_min": raw.get("port_range_min"),
        "port_range_max": raw.get("port_range_max"),
        "remote_ip_prefix": raw.get("remote_ip_prefix"),
        "remote_group_id": raw.get("remote_group_id"),
        "security_group_id": group.id,
        "project_id": group.project_id,
        "tenant_id": group.project_id,
        "description": raw.get("description", ""),
    }
    group.rules.append(rule)
    return one_response(request, "security_group_rule", rule, 201)


async def list_rules(request: web.Request) -> web.Response:
    identity = identity_of(request)
    rules = [
        r
        for g in cloud_of(request).security_groups.values()
        if visible(identity, g.project_id)
        for r in g.rules
    ]
    allowed = {
        "id",
        "direction",
        "ethertype",
        "protocol",
        "security_group_id",
        "project_id",
        "tenant_id",
        "remote_group_id",
        "remote_ip_prefix",
        "port_range_min",
        "port_range_max",
        "description",
    }
    return list_response(request, "security_group_rules", rules, dict, allowed)


async def delete_rule(request: web.Request) -> web.Response:
    rule_id = request.match_info["rule_id"]
    identity = identity_of(request)
    for group in cloud_of(request).security_groups.values():
        for rule in group.rules:
            if rule["id"] == rule_id and visible(identity, group.project_id):
                group.rules.remove(rule)
                return web.Response(status=204)
    raise not_found("SecurityGroupRule", rule_id)


def add_routes(app: web.Application) -> None:
    app.router.add_get("/v2.0/security-groups", list_groups)
    app.router.add_post("/v2.0/security-groups", create_group)
    app.router.add_get("/v2.0/security-groups/{group_id}", show_group)
    app.router.add_delete("/v2.0/security-groups/{group_id}", delete_group)
    app.router.add_get("/v2.0/security-group-rules", list_rules)
    app.router.add_post("/v2.0/security-group-rules", create_rule)
    app.router.add_delete("/v2.0/security-group-rules/{rule_id}", delete_rule)
