"""/_sim: the test-only views and levers a real cloud does not have."""

from __future__ import annotations

import html
import time
from typing import Any

from aiohttp import web

from simulators.openstack import host_faults, metadata
from simulators.openstack.compute import LIFECYCLE
from simulators.openstack.faults import FAULTS, SERVICES, ServiceFault
from simulators.openstack.hosts import HostState
from simulators.openstack.model import Server
from simulators.openstack.nova.consoles import live_token
from simulators.openstack.seeding import seed_servers
from simulators.openstack.web import (
    ApiError,
    cloud_of,
    error_middleware,
    json_response,
    keystone_error,
    read_json,
)

HOST_MONITOR: web.AppKey[host_faults.HostMonitor] = web.AppKey(
    "host_monitor", host_faults.HostMonitor
)


def _server(request: web.Request) -> Server:
    server = cloud_of(request).servers.get(request.match_info["server_id"])
    if server is None:
        raise ApiError(404, f"no server {request.match_info['server_id']}")
    return server


def _host(request: web.Request) -> HostState:
    host = cloud_of(request).hosts.get(request.match_info["host"])
    if host is None:
        raise ApiError(404, f"no host {request.match_info['host']}")
    return host


async def server_placement(request: web.Request) -> web.Response:
    server = _server(request)
    body: dict[str, Any] = {
        "server_id": server.id,
        "status": server.status,
        "host": server.host,
        "scheduling_failure": server.scheduling_reason,
    }
    if server.claim is not None:
        body.update(server.claim.view())
    return json_response(body)


def host_view(request: web.Request, host: HostState) -> dict[str, Any]:
    cloud = cloud_of(request)
    now, down_time = time.monotonic(), cloud.config.scaled_service_down_time
    return {
        "name": host.name,
        "zone": host.spec.zone,
        "alive": host.service.alive,
        "service_up": host.service_up(now, down_time),
        "host_status": host.host_status(now, down_time),
        "forced_down": host.service.forced_down,
        "disabled": host.service.disabled,
        "vcpus_used": host.vcpus_used,
        "vcpu_capacity": host.vcpu_capacity(),
        "pcpus_used": host.pcpus_used,
        "pcpu_capacity": host.dedicated_cpu_count,
        "ram_used_mb": host.ram_used_mb,
        "ram_capacity_mb": host.ram_capacity_mb(),
        "disk_used_gb": host.disk_used_gb,
        "numa_cells": [
            {
                "id": c.id,
                "free_dedicated_cpus": sorted(c.free_dedicated),
                "dedicated_cpus": c.dedicated_cpus,
                "shared_cpus": c.shared_cpus,
                "free_pages": {"2MB": c.pages_free[2], "1GB": c.pages_free[1024]},
                "small_free_mb": c.small_free_mb,
            }
            for c in host.cells
        ],
        "nics": [
            {
                "name": n.spec.name,
                "physnet": n.spec.physnet,
                "numa_cell": n.spec.numa_cell,
                "vfs": n.spec.vfs,
                "used_vfs": sorted(n.used_vfs),
                "pf_taken": n.pf_taken,
            }
            for n in host.nics
        ],
        "servers": sorted(host.servers),
    }


async def list_hosts(request: web.Request) -> web.Response:
    cloud = cloud_of(request)
    return json_response({"hosts": [host_view(request, h) for h in cloud.hosts.values()]})


async def show_host(request: web.Request) -> web.Response:
    return json_response({"host": host_view(request, _host(request))})


async def host_down(request: web.Request) -> web.Response:
    request.config_dict[HOST_MONITOR].host_down(_host(request))
    return json_response({"host": host_view(request, _host(request))})


async def host_up(request: web.Request) -> web.Response:
    await request.config_dict[HOST_MONITOR].host_up(_host(request))
    return json_response({"host": host_view(request, _host(request))})


async def crash_server(request: web.Request) -> web.Response:
    await host_faults.crash_server(request.config_dict[LIFECYCLE], _server(request))
    return web.Response(status=204)


async def stop_server(request: web.Request) -> web.Response:
    server = _server(request)
    if server.status != "ACTIVE":
        raise ApiError(409, f"server is {server.status}, not ACTIVE")
    await host_faults.stop_server(request.config_dict[LIFECYCLE], server)
    return web.Response(status=204)


async def fail_creates(request: web.Request) -> web.Response:
    body = await read_json(request)
    faults = request.config_dict[FAULTS]
    faults.fail_creates = int(body.get("count", 1))
    if body.get("message"):
        faults.fail_message = str(body["message"])
    return json_response(faults.view())


async def set_service_fault(request: web.Request) -> web.Response:
    service = request.match_info["service"]
    if service not in SERVICES:
        raise ApiError(404, f"no service {service}; one of {SERVICES}")
    body = await read_json(request)
    faults = request.config_dict[FAULTS]
    if request.method == "DELETE":
        faults.services.pop(service, None)
        return json_response(faults.view())
    faults.services[service] = ServiceFault(
        float(body.get("error_rate", 0)),
        float(body.get("latency_ms", 0)),
        float(body.get("drop_rate", 0)),
    )
    return json_response(faults.view())


async def show_faults(request: web.Request) -> web.Response:
    return json_response(request.config_dict[FAULTS].view())


async def scheduling_failures(request: web.Request) -> web.Response:
    return json_response({"failures": list(cloud_of(request).scheduling_log)})


async def notifications(request: web.Request) -> web.Response:
    return json_response({"notifications": list(request.config_dict[LIFECYCLE].publisher.recent)})


async def bulk_servers(request: web.Request) -> web.Response:
    body = await read_json(request)
    cloud = cloud_of(request)
    flavor = next((f for f in cloud.flavors.values() if body.get("flavor") in (f.id, f.name)), None)
    project = cloud.project_by_name(body.get("project", "admin"))
    if flavor is None or project is None:
        raise ApiError(400, "bulk servers need a known flavor and project")
    network = next(
        (n.id for n in cloud.networks.values() if body.get("network") in (n.id, n.name)), None
    )
    ids = seed_servers(
        cloud,
        int(body.get("count", 1)),
        flavor.id,
        project.id,
        network,
        str(body.get("prefix", "seed")),
    )
    return json_response({"created": len(ids), "ids": ids if body.get("return_ids") else []}, 201)


async def console_page(request: web.Request) -> web.Response:
    """The stand-in for nova-novncproxy: a page naming the server the token opens."""
    path = request.query.get("path", "")
    token = path.removeprefix("?token=")
    server = live_token(cloud_of(request), token)
    if server is None:
        raise ApiError(404, "The console token has expired or is invalid.")
    text = f"<html><title>{html.escape(server.name)}</title><body><h1>Console of "
    text += f"{html.escape(server.name)} ({server.id})</h1><p>status {server.status} on host "
    text += f"{html.escape(server.host or '')}</p></body></html>"
    return web.Response(text=text, content_type="text/html")


async def health(request: web.Request) -> web.Response:
    cloud = cloud_of(request)
    return json_response({"status": "ok", "hosts": len(cloud.hosts), "servers": len(cloud.servers)})


def sim_app() -> web.Application:
    app = web.Application(middlewares=[error_middleware(keystone_error)])
    app.router.add_get("/health", health)
    app.router.add_get("/servers/{server_id}/placement", server_placement)
    app.router.add_post("/servers/{server_id}/crash", crash_server)
    app.router.add_post("/servers/{server_id}/stop", stop_server)
    app.router.add_get("/hosts", list_hosts)
    app.router.add_get("/hosts/{host}", show_host)
    app.router.add_post("/hosts/{host}/down", host_down)
    app.router.add_post("/hosts/{host}/up", host_up)
    app.router.add_get("/faults", show_faults)
    app.router.add_post("/faults/creates", fail_creates)
    app.router.add_put("/faults/services/{service}", set_service_fault)
    app.router.add_delete("/faults/services/{service}", set_service_fault)
    app.router.add_get("/scheduler/failures", scheduling_failures)
    app.router.add_get("/notifications", notifications)
    app.router.add_post("/bulk/servers", bulk_servers)
    app.router.add_get("/console/vnc_lite.html", console_page)
    metadata.add_routes(app)
    return app
