"""Neutron networks (with provider and external attributes) and subnets."""

from __future__ import annotations

import ipaddress
from typing import Any

from aiohttp import web

from simulators.openstack.model import Network, Subnet, iso, new_id, utc_now
from simulators.openstack.neutron import quotas
from simulators.openstack.neutron.common import (
    check_tags,
    list_response,
    not_found,
    one_response,
    policy_refused,
    visible,
)
from simulators.openstack.state import add_subnet
from simulators.openstack.web import ApiError, Identity, cloud_of, identity_of, read_json

PROVIDER = ("provider:network_type", "provider:physical_network", "provider:segmentation_id")


def network_view(network: Network, identity: Identity) -> dict[str, Any]:
    view: dict[str, Any] = {
        "id": network.id,
        "name": network.name,
        "tenant_id": network.project_id,
        "project_id": network.project_id,
        "admin_state_up": network.admin_state_up,
        "mtu": network.mtu,
        "status": "ACTIVE",
        "subnets": list(network.subnet_ids),
        "shared": network.shared,
        "router:external": network.external,
        "availability_zone_hints": [],
        "availability_zones": ["nova"],
        "ipv4_address_scope": None,
        "ipv6_address_scope": None,
        "description": network.description,
        "port_security_enabled": network.port_security_enabled,
        "l2_adjacency": True,
        "is_default": False,
        "tags": list(network.tags),
        "created_at": iso(network.created_at),
        "updated_at": iso(network.updated_at),
        "revision_number": 1,
    }
    if identity.is_admin:
        view.update(
            {
                "provider:network_type": network.network_type,
                "provider:physical_network": network.physical_network,
                "provider:segmentation_id": network.segmentation_id,
            }
        )
    return view


def subnet_view(subnet: Subnet) -> dict[str, Any]:
    return {
        "id": subnet.id,
        "name": subnet.name,
        "network_id": subnet.network_id,
        "tenant_id": subnet.project_id,
        "project_id": subnet.project_id,
        "cidr": subnet.cidr,
        "ip_version": subnet.ip_version,
        "gateway_ip": subnet.gateway_ip,
        "enable_dhcp": subnet.enable_dhcp,
        "allocation_pools": [{"start": s, "end": e} for s, e in subnet.pools],
        "dns_nameservers": [],
        "host_routes": [],
        "ipv6_ra_mode": None,
        "ipv6_address_mode": None,
        "subnetpool_id": None,
        "segment_id": None,
        "service_types": [],
        "description": "",
        "tags": list(subnet.tags),
        "created_at": iso(subnet.created_at),
        "updated_at": iso(subnet.created_at),
        "revision_number": 0,
    }


def find_network(request: web.Request, network_id: str) -> Network:
    network = cloud_of(request).networks.get(network_id)
    identity = identity_of(request)
    if network is None or not visible(
        identity, network.project_id, network.shared or network.external
    ):
        raise not_found("Network", network_id)
    return network


async def list_networks(request: web.Request) -> web.Response:
    identity = identity_of(request)
    items = [
        n
        for n in cloud_of(request).networks.values()
        if visible(identity, n.project_id, n.shared or n.external)
    ]
    allowed = set(network_view(Network("", "", ""), identity))
    return list_response(request, "networks", items, lambda n: network_view(n, identity), allowed)


async def show_network(request: web.Request) -> web.Response:
    network = find_network(request, request.match_info["network_id"])
    return one_response(request, "network", network_view(network, identity_of(request)))


async def create_network(request: web.Request) -> web.Response:
    identity = identity_of(request)
    raw = (await read_json(request)).get("network")
    if not isinstance(raw, dict):
        raise ApiError(400, "Resource body required", "HTTPBadRequest")
    admin_only = [k for k in (*PROVIDER, "shared", "router:external") if raw.get(k)]
    if admin_only and not identity.is_admin:
        raise policy_refused(f"create_network:{admin_only[0]}")
    project_id = raw.get("project_id") or raw.get("tenant_id") or identity.project_id
    quotas.check(cloud_of(request), project_id, "network")
    network = Network(
        new_id(),
        raw.get("name", ""),
        project_id,
        network_type=raw.get("provider:network_type", "vxlan"),
        physical_network=raw.get("provider:physical_network"),
        segmentation_id=raw.get("provider:segmentation_id"),
        shared=bool(raw.get("shared")),
        external=bool(raw.get("router:external")),
        mtu=int(raw.get("mtu", 1450)),
        admin_state_up=raw.get("admin_state_up", True),
        port_security_enabled=raw.get("port_security_enabled", True),
        tags=check_tags(raw.get("tags", [])),
        description=raw.get("description", ""),
    )
    cloud_of(request).networks[network.id] = network
    return one_response(request, "network", network_view(network, identity), 201)


async def update_network(request: web.Request) -> web.Response:
    identity = identity_of(request)
    network = find_network(request, request.match_info["network_id"])
    if not visible(identity, network.project_id):
        raise policy_refused("update_network")
    raw = (await read_json(request)).get("network", {})
    for key in ("name", "description", "admin_state_up", "port_security_enabled"):
        if key in raw:
            setattr(network, key, raw[key])
    network.updated_at = utc_now()
    return one_response(request, "network", network_view(network, identity))


async def delete_network(request: web.Request) -> web.Response:
    cloud = cloud_of(request)
    network = find_network(request, request.match_info["network_id"])
    if not visible(identity_of(request), network.project_id):
        raise policy_refused("delete_network")
    if any(p.network_id == network.id for p in cloud.ports.values()):
        raise ApiError(
            409,
            f"Unable to complete operation on network {network.id}. There are "
            "one or more ports still in use on the network.",
            "NetworkInUse",
        )
    for subnet_id in network.subnet_ids:
        cloud.subnets.pop(subnet_id, None)
    del cloud.networks[network.id]
    return web.Response(status=204)


def find_subnet(request: web.Request, subnet_id: str) -> Subnet:
    subnet = cloud_of(request).subnets.get(subnet_id)
    if subnet is None:
        raise not_found("Subnet", subnet_id)
    find_network(request, subnet.network_id)
    return subnet


async def list_subnets(request: web.Request) -> web.Response:
    identity = identity_of(request)
    cloud = cloud_of(request)
    items = [
        s
        for s in cloud.subnets.values()
        if visible(
            identity,
            s.project_id,
            cloud.networks[s.network_id].shared or cloud.networks[s.network_id].external,
        )
    ]
    allowed = set(subnet_view(Subnet("", "", "", "", "10.0.0.0/8", None, True, [])))
    return list_response(request, "subnets", items, subnet_view, allowed)


async def show_subnet(request: web.Request) -> web.Response:
    return one_response(
        request, "subnet", subnet_view(find_subnet(request, request.match_info["subnet_id"]))
    )


async def create_subnet(request: web.Request) -> web.Response:
    identity = identity_of(request)
    raw = (await read_json(request)).get("subnet")
    if not isinstance(raw, dict) or "network_id" not in raw or "cidr" not in raw:
        raise ApiError(400, "Invalid input: network_id and cidr are required", "HTTPBadRequest")
    network = find_network(request, raw["network_id"])
    if not visible(identity, network.project_id):
        raise policy_refused("create_subnet")
    try:
        ipaddress.ip_network(raw["cidr"], strict=False)
    except ValueError as exc:
        raise ApiError(400, f"Invalid input for cidr: {exc}", "HTTPBadRequest") from exc
    quotas.check(cloud_of(request), network.project_id, "subnet")
    spec = {
        "id": new_id(),
        "name": raw.get("name", ""),
        "cidr": raw["cidr"],
        "enable_dhcp": raw.get("enable_dhcp", True),
        "allocation_pools": raw.get("allocation_pools", []),
    }
    if "gateway_ip" in raw:
        spec["gateway_ip"] = raw["gateway_ip"]
    subnet = add_subnet(cloud_of(request), network, spec)
    subnet.tags = check_tags(raw.get("tags", []))
    return one_response(request, "subnet", subnet_view(subnet), 201)


async def delete_subnet(request: web.Request) -> web.Response:
    cloud = cloud_of(request)
    subnet = find_subnet(request, request.match_info["subnet_id"])
    if any(ip["subnet_id"] == subnet.id for p in cloud.ports.values() for ip in p.fixed_ips):
        raise ApiError(
            409,
            f"Unable to complete operation on subnet {subnet.id}: One or more "
            "ports have an IP allocation from this subnet.",
            "SubnetInUse",
        )
    cloud.networks[subnet.network_id].subnet_ids.remove(subnet.id)
    del cloud.subnets[subnet.id]
    return web.Response(status=204)


def add_routes(app: web.Application) -> None:
    app.router.add_get("/v2.0/networks", list_networks)
    app.router.add_post("/v2.0/networks", create_network)
    app.router.add_get("/v2.0/networks/{network_id}", show_network)
    app.router.add_put("/v2.0/networks/{network_id}", update_network)
    app.router.add_delete("/v2.0/networks/{network_id}", delete_network)
    app.router.add_get("/v2.0/subnets", list_subnets)
    app.router.add_post("/v2.0/subnets", create_subnet)
    app.router.add_get("/v2.0/subnets/{subnet_id}", show_subnet)
    app.router.add_delete("/v2.0/subnets/{subnet_id}", delete_subnet)
