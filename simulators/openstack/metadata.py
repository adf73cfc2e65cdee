"""The metadata service a guest reads (here per server, under /_sim/metadata/{id})."""

from __future__ import annotations

import base64
from typing import Any

from aiohttp import web

from simulators.openstack.model import Server
from simulators.openstack.web import ApiError, cloud_of, json_response


def _server(request: web.Request) -> Server:
    server = cloud_of(request).servers.get(request.match_info["server_id"])
    if server is None:
        raise ApiError(404, "Not Found")
    return server


async def meta_data(request: web.Request) -> web.Response:
    server = _server(request)
    cloud = cloud_of(request)
    keypair = cloud.keypairs.get((server.user_id, server.key_name or ""))
    keys = {keypair["name"]: keypair["public_key"]} if keypair else {}
    body = {
        "uuid": server.id,
        "name": server.name,
        "hostname": server.name.lower(),
        "launch_index": 0,
        "availability_zone": server.zone,
        "project_id": server.project_id,
        "meta": dict(server.metadata),
        "public_keys": keys,
        "keys": [{"name": name, "type": "ssh", "data": key} for name, key in keys.items()],
        "devices": [],
        "dedicated_cpus": sorted(
            cpu for c in (server.claim.cells if server.claim else []) for cpu in c.pinning.values()
        )
        or None,
    }
    return json_response(body)


async def user_data(request: web.Request) -> web.Response:
    server = _server(request)
    if server.user_data is None:
        raise ApiError(404, "Not Found")
    return web.Response(
        body=base64.b64decode(server.user_data), content_type="application/octet-stream"
    )


async def network_data(request: web.Request) -> web.Response:
    server = _server(request)
    cloud = cloud_of(request)
    links: list[dict[str, Any]] = []
    networks: list[dict[str, Any]] = []
    for index, port_id in enumerate(server.port_ids):
        port = cloud.ports.get(port_id)
        if port is None or port.device_id != server.id:
            continue
        link_id = f"tap{port.id[:11]}"
        kind = "hw_veb" if port.vif_type in ("hw_veb", "hostdev_physical") else port.vif_type
        network = cloud.networks[port.network_id]
        links.append(
            {
                "id": link_id,
                "vif_id": port.id,
                "type": kind,
                "mtu": network.mtu,
                "ethernet_mac_address": port.mac_address,
            }
        )
        for ip in port.fixed_ips:
            subnet = cloud.subnets[ip["subnet_id"]]
            prefix = subnet.cidr.split("/")[1]
            routes = (
                []
                if not subnet.gateway_ip
                else [{"network": "0.0.0.0", "netmask": "0.0.0.0", "gateway": subnet.gateway_ip}]
            )
            networks.append(
                {
                    "id": f"network{index}",
                    "type": "ipv4",
                    "link": link_id,
                    "ip_address": ip["ip_address"],
                    "netmask": _netmask(int(prefix)),
                    "routes": routes,
                    "network_id": network.id,
                    "services": [],
                }
            )
    return json_response({"links": links, "networks": networks, "services": []})


def _netmask(prefix: int) -> str:
    value = (0xFFFFFFFF << (32 - prefix)) & 0xFFFFFFFF
    return ".".join(str((value >> shift) & 0xFF) for shift in (24, 16, 8, 0))


def add_routes(app: web.Application) -> None:
    base = "/metadata/{server_id}/openstack/latest"
    app.router.add_get(base + "/meta_data.json", meta_data)
    app.router.add_get(base + "/user_data", user_data)
    app.router.add_get(base + "/network_data.json", network_data)
