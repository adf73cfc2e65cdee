"""Placement's names: resource classes (1.2+) and traits (1.6+), the standard ones
(os-resource-classes and os-traits, which Placement loads at start) and the custom ones
the cloud's providers use; and ``/usages`` of a project (1.9+)."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from simulators.openstack.microversion import MICROVERSION, Version
from simulators.openstack.placement_filters import known_classes, known_traits
from simulators.openstack.resource_providers import allocations, providers, traits
from simulators.openstack.state import Cloud
from simulators.openstack.web import ApiError, cloud_of, json_response


def _since(request: web.Request, minor: int) -> None:
    if request[MICROVERSION] < Version(1, minor):
        raise ApiError(404, "The resource could not be found.")


def _class_view(name: str) -> dict[str, Any]:
    return {"name": name, "links": [{"rel": "self", "href": f"/resource_classes/{name}"}]}


async def list_classes(request: web.Request) -> web.Response:
    _since(request, 2)
    names = known_classes(cloud_of(request))
    return json_response({"resource_classes": [_class_view(n) for n in names]})


async def show_class(request: web.Request) -> web.Response:
    _since(request, 2)
    name = request.match_info["name"]
    if name not in known_classes(cloud_of(request)):
        raise ApiError(404, f"No such resource class {name}.", "placement.undefined_code")
    return json_response(_class_view(name))


def _name_filter(value: str) -> Any:
    if value.startswith("startswith:"):
        prefix = value.removeprefix("startswith:")
        return lambda name: name.startswith(prefix)
    if value.startswith("in:"):
        names = set(value.removeprefix("in:").split(","))
        return lambda name: name in names
    raise ApiError(
        400,
        f"Badly formatted name parameter. Expected name query string parameter in form: "
        f'?name=[in|startswith]:[name1,name2|prefix]. Got: "{value}"',
    )


async def list_traits(request: web.Request) -> web.Response:
    _since(request, 6)
    cloud = cloud_of(request)
    names = sorted(known_traits(cloud))
    if "name" in request.query:
        names = [n for n in names if _name_filter(request.query["name"])(n)]
    associated = request.query.get("associated")
    if associated is not None:
        if associated.lower() not in ("true", "false"):
            raise ApiError(400, "The query parameter 'associated' only accepts 'true' or 'false'")
        used = {t for p in providers(cloud).values() for t in traits(p)}
        names = [n for n in names if (n in used) == (associated.lower() == "true")]
    return json_response({"traits": names})


async def show_trait(request: web.Request) -> web.Response:
    _since(request, 6)
    name = request.match_info["name"]
    if name not in known_traits(cloud_of(request)):
        raise ApiError(404, f"No such trait(s): {name}.", "placement.undefined_code")
    return web.Response(status=204)


def _consumer_types(cloud: Cloud) -> dict[str, tuple[str | None, str | None, str]]:
    """Consumer -> (project, user, consumer type) of every allocation's consumer."""
    result: dict[str, tuple[str | None, str | None, str]] = {
        s.id: (s.project_id, s.user_id, "INSTANCE") for s in cloud.servers.values() if s.claim
    }
    for consumer in cloud.allocations.values():
        result[consumer.consumer_id] = (
            consumer.project_id,
            consumer.user_id,
            consumer.consumer_type,
        )
    return result


async def project_usages(request: web.Request) -> web.Response:
    _since(request, 9)
    project_id = request.query.get("project_id")
    if project_id is None:
        raise ApiError(400, "Invalid query string parameters: 'project_id' is a required property")
    user_id = request.query.get("user_id")
    cloud = cloud_of(request)
    owners = _consumer_types(cloud)
    by_type: dict[str, dict[str, int]] = {}
    for provider_id, provider in providers(cloud).items():
        for consumer, resources in allocations(cloud, provider_id, provider).items():
            project, user, kind = owners.get(consumer, (None, None, "UNKNOWN"))
            if project != project_id or user_id not in (None, user):
                continue
            for group in ("all", kind):
                totals = by_type.setdefault(group, {})
                for name, amount in resources.items():
                    totals[name] = totals.get(name, 0) + amount
    if request[MICROVERSION] >= Version(1, 38):
        return json_response({"usages": by_type or {"all": {}}})
    return json_response({"usages": by_type.get("all", {})})


def add_routes(app: web.Application, guard: Any) -> None:
    for path, handler in (
        ("/resource_classes", list_classes),
        ("/resource_classes/{name}", show_class),
        ("/traits", list_traits),
        ("/traits/{name}", show_trait),
        ("/usages", project_usages),
    ):
        app.router.add_get(path, guard(handler))
