"""Keystone's admin reads of the service catalogue and of who holds which role:
services, endpoints, domains and role assignments (``openstack endpoint list``,
``service list``, ``domain list``, ``role assignment list``)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

from aiohttp import web

from simulators.openstack.model import User
from simulators.openstack.state import NAMESPACE, Cloud
from simulators.openstack.web import (
    ApiError,
    Identity,
    base_url,
    cloud_of,
    identity_of,
    json_response,
)

SERVICES = [  # (type, name, path under the base URL; {project_id} filled in)
    ("identity", "keystone", "/identity"),
    ("compute", "nova", "/compute/v2.1"),
    ("network", "neutron", "/network"),
    ("image", "glance", "/image"),
    ("block-storage", "cinder", "/volume/v3/{project_id}"),
    ("volumev3", "cinderv3", "/volume/v3/{project_id}"),
    ("placement", "placement", "/placement"),
]
INTERFACES = ("public", "internal", "admin")
DEFAULT_DOMAIN = {"id": "default", "name": "Default"}


def _require_admin(identity: Identity, action: str) -> None:
    if not identity.is_admin:
        raise ApiError(
            403, f"You are not authorized to perform the requested action: identity:{action}."
        )


def role_id(name: str) -> str:
    return uuid.uuid5(NAMESPACE, f"role:{name}").hex


def service_id(kind: str) -> str:
    return uuid.uuid5(NAMESPACE, f"service:{kind}").hex


def endpoint_id(kind: str, interface: str) -> str:
    return uuid.uuid5(NAMESPACE, f"endpoint:{kind}:{interface}").hex


def catalog(cloud: Cloud, base: str, project_id: str) -> list[dict[str, Any]]:
    """The catalogue a token carries: the endpoints with the project filled in."""
    return [
        {
            "id": service_id(kind),
            "type": kind,
            "name": name,
            "endpoints": [
                {
                    "id": endpoint_id(kind, interface),
                    "interface": interface,
                    "region_id": cloud.region,
                    "region": cloud.region,
                    "url": base + path.format(project_id=project_id),
                }
                for interface in INTERFACES
            ],
        }
        for kind, name, path in SERVICES
    ]


def _service_view(base: str, kind: str, name: str) -> dict[str, Any]:
    return {
        "id": service_id(kind),
        "type": kind,
        "name": name,
        "enabled": True,
        "description": f"{name} ({kind})",
        "links": {"self": f"{base}/identity/v3/services/{service_id(kind)}"},
    }


def _endpoints(cloud: Cloud, base: str) -> Iterator[dict[str, Any]]:
    # The catalogue's URLs name the project as Keystone's templates do: $(project_id)s.
    for kind, _, path in SERVICES:
        for interface in INTERFACES:
            yield {
                "id": endpoint_id(kind, interface),
                "interface": interface,
                "region": cloud.region,
                "region_id": cloud.region,
                "service_id": service_id(kind),
                "url": base + path.format(project_id="$(project_id)s"),
                "enabled": True,
                "links": {"self": f"{base}/identity/v3/endpoints/{endpoint_id(kind, interface)}"},
            }


def _matching(
    items: Iterator[dict[str, Any]], request: web.Request, keys: tuple[str, ...]
) -> list[dict[str, Any]]:
    wanted = {k: request.query[k] for k in keys if k in request.query}
    return [i for i in items if all(str(i.get(k)) == v for k, v in wanted.items())]


async def list_services(request: web.Request) -> web.Response:
    _require_admin(identity_of(request), "list_services")
    base = base_url(request)
    services = (_service_view(base, kind, name) for kind, name, _ in SERVICES)
    return json_response({"services": _matching(services, request, ("type", "name"))})


async def show_service(request: web.Request) -> web.Response:
    _require_admin(identity_of(request), "get_service")
    wanted = request.match_info["service_id"]
    base = base_url(request)
    for kind, name, _ in SERVICES:
        if service_id(kind) == wanted:
            return json_response({"service": _service_view(base, kind, name)})
    raise ApiError(404, f"Could not find service: {wanted}.")


async def list_endpoints(request: web.Request) -> web.Response:
    _require_admin(identity_of(request), "list_endpoints")
    endpoints = _endpoints(cloud_of(request), base_url(request))
    keys = ("service_id", "interface", "region_id")
    return json_response({"endpoints": _matching(endpoints, request, keys)})


async def show_endpoint(request: web.Request) -> web.Response:
    _require_admin(identity_of(request), "get_endpoint")
    wanted = request.match_info["endpoint_id"]
    for endpoint in _endpoints(cloud_of(request), base_url(request)):
        if endpoint["id"] == wanted:
            return json_response({"endpoint": endpoint})
    raise ApiError(404, f"Could not find endpoint: {wanted}.")


def _domain_view(base: str) -> dict[str, Any]:
    return {
        **DEFAULT_DOMAIN,
        "description": "The default domain",
        "enabled": True,
        "tags": [],
        "options": {},
        "links": {"self": f"{base}/identity/v3/domains/default"},
    }


async def list_domains(request: web.Request) -> web.Response:
    _require_admin(identity_of(request), "list_domains")
    domains = _matching(iter([_domain_view(base_url(request))]), request, ("name",))
    return json_response({"domains": domains})


async def show_domain(request: web.Request) -> web.Response:
    wanted = request.match_info["domain_id"]
    if wanted != DEFAULT_DOMAIN["id"]:
        raise ApiError(404, f"Could not find domain: {wanted}.")
    return json_response({"domain": _domain_view(base_url(request))})


def _assignment(cloud: Cloud, base: str, user: User, role: str, names: bool) -> dict[str, Any]:
    project = cloud.projects[user.project_id]
    body: dict[str, Any] = {
        "role": {"id": role_id(role)},
        "user": {"id": user.id},
        "scope": {"project": {"id": project.id}},
        "links": {
            "assignment": f"{base}/identity/v3/projects/{project.id}/users/{user.id}"
            f"/roles/{role_id(role)}"
        },
    }
    if names:
        body["role"]["name"] = role
        body["user"].update({"name": user.name, "domain": dict(DEFAULT_DOMAIN)})
        body["scope"]["project"].update({"name": project.name, "domain": dict(DEFAULT_DOMAIN)})
    return body


def _flag(request: web.Request, name: str) -> bool:
    # Keystone reads a bare ?effective (or any value but 0/false) as true.
    value = request.query.get(name)
    return value is not None and value.lower() not in ("0", "false")


async def list_role_assignments(request: web.Request) -> web.Response:
    """Each user's roles on its project; ``effective`` adds the implied roles (admin
    implies member, member implies reader) as Keystone expands them."""
    identity = identity_of(request)
    query = request.query
    if not identity.is_admin and query.get("user.id") != identity.user_id:
        _require_admin(identity, "list_role_assignments")
    cloud = cloud_of(request)
    base = base_url(request)
    names, effective = _flag(request, "include_names"), _flag(request, "effective")
    if "group.id" in query or "scope.domain.id" in query or "scope.system" in query:
        return json_response({"role_assignments": []})  # no groups, no domain or system roles
    result = []
    for user in cloud.users.values():
        if query.get("user.id") not in (None, user.id):
            continue
        if query.get("scope.project.id") not in (None, user.project_id):
            continue
        for role in user.roles if effective else user.assigned_roles:
            if query.get("role.id") in (None, role_id(role)):
                result.append(_assignment(cloud, base, user, role, names))
    return json_response({"role_assignments": result})


def add_routes(app: web.Application) -> None:
    app.router.add_get("/v3/services", list_services)
    app.router.add_get("/v3/services/{service_id}", show_service)
    app.router.add_get("/v3/endpoints", list_endpoints)
    app.router.add_get("/v3/endpoints/{endpoint_id}", show_endpoint)
    app.router.add_get("/v3/domains", list_domains)
    app.router.add_get("/v3/domains/{domain_id}", show_domain)
    app.router.add_get("/v3/role_assignments", list_role_assignments)
