"""Nova's /limits: the project's usage; quotas are not enforced (-1, unlimited)."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from simulators.openstack.microversion import at_least
from simulators.openstack.web import cloud_of, identity_of, json_response


async def get_limits(request: web.Request) -> web.Response:
    identity = identity_of(request)
    cloud = cloud_of(request)
    project_id = request.query.get("tenant_id") if identity.is_admin else None
    project_id = project_id or identity.project_id
    servers = [s for s in cloud.servers.values() if s.project_id == project_id]
    groups = [g for g in cloud.server_groups.values() if g.project_id == project_id]
    absolute: dict[str, Any] = {
        "maxTotalInstances": -1,
        "maxTotalCores": -1,
        "maxTotalRAMSize": -1,
        "maxServerMeta": 128,
        "maxImageMeta": 128,
        "maxTotalKeypairs": 100,
        "maxServerGroups": -1,
        "maxServerGroupMembers": -1,
        "totalInstancesUsed": len(servers),
        "totalCoresUsed": sum(s.flavor["vcpus"] for s in servers),
        "totalRAMUsed": sum(s.flavor["ram"] for s in servers),
        "totalServerGroupsUsed": len(groups),
    }
    if not at_least(request, 36):
        absolute.update(
            {
                "maxTotalFloatingIps": -1,
                "maxSecurityGroups": -1,
                "maxSecurityGroupRules": -1,
                "totalFloatingIpsUsed": 0,
                "totalSecurityGroupsUsed": 0,
            }
        )
    if not at_least(request, 57):
        absolute.update({"maxPersonality": 5, "maxPersonalitySize": 10240})
    return json_response({"limits": {"rate": [], "absolute": absolute}})


def add_routes(app: web.Application) -> None:
    app.router.add_get("/limits", get_limits)
