"""Nova server groups: affinity, anti-affinity and their soft variants (2.64 policy+rules)."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from simulators.openstack.microversion import at_least
from simulators.openstack.model import ServerGroup, new_id
from simulators.openstack.nova import quotas
from simulators.openstack.web import ApiError, cloud_of, identity_of, json_response, read_json

POLICIES = ("affinity", "anti-affinity", "soft-affinity", "soft-anti-affinity")


def group_view(request: web.Request, group: ServerGroup) -> dict[str, Any]:
    body: dict[str, Any] = {"id": group.id, "name": group.name, "members": list(group.members)}
    if at_least(request, 64):
        body.update({"policy": group.policy, "rules": dict(group.rules)})
    else:
        body.update({"policies": [group.policy], "metadata": {}})
    if at_least(request, 13):
        body.update({"project_id": group.project_id, "user_id": group.user_id})
    return body


def find_group(request: web.Request) -> ServerGroup:
    group_id = request.match_info["group_id"]
    group = cloud_of(request).server_groups.get(group_id)
    identity = identity_of(request)
    if group is None or not (identity.is_admin or group.project_id == identity.project_id):
        raise ApiError(404, f"Server group {group_id} could not be found.")
    return group


def _policy(request: web.Request, raw: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    if at_least(request, 64):
        policy, rules = raw.get("policy"), raw.get("rules", {})
        if "policies" in raw:
            raise ApiError(400, "Additional properties are not allowed ('policies' was unexpected)")
    else:
        policies, rules = raw.get("policies", []), {}
        policy = policies[0] if isinstance(policies, list) and len(policies) == 1 else None
    if policy not in POLICIES:
        raise ApiError(400, f"Invalid input for field/attribute policy. Value: {policy}.")
    if rules and (
        policy != "anti-affinity"
        or set(rules) != {"max_server_per_host"}
        or int(rules["max_server_per_host"]) < 1
    ):
        raise ApiError(400, f"Invalid input for field/attribute rules. Value: {rules}.")
    return str(policy), dict(rules)


async def create_group(request: web.Request) -> web.Response:
    identity = identity_of(request)
    raw = (await read_json(request)).get("server_group")
    if not isinstance(raw, dict) or not raw.get("name"):
        raise ApiError(400, "Invalid input for field/attribute server_group.")
    policy, rules = _policy(request, raw)
    quotas.check(
        cloud_of(request),
        identity.project_id,
        "server_groups",
        "Quota exceeded, too many server groups.",
    )
    group = ServerGroup(new_id(), raw["name"], policy, rules, identity.project_id, identity.user_id)
    cloud_of(request).server_groups[group.id] = group
    return json_response({"server_group": group_view(request, group)})


async def list_groups(request: web.Request) -> web.Response:
    identity = identity_of(request)
    every = identity.is_admin and request.query.get("all_projects", "").lower() in ("1", "true")
    groups = [
        g
        for g in cloud_of(request).server_groups.values()
        if every or g.project_id == identity.project_id
    ]
    return json_response({"server_groups": [group_view(request, g) for g in groups]})


async def show_group(request: web.Request) -> web.Response:
    return json_response({"server_group": group_view(request, find_group(request))})


async def delete_group(request: web.Request) -> web.Response:
    group = find_group(request)
    del cloud_of(request).server_groups[group.id]
    return web.Response(status=204)


def add_routes(app: web.Application) -> None:
    app.router.add_get("/os-server-groups", list_groups)
    app.router.add_post("/os-server-groups", create_group)
    app.router.add_get("/os-server-groups/{group_id}", show_group)
    app.router.add_delete("/os-server-groups/{group_id}", delete_group)
