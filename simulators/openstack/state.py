"""The whole simulated cloud in memory, built from the inventory."""

from __future__ import annotations

import hashlib
import random
import uuid
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from simulators.openstack.config import SimConfig
from simulators.openstack.hosts import HostState, build_host
from simulators.openstack.inventory import Inventory
from simulators.openstack.model import (
    AppCredential,
    ConsumerAllocations,
    Flavor,
    Image,
    Migration,
    Network,
    Port,
    Project,
    SecurityGroup,
    Server,
    ServerGroup,
    Subnet,
    User,
    Volume,
    new_id,
    utc_now,
)

NAMESPACE = uuid.UUID("6c0c5e8e-3b1d-4f3e-9d1a-5a1e0c0ffee0")


@dataclass
class Token:
    id: str
    user_id: str
    project_id: str
    roles: list[str]
    methods: list[str]
    issued_at: datetime
    expires_at: datetime
    app_credential_id: str | None = None


@dataclass
class Cloud:
    inventory: Inventory
    config: SimConfig
    hosts: dict[str, HostState]
    region: str
    projects: dict[str, Project] = field(default_factory=dict)
    users: dict[str, User] = field(default_factory=dict)
    app_credentials: dict[str, AppCredential] = field(default_factory=dict)
    tokens: dict[str, Token] = field(default_factory=dict)
    flavors: dict[str, Flavor] = field(default_factory=dict)
    images: dict[str, Image] = field(default_factory=dict)
    networks: dict[str, Network] = field(default_factory=dict)
    subnets: dict[str, Subnet] = field(default_factory=dict)
    ports: dict[str, Port] = field(default_factory=dict)
    security_groups: dict[str, SecurityGroup] = field(default_factory=dict)
    servers: dict[str, Server] = field(default_factory=dict)
    deleted_servers: dict[str, Server] = field(default_factory=dict)
    server_groups: dict[str, ServerGroup] = field(default_factory=dict)
    volumes: dict[str, Volume] = field(default_factory=dict)
    keypairs: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    # Placement allocations of consumers other than the simulated servers, by consumer.
    allocations: dict[str, ConsumerAllocations] = field(default_factory=dict)
    # Quota limits set for one project (service, project id -> resource -> limit).
    quota_limits: dict[tuple[str, str], dict[str, int]] = field(default_factory=dict)
    # Remote console tokens: token -> (server id, monotonic expiry).
    console_tokens: dict[str, tuple[str, float]] = field(default_factory=dict)
    migrations: dict[str, Migration] = field(default_factory=dict)
    scheduling_log: deque[dict[str, Any]] = field(default_factory=lambda: deque(maxlen=200))
    rng: random.Random = field(default_factory=random.Random)
    created_at: datetime = field(default_factory=utc_now)

    def forget_server(self, server: Server, keep: int = 10_000) -> None:
        """Remove a deleted server, keeping the newest for changes-since listings."""
        self.servers.pop(server.id, None)
        self.deleted_servers[server.id] = server
        while len(self.deleted_servers) > keep:
            del self.deleted_servers[next(iter(self.deleted_servers))]

    def host_of(self, server: Server) -> HostState | None:
        return self.hosts.get(server.host) if server.host else None

    def project_by_name(self, name: str) -> Project | None:
        return next((p for p in self.projects.values() if p.name == name), None)

    def default_security_group(self, project_id: str) -> SecurityGroup:
        for group in self.security_groups.values():
            if group.project_id == project_id and group.name == "default":
                return group
        group = SecurityGroup(new_id(), "default", project_id, "Default security group")
        group.rules = [
            {
                "id": new_id(),
                "direction": direction,
                "ethertype": "IPv4",
                "protocol": None,
                "port_range_min": None,
                "port_range_max": None,
                "remote_ip_prefix": None,
                "remote_group_id": None if direction == "egress" else group.id,
                "security_group_id": group.id,
                "project_id": project_id,
                "tenant_id": project_id,
                "description": "",
            }
            for direction in ("ingress", "egress")
        ]
        self.security_groups[group.id] = group
        return group


def build_cloud(inventory: Inventory, config: SimConfig) -> Cloud:
    hosts = {spec.name: build_host(spec, NAMESPACE) for spec in inventory.hosts}
    cloud = Cloud(inventory, config, hosts, region=inventory.regions[0])
    if config.seed is not None:
        cloud.rng.seed(config.seed)
    _add_identity(cloud)
    admin = cloud.project_by_name("admin")
    assert admin is not None
    for raw in inventory.flavors:
        _add_flavor(cloud, raw)
    for raw in inventory.images:
        _add_image(cloud, raw, admin.id)
    for raw in inventory.networks:
        _add_network(cloud, raw, admin.id)
    for project in cloud.projects.values():
        cloud.default_security_group(project.id)
    for name, services in inventory.quotas.get("projects", {}).items():
        owner = cloud.project_by_name(name)
        assert owner is not None  # the inventory checked it
        for service, values in services.items():
            cloud.quota_limits[(service, owner.id)] = dict(values)
    return cloud


def _stable_id(kind: str, name: str) -> str:
    return str(uuid.uuid5(NAMESPACE, f"{kind}:{name}"))


def _add_identity(cloud: Cloud) -> None:
    projects = list(cloud.inventory.projects)
    if not any(p["name"] == "admin" for p in projects):
        projects.insert(
            0,
            {
                "name": "admin",
                "users": [{"name": "admin", "password": "admin-secret", "roles": ["admin"]}],
            },
        )
    for raw in projects:
        project = Project(uuid.uuid5(NAMESPACE, f"project:{raw['name']}").hex, raw["name"])
        cloud.projects[project.id] = project
        for user_raw in raw.get("users", []):
            assigned = list(user_raw.get("roles", ["member"]))
            roles = assigned
            if "admin" in roles:  # Keystone's default implied roles
                roles = sorted({*roles, "member", "reader"})
            elif "member" in roles:
                roles = sorted({*roles, "reader"})
            user = User(
                uuid.uuid5(NAMESPACE, f"user:{user_raw['name']}").hex,
                user_raw["name"],
                user_raw["password"],
                project.id,
                roles,
                assigned,
            )
            cloud.users[user.id] = user


def _add_flavor(cloud: Cloud, raw: dict[str, Any]) -> None:
    flavor = Flavor(
        id=_stable_id("flavor", raw["name"]),
        name=raw["name"],
        vcpus=raw["vcpus"],
        ram=raw["ram_mb"],
        disk=raw.get("disk_gb", 0),
        is_public=raw.get("public", True),
        extra_specs=dict(raw.get("extra_specs", {})),
    )
    cloud.flavors[flavor.id] = flavor


def _add_image(cloud: Cloud, raw: dict[str, Any], owner: str) -> None:
    size = int(raw.get("size", 1024))
    data = hashlib.sha512(raw["name"].encode()).digest() * (size // 64 + 1)
    image = Image(
        id=_stable_id("image", raw["name"]),
        name=raw["name"],
        owner=owner,
        disk_format=raw.get("disk_format", "qcow2"),
        container_format=raw.get("container_format", "bare"),
        visibility=raw.get("visibility", "public"),
        properties=dict(raw.get("properties", {})),
    )
    set_image_data(image, data[:size])
    cloud.images[image.id] = image


def set_image_data(image: Image, data: bytes) -> None:
    """Store the content and compute what Glance computes on upload."""
    image.data = data
    image.size = len(data)
    image.checksum = hashlib.md5(data, usedforsecurity=False).hexdigest()
    image.os_hash_algo = "sha512"
    image.os_hash_value = hashlib.sha512(data).hexdigest()
    image.status = "active"


def _add_network(cloud: Cloud, raw: dict[str, Any], admin_id: str) -> None:
    owner = admin_id
    if "project" in raw:
        project = cloud.project_by_name(raw["project"])
        owner = project.id if project else admin_id
    network = Network(
        id=_stable_id("network", raw["name"]),
        name=raw["name"],
        project_id=owner,
        network_type=raw.get("network_type", "vxlan"),
        physical_network=raw.get("physical_network"),
        segmentation_id=raw.get("segmentation_id"),
        shared=raw.get("shared", False),
        external=raw.get("external", False),
        mtu=raw.get("mtu", 1500),
    )
    cloud.networks[network.id] = network
    for sub in raw.get("subnets", []):
        add_subnet(cloud, network, sub)


def add_subnet(cloud: Cloud, network: Network, raw: dict[str, Any]) -> Subnet:
    import ipaddress

    net = ipaddress.ip_network(raw["cidr"], strict=False)
    gateway = raw.get("gateway_ip", str(net.network_address + 1))
    pools = [(p["start"], p["end"]) for p in raw.get("allocation_pools", [])]
    if not pools:
        hosts = (
            list(net.hosts())
            if net.num_addresses <= 65536
            else [net.network_address + 1, net.broadcast_address - 1]
        )
        first = next(h for h in hosts if str(h) != gateway)
        pools = [(str(first), str(hosts[-1]))]
    subnet = Subnet(
        id=raw.get("id") or _stable_id("subnet", f"{network.name}:{raw['name']}"),
        name=raw["name"],
        network_id=network.id,
        project_id=network.project_id,
        cidr=str(net),
        gateway_ip=gateway,
        enable_dhcp=raw.get("enable_dhcp", True),
        pools=pools,
        ip_version=net.version,
    )
    if gateway:
        subnet.used.add(gateway)
    cloud.subnets[subnet.id] = subnet
    network.subnet_ids.append(subnet.id)
    return subnet


def new_mac(rng: random.Random) -> str:
    return "fa:16:3e:" + ":".join(f"{rng.randrange(256):02x}" for _ in range(3))
