"""Nova's /limits: the project's compute quotas and what it uses of them."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from simulators.openstack import quotas
from simulators.openstack.microversion import at_least
from simulators.openstack.quotas import COMPUTE
from simulators.openstack.web import cloud_of, identity_of, json_response

LIMITS = {  # the absolute limit's name -> the quota it reads
    "maxTotalInstances": "instances",
    "maxTotalCores": "cores",
    "maxTotalRAMSize": "ram",
    "maxServerMeta": "metadata_items",
    "maxImageMeta": "metadata_items",
    "maxTotalKeypairs": "key_pairs",
    "maxServerGroups": "server_groups",
    "maxServerGroupMembers": "server_group_members",
}
USED = {
    "totalInstancesUsed": "instances",
    "totalCoresUsed": "cores",
    "totalRAMUsed": "ram",
    "totalServerGroupsUsed": "server_groups",
}
BEFORE_2_36 = {
    "maxTotalFloatingIps": "floating_ips",
    "maxSecurityGroups": "security_groups",
    "maxSecurityGroupRules": "security_group_rules",
}
BEFORE_2_57 = {
    "maxPersonality": "injected_files",
    "maxPersonalitySize": "injected_file_content_bytes",
}


async def get_limits(request: web.Request) -> web.Response:
    identity = identity_of(request)
    cloud = cloud_of(request)
    project_id = request.query.get("tenant_id") if identity.is_admin else None
    project_id = project_id or identity.project_id
    limits = quotas.limits(cloud, COMPUTE, project_id)
    used = quotas.usage(cloud, COMPUTE, project_id, identity.user_id)
    names = dict(LIMITS)
    if not at_least(request, 36):
        names.update(BEFORE_2_36)
    if not at_least(request, 57):
        names.update(BEFORE_2_57)
    absolute: dict[str, Any] = {name: limits[quota] for name, quota in names.items()}
    absolute.update({name: used[quota] for name, quota in USED.items()})
    if not at_least(request, 36):
        absolute.update({"totalFloatingIpsUsed": 0, "totalSecurityGroupsUsed": 0})
    return json_response({"limits": {"rate": [], "absolute": absolute}})


def add_routes(app: web.Application) -> None:
    app.router.add_get("/limits", get_limits)
