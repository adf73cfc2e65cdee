"""Nova's remote consoles: ``POST /servers/{id}/remote-consoles`` (2.6+) and the older
``os-getVNCConsole`` action hand out a noVNC URL with a one-time token; admins read a
token back at ``/os-console-auth-tokens/{token}``. The URL opens the simulator's
stand-in for nova-novncproxy (under /_sim/console), which shows whose console it is."""

from __future__ import annotations

import secrets
import time
from typing import Any
from urllib.parse import quote

from aiohttp import web

from simulators.openstack.microversion import at_least
from simulators.openstack.model import Server
from simulators.openstack.nova.servers import find_server
from simulators.openstack.state import Cloud
from simulators.openstack.web import (
    ApiError,
    base_url,
    cloud_of,
    identity_of,
    json_response,
    read_json,
)

TOKEN_TTL = 600.0  # nova.conf [consoleauth] token_ttl
PROTOCOLS = {
    "vnc": ("novnc", "xvpvnc"),
    "spice": ("spice-html5",),
    "serial": ("serial",),
    "rdp": ("rdp-html5",),
    "mks": ("webmks",),
}
ENABLED = {"novnc"}  # libvirt with VNC, as devstack sets it up


def console_url(request: web.Request, server: Server, console_type: str) -> str:
    if console_type not in ENABLED:
        raise ApiError(400, f"Unavailable console type {console_type}.")
    if not server.host:
        raise ApiError(409, f"Instance {server.id} is not ready")
    token = secrets.token_hex(16)
    cloud_of(request).console_tokens[token] = (server.id, time.monotonic() + TOKEN_TTL)
    path = quote(f"?token={token}", safe="")
    return f"{base_url(request)}/_sim/console/vnc_lite.html?path={path}"


def live_token(cloud: Cloud, token: str) -> Server | None:
    """The server a console token opens, while the token lives and the server does."""
    found = cloud.console_tokens.get(token)
    if found is None or found[1] < time.monotonic():
        cloud.console_tokens.pop(token, None)
        return None
    return cloud.servers.get(found[0])


async def remote_console(request: web.Request) -> web.Response:
    if not at_least(request, 6):
        raise ApiError(404, "The resource could not be found.")
    server = find_server(request)
    raw: Any = (await read_json(request)).get("remote_console")
    protocol = raw.get("protocol") if isinstance(raw, dict) else None
    kind = raw.get("type") if isinstance(raw, dict) else None
    if protocol not in PROTOCOLS or kind not in PROTOCOLS[protocol]:
        raise ApiError(
            400,
            f"Invalid input for field/attribute remote_console. Value: {raw}. "
            "'protocol' and 'type' must name a known console",
        )
    url = console_url(request, server, kind)
    return json_response({"remote_console": {"protocol": protocol, "type": kind, "url": url}})


async def show_token(request: web.Request) -> web.Response:
    identity_of(request).require_admin("os_compute_api:os-console-auth-tokens")
    if not at_least(request, 31):
        raise ApiError(404, "The resource could not be found.")
    token = request.match_info["token"]
    cloud = cloud_of(request)
    server = live_token(cloud, token)
    if server is None:
        raise ApiError(404, "The token has expired or is invalid.")
    body = {
        "instance_uuid": server.id,
        "host": server.host,
        "port": 5900,
        "internal_access_path": None,
    }
    return json_response({"console": body})


def add_routes(app: web.Application) -> None:
    app.router.add_post("/servers/{server_id}/remote-consoles", remote_console)
    app.router.add_get("/os-console-auth-tokens/{token}", show_token)
