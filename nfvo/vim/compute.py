"""Nova through the VIM session: flavors, servers and server groups.

Microversions: we speak the highest the cloud offers up to :data:`MAX_MICROVERSION`.
Tags at create need 2.52 (older clouds get them right after create, 2.26); naming
the host needs 2.74 (older ones take the legacy ``zone:host`` form, admin only);
the embedded flavor with extra specs on show needs 2.47; ``host_status`` 2.16.
"""

from __future__ import annotations

import asyncio
import base64
import time
from dataclasses import dataclass, field
from typing import Any

import orjson

from nfvo.vim.errors import VimConflict, VimNotFound, VimRefused, VimResourceError, VimTimeout
from nfvo.vim.session import VimSession
from nfvo.vim.tags import ResourceIdentity, content_name
from nfvo.vim.waiting import VimEventFeed

MAX_MICROVERSION = (2, 90)
TAGS_AT_CREATE = (2, 52)
HOST_AT_CREATE = (2, 74)


def _parse(version: str) -> tuple[int, int]:
    major, _, minor = version.partition(".")
    return int(major), int(minor or 0)


def _text(version: tuple[int, int]) -> str:
    return f"{version[0]}.{version[1]}"


@dataclass(frozen=True)
class FlavorSpec:
    """A flavour as placement decided it; its name is a hash of its content."""

    vcpus: int
    ram_mb: int
    disk_gb: int
    extra_specs: dict[str, str] = field(default_factory=dict)

    def canonical(self) -> str:
        return orjson.dumps(
            [self.vcpus, self.ram_mb, self.disk_gb, self.extra_specs],
            option=orjson.OPT_SORT_KEYS,
        ).decode()

    @property
    def name(self) -> str:
        return content_name("flavor", self.canonical())


@dataclass(frozen=True)
class Flavor:
    id: str
    name: str
    vcpus: int
    ram_mb: int
    disk_gb: int
    extra_specs: dict[str, str]

    def matches(self, spec: FlavorSpec) -> bool:
        return (self.vcpus, self.ram_mb, self.disk_gb, self.extra_specs) == (
            spec.vcpus,
            spec.ram_mb,
            spec.disk_gb,
            spec.extra_specs,
        )


@dataclass(frozen=True)
class Server:
    id: str
    name: str
    status: str
    host: str | None
    zone: str | None
    tags: tuple[str, ...]
    addresses: dict[str, Any]
    fault: str | None = None
    host_status: str | None = None

    @classmethod
    def from_body(cls, body: dict[str, Any]) -> Server:
        fault = body.get("fault") or {}
        return cls(
            id=body["id"],
            name=body.get("name", ""),
            status=body.get("status", ""),
            host=body.get("OS-EXT-SRV-ATTR:hypervisor_hostname")
            or body.get("OS-EXT-SRV-ATTR:host"),
            zone=body.get("OS-EXT-AZ:availability_zone"),
            tags=tuple(body.get("tags") or ()),
            addresses=body.get("addresses") or {},
            fault=fault.get("message") if isinstance(fault, dict) else None,
            host_status=body.get("host_status"),
        )


@dataclass(frozen=True)
class ServerRequest:
    identity: ResourceIdentity
    image_id: str
    flavor_id: str
    port_ids: list[str]
    zone: str | None = None
    host: str | None = None
    server_group_id: str | None = None
    user_data: str | None = None
    metadata: dict[str, str] = field(default_factory=dict)


class Compute:
    def __init__(self, session: VimSession, events: VimEventFeed | None = None) -> None:
        self.session = session
        self.events = events  # wait from the vim-events stream when given
        self._version: tuple[int, int] | None = None

    async def microversion(self) -> tuple[int, int]:
        """The highest microversion both we and the cloud speak (asked once)."""
        if self._version is None:
            # Our own retried GET of the version document: keystoneauth's discovery
            # swallows a failed request and answers "no microversions", which would
            # pin the session to 2.1 (no tags at create) for its whole life.
            body = await self.session.request(
                "compute", "GET", "/", call="discover compute microversions"
            )
            offered = (body or {}).get("version", {}).get("version") or "2.1"
            self._version = min(_parse(offered), MAX_MICROVERSION)
        return self._version

    async def request(self, method: str, path: str, call: str, **kwargs: Any) -> Any:
        version = _text(await self.microversion())
        return await self.session.request(
            "compute", method, path, call=call, microversion=version, **kwargs
        )

    # Flavors ---------------------------------------------------------------------

    async def flavors(self) -> list[Flavor]:
        body = await self.request(
            "GET", "/flavors/detail", "list flavors", params={"is_public": "None"}
        )
        return [
            Flavor(
                id=item["id"],
                name=item["name"],
                vcpus=item["vcpus"],
                ram_mb=item["ram"],
                disk_gb=item["disk"],
                # Listed since 2.61; older clouds need one request per flavor.
                extra_specs=item["extra_specs"]
                if "extra_specs" in item
                else await self._extra_specs(item["id"]),
            )
            for item in body.get("flavors", [])
        ]

    async def _extra_specs(self, flavor_id: str) -> dict[str, str]:
        body = await self.request("GET", f"/flavors/{flavor_id}/os-extra_specs", "show extra specs")
        return dict(body.get("extra_specs", {}))

    async def ensure_flavor(self, spec: FlavorSpec) -> Flavor:
        """The flavor for ``spec``: found by name or content, else created (admin only);
        without admin rights, a refusal naming the flavor an admin must create."""

        async def lookup() -> Flavor | None:
            flavors = await self.flavors()
            matching = [f for f in flavors if f.matches(spec)]
            # Ours first (by name), else any flavor an admin made with the same content.
            matching.sort(key=lambda f: f.name != spec.name)
            return matching[0] if matching else None

        async def create() -> Flavor:
            body = {
                "flavor": {
                    "name": spec.name,
                    "vcpus": spec.vcpus,
                    "ram": spec.ram_mb,
                    "disk": spec.disk_gb,
                    "os-flavor-access:is_public": True,
                }
            }
            created = (await self.request("POST", "/flavors", "create flavor", json=body))["flavor"]
            if spec.extra_specs:
                await self.request(
                    "POST",
                    f"/flavors/{created['id']}/os-extra_specs",
                    "set extra specs",
                    json={"extra_specs": spec.extra_specs},
                )
            return Flavor(
                created["id"], spec.name, spec.vcpus, spec.ram_mb, spec.disk_gb, spec.extra_specs
            )

        if not self.session.spec.admin:
            found = await lookup()
            if found is None:
                raise VimRefused(
                    self.session.name,
                    "find flavor",
                    f"no flavor with {spec.vcpus} vCPUs, {spec.ram_mb} MiB, {spec.disk_gb} GB and "
                    f"extra specs {spec.extra_specs}; without admin rights an admin must create it "
                    f"(suggested name {spec.name})",
                )
            return found
        return await self.session.create_once("create flavor", lookup, create)

    # Servers ---------------------------------------------------------------------

    async def find_server(self, identity: ResourceIdentity) -> Server | None:
        """The server realising ``identity``: by tags, else by its deterministic name."""
        version = await self.microversion()
        params: dict[str, Any] = {"tags": ",".join(identity.lookup_tags())}
        if version < TAGS_AT_CREATE:  # tags were added after create: a window without them
            params = {"name": identity.nova_name_filter()}
        body = await self.request("GET", "/servers/detail", "find server", params=params)
        servers = [Server.from_body(item) for item in body.get("servers", [])]
        if version < TAGS_AT_CREATE:
            servers = [s for s in servers if s.name == identity.name()]
        if len(servers) > 1:
            raise VimConflict(
                self.session.name,
                "find server",
                f"{len(servers)} servers carry the identity of {identity.name()}",
            )
        return servers[0] if servers else None

    async def create_server(self, request: ServerRequest) -> Server:
        """Create the server unless it exists; never a second one."""

        async def create() -> Server:
            version = await self.microversion()
            body = self._server_body(request, version)
            hints = {"group": request.server_group_id} if request.server_group_id else None
            payload = {"server": body, **({"os:scheduler_hints": hints} if hints else {})}
            created = await self.request("POST", "/servers", "create server", json=payload)
            server_id = created["server"]["id"]
            if version < TAGS_AT_CREATE:
                await self.request(
                    "PUT", f"/servers/{server_id}/tags", "tag server",
                    json={"tags": request.identity.tags()},
                )  # fmt: skip
            return await self.server(server_id)

        return await self.session.create_once(
            "create server", lambda: self.find_server(request.identity), create
        )

    def _server_body(self, request: ServerRequest, version: tuple[int, int]) -> dict[str, Any]:
        body: dict[str, Any] = {
            "name": request.identity.name(),
            "imageRef": request.image_id,
            "flavorRef": request.flavor_id,
            "networks": [{"port": port_id} for port_id in request.port_ids],
            "metadata": request.metadata,
        }
        if version >= TAGS_AT_CREATE:
            body["tags"] = request.identity.tags()
        if request.user_data is not None:
            body["user_data"] = base64.b64encode(request.user_data.encode()).decode()
        if request.zone:
            body["availability_zone"] = request.zone
        if request.host:
            if not self.session.spec.admin:
                raise VimRefused(
                    self.session.name, "create server", "naming a host needs admin rights"
                )
            if version >= HOST_AT_CREATE:
                body["hypervisor_hostname"] = request.host
            else:  # the legacy form the scheduler honours for admins
                body["availability_zone"] = f"{request.zone or ''}:{request.host}"
        return body

    async def server(self, server_id: str) -> Server:
        body = await self.request("GET", f"/servers/{server_id}", "show server")
        return Server.from_body(body["server"])

    async def delete_server(self, server_id: str) -> bool:
        """Delete; False if it was already gone."""
        try:
            await self.request("DELETE", f"/servers/{server_id}", "delete server")
        except VimNotFound:
            return False
        return True

    async def wait_for_server(
        self, server_id: str, status: str = "ACTIVE", patience: float = 600.0, interval: float = 1.0
    ) -> Server:
        """Until ``status`` (or gone, for ``DELETED``); ERROR raises with Nova's fault.

        With an event feed, the server is re-read whenever an event names it (and every
        ``fallback_interval`` regardless); without one, every ``interval`` seconds.
        """
        deadline = time.monotonic() + patience
        subject = f"servers/{server_id}"
        position = await self.events.position() if self.events else ""
        while True:
            server = await self._observe(server_id, status)
            if server.status == status:
                return server
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise VimTimeout(
                    self.session.name, f"wait for server {server.name}",
                    f"still {server.status} after {patience:.0f}s",
                )  # fmt: skip
            if self.events is None:
                await asyncio.sleep(min(interval, remaining))
            else:
                within = min(self.events.fallback_interval, remaining)
                position, _ = await self.events.next_about(subject, position, within)

    async def _observe(self, server_id: str, status: str) -> Server:
        """The server now; a gone one reads DELETED when that is awaited, ERROR raises."""
        try:
            server = await self.server(server_id)
        except VimNotFound:
            if status == "DELETED":
                return Server(server_id, "", "DELETED", None, None, (), {})
            raise
        if server.status == "ERROR" and status != "ERROR":
            raise VimResourceError(
                self.session.name, f"boot server {server.name}", server.fault or "server in ERROR"
            )
        return server

    # Server groups ---------------------------------------------------------------

    async def ensure_server_group(self, name: str, policy: str) -> str:
        """The server group ``name`` (server groups carry no tags: the name is the key)."""

        async def lookup() -> str | None:
            body = await self.request("GET", "/os-server-groups", "list server groups")
            return next((g["id"] for g in body.get("server_groups", []) if g["name"] == name), None)

        async def create() -> str:
            version = await self.microversion()
            group: dict[str, Any] = {"name": name}
            if version >= (2, 64):
                group["policy"] = policy
            else:
                group["policies"] = [policy]
            body = await self.request(
                "POST", "/os-server-groups", "create server group", json={"server_group": group}
            )
            return str(body["server_group"]["id"])

        return await self.session.create_once("create server group", lookup, create)
