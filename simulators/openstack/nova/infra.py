"""What Nova says about its infrastructure: hypervisors, compute services, zones."""

from __future__ import annotations

import time
import zlib
from typing import Any

from aiohttp import web

from simulators.openstack import payloads
from simulators.openstack.compute import LIFECYCLE
from simulators.openstack.hosts import HostState
from simulators.openstack.microversion import at_least
from simulators.openstack.model import iso, utc_now
from simulators.openstack.state import Cloud
from simulators.openstack.web import ApiError, cloud_of, identity_of, json_response, read_json


def _up(cloud: Cloud, host: HostState) -> bool:
    return host.service_up(time.monotonic(), cloud.config.scaled_service_down_time)


def _updated_at(cloud: Cloud, host: HostState) -> str | None:
    if host.service.alive:
        return iso(utc_now())
    return host.service.updated_at or None


def hypervisor_view(request: web.Request, host: HostState, detail: bool) -> dict[str, Any]:
    cloud = cloud_of(request)
    body: dict[str, Any] = {
        "id": host.hypervisor_id
        if at_least(request, 53)
        else list(cloud.hosts).index(host.name) + 1,
        "hypervisor_hostname": host.name,
        "state": "up" if _up(cloud, host) else "down",
        "status": "disabled" if host.service.disabled else "enabled",
    }
    if not detail:
        return body
    number = zlib.crc32(host.name.encode())
    body.update(
        {
            "host_ip": f"10.{number % 250}.{number // 250 % 250}.{number // 62500 % 250}",
            "hypervisor_type": "QEMU",
            "hypervisor_version": 8002000,
            "service": {
                "host": host.name,
                "id": host.service.id
                if at_least(request, 53)
                else list(cloud.hosts).index(host.name) + 1,
                "disabled_reason": host.service.disabled_reason,
            },
        }
    )
    if at_least(request, 88):
        body["uptime"] = uptime(host)
        return body
    body.update(
        {
            "vcpus": host.shared_cpu_count,
            "vcpus_used": host.vcpus_used,
            "memory_mb": host.memory_mb,
            "memory_mb_used": host.ram_used_mb + host.spec.reserved_host_memory_mb,
            "free_ram_mb": host.memory_mb - host.ram_used_mb - host.spec.reserved_host_memory_mb,
            "local_gb": host.spec.disk_gb,
            "local_gb_used": host.disk_used_gb,
            "free_disk_gb": host.spec.disk_gb - host.disk_used_gb,
            "disk_available_least": host.spec.disk_gb - host.disk_used_gb,
            "current_workload": 0,
            "running_vms": len(host.servers),
            "cpu_info": {
                "arch": "x86_64",
                "model": "Cascadelake-Server",
                "vendor": "Intel",
                "features": [],
                "topology": {
                    "cores": host.spec.numa_cells[0].cores,
                    "threads": host.spec.numa_cells[0].threads_per_core,
                    "sockets": len(host.cells),
                },
            },
        }
    )
    return body


def uptime(host: HostState) -> str:
    """As libvirt's host reports it: `` 17:37:14 up 2 days,  2:33,  0 users,  load ...``."""
    now = time.time()
    days, seconds = divmod(int(now - host.service.booted_at), 86400)
    span = f"{seconds // 3600:2d}:{seconds % 3600 // 60:02d}"
    if days:
        span = f"{days} day{'s' if days > 1 else ''}, {span}"
    clock = time.strftime("%H:%M:%S", time.gmtime(now))
    return f" {clock} up {span},  0 users,  load average: 0.00, 0.00, 0.00"


def _hypervisors(request: web.Request, detail: bool) -> web.Response:
    identity_of(request).require_admin("os_compute_api:os-hypervisors:list")
    cloud = cloud_of(request)
    pattern = request.query.get("hypervisor_hostname_pattern")
    hosts = [h for h in cloud.hosts.values() if pattern is None or pattern in h.name]
    body = []
    for host in hosts:
        view = hypervisor_view(request, host, detail)
        if request.query.get("with_servers", "").lower() in ("true", "1") and at_least(request, 53):
            view["servers"] = [
                {"uuid": s, "name": cloud.servers[s].name}
                for s in host.servers
                if s in cloud.servers
            ]
        body.append(view)
    return json_response({"hypervisors": body})


async def list_hypervisors(request: web.Request) -> web.Response:
    return _hypervisors(request, False)


async def list_hypervisors_detail(request: web.Request) -> web.Response:
    return _hypervisors(request, True)


def _find_hypervisor(request: web.Request) -> HostState:
    hypervisor_id = request.match_info["hypervisor_id"]
    for index, host in enumerate(cloud_of(request).hosts.values(), start=1):
        if hypervisor_id in (host.hypervisor_id, str(index)):
            return host
    raise ApiError(404, f"Hypervisor with ID {hypervisor_id} could not be found.")


async def show_hypervisor(request: web.Request) -> web.Response:
    identity_of(request).require_admin("os_compute_api:os-hypervisors:show")
    host = _find_hypervisor(request)
    return json_response({"hypervisor": hypervisor_view(request, host, True)})


async def hypervisor_uptime(request: web.Request) -> web.Response:
    """Removed in 2.88, where the uptime joined the hypervisor's own body."""
    identity_of(request).require_admin("os_compute_api:os-hypervisors:uptime")
    if at_least(request, 88):
        raise ApiError(404, "The resource could not be found.")
    host = _find_hypervisor(request)
    body = hypervisor_view(request, host, False)
    body["uptime"] = uptime(host)
    return json_response({"hypervisor": body})


def service_view(request: web.Request, host: HostState) -> dict[str, Any]:
    cloud = cloud_of(request)
    body = {
        "id": host.service.id if at_least(request, 53) else list(cloud.hosts).index(host.name) + 1,
        "binary": "nova-compute",
        "host": host.name,
        "zone": host.spec.zone,
        "status": "disabled" if host.service.disabled else "enabled",
        "state": "up" if _up(cloud, host) else "down",
        "updated_at": _updated_at(cloud, host),
        "disabled_reason": host.service.disabled_reason,
    }
    if at_least(request, 11):
        body["forced_down"] = host.service.forced_down
    return body


async def list_services(request: web.Request) -> web.Response:
    identity_of(request).require_admin("os_compute_api:os-services:list")
    cloud = cloud_of(request)
    hosts = [
        h
        for h in cloud.hosts.values()
        if request.query.get("host") in (None, h.name)
        and request.query.get("binary") in (None, "nova-compute")
    ]
    return json_response({"services": [service_view(request, h) for h in hosts]})


async def update_service(request: web.Request) -> web.Response:
    identity_of(request).require_admin("os_compute_api:os-services:update")
    if not at_least(request, 53):
        raise ApiError(404, "Service id must be a UUID before 2.53; use PUT /os-services/disable")
    cloud = cloud_of(request)
    service_id = request.match_info["service_id"]
    host = next((h for h in cloud.hosts.values() if h.service.id == service_id), None)
    if host is None:
        raise ApiError(404, f"Service {service_id} could not be found.")
    raw = await read_json(request)
    if not raw or set(raw) - {"status", "disabled_reason", "forced_down"}:
        raise ApiError(400, "Invalid input for field/attribute service update.")
    if "status" in raw:
        if raw["status"] not in ("enabled", "disabled"):
            raise ApiError(400, f"Invalid input for field/attribute status: {raw['status']}")
        host.service.disabled = raw["status"] == "disabled"
        host.service.disabled_reason = raw.get("disabled_reason") if host.service.disabled else None
    if "forced_down" in raw:
        host.service.forced_down = bool(raw["forced_down"])
    lifecycle = request.config_dict[LIFECYCLE]
    await lifecycle.publisher.nova(
        "service.update", payloads.service_payload(host), f"nova-compute:{host.name}"
    )
    return json_response({"service": service_view(request, host)})


async def list_zones(request: web.Request) -> web.Response:
    cloud = cloud_of(request)
    zones = [
        {
            "zoneName": z,
            "zoneState": {
                "available": any(h.spec.zone == z and _up(cloud, h) for h in cloud.hosts.values())
            },
            "hosts": None,
        }
        for z in cloud.inventory.zones
    ]
    return json_response({"availabilityZoneInfo": zones})


async def list_zones_detail(request: web.Request) -> web.Response:
    identity_of(request).require_admin("os_compute_api:os-availability-zone:detail")
    cloud = cloud_of(request)
    zones = []
    for zone in cloud.inventory.zones:
        hosts = {
            h.name: {
                "nova-compute": {
                    "available": _up(cloud, h),
                    "active": not h.service.disabled,
                    "updated_at": _updated_at(cloud, h),
                }
            }
            for h in cloud.hosts.values()
            if h.spec.zone == zone
        }
        zones.append(
            {"zoneName": zone, "zoneState": {"available": bool(hosts)}, "hosts": hosts or None}
        )
    return json_response({"availabilityZoneInfo": zones})


def add_routes(app: web.Application) -> None:
    app.router.add_get("/os-hypervisors", list_hypervisors)
    app.router.add_get("/os-hypervisors/detail", list_hypervisors_detail)
    app.router.add_get("/os-hypervisors/{hypervisor_id}", show_hypervisor)
    app.router.add_get("/os-hypervisors/{hypervisor_id}/uptime", hypervisor_uptime)
    app.router.add_get("/os-services", list_services)
    app.router.add_put("/os-services/{service_id}", update_service)
    app.router.add_get("/os-availability-zone", list_zones)
    app.router.add_get("/os-availability-zone/detail", list_zones_detail)
