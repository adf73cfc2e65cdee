"""Nova's server and flavor bodies, microversion by microversion."""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from aiohttp import web

from simulators.openstack.microversion import MICROVERSION, at_least
from simulators.openstack.model import Flavor, Server, iso, iso_micro
from simulators.openstack.state import Cloud
from simulators.openstack.web import base_url, cloud_of, identity_of


def links(request: web.Request, kind: str, item_id: str) -> list[dict[str, str]]:
    base = base_url(request)
    return [
        {"rel": "self", "href": f"{base}/compute/v2.1/{kind}/{item_id}"},
        {"rel": "bookmark", "href": f"{base}/compute/{kind}/{item_id}"},
    ]


def flavor_view(request: web.Request, flavor: Flavor, detail: bool = True) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": flavor.id,
        "name": flavor.name,
        "links": links(request, "flavors", flavor.id),
    }
    if at_least(request, 55):
        body["description"] = flavor.description
    if not detail:
        return body
    body.update(
        {
            "ram": flavor.ram,
            "disk": flavor.disk,
            "vcpus": flavor.vcpus,
            "swap": flavor.swap if at_least(request, 75) else (flavor.swap or ""),
            "OS-FLV-EXT-DATA:ephemeral": flavor.ephemeral,
            "OS-FLV-DISABLED:disabled": False,
            "os-flavor-access:is_public": flavor.is_public,
            "rxtx_factor": 1.0,
        }
    )
    if at_least(request, 61):
        body["extra_specs"] = dict(flavor.extra_specs)
    return body


@dataclass(frozen=True)
class ViewContext:
    """What every server body of one response shares, read once per request."""

    cloud: Cloud
    base: str
    minor: int
    admin: bool
    now: float

    @classmethod
    def of(cls, request: web.Request) -> ViewContext:
        return cls(
            cloud_of(request),
            base_url(request),
            request[MICROVERSION].minor,
            identity_of(request).is_admin,
            time.monotonic(),
        )


def _addresses(cloud: Cloud, server: Server) -> dict[str, list[dict[str, Any]]]:
    result: dict[str, list[dict[str, Any]]] = {}
    for port_id in server.port_ids:
        port = cloud.ports.get(port_id)
        if port is None or port.device_id != server.id:
            continue
        network = cloud.networks[port.network_id]
        for ip in port.fixed_ips:
            result.setdefault(network.name, []).append(
                {
                    "version": 6 if ":" in ip["ip_address"] else 4,
                    "addr": ip["ip_address"],
                    "OS-EXT-IPS:type": "fixed",
                    "OS-EXT-IPS-MAC:mac_addr": port.mac_address,
                }
            )
    return result


def _flavor_embedded(ctx: ViewContext, server: Server) -> dict[str, Any]:
    flavor = server.flavor
    if ctx.minor < 47:
        return {
            "id": flavor["id"],
            "links": [{"rel": "bookmark", "href": f"{ctx.base}/compute/flavors/{flavor['id']}"}],
        }
    return {
        "vcpus": flavor["vcpus"],
        "ram": flavor["ram"],
        "disk": flavor["disk"],
        "ephemeral": flavor["ephemeral"],
        "swap": flavor["swap"],
        "original_name": flavor["name"],
        "extra_specs": dict(flavor["extra_specs"]),
    }  # project readers may see them


@lru_cache(maxsize=4096)
def host_id(project_id: str, host: str | None) -> str:
    if not host:
        return ""
    return hashlib.sha224((project_id + host).encode()).hexdigest()


def server_view(
    request: web.Request, server: Server, ctx: ViewContext | None = None
) -> dict[str, Any]:
    ctx = ctx or ViewContext.of(request)
    image: Any = (
        ""
        if not server.image_id
        else {
            "id": server.image_id,
            "links": [{"rel": "bookmark", "href": f"{ctx.base}/compute/images/{server.image_id}"}],
        }
    )
    body: dict[str, Any] = {
        "id": server.id,
        "name": server.name,
        "status": server.status,
        "tenant_id": server.project_id,
        "user_id": server.user_id,
        "metadata": dict(server.metadata),
        "hostId": host_id(server.project_id, server.host),
        "image": image,
        "flavor": _flavor_embedded(ctx, server),
        "created": iso(server.created_at),
        "updated": iso(server.updated_at),
        "addresses": _addresses(ctx.cloud, server),
        "accessIPv4": "",
        "accessIPv6": "",
        "links": [
            {"rel": "self", "href": f"{ctx.base}/compute/v2.1/servers/{server.id}"},
            {"rel": "bookmark", "href": f"{ctx.base}/compute/servers/{server.id}"},
        ],
        "OS-DCF:diskConfig": "MANUAL",
        "progress": 0,
        "OS-EXT-AZ:availability_zone": server.zone or "",
        "config_drive": "True" if server.config_drive else "",
        "key_name": server.key_name,
        "OS-SRV-USG:launched_at": iso_micro(server.launched_at) if server.launched_at else None,
        "OS-SRV-USG:terminated_at": None,
        "OS-EXT-STS:task_state": server.task_state,
        "OS-EXT-STS:vm_state": server.vm_state,
        "OS-EXT-STS:power_state": server.power_state,
        "os-extended-volumes:volumes_attached": [
            {"id": v, "delete_on_termination": False} for v in server.volume_ids
        ],
        "security_groups": [{"name": "default"}] if server.port_ids else [],
    }
    if ctx.admin:
        _admin_fields(ctx, server, body)
    if server.fault is not None and server.status == "ERROR":
        fault = dict(server.fault)
        fault["created"] = iso(fault["created"])
        if not ctx.admin:
            fault.pop("details", None)
        body["fault"] = fault
    _microversion_fields(ctx, server, body)
    return body


def _admin_fields(ctx: ViewContext, server: Server, body: dict[str, Any]) -> None:
    body.update(
        {
            "OS-EXT-SRV-ATTR:host": server.host,
            "OS-EXT-SRV-ATTR:hypervisor_hostname": server.host,
            "OS-EXT-SRV-ATTR:instance_name": f"instance-{server.id[:8]}",
        }
    )
    if ctx.minor >= 3:
        body.update(
            {
                "OS-EXT-SRV-ATTR:reservation_id": server.reservation_id,
                "OS-EXT-SRV-ATTR:launch_index": 0,
                "OS-EXT-SRV-ATTR:hostname": server.name.lower().replace(" ", "-"),
                "OS-EXT-SRV-ATTR:kernel_id": "",
                "OS-EXT-SRV-ATTR:ramdisk_id": "",
                "OS-EXT-SRV-ATTR:root_device_name": "/dev/vda",
                "OS-EXT-SRV-ATTR:user_data": server.user_data,
            }
        )
    if ctx.minor >= 16:
        host = ctx.cloud.host_of(server)
        body["host_status"] = (
            ""
            if host is None
            else host.host_status(ctx.now, ctx.cloud.config.scaled_service_down_time)
        )


MICROVERSION_FIELDS: list[tuple[int, str, Any]] = [
    (9, "locked", lambda s: False),
    (19, "description", lambda s: s.description),
    (26, "tags", lambda s: list(s.tags)),
    (63, "trusted_image_certificates", lambda s: None),
    (71, "server_groups", lambda s: [s.group_id] if s.group_id else []),
    (73, "locked_reason", lambda s: None),
    (90, "OS-EXT-SRV-ATTR:hostname", lambda s: s.name.lower().replace(" ", "-")),
    (96, "pinned_availability_zone", lambda s: None),
]


def _microversion_fields(ctx: ViewContext, server: Server, body: dict[str, Any]) -> None:
    for minor, key, value in MICROVERSION_FIELDS:
        if ctx.minor < minor:
            break
        body[key] = value(server)
