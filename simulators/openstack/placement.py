"""Placement: a resource provider per compute node (VCPU, PCPU, MEMORY_MB, DISK_GB),
SR-IOV NICs as child providers when ``placement.pci_in_placement`` is on, and
allocations that are the servers' claims."""

from __future__ import annotations

import uuid
from typing import Any

from aiohttp import web

from simulators.openstack.hosts import HostState, NicState
from simulators.openstack.microversion import Version, microversion_middleware
from simulators.openstack.state import NAMESPACE, Cloud
from simulators.openstack.web import (
    ApiError,
    auth_middleware,
    cloud_of,
    error_middleware,
    identity_of,
    json_response,
    placement_error,
)

MIN_VERSION, MAX_VERSION = Version(1, 0), Version(1, 39)
VF_CLASS = "CUSTOM_PCI_8086_154C"
PUBLIC = {"/placement", "/placement/"}


def _nic_provider_id(host: HostState, nic: NicState) -> str:
    return str(uuid.uuid5(NAMESPACE, f"provider:{host.name}:{nic.spec.pci_address}"))


def providers(cloud: Cloud) -> dict[str, dict[str, Any]]:
    """Every provider by uuid: name, parent, root, host, nic (None for the root)."""
    result: dict[str, dict[str, Any]] = {}
    for host in cloud.hosts.values():
        result[host.provider_id] = {
            "name": host.name,
            "parent": None,
            "root": host.provider_id,
            "host": host,
            "nic": None,
        }
        if cloud.inventory.pci_in_placement:
            for nic in host.nics:
                if nic.spec.physnet and nic.spec.vfs:
                    result[_nic_provider_id(host, nic)] = {
                        "name": f"{host.name}_{nic.spec.pci_address}",
                        "parent": host.provider_id,
                        "root": host.provider_id,
                        "host": host,
                        "nic": nic,
                    }
    return result


def _inventory(provider: dict[str, Any]) -> dict[str, dict[str, Any]]:
    host: HostState = provider["host"]
    nic: NicState | None = provider["nic"]
    if nic is not None:
        return {VF_CLASS: _inv(nic.spec.vfs, 1.0)}
    inventory = {
        "VCPU": _inv(host.shared_cpu_count, host.spec.cpu_allocation_ratio),
        "MEMORY_MB": _inv(
            host.memory_mb, host.spec.ram_allocation_ratio, host.spec.reserved_host_memory_mb
        ),
        "DISK_GB": _inv(host.spec.disk_gb, host.spec.disk_allocation_ratio),
    }
    if host.dedicated_cpu_count:
        inventory["PCPU"] = _inv(host.dedicated_cpu_count, 1.0)
    return {k: v for k, v in inventory.items() if v["total"] > 0}


def _inv(total: int, ratio: float, reserved: int = 0) -> dict[str, Any]:
    return {
        "total": total,
        "reserved": reserved,
        "min_unit": 1,
        "max_unit": total,
        "step_size": 1,
        "allocation_ratio": ratio,
    }


def _allocations(
    cloud: Cloud, provider_id: str, provider: dict[str, Any]
) -> dict[str, dict[str, int]]:
    """Consumer -> resources taken from this provider."""
    host: HostState = provider["host"]
    result: dict[str, dict[str, int]] = {}
    for server_id in host.servers:
        server = cloud.servers.get(server_id)
        if server is None or server.claim is None:
            continue
        claim = server.claim
        if provider["nic"] is None:
            resources = {
                "VCPU": claim.vcpus,
                "PCPU": claim.pcpus,
                "MEMORY_MB": claim.ram_mb,
                "DISK_GB": claim.disk_gb,
            }
            resources = {k: v for k, v in resources.items() if v}
        else:
            nic: NicState = provider["nic"]
            taken = [p for p in claim.pci if p.nic == nic.spec.name]
            count = sum(nic.spec.vfs if p.vf_index is None else 1 for p in taken)
            resources = {VF_CLASS: count} if count else {}
        if resources:
            result[server_id] = resources
    return result


def _provider(request: web.Request) -> tuple[str, dict[str, Any]]:
    provider_id = request.match_info["uuid"]
    found = providers(cloud_of(request)).get(provider_id)
    if found is None:
        raise ApiError(404, f"No resource provider with uuid {provider_id} found")
    return provider_id, found


def _provider_view(provider_id: str, provider: dict[str, Any]) -> dict[str, Any]:
    base = f"/resource_providers/{provider_id}"
    return {
        "uuid": provider_id,
        "name": provider["name"],
        "generation": 1,
        "parent_provider_uuid": provider["parent"],
        "root_provider_uuid": provider["root"],
        "links": [{"rel": "self", "href": base}]
        + [
            {"rel": r, "href": f"{base}/{r}"}
            for r in ("inventories", "usages", "aggregates", "traits", "allocations")
        ],
    }


async def versions(request: web.Request) -> web.Response:
    return json_response(
        {
            "versions": [
                {
                    "id": "v1.0",
                    "max_version": str(MAX_VERSION),
                    "min_version": str(MIN_VERSION),
                    "status": "CURRENT",
                    "links": [{"rel": "self", "href": ""}],
                }
            ]
        }
    )


async def list_providers(request: web.Request) -> web.Response:
    query = request.query
    items = []
    for provider_id, provider in providers(cloud_of(request)).items():
        if query.get("name") not in (None, provider["name"]):
            continue
        if query.get("uuid") not in (None, provider_id):
            continue
        if query.get("in_tree") not in (None, provider["root"]):
            continue
        items.append(_provider_view(provider_id, provider))
    return json_response({"resource_providers": items})


async def show_provider(request: web.Request) -> web.Response:
    return json_response(_provider_view(*_provider(request)))


async def inventories(request: web.Request) -> web.Response:
    _, provider = _provider(request)
    return json_response({"inventories": _inventory(provider), "resource_provider_generation": 1})


async def usages(request: web.Request) -> web.Response:
    provider_id, provider = _provider(request)
    totals = dict.fromkeys(_inventory(provider), 0)
    for resources in _allocations(cloud_of(request), provider_id, provider).values():
        for name, amount in resources.items():
            totals[name] = totals.get(name, 0) + amount
    return json_response({"usages": totals, "resource_provider_generation": 1})


async def traits(request: web.Request) -> web.Response:
    _, provider = _provider(request)
    if provider["nic"] is not None:
        physnet = provider["nic"].spec.physnet.upper().replace("-", "_")
        names = ["COMPUTE_MANAGED_PCI_DEVICE", f"CUSTOM_PHYSNET_{physnet}"]
    else:
        host: HostState = provider["host"]
        names = sorted({*host.spec.traits, "COMPUTE_NODE"})
    return json_response({"traits": names, "resource_provider_generation": 1})


async def aggregates(request: web.Request) -> web.Response:
    _, provider = _provider(request)
    host: HostState = provider["host"]
    names = [*host.spec.aggregates, f"zone:{host.spec.zone}"]
    ids = [str(uuid.uuid5(NAMESPACE, f"aggregate:{n}")) for n in names]
    return json_response({"aggregates": ids, "resource_provider_generation": 1})


async def provider_allocations(request: web.Request) -> web.Response:
    provider_id, provider = _provider(request)
    allocations = _allocations(cloud_of(request), provider_id, provider)
    return json_response(
        {
            "allocations": {c: {"resources": r} for c, r in allocations.items()},
            "resource_provider_generation": 1,
        }
    )


async def consumer_allocations(request: web.Request) -> web.Response:
    cloud = cloud_of(request)
    consumer = request.match_info["consumer"]
    server = cloud.servers.get(consumer)
    body: dict[str, Any] = {"allocations": {}}
    if server is not None and server.host:
        for provider_id, provider in providers(cloud).items():
            if provider["host"].name != server.host:
                continue
            resources = _allocations(cloud, provider_id, provider).get(consumer)
            if resources:
                body["allocations"][provider_id] = {"resources": resources, "generation": 1}
        body.update(
            {"project_id": server.project_id, "user_id": server.user_id, "consumer_generation": 1}
        )
    return json_response(body)


def _admin_only(handler: Any) -> Any:
    async def wrapped(request: web.Request) -> web.StreamResponse:
        identity_of(request).require_admin("placement:" + request.path.split("/")[2])
        return await handler(request)  # type: ignore[no-any-return]

    return wrapped


def placement_app() -> web.Application:
    app = web.Application(
        middlewares=[
            error_middleware(placement_error),
            auth_middleware(lambda r: r.path in PUBLIC),
            microversion_middleware("placement", MIN_VERSION, MAX_VERSION, None, PUBLIC),
        ]
    )
    app.router.add_get("/", versions)
    base = "/resource_providers/{uuid}"
    for path, handler in (
        ("/resource_providers", list_providers),
        (base, show_provider),
        (base + "/inventories", inventories),
        (base + "/usages", usages),
        (base + "/traits", traits),
        (base + "/aggregates", aggregates),
        (base + "/allocations", provider_allocations),
        ("/allocations/{consumer}", consumer_allocations),
    ):
        app.router.add_get(path, _admin_only(handler))
    return app


def install(app: web.Application) -> None:
    app.router.add_get("/placement", versions)
    app.add_subapp("/placement", placement_app())
