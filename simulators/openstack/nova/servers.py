"""Nova's /servers: create, list (with Nova's filters), show, update, delete."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from aiohttp import web

from simulators.openstack.compute import LIFECYCLE
from simulators.openstack.microversion import MICROVERSION, at_least
from simulators.openstack.model import Port, Server, new_id, utc_now
from simulators.openstack.neutron.ports import create_port
from simulators.openstack.nova import quotas
from simulators.openstack.nova.boot import BootRequest, parse_boot, pci_requests
from simulators.openstack.nova.views import ViewContext, links, server_view
from simulators.openstack.scheduler.request import InvalidRequest, build_request
from simulators.openstack.state import Cloud
from simulators.openstack.web import (
    ApiError,
    Identity,
    base_url,
    cloud_of,
    identity_of,
    int_query,
    json_response,
    read_json,
)

MAX_LIMIT = 1000
ADMIN_FILTERS = {"host", "node", "uuid", "availability_zone", "project_id", "tenant_id"}


def find_server(request: web.Request, server_id: str | None = None) -> Server:
    server_id = server_id or request.match_info["server_id"]
    server = cloud_of(request).servers.get(server_id)
    identity = identity_of(request)
    if server is None or not (identity.is_admin or server.project_id == identity.project_id):
        raise ApiError(404, f"Instance {server_id} could not be found.")
    return server


async def create_server(request: web.Request) -> web.Response:
    cloud = cloud_of(request)
    identity = identity_of(request)
    boot = parse_boot(cloud, await read_json(request), identity, request[MICROVERSION].minor)
    flavor = boot.flavor.snapshot()
    try:
        spec = build_request(flavor)
    except InvalidRequest as exc:
        raise ApiError(400, str(exc)) from exc
    quotas.check_metadata(cloud, identity.project_id, boot.metadata)
    quotas.check_instance(cloud, identity.project_id, flavor)
    if boot.group_id:
        members = cloud.server_groups[boot.group_id].members
        quotas.check_group_members(cloud, identity.project_id, len(members))
    server_id = new_id()
    all_ports, created = _ports(cloud, identity, boot, server_id)
    spec.zone, spec.forced_host, spec.group_id = boot.zone, boot.forced_host, boot.group_id
    spec.pci = pci_requests(cloud, all_ports)
    spec.virtio_forwarder = any(p.vnic_type == "virtio-forwarder" for p in all_ports)
    server = Server(
        id=server_id,
        name=boot.name,
        project_id=identity.project_id,
        user_id=identity.user_id,
        flavor=flavor,
        image_id=boot.image_id,
        zone=boot.zone,
        metadata=boot.metadata,
        tags=boot.tags,
        user_data=boot.user_data,
        config_drive=boot.config_drive,
        key_name=boot.key_name,
        port_ids=[p.id for p in all_ports],
        created_port_ids=created,
        group_id=boot.group_id,
        description=boot.description,
    )
    if boot.group_id:
        cloud.server_groups[boot.group_id].members.append(server.id)
    await request.config_dict[LIFECYCLE].create(server, spec)
    body = {
        "id": server.id,
        "links": links(request, "servers", server.id),
        "OS-DCF:diskConfig": "MANUAL",
        "security_groups": [{"name": "default"}],
        "adminPass": new_id()[:12],
    }
    location = f"{base_url(request)}/compute/v2.1/servers/{server.id}"
    return json_response({"server": body}, 202, {"Location": location})


def _ports(
    cloud: Cloud, identity: Identity, boot: BootRequest, server_id: str
) -> tuple[list[Port], list[str]]:
    """The server's ports in the order asked, making those Nova makes for ``networks``."""
    ports: list[Port] = []
    created: list[str] = []
    try:
        for nic in boot.nics:
            if isinstance(nic, Port):
                ports.append(nic)
                continue
            network, fixed_ip = nic
            raw: dict[str, Any] = {"device_id": server_id}
            if fixed_ip:
                raw["fixed_ips"] = [{"ip_address": fixed_ip}]
            port = create_port(cloud, identity, network, raw)
            ports.append(port)
            created.append(port.id)
    except ApiError as exc:
        for port_id in created:  # nothing half-made is left behind
            port = cloud.ports.pop(port_id)
            for ip in port.fixed_ips:
                cloud.subnets[ip["subnet_id"]].used.discard(ip["ip_address"])
        if exc.kind == "OverQuota":  # nova.exception.PortLimitExceeded
            raise ApiError(403, "Maximum number of ports exceeded") from exc
        raise
    for port in ports:
        port.device_id = server_id
    return ports, created


def _since(value: str | None, name: str) -> datetime | None:
    if value is None:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as exc:
        raise ApiError(400, f"Invalid input for query parameters {name}. Value: {value}.") from exc


def _matcher(request: web.Request) -> Any:
    query = request.query
    identity = identity_of(request)
    admin = identity.is_admin
    all_tenants = admin and query.get("all_tenants", "0").lower() not in ("0", "false", "off")
    project = query.get("project_id") or query.get("tenant_id") if admin else None
    name = _regex(query, "name")
    ip = _regex(query, "ip")
    cloud = cloud_of(request)
    since, before = (
        _since(query.get("changes-since"), "changes-since"),
        _since(query.get("changes-before"), "changes-before"),
    )
    tags = {t for t in query.get("tags", "").split(",") if t} if at_least(request, 26) else set()
    tags_any = (
        {t for t in query.get("tags-any", "").split(",") if t} if at_least(request, 26) else set()
    )
    simple = {
        k: query[k] for k in ("status", "image", "flavor", "key_name", "locked") if k in query
    }
    if admin:
        simple.update(
            {
                k: query[k]
                for k in ADMIN_FILTERS & set(query)
                if k not in ("project_id", "tenant_id")
            }
        )

    def matches(server: Server) -> bool:
        if project is not None:
            if server.project_id != project:
                return False
        elif not all_tenants and server.project_id != identity.project_id:
            return False
        if name is not None and not name.search(server.name):
            return False
        if ip is not None and not any(ip.search(a) for a in _addresses(cloud, server)):
            return False
        if since is not None and server.updated_at < since:
            return False
        if before is not None and server.updated_at > before:
            return False
        if tags and not tags <= set(server.tags):
            return False
        if tags_any and not tags_any & set(server.tags):
            return False
        return all(_simple_match(server, k, v) for k, v in simple.items())

    return matches


def _regex(query: Any, key: str) -> re.Pattern[str] | None:
    if key not in query:
        return None
    try:
        return re.compile(query[key])
    except re.error as exc:
        raise ApiError(400, f"Invalid regular expression for {key}: {exc}") from exc


def _addresses(cloud: Cloud, server: Server) -> list[str]:
    ports = (cloud.ports.get(p) for p in server.port_ids)
    return [ip["ip_address"] for port in ports if port for ip in port.fixed_ips]


def _simple_match(server: Server, key: str, value: str) -> bool:
    actual = {
        "status": server.status,
        "image": server.image_id,
        "flavor": server.flavor["id"],
        "key_name": server.key_name,
        "host": server.host,
        "node": server.host,
        "uuid": server.id,
        "availability_zone": server.zone,
        "locked": "false",
    }[key]
    return str(actual).lower() == value.lower()


def _candidates(request: web.Request) -> list[Server] | dict[str, Server]:
    """Newest first; deleted servers too when changes-since asks for them, as Nova does."""
    cloud = cloud_of(request)
    if "changes-since" not in request.query and "changes-before" not in request.query:
        return cloud.servers
    every = [*cloud.servers.values(), *cloud.deleted_servers.values()]
    return sorted(every, key=lambda s: s.created_at)


def _page(request: web.Request) -> tuple[list[Server], bool]:
    candidates = _candidates(request)
    servers = candidates if isinstance(candidates, dict) else {s.id: s for s in candidates}
    limit = min(int_query(request, "limit", MAX_LIMIT) or MAX_LIMIT, MAX_LIMIT)
    marker = request.query.get("marker")
    matches = _matcher(request)
    ordered: Iterator[Server] = reversed(servers.values())
    if marker:
        if marker not in servers:
            raise ApiError(400, f"marker [{marker}] not found")
        for server in ordered:
            if server.id == marker:
                break
    page: list[Server] = []
    for server in ordered:
        if matches(server):
            if len(page) == limit:
                return page, True
            page.append(server)
    return page, False


async def list_servers(request: web.Request) -> web.Response:
    page, more = _page(request)
    body: dict[str, Any] = {
        "servers": [
            {"id": s.id, "name": s.name, "links": links(request, "servers", s.id)} for s in page
        ]
    }
    _next_link(request, body, page, more)
    return json_response(body)


async def list_servers_detail(request: web.Request) -> web.Response:
    page, more = _page(request)
    ctx = ViewContext.of(request)
    body: dict[str, Any] = {"servers": [server_view(request, s, ctx) for s in page]}
    _next_link(request, body, page, more)
    return json_response(body)


def _next_link(request: web.Request, body: dict[str, Any], page: list[Server], more: bool) -> None:
    if more and page:
        query = {k: v for k, v in request.query.items() if k != "marker"}
        query["marker"] = page[-1].id
        href = request.url.with_query(query)
        body["servers_links"] = [{"rel": "next", "href": f"{base_url(request)}{href.path_qs}"}]


async def show_server(request: web.Request) -> web.Response:
    return json_response({"server": server_view(request, find_server(request))})


async def update_server(request: web.Request) -> web.Response:
    server = find_server(request)
    raw = (await read_json(request)).get("server")
    if not isinstance(raw, dict):
        raise ApiError(400, "Invalid input for field/attribute server.")
    if "name" in raw:
        server.name = str(raw["name"])
    if "description" in raw and at_least(request, 19):
        server.description = raw["description"]
    server.updated_at = utc_now()
    return json_response({"server": server_view(request, server)})


async def delete_server(request: web.Request) -> web.Response:
    server = find_server(request)
    if server.task_state != "deleting":
        await request.config_dict[LIFECYCLE].delete(server)
    return web.Response(status=204)


def owner_or_admin(identity: Identity, server: Server, action: str) -> None:
    if server.project_id != identity.project_id:
        identity.require_admin(action)


def add_routes(app: web.Application) -> None:
    app.router.add_get("/servers", list_servers)
    app.router.add_post("/servers", create_server)
    app.router.add_get("/servers/detail", list_servers_detail)
    app.router.add_get("/servers/{server_id}", show_server)
    app.router.add_put("/servers/{server_id}", update_server)
    app.router.add_delete("/servers/{server_id}", delete_server)
