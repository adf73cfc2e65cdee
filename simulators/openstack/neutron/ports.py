"""Neutron ports: vnic types, fixed IPs, port security, admin-only binding attributes."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import Any

from aiohttp import web

from simulators.openstack.model import Network, Port, iso, new_id, utc_now
from simulators.openstack.neutron import quotas
from simulators.openstack.neutron.common import (
    check_tags,
    list_response,
    not_found,
    one_response,
    policy_refused,
    visible,
)
from simulators.openstack.neutron.networks import find_network
from simulators.openstack.state import Cloud, new_mac
from simulators.openstack.web import (
    ApiError,
    Identity,
    cloud_of,
    identity_of,
    json_response,
    read_json,
)

VNIC_TYPES = (
    "normal",
    "direct",
    "direct-physical",
    "macvtap",
    "virtio-forwarder",
    "vdpa",
    "baremetal",
    "smart-nic",
    "remote-managed",
    "accelerator-direct",
    "accelerator-direct-physical",
)
PORT_ATTRIBUTES: dict[str, Callable[[Any], Any]] = {
    "id": lambda p: p.id,
    "name": lambda p: p.name,
    "network_id": lambda p: p.network_id,
    "project_id": lambda p: p.project_id,
    "tenant_id": lambda p: p.project_id,
    "device_id": lambda p: p.device_id,
    "device_owner": lambda p: p.device_owner,
    "status": lambda p: p.status,
    "mac_address": lambda p: p.mac_address,
    "binding:vnic_type": lambda p: p.vnic_type,
}
BINDING = ("binding:host_id", "binding:profile", "binding:vif_type", "binding:vif_details")


def port_view(port: Port, identity: Identity) -> dict[str, Any]:
    view: dict[str, Any] = {
        "id": port.id,
        "name": port.name,
        "network_id": port.network_id,
        "tenant_id": port.project_id,
        "project_id": port.project_id,
        "mac_address": port.mac_address,
        "admin_state_up": port.admin_state_up,
        "status": port.status,
        "device_id": port.device_id,
        "device_owner": port.device_owner,
        "fixed_ips": [dict(ip) for ip in port.fixed_ips],
        "allowed_address_pairs": [],
        "extra_dhcp_opts": [],
        "security_groups": list(port.security_group_ids),
        "description": port.description,
        "binding:vnic_type": port.vnic_type,
        "port_security_enabled": port.port_security_enabled,
        "dns_name": "",
        "qos_policy_id": None,
        "propagate_uplink_status": False,
        "tags": list(port.tags),
        "created_at": iso(port.created_at),
        "updated_at": iso(port.updated_at),
        "revision_number": port.revision_number,
    }
    if identity.is_admin:
        view.update(
            {
                "binding:host_id": port.binding_host_id,
                "binding:profile": dict(port.binding_profile),
                "binding:vif_type": port.vif_type,
                "binding:vif_details": dict(port.vif_details),
            }
        )
    return view


def _fixed_ips(
    cloud: Cloud, network: Network, wanted: list[dict[str, str]] | None
) -> list[dict[str, str]]:
    result = []
    requests = wanted if wanted else [{"subnet_id": s} for s in network.subnet_ids[:1]]
    for item in requests:
        subnet_id = item.get("subnet_id") or next(
            (s for s in network.subnet_ids if "ip_address" in item), None
        )
        subnet = cloud.subnets.get(subnet_id or "")
        if subnet is None or subnet.network_id != network.id:
            raise ApiError(
                400,
                f"Invalid input for operation: Failed to create port on network "
                f"{network.id}, because fixed_ips included invalid subnet "
                f"{subnet_id}.",
                "InvalidInput",
            )
        address = item.get("ip_address")
        if address:
            if address in subnet.used:
                raise ApiError(
                    409,
                    f"IP address {address} already allocated in subnet {subnet.id}",
                    "IpAddressAlreadyAllocated",
                )
            subnet.used.add(address)
        else:
            address = subnet.allocate()
            if address is None:
                raise ApiError(
                    409,
                    f"No more IP addresses available on network {network.id}.",
                    "IpAddressGenerationFailure",
                )
        result.append({"subnet_id": subnet.id, "ip_address": address})
    return result


def create_port(cloud: Cloud, identity: Identity, network: Network, raw: dict[str, Any]) -> Port:
    """Validate and make a port; used by the API and by Nova for ``networks`` requests."""
    denied = [k for k in BINDING if k in raw and k != "binding:vnic_type"]
    if denied and not identity.is_admin:
        raise policy_refused(f"create_port:{denied[0]}")
    owner = network.project_id == identity.project_id or identity.is_admin
    if "port_security_enabled" in raw and not owner:
        raise policy_refused("create_port:port_security_enabled")
    vnic = raw.get("binding:vnic_type", "normal")
    if vnic not in VNIC_TYPES:
        raise ApiError(
            400,
            f"Invalid input for binding:vnic_type. Reason: '{vnic}' is not in {list(VNIC_TYPES)}.",
            "HTTPBadRequest",
        )
    security = raw.get("port_security_enabled", network.port_security_enabled)
    project_id = raw.get("project_id") or raw.get("tenant_id") or identity.project_id
    quotas.check(cloud, project_id, "port")
    groups = raw.get("security_groups")
    if groups is None:
        groups = [cloud.default_security_group(project_id).id] if security else []
    if groups and not security:
        raise ApiError(
            409,
            "Port has security group associated. Cannot disable port security "
            "or ip address until security group is removed",
            "PortSecurityAndIPRequiredForSecurityGroups",
        )
    port = Port(
        id=new_id(),
        name=raw.get("name", ""),
        network_id=network.id,
        project_id=project_id,
        mac_address=raw.get("mac_address") or new_mac(cloud.rng),
        fixed_ips=_fixed_ips(cloud, network, raw.get("fixed_ips")),
        vnic_type=vnic,
        binding_profile=dict(raw.get("binding:profile") or {}),
        binding_host_id=raw.get("binding:host_id", ""),
        device_id=raw.get("device_id", ""),
        device_owner=raw.get("device_owner", ""),
        admin_state_up=raw.get("admin_state_up", True),
        port_security_enabled=security,
        security_group_ids=list(groups),
        tags=check_tags(raw.get("tags", [])),
        description=raw.get("description", ""),
    )
    cloud.ports[port.id] = port
    return port


def find_port(request: web.Request, port_id: str) -> Port:
    port = cloud_of(request).ports.get(port_id)
    if port is None or not visible(identity_of(request), port.project_id):
        raise not_found("Port", port_id)
    return port


async def list_ports(request: web.Request) -> web.Response:
    identity = identity_of(request)
    items = (p for p in cloud_of(request).ports.values() if visible(identity, p.project_id))
    sample = port_view(Port("", "", "", "", "", []), identity)
    return list_response(
        request, "ports", items, lambda p: port_view(p, identity), set(sample), PORT_ATTRIBUTES
    )


async def show_port(request: web.Request) -> web.Response:
    port = find_port(request, request.match_info["port_id"])
    return one_response(request, "port", port_view(port, identity_of(request)))


def _port_request(raw: Any) -> dict[str, Any]:
    if not isinstance(raw, dict) or "network_id" not in raw:
        raise ApiError(
            400,
            "Failed to parse request. Required attribute 'network_id' not specified",
            "HTTPBadRequest",
        )
    return raw


async def post_port(request: web.Request) -> web.Response:
    """One port (``{"port": ...}``) or, all or nothing, many (``{"ports": [...]}``)."""
    body = await read_json(request)
    identity = identity_of(request)
    cloud = cloud_of(request)
    if isinstance(body.get("ports"), list):
        requests = [_port_request(raw) for raw in body["ports"]]
        owners = Counter(r.get("project_id") or identity.project_id for r in requests)
        for project_id, count in owners.items():  # all or nothing: checked for the lot
            quotas.check(cloud, project_id, "port", count)
        made: list[Port] = []
        try:
            for raw in requests:
                made.append(
                    create_port(cloud, identity, find_network(request, raw["network_id"]), raw)
                )
        except ApiError:
            for port in made:
                _forget(cloud, port)
            raise
        return json_response({"ports": [port_view(p, identity) for p in made]}, 201)
    raw = _port_request(body.get("port"))
    port = create_port(cloud, identity, find_network(request, raw["network_id"]), raw)
    return one_response(request, "port", port_view(port, identity), 201)


def _forget(cloud: Cloud, port: Port) -> None:
    for ip in port.fixed_ips:
        subnet = cloud.subnets.get(ip["subnet_id"])
        if subnet is not None:
            subnet.used.discard(ip["ip_address"])
    cloud.ports.pop(port.id, None)


async def update_port(request: web.Request) -> web.Response:
    identity = identity_of(request)
    cloud = cloud_of(request)
    port = find_port(request, request.match_info["port_id"])
    raw = (await read_json(request)).get("port", {})
    denied = [k for k in BINDING if k in raw]
    if denied and not identity.is_admin:
        raise policy_refused(f"update_port:{denied[0]}")
    network = cloud.networks[port.network_id]
    if "port_security_enabled" in raw and not (
        identity.is_admin or network.project_id == identity.project_id
    ):
        raise policy_refused("update_port:port_security_enabled")
    groups = raw.get("security_groups", port.security_group_ids)
    security = raw.get("port_security_enabled", port.port_security_enabled)
    if groups and not security:
        raise ApiError(
            409,
            "Port has security group associated. Cannot disable port security "
            "or ip address until security group is removed",
            "PortSecurityAndIPRequiredForSecurityGroups",
        )
    port.security_group_ids, port.port_security_enabled = list(groups), security
    for key in ("name", "description", "admin_state_up", "device_id", "device_owner"):
        if key in raw:
            setattr(port, key, raw[key])
    if "binding:host_id" in raw:
        port.binding_host_id = raw["binding:host_id"]
    if "binding:profile" in raw:
        port.binding_profile = dict(raw["binding:profile"] or {})
    if "binding:vnic_type" in raw:
        if port.device_id:
            raise ApiError(409, "Cannot change binding:vnic_type of a bound port", "PortInUse")
        port.vnic_type = raw["binding:vnic_type"]
    port.updated_at = utc_now()
    port.revision_number += 1
    return one_response(request, "port", port_view(port, identity))


async def delete_port(request: web.Request) -> web.Response:
    cloud = cloud_of(request)
    port = find_port(request, request.match_info["port_id"])
    server = cloud.servers.get(port.device_id)
    if server is not None and port.id in server.port_ids:
        server.port_ids.remove(port.id)
    _forget(cloud, port)
    return web.Response(status=204)


def add_routes(app: web.Application) -> None:
    app.router.add_get("/v2.0/ports", list_ports)
    app.router.add_post("/v2.0/ports", post_port)
    app.router.add_get("/v2.0/ports/{port_id}", show_port)
    app.router.add_put("/v2.0/ports/{port_id}", update_port)
    app.router.add_delete("/v2.0/ports/{port_id}", delete_port)
