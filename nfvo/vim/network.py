"""Neutron through the VIM session: networks, subnets and ports.

Ports carry the vnic type; ``binding:profile`` is never set (it is Nova's to fill
when it claims a PCI device). SR-IOV ports get no security groups: on a network we
own, ``port_security_enabled=false``; on someone else's, ``security_groups: []``
(only the network's owner or an admin may switch port security off).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from descriptors.requirements import VnicType
from nfvo.vim.errors import VimConflict, VimNotFound
from nfvo.vim.session import VimSession
from nfvo.vim.tags import ResourceIdentity


@dataclass(frozen=True)
class Network:
    id: str
    name: str
    physnet: str | None
    project_id: str | None
    shared: bool
    subnet_ids: tuple[str, ...]


@dataclass(frozen=True)
class Port:
    id: str
    name: str
    network_id: str
    vnic_type: str
    status: str
    mac_address: str
    fixed_ips: tuple[str, ...]
    tags: tuple[str, ...]
    device_id: str

    @classmethod
    def from_body(cls, body: dict[str, Any]) -> Port:
        return cls(
            id=body["id"],
            name=body.get("name", ""),
            network_id=body["network_id"],
            vnic_type=body.get("binding:vnic_type", "normal"),
            status=body.get("status", ""),
            mac_address=body.get("mac_address", ""),
            fixed_ips=tuple(ip["ip_address"] for ip in body.get("fixed_ips", [])),
            tags=tuple(body.get("tags") or ()),
            device_id=body.get("device_id", ""),
        )


@dataclass(frozen=True)
class PortRequest:
    identity: ResourceIdentity
    network_id: str
    vnic_type: VnicType = VnicType.NORMAL
    port_security: bool = True
    fixed_ips: list[dict[str, str]] = field(default_factory=list)


@dataclass(frozen=True)
class NetworkRequest:
    """A network the orchestrator makes (an NS virtual link), with one IPv4 subnet; on
    ``physnet`` as a VLAN provider network (admin only), else a tenant network."""

    identity: ResourceIdentity
    cidr: str
    physnet: str | None = None
    mtu: int | None = None


def _network(body: dict[str, Any]) -> Network:
    return Network(
        id=body["id"],
        name=body.get("name", ""),
        physnet=body.get("provider:physical_network"),
        project_id=body.get("project_id") or body.get("tenant_id"),
        shared=bool(body.get("shared")),
        subnet_ids=tuple(body.get("subnets") or ()),
    )


class Networking:
    def __init__(self, session: VimSession) -> None:
        self.session = session
        self._extensions: frozenset[str] | None = None

    async def request(self, method: str, path: str, call: str, **kwargs: Any) -> Any:
        return await self.session.request("network", method, path, call=call, **kwargs)

    async def extensions(self) -> frozenset[str]:
        if self._extensions is None:
            body = await self.request("GET", "/extensions", "list extensions")
            self._extensions = frozenset(e["alias"] for e in body.get("extensions", []))
        return self._extensions

    async def network(self, name_or_id: str) -> Network:
        """An existing network by id or exact name."""
        try:
            body = await self.request("GET", f"/networks/{name_or_id}", "show network")
            return _network(body["network"])
        except VimNotFound:
            pass
        body = await self.request("GET", "/networks", "find network", params={"name": name_or_id})
        found = body.get("networks", [])
        if len(found) != 1:
            reason = "no network" if not found else f"{len(found)} networks"
            raise VimNotFound(self.session.name, "find network", f"{reason} named {name_or_id!r}")
        return _network(found[0])

    async def find_network(self, identity: ResourceIdentity) -> Network | None:
        """The network made for ``identity``, found by its tags (or its exact name)."""
        params = {"tags": ",".join(identity.lookup_tags())}
        if "tag-creation" not in await self.extensions():
            params = {"name": identity.name()}
        body = await self.request("GET", "/networks", "find network", params=params)
        found = [_network(n) for n in body.get("networks", [])]
        if len(found) > 1:
            raise VimConflict(
                self.session.name, "find network", f"{len(found)} networks carry {identity.name()}"
            )
        return found[0] if found else None

    async def create_network(self, request: NetworkRequest) -> Network:
        """The network and its subnet, unless they exist; never a second one."""

        async def create() -> Network:
            body: dict[str, Any] = {"name": request.identity.name(), "admin_state_up": True}
            if request.physnet is not None:
                body["provider:network_type"] = "vlan"
                body["provider:physical_network"] = request.physnet
            if request.mtu is not None:
                body["mtu"] = request.mtu
            if "tag-creation" in await self.extensions():
                body["tags"] = request.identity.tags()
            made = await self.request("POST", "/networks", "create network", json={"network": body})
            return _network(made["network"])

        network = await self.session.create_once(
            "create network", lambda: self.find_network(request.identity), create
        )
        if not network.subnet_ids:  # a crash may have come between the two
            subnet = {"network_id": network.id, "cidr": request.cidr, "ip_version": 4,
                      "name": request.identity.name()}  # fmt: skip
            made = await self.request("POST", "/subnets", "create subnet", json={"subnet": subnet})
            network = replace(network, subnet_ids=(made["subnet"]["id"],))
        return network

    async def delete_network(self, network_id: str) -> bool:
        """Delete (with its subnets); False if it was already gone."""
        try:
            await self.request("DELETE", f"/networks/{network_id}", "delete network")
        except VimNotFound:
            return False
        return True

    async def ports_on(self, network_id: str) -> list[Port]:
        body = await self.request("GET", "/ports", "list ports", params={"network_id": network_id})
        return [Port.from_body(p) for p in body.get("ports", [])]

    async def project_id(self) -> str | None:
        return await self.session.blocking(
            "current project", lambda: self.session.connection.current_project_id, mutating=False
        )

    async def find_port(self, identity: ResourceIdentity) -> Port | None:
        params = {"tags": ",".join(identity.lookup_tags())}
        if "tag-creation" not in await self.extensions():
            params = {"name": identity.name()}  # exact match in Neutron
        body = await self.request("GET", "/ports", "find port", params=params)
        ports = [Port.from_body(p) for p in body.get("ports", [])]
        if len(ports) > 1:
            raise VimConflict(
                self.session.name, "find port", f"{len(ports)} ports carry {identity.name()}"
            )
        return ports[0] if ports else None

    async def create_port(self, request: PortRequest) -> Port:
        """Create the port unless it exists; never a second one."""

        async def create() -> Port:
            body = await self._port_body(request)
            tag_at_create = "tag-creation" in await self.extensions()
            if tag_at_create:
                body["tags"] = request.identity.tags()
            created = await self.request("POST", "/ports", "create port", json={"port": body})
            port = Port.from_body(created["port"])
            if not tag_at_create and "standard-attr-tag" in await self.extensions():
                await self.request(
                    "PUT",
                    f"/ports/{port.id}/tags",
                    "tag port",
                    json={"tags": request.identity.tags()},
                )
            return port

        return await self.session.create_once(
            "create port", lambda: self.find_port(request.identity), create
        )

    async def _port_body(self, request: PortRequest) -> dict[str, Any]:
        body: dict[str, Any] = {
            "name": request.identity.name(),
            "network_id": request.network_id,
            "binding:vnic_type": request.vnic_type.value,
        }
        if request.fixed_ips:
            body["fixed_ips"] = request.fixed_ips
        if request.vnic_type.needs_sriov or not request.port_security:
            # SR-IOV traffic bypasses the host's firewall: security groups cannot apply.
            network = await self.network(request.network_id)
            owner = network.project_id == await self.project_id()
            if owner or self.session.spec.admin:
                body["port_security_enabled"] = False
            else:
                body["security_groups"] = []
        return body

    async def port(self, port_id: str) -> Port:
        body = await self.request("GET", f"/ports/{port_id}", "show port")
        return Port.from_body(body["port"])

    async def delete_port(self, port_id: str) -> bool:
        try:
            await self.request("DELETE", f"/ports/{port_id}", "delete port")
        except VimNotFound:
            return False
        return True
