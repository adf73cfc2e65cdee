"""Seeding many ACTIVE servers at once (benchmarks, large tests), without the API."""

from __future__ import annotations

from typing import Any

from simulators.openstack.binding import bind_ports
from simulators.openstack.hosts import HostState
from simulators.openstack.model import Server, new_id, utc_now
from simulators.openstack.neutron.ports import create_port
from simulators.openstack.scheduler.claims import apply_claim
from simulators.openstack.scheduler.filters import (
    SchedulingContext,
    claim_on,
    numa_pci_filter,
    resources_filter,
)
from simulators.openstack.scheduler.request import build_request
from simulators.openstack.state import Cloud
from simulators.openstack.web import Identity


def seed_servers(
    cloud: Cloud,
    count: int,
    flavor_id: str,
    project_id: str,
    network_id: str | None = None,
    prefix: str = "seed",
) -> list[str]:
    """Place ``count`` servers round-robin over the hosts that fit; returns their ids."""
    flavor = cloud.flavors[flavor_id].snapshot()
    user = next(u for u in cloud.users.values() if u.project_id == project_id)
    identity = Identity("seed", user.id, project_id, tuple(user.roles))
    hosts = [h for h in cloud.hosts.values() if h.service.alive and not h.service.disabled]
    created: list[str] = []
    cursor = misses = 0
    while len(created) < count and misses < len(hosts):
        host = hosts[cursor % len(hosts)]
        cursor += 1
        ctx = SchedulingContext(build_request(flavor), cloud.config.scaled_service_down_time)
        if resources_filter(host, ctx) or numa_pci_filter(host, ctx):
            misses += 1
            continue
        misses = 0
        name = f"{prefix}-{len(created):06d}"
        server = _active_server(cloud, host, ctx, name, flavor, project_id, user.id)
        if network_id is not None:
            port = create_port(
                cloud, identity, cloud.networks[network_id], {"device_id": server.id}
            )
            server.port_ids, server.created_port_ids = [port.id], [port.id]
            bind_ports(cloud, server, host, server.claim, active=True)
        created.append(server.id)
    return created


def _active_server(
    cloud: Cloud,
    host: HostState,
    ctx: SchedulingContext,
    name: str,
    flavor: dict[str, Any],
    project_id: str,
    user_id: str,
) -> Server:
    claim = claim_on(host, ctx)
    apply_claim(host, claim)
    server = Server(
        id=new_id(),
        name=name,
        project_id=project_id,
        user_id=user_id,
        flavor=flavor,
        image_id=next(iter(cloud.images), ""),
        zone=host.spec.zone,
        metadata={},
        tags=[],
        user_data=None,
        config_drive=False,
        key_name=None,
        port_ids=[],
        created_port_ids=[],
        group_id=None,
        status="ACTIVE",
        vm_state="active",
        task_state=None,
        power_state=1,
        host=host.name,
        claim=claim,
        launched_at=utc_now(),
    )
    host.servers.add(server.id)
    cloud.servers[server.id] = server
    return server
