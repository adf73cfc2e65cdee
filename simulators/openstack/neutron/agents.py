"""Neutron's agents (admin) and the availability zones they make.

Every compute host runs an Open vSwitch agent, and a NIC Switch (SR-IOV) agent when
it has SR-IOV NICs; both are alive while the host's services are. The controller runs
the DHCP agent, whose zone is the networks' availability zone, and the metadata agent.
There is no L3 agent (no routers), so no router zone.
"""

from __future__ import annotations

import time
import uuid
from datetime import datetime
from typing import Any

from aiohttp import web

from simulators.openstack.hosts import HostState
from simulators.openstack.model import utc_now
from simulators.openstack.neutron.common import list_response, not_found, one_response
from simulators.openstack.state import NAMESPACE, Cloud
from simulators.openstack.web import cloud_of, identity_of

CONTROLLER = "controller"
NETWORK_ZONE = "nova"


def _stamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S")


def _agent(
    cloud: Cloud,
    kind: str,
    binary: str,
    host: str,
    alive: bool,
    configurations: dict[str, Any],
    zone: str | None = None,
    topic: str = "N/A",
) -> dict[str, Any]:
    started = _stamp(cloud.created_at)
    return {
        "id": str(uuid.uuid5(NAMESPACE, f"agent:{binary}:{host}")),
        "agent_type": kind,
        "binary": binary,
        "host": host,
        "availability_zone": zone,
        "topic": topic,
        "alive": alive,
        "admin_state_up": True,
        "description": None,
        "heartbeat_timestamp": _stamp(utc_now()) if alive else started,
        "created_at": started,
        "started_at": started,
        "configurations": configurations,
        "resources_synced": None,
        "ha_state": None,
    }


def _ovs_physnets(cloud: Cloud) -> list[str]:
    """The physical networks of the cloud's networks that no SR-IOV NIC serves."""
    sriov = {n.spec.physnet for h in cloud.hosts.values() for n in h.nics if n.spec.vfs}
    named = {n.physical_network for n in cloud.networks.values() if n.physical_network}
    return sorted(named - sriov)


def _host_agents(cloud: Cloud, host: HostState, now: float) -> list[dict[str, Any]]:
    alive = host.service_up(now, cloud.config.scaled_service_down_time)
    physnets = sorted({n.spec.physnet for n in host.nics if n.spec.physnet})
    ovs = {
        "bridge_mappings": {p: f"br-{p}" for p in _ovs_physnets(cloud)},
        "datapath_type": "netdev" if host.spec.ovs_dpdk else "system",
        "tunnel_types": ["vxlan"],
        "integration_bridge": "br-int",
    }
    agents = [
        _agent(cloud, "Open vSwitch agent", "neutron-openvswitch-agent", host.name, alive, ovs)
    ]
    sriov_nics = [n for n in host.nics if n.spec.physnet and n.spec.vfs]
    if sriov_nics:
        mappings = {p: [n.spec.name for n in sriov_nics if n.spec.physnet == p] for p in physnets}
        agents.append(
            _agent(
                cloud,
                "NIC Switch agent",
                "neutron-sriov-nic-agent",
                host.name,
                alive,
                {"device_mappings": mappings, "devices": len(sriov_nics)},
            )
        )
    return agents


def agents(cloud: Cloud) -> list[dict[str, Any]]:
    controller = [
        _agent(
            cloud,
            "DHCP agent",
            "neutron-dhcp-agent",
            CONTROLLER,
            True,
            {"dhcp_driver": "neutron.agent.linux.dhcp.Dnsmasq", "networks": len(cloud.networks)},
            NETWORK_ZONE,
            "dhcp_agent",
        ),
        _agent(cloud, "Metadata agent", "neutron-metadata-agent", CONTROLLER, True, {}),
    ]
    now = time.monotonic()
    return controller + [a for h in cloud.hosts.values() for a in _host_agents(cloud, h, now)]


async def list_agents(request: web.Request) -> web.Response:
    # Neutron's policy filters what a member may not see out of a list: none of these.
    every = agents(cloud_of(request)) if identity_of(request).is_admin else []
    allowed = set(agents(cloud_of(request))[0])
    return list_response(request, "agents", every, dict, allowed)


async def show_agent(request: web.Request) -> web.Response:
    agent_id = request.match_info["agent_id"]
    visible = agents(cloud_of(request)) if identity_of(request).is_admin else []
    for agent in visible:
        if agent["id"] == agent_id:
            return one_response(request, "agent", agent)
    raise not_found("Agent", agent_id)


async def list_zones(request: web.Request) -> web.Response:
    """The zones of the agents that host networks (DHCP) and routers (L3)."""
    resources = {"DHCP agent": "network", "L3 agent": "router"}
    zones: dict[tuple[str, str], bool] = {}
    for agent in agents(cloud_of(request)):
        resource = resources.get(agent["agent_type"])
        if resource and agent["availability_zone"]:
            key = (agent["availability_zone"], resource)
            zones[key] = zones.get(key, False) or agent["alive"]
    items = [
        {"name": name, "resource": resource, "state": "available" if up else "unavailable"}
        for (name, resource), up in zones.items()
    ]
    return list_response(request, "availability_zones", items, dict, {"name", "resource", "state"})


def add_routes(app: web.Application) -> None:
    app.router.add_get("/v2.0/agents", list_agents)
    app.router.add_get("/v2.0/agents/{agent_id}", show_agent)
    app.router.add_get("/v2.0/availability_zones", list_zones)
