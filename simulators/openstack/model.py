"""The cloud's records: what Keystone, Nova, Neutron, Glance and Cinder keep."""

from __future__ import annotations

import ipaddress
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from simulators.openstack.scheduler.claims import Claim
from simulators.openstack.scheduler.request import RequestSpec


def new_id() -> str:
    return str(uuid.uuid4())


def utc_now() -> datetime:
    return datetime.now(UTC)


@lru_cache(maxsize=65536)
def iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def iso_micro(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%f")


@dataclass
class ConsumerAllocations:
    """Placement allocations of a consumer that is not a simulated server (written
    through ``PUT /allocations/{consumer_uuid}``), per provider uuid and class."""

    consumer_id: str
    project_id: str | None
    user_id: str | None
    consumer_type: str
    generation: int
    resources: dict[str, dict[str, int]] = field(default_factory=dict)


@dataclass
class Project:
    id: str
    name: str
    domain_id: str = "default"


@dataclass
class User:
    id: str
    name: str
    password: str
    project_id: str
    roles: list[str]  # effective: the assigned ones and the roles they imply
    assigned_roles: list[str] = field(default_factory=list)
    domain_id: str = "default"


@dataclass
class AppCredential:
    id: str
    name: str
    secret: str
    user_id: str
    project_id: str
    roles: list[str]


@dataclass
class Flavor:
    id: str
    name: str
    vcpus: int
    ram: int
    disk: int
    ephemeral: int = 0
    swap: int = 0
    is_public: bool = True
    description: str | None = None
    extra_specs: dict[str, str] = field(default_factory=dict)

    def snapshot(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "vcpus": self.vcpus,
            "ram": self.ram,
            "disk": self.disk,
            "ephemeral": self.ephemeral,
            "swap": self.swap,
            "extra_specs": dict(self.extra_specs),
        }


@dataclass
class Image:
    id: str
    name: str
    owner: str
    disk_format: str | None = None
    container_format: str | None = None
    visibility: str = "shared"
    status: str = "queued"
    size: int | None = None
    checksum: str | None = None
    os_hash_algo: str | None = None
    os_hash_value: str | None = None
    min_disk: int = 0
    min_ram: int = 0
    protected: bool = False
    tags: list[str] = field(default_factory=list)
    properties: dict[str, Any] = field(default_factory=dict)
    data: bytes | None = None
    created_at: datetime = field(default_factory=utc_now)
    updated_at: datetime = field(default_factory=utc_now)


@dataclass
class Subnet:
    id: str
    name: str
    network_id: str
    project_id: str
    cidr: str
    gateway_ip: str | None
    enable_dhcp: bool
    pools: list[tuple[str, str]]
    ip_version: int = 4
    used: set[str] = field(default_factory=set)
    cursor: int = 0
    tags: list[str] = field(default_factory=list)
    created_at: datetime = field(default_factory=utc_now)

    def allocate(self) -> str | None:
        """The lowest free address of the pools, searched from where the last one was."""
        ranges = [
            (int(ipaddress.ip_address(a)), int(ipaddress.ip_address(b))) for a, b in self.pools
        ]
        total = sum(high - low + 1 for low, high in ranges)
        for step in range(total):
            offset = (self.cursor + step) % total
            for low, high in ranges:
                if offset <= high - low:
                    address = str(ipaddress.ip_address(low + offset))
                    break
                offset -= high - low + 1
            if address not in self.used:
                self.used.add(address)
                self.cursor = (self.cursor + step + 1) % total
                return address
        return None


@dataclass
class Network:
    id: str
    name: str
    project_id: str
    network_type: str = "vxlan"
    physical_network: str | None = None
    segmentation_id: int | None = None
    shared: bool = False
    external: bool = False
    mtu: int = 1500
    admin_state_up: bool = True
    port_security_enabled: bool = True
    subnet_ids: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    description: str = ""
    created_at: datetime = field(default_factory=utc_now)
    updated_at: datetime = field(default_factory=utc_now)


@dataclass
class Port:
    id: str
    name: str
    network_id: str
    project_id: str
    mac_address: str
    fixed_ips: list[dict[str, str]]
    vnic_type: str = "normal"
    binding_profile: dict[str, Any] = field(default_factory=dict)
    binding_host_id: str = ""
    vif_type: str = "unbound"
    vif_details: dict[str, Any] = field(default_factory=dict)
    device_id: str = ""
    device_owner: str = ""
    status: str = "DOWN"
    admin_state_up: bool = True
    port_security_enabled: bool = True
    security_group_ids: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    description: str = ""
    revision_number: int = 1
    created_at: datetime = field(default_factory=utc_now)
    updated_at: datetime = field(default_factory=utc_now)


@dataclass
class SecurityGroup:
    id: str
    name: str
    project_id: str
    description: str = ""
    rules: list[dict[str, Any]] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    stateful: bool = True
    created_at: datetime = field(default_factory=utc_now)


@dataclass
class ServerGroup:
    id: str
    name: str
    policy: str
    rules: dict[str, Any]
    project_id: str
    user_id: str
    members: list[str] = field(default_factory=list)


@dataclass
class InstanceAction:
    action: str
    request_id: str
    user_id: str
    project_id: str
    start_time: datetime
    updated_at: datetime
    message: str | None = None
    events: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class Server:
    id: str
    name: str
    project_id: str
    user_id: str
    flavor: dict[str, Any]
    image_id: str
    zone: str | None
    metadata: dict[str, str]
    tags: list[str]
    user_data: str | None
    config_drive: bool
    key_name: str | None
    port_ids: list[str]
    created_port_ids: list[str]
    group_id: str | None
    description: str | None = None
    status: str = "BUILD"
    vm_state: str = "building"
    task_state: str | None = "scheduling"
    power_state: int = 0
    host: str | None = None
    claim: Claim | None = None
    request_spec: RequestSpec | None = None  # kept, as Nova keeps it, to schedule again
    consumer_generation: int = 1  # of its Placement allocations
    migration_id: str | None = None  # the resize or migration it is in
    fault: dict[str, Any] | None = None
    scheduling_reason: str | None = None
    launched_at: datetime | None = None
    volume_ids: list[str] = field(default_factory=list)
    actions: list[InstanceAction] = field(default_factory=list)
    reservation_id: str = field(default_factory=lambda: "r-" + uuid.uuid4().hex[:8])
    created_at: datetime = field(default_factory=utc_now)
    updated_at: datetime = field(default_factory=utc_now)
    deleted: bool = False


@dataclass
class Migration:
    """A cold migration or resize, as Nova records it (``GET /os-migrations``). While
    it is unconfirmed, the source's claim is held by the migration (Placement shows it
    as the migration's allocation) and the server holds its new claim on the dest."""

    id: int
    uuid: str
    server_id: str
    project_id: str
    user_id: str
    kind: str  # "resize" or "migration"
    source: str
    dest: str | None
    old_flavor: dict[str, Any]
    new_flavor: dict[str, Any]
    status: str = "pre-migrating"
    source_claim: Claim | None = None
    source_spec: RequestSpec | None = None
    was_running: bool = True
    created_at: datetime = field(default_factory=utc_now)
    updated_at: datetime = field(default_factory=utc_now)


@dataclass
class Volume:
    id: str
    name: str | None
    size: int
    project_id: str
    user_id: str
    zone: str
    status: str = "creating"
    description: str | None = None
    volume_type: str = "__DEFAULT__"
    attachments: list[dict[str, Any]] = field(default_factory=list)
    metadata: dict[str, str] = field(default_factory=dict)
    bootable: bool = False
    created_at: datetime = field(default_factory=utc_now)
    updated_at: datetime = field(default_factory=utc_now)
