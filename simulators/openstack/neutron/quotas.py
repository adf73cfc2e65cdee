"""Neutron's quotas extension (with quota_details): a project's limits, their usage,
the defaults, an admin's update and reset; and the 409 OverQuota a create gets when
it would go over them."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from simulators.openstack import quotas
from simulators.openstack.quotas import NETWORK
from simulators.openstack.state import Cloud
from simulators.openstack.web import ApiError, cloud_of, identity_of, json_response, read_json


def check(cloud: Cloud, project_id: str, resource: str, count: int = 1) -> None:
    """Refuse, as Neutron's quota engine does, a create that goes over the limit."""
    overs = quotas.over(cloud, NETWORK, project_id, {resource: count})
    if overs:
        names = [o.resource for o in overs]
        raise ApiError(409, f"Quota exceeded for resources: {names}.", "OverQuota")


def _project_id(request: web.Request) -> str:
    project_id = request.match_info["project_id"]
    identity = identity_of(request)
    if project_id != identity.project_id and not identity.is_admin:
        raise ApiError(
            403, "Only admin is authorized to access quotas for another tenant", "AdminRequired"
        )
    return project_id


def _with_owner(values: dict[str, Any], project_id: str) -> dict[str, Any]:
    return {**values, "project_id": project_id, "tenant_id": project_id}


async def list_quotas(request: web.Request) -> web.Response:
    """The projects whose limits differ from the defaults (admin)."""
    identity_of(request).require_admin("get_quota")
    cloud = cloud_of(request)
    items = [
        _with_owner(quotas.limits(cloud, NETWORK, project_id), project_id)
        for service, project_id in cloud.quota_limits
        if service == NETWORK
    ]
    return json_response({"quotas": items})


async def show(request: web.Request) -> web.Response:
    project_id = _project_id(request)
    return json_response({"quota": quotas.limits(cloud_of(request), NETWORK, project_id)})


async def details(request: web.Request) -> web.Response:
    project_id = _project_id(request)
    cloud = cloud_of(request)
    limits = quotas.limits(cloud, NETWORK, project_id)
    used = quotas.usage(cloud, NETWORK, project_id)
    body = {k: {"limit": v, "used": used[k], "reserved": 0} for k, v in limits.items()}
    return json_response({"quota": body})


async def show_defaults(request: web.Request) -> web.Response:
    _project_id(request)
    return json_response({"quota": quotas.defaults(cloud_of(request), NETWORK)})


def _limit(value: Any) -> int | None:
    """An integer of at least -1 (Neutron takes one written as a string too)."""
    if isinstance(value, bool) or not isinstance(value, int | str):
        return None
    try:
        limit = int(value)
    except ValueError:
        return None
    return limit if limit >= -1 else None


async def update(request: web.Request) -> web.Response:
    if not identity_of(request).is_admin:
        raise ApiError(403, "(update_quota) is disallowed by policy", "PolicyNotAuthorized")
    project_id = request.match_info["project_id"]
    raw = (await read_json(request)).get("quota")
    if not isinstance(raw, dict):
        raise ApiError(400, "Resource body required", "HTTPBadRequest")
    # quota-check-limit: refuse a limit under what is used (the client's default)
    check_limit, force = bool(raw.pop("check_limit", False)), bool(raw.pop("force", False))
    check_limit = check_limit and not force
    unknown = sorted(set(raw) - set(quotas.DEFAULTS[NETWORK]))
    if unknown:
        raise ApiError(400, f"Unrecognized attribute(s) '{', '.join(unknown)}'", "HTTPBadRequest")
    values: dict[str, int] = {}
    for name, value in raw.items():
        limit = _limit(value)
        if limit is None:
            raise ApiError(
                400,
                f"Invalid input for {name}. Reason: '{value}' is not an integer "
                "greater than or equal to -1.",
                "HTTPBadRequest",
            )
        values[name] = limit
    cloud = cloud_of(request)
    used = quotas.usage(cloud, NETWORK, project_id)
    for name, limit in values.items():
        if check_limit and limit != -1 and limit < used[name]:
            raise ApiError(
                400,
                f"Quota limit {limit} for {name} must be greater than or equal to "
                f"already used and reserved {used[name]}.",
                "InvalidQuotaValue",
            )
    quotas.set_limits(cloud, NETWORK, project_id, values)
    return json_response({"quota": quotas.limits(cloud, NETWORK, project_id)})


async def reset(request: web.Request) -> web.Response:
    if not identity_of(request).is_admin:
        raise ApiError(403, "(delete_quota) is disallowed by policy", "PolicyNotAuthorized")
    quotas.revert(cloud_of(request), NETWORK, request.match_info["project_id"])
    return web.Response(status=204)


def add_routes(app: web.Application) -> None:
    base = "/v2.0/quotas/{project_id}"
    app.router.add_get("/v2.0/quotas", list_quotas)
    app.router.add_get(base, show)
    app.router.add_get(base + "/details", details)
    app.router.add_get(base + "/default", show_defaults)
    app.router.add_put(base, update)
    app.router.add_delete(base, reset)
