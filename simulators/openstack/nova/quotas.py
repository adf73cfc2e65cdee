"""Nova's os-quota-sets: a project's compute limits (and usage on ``/detail``), the
defaults, an admin's update and revert; and the errors Nova gives when a request
would go over them."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from simulators.openstack import quotas
from simulators.openstack.microversion import at_least
from simulators.openstack.quotas import COMPUTE, Over
from simulators.openstack.state import Cloud
from simulators.openstack.web import ApiError, cloud_of, identity_of, json_response, read_json

NETWORK_PROXIES = ("floating_ips", "fixed_ips", "security_groups", "security_group_rules")
INJECTED_FILES = ("injected_files", "injected_file_content_bytes", "injected_file_path_bytes")


def too_many(overs: list[Over]) -> ApiError:
    """nova.exception.TooManyInstances, which the API answers with 403."""

    def joined(values: list[Any]) -> str:
        return ", ".join(str(v) for v in values)

    names = joined([o.resource for o in overs])
    return ApiError(
        403,
        f"Quota exceeded for {names}: Requested {joined([o.requested for o in overs])}, "
        f"but already used {joined([o.used for o in overs])} of "
        f"{joined([o.limit for o in overs])} {names}",
    )


def check_instance(cloud: Cloud, project_id: str, flavor: dict[str, Any]) -> None:
    """One more server of this flavor: instances, cores and RAM."""
    deltas = {"instances": 1, "cores": int(flavor["vcpus"]), "ram": int(flavor["ram"])}
    overs = quotas.over(cloud, COMPUTE, project_id, deltas)
    if overs:
        raise too_many(overs)


def check_resize(cloud: Cloud, project_id: str, old: dict[str, Any], new: dict[str, Any]) -> None:
    """What a bigger flavor adds (Nova's upsize delta): cores and RAM."""
    deltas = {
        "cores": int(new["vcpus"]) - int(old["vcpus"]),
        "ram": int(new["ram"]) - int(old["ram"]),
    }
    overs = quotas.over(cloud, COMPUTE, project_id, deltas)
    if overs:
        raise too_many(overs)


def check_metadata(cloud: Cloud, project_id: str, metadata: dict[str, str]) -> None:
    allowed = quotas.limits(cloud, COMPUTE, project_id)["metadata_items"]
    if 0 <= allowed < len(metadata):
        raise ApiError(403, f"Maximum number of metadata items exceeds {allowed}")


def check_group_members(cloud: Cloud, project_id: str, members: int) -> None:
    allowed = quotas.limits(cloud, COMPUTE, project_id)["server_group_members"]
    if 0 <= allowed < members + 1:
        raise ApiError(403, "Quota exceeded, too many servers in group")


def check(
    cloud: Cloud, project_id: str, resource: str, message: str, user_id: str | None = None
) -> None:
    """One more of a resource counted in a project (key pairs: of the user)."""
    if quotas.over(cloud, COMPUTE, project_id, {resource: 1}, user_id):
        raise ApiError(403, message)


def _visible_keys(request: web.Request) -> list[str]:
    keys = list(quotas.DEFAULTS[COMPUTE])
    if at_least(request, 36):  # the network proxies are gone
        keys = [k for k in keys if k not in NETWORK_PROXIES]
    if at_least(request, 57):  # personality files are gone
        keys = [k for k in keys if k not in INJECTED_FILES]
    return keys


def _project_id(request: web.Request, action: str) -> str:
    project_id = request.match_info["project_id"]
    identity = identity_of(request)
    if project_id != identity.project_id:
        identity.require_admin(f"os_compute_api:os-quota-sets:{action}")
    return project_id


def _quota_set(
    request: web.Request, project_id: str, detail: bool, values: dict[str, int]
) -> dict[str, Any]:
    keys = _visible_keys(request)
    body: dict[str, Any] = {"id": project_id}
    if detail:
        used = quotas.usage(cloud_of(request), COMPUTE, project_id, identity_of(request).user_id)
        body.update({k: {"limit": values[k], "in_use": used[k], "reserved": 0} for k in keys})
    else:
        body.update({k: values[k] for k in keys})
    return body


async def show(request: web.Request) -> web.Response:
    project_id = _project_id(request, "show")
    values = quotas.limits(cloud_of(request), COMPUTE, project_id)
    return json_response({"quota_set": _quota_set(request, project_id, False, values)})


async def detail(request: web.Request) -> web.Response:
    project_id = _project_id(request, "detail")
    values = quotas.limits(cloud_of(request), COMPUTE, project_id)
    return json_response({"quota_set": _quota_set(request, project_id, True, values)})


async def show_defaults(request: web.Request) -> web.Response:
    project_id = request.match_info["project_id"]
    values = quotas.defaults(cloud_of(request), COMPUTE)
    return json_response({"quota_set": _quota_set(request, project_id, False, values)})


async def update(request: web.Request) -> web.Response:
    identity_of(request).require_admin("os_compute_api:os-quota-sets:update")
    project_id = request.match_info["project_id"]
    raw = (await read_json(request)).get("quota_set")
    keys = _visible_keys(request)
    if not isinstance(raw, dict) or set(raw) - {*keys, "force"}:
        unexpected = sorted(set(raw or {}) - {*keys, "force"}) if isinstance(raw, dict) else []
        raise ApiError(
            400,
            "Invalid input for field/attribute quota_set. "
            f"Additional properties are not allowed ({', '.join(map(repr, unexpected))} "
            "were unexpected)",
        )
    force = bool(raw.pop("force", False))
    cloud = cloud_of(request)
    used = quotas.usage(cloud, COMPUTE, project_id, identity_of(request).user_id)
    values: dict[str, int] = {}
    for name, value in raw.items():
        try:
            limit = int(value)
        except (TypeError, ValueError) as exc:
            raise ApiError(
                400, f"Invalid input for field/attribute {name}. Value: {value}."
            ) from exc
        if limit < -1:
            raise ApiError(
                400,
                f"Invalid input for field/attribute {name}. Value: {value}. "
                f"{limit} is less than the minimum of -1",
            )
        if not force and limit != -1 and limit < used[name]:
            raise ApiError(
                400,
                f"Quota limit {limit} for {name} must be greater than or equal to "
                f"already used and reserved {used[name]}.",
            )
        values[name] = limit
    quotas.set_limits(cloud, COMPUTE, project_id, values)
    body = _quota_set(request, project_id, False, quotas.limits(cloud, COMPUTE, project_id))
    body.pop("id")
    return json_response({"quota_set": body})


async def revert(request: web.Request) -> web.Response:
    identity_of(request).require_admin("os_compute_api:os-quota-sets:delete")
    quotas.revert(cloud_of(request), COMPUTE, request.match_info["project_id"])
    return web.Response(status=202)


def add_routes(app: web.Application) -> None:
    base = "/os-quota-sets/{project_id}"
    app.router.add_get(base, show)
    app.router.add_get(base + "/detail", detail)
    app.router.add_get(base + "/defaults", show_defaults)
    app.router.add_put(base, update)
    app.router.add_delete(base, revert)
