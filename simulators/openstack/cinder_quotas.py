"""Cinder's os-quota-sets, /limits and os-availability-zone, and the 413 a volume
create gets when it would go over the project's quotas."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from simulators.openstack import quotas
from simulators.openstack.quotas import VOLUME
from simulators.openstack.state import Cloud
from simulators.openstack.web import ApiError, cloud_of, identity_of, json_response, read_json

LIMITS = {
    "maxTotalVolumes": "volumes",
    "maxTotalSnapshots": "snapshots",
    "maxTotalVolumeGigabytes": "gigabytes",
    "maxTotalBackups": "backups",
    "maxTotalBackupGigabytes": "backup_gigabytes",
}
USED = {
    "totalVolumesUsed": "volumes",
    "totalGigabytesUsed": "gigabytes",
    "totalSnapshotsUsed": "snapshots",
    "totalBackupsUsed": "backups",
    "totalBackupGigabytesUsed": "backup_gigabytes",
}


def check_volume(cloud: Cloud, project_id: str, size: int) -> None:
    """cinder.exception.VolumeSizeExceedsAvailableQuota and VolumeLimitExceeded (413)."""
    per_volume = quotas.limits(cloud, VOLUME, project_id)["per_volume_gigabytes"]
    if 0 <= per_volume < size:
        raise ApiError(
            413,
            f"Requested volume size {size}G is larger than maximum allowed limit {per_volume}G.",
        )
    for over in quotas.over(cloud, VOLUME, project_id, {"gigabytes": size, "volumes": 1}):
        if over.resource == "gigabytes":
            raise ApiError(
                413,
                "Requested volume or snapshot exceeds allowed gigabytes quota. Requested "
                f"{size}G, quota is {over.limit}G and {over.used}G has been consumed.",
            )
        raise ApiError(
            413,
            f"Maximum number of volumes allowed ({over.limit}) exceeded for quota 'volumes'.",
        )


def _target(request: web.Request) -> str:
    target = request.match_info["target_id"]
    identity = identity_of(request)
    if target != identity.project_id:
        identity.require_admin("volume_extension:quotas:show")
    return target


async def show(request: web.Request) -> web.Response:
    target = _target(request)
    cloud = cloud_of(request)
    limits = quotas.limits(cloud, VOLUME, target)
    body: dict[str, Any] = {"id": target}
    if request.query.get("usage", "").lower() in ("true", "1"):
        used = quotas.usage(cloud, VOLUME, target)
        body.update(
            {
                k: {"limit": v, "in_use": used[k], "reserved": 0, "allocated": 0}
                for k, v in limits.items()
            }
        )
    else:
        body.update(limits)
    return json_response({"quota_set": body})


async def show_defaults(request: web.Request) -> web.Response:
    target = request.match_info["target_id"]
    body = {"id": target, **quotas.defaults(cloud_of(request), VOLUME)}
    return json_response({"quota_set": body})


async def update(request: web.Request) -> web.Response:
    identity_of(request).require_admin("volume_extension:quotas:update")
    target = request.match_info["target_id"]
    raw = (await read_json(request)).get("quota_set")
    if not isinstance(raw, dict):
        raise ApiError(400, "Missing required element 'quota_set' in request body.")
    unknown = sorted(set(raw) - set(quotas.DEFAULTS[VOLUME]))
    if unknown:
        raise ApiError(400, f"Bad key(s) in quota set: {', '.join(unknown)}")
    values: dict[str, int] = {}
    for name, value in raw.items():
        try:
            values[name] = int(value)
        except (TypeError, ValueError) as exc:
            raise ApiError(400, f"Quota {name} must be an integer: {value!r}") from exc
        if values[name] < -1:
            raise ApiError(400, f"Quota {name} must be >= -1 (-1: unlimited): {value!r}")
    cloud = cloud_of(request)
    quotas.set_limits(cloud, VOLUME, target, values)
    return json_response({"quota_set": quotas.limits(cloud, VOLUME, target)})


async def revert(request: web.Request) -> web.Response:
    identity_of(request).require_admin("volume_extension:quotas:delete")
    quotas.revert(cloud_of(request), VOLUME, request.match_info["target_id"])
    return web.Response(status=200)


async def get_limits(request: web.Request) -> web.Response:
    project_id = request.match_info["project_id"]
    cloud = cloud_of(request)
    limits = quotas.limits(cloud, VOLUME, project_id)
    used = quotas.usage(cloud, VOLUME, project_id)
    absolute = {name: limits[quota] for name, quota in LIMITS.items()}
    absolute.update({name: used[quota] for name, quota in USED.items()})
    return json_response({"limits": {"rate": [], "absolute": absolute}})


async def list_zones(request: web.Request) -> web.Response:
    zones = [
        {"zoneName": zone, "zoneState": {"available": True}}
        for zone in cloud_of(request).inventory.zones
    ]
    return json_response({"availabilityZoneInfo": zones})


def add_routes(app: web.Application, base: str) -> None:
    quota_set = base + "/os-quota-sets/{target_id}"
    app.router.add_get(quota_set, show)
    app.router.add_get(quota_set + "/defaults", show_defaults)
    app.router.add_put(quota_set, update)
    app.router.add_delete(quota_set, revert)
    app.router.add_get(base + "/limits", get_limits)
    app.router.add_get(base + "/os-availability-zone", list_zones)
