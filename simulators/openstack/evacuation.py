"""Evacuation: rebuilding the servers of a dead host elsewhere, as Nova does it.

Allowed only once the source's compute service is down (reported or forced); the
scheduler runs again with the server's kept request spec, ignoring the source; the
server is REBUILD, then ACTIVE (SHUTOFF from 2.95) on its new host, its ports rebound.
"""

from __future__ import annotations

import dataclasses
import time

from simulators.openstack import payloads
from simulators.openstack.binding import bind_ports
from simulators.openstack.compute import Lifecycle
from simulators.openstack.model import Server
from simulators.openstack.scheduler.claims import apply_claim, release_claim
from simulators.openstack.scheduler.filters import NoValidHost, SchedulingContext, select_host

SERVICE_IN_USE = "Compute service of {host} is still in use."


def source_in_use(lifecycle: Lifecycle, server: Server) -> str | None:
    """Why the server may not be evacuated yet, if its host still looks alive."""
    host = lifecycle.cloud.host_of(server)
    config = lifecycle.cloud.config
    if host is not None and host.service_up(time.monotonic(), config.scaled_service_down_time):
        return SERVICE_IN_USE.format(host=host.name)
    return None


async def evacuate(lifecycle: Lifecycle, server: Server, target: str | None, stop: bool) -> None:
    cloud = lifecycle.cloud
    source = cloud.host_of(server)
    assert server.request_spec is not None
    spec = dataclasses.replace(
        server.request_spec,
        forced_host=target,
        ignore_hosts=frozenset({source.name} if source else ()),
    )
    lifecycle.record_action(server, "evacuate")
    if source is not None and server.claim is not None:
        release_claim(source, server.claim)
        source.servers.discard(server.id)
    ctx = SchedulingContext(
        spec, cloud.config.scaled_service_down_time, lifecycle.group_context(server)
    )
    result = select_host(list(cloud.hosts.values()), ctx)
    if isinstance(result, NoValidHost):
        if source is not None and server.claim is not None:  # nothing moved
            apply_claim(source, server.claim)
            source.servers.add(server.id)
        await lifecycle.no_valid_host(server, result)
        return
    host = cloud.hosts[result.host]
    apply_claim(host, result)
    host.servers.add(server.id)
    server.host, server.claim = host.name, result
    bind_ports(cloud, server, host, result)
    await lifecycle.set_state(server, "REBUILD", server.vm_state, "rebuilding")
    await lifecycle.publisher.nova(
        "instance.evacuate", payloads.action_payload(cloud, server), f"nova-compute:{host.name}"
    )

    async def finish() -> None:
        if server.deleted:
            return
        lifecycle.plug(server, running=not stop)
        if stop:
            await lifecycle.set_state(server, "SHUTOFF", "stopped", None, 4)
        else:
            await lifecycle.set_state(server, "ACTIVE", "active", None, 1)

    await lifecycle.later("boot", finish)
