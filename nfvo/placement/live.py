"""The infrastructure graph of a live cloud: the site inventory plus what runs there.

A real OpenStack publishes no NUMA layout, free pinned CPUs per cell, huge pages or
VFs, so the topology comes from the site inventory and the usage from the cloud's own
servers: each server's flavor (embedded with its extra specs since microversion 2.47)
read back as a requirement, its SR-IOV ports (vnic type and physical network), and
the host Nova put it on, fitted with the same rules as our decisions. The NUMA cells
and PFs so derived are a prediction, as they are for our own placements. Servers of
VNF instances whose reservation is still held are skipped: the reservation already
counts them. Without admin rights a tenant sees neither hosts nor other tenants'
servers, so the graph has capacity but no usage, and every decision says so.

Placement, where we may read it, has the last word (``nfvo.vim.reconciliation``): its
reserved amounts and allocation ratios replace the inventory's, and usage it counts
that the servers we see do not explain (other consumers, servers still building,
flavors we cannot read back) is held as unattributed usage, so nothing is planned onto
capacity Nova will refuse. Without it the graph is built as before, and a caveat says
Placement was not read and why.
"""

from __future__ import annotations

import asyncio
import math
import time
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import redis.asyncio as aioredis

from descriptors.requirements import InterfaceRequirement, VnicType
from nfvo.placement.demand import DemandError, demand_for
from nfvo.placement.fit import fit
from nfvo.placement.flavours import requirement_from_flavor
from nfvo.placement.reservations import Reservations, ReservationState
from nfvo.store.consumers import Entry, Follower
from nfvo.store.events import Event, EventStream
from nfvo.store.keys import Keyspace
from nfvo.vim.compute import FlavorSpec
from nfvo.vim.errors import VimError
from nfvo.vim.facade import Vim
from nfvo.vim.infrastructure import InfrastructureGraph, build_graph
from nfvo.vim.inventory import SiteInventory
from nfvo.vim.placement_api import PlacementSnapshot
from nfvo.vim.reconciliation import (
    accounted_resources,
    count_unattributed,
    prefer_placement_capacity,
)
from nfvo.vim.tags import fit_tag
from nfvo.vim.usage import Usage

NO_ADMIN = "no admin rights: capacity without usage (hosts and other tenants' servers unseen)"
PAGE = 500


@dataclass(frozen=True)
class ObservedServer:
    id: str
    host: str
    flavor: FlavorSpec
    tags: tuple[str, ...]
    sriov_ports: tuple[tuple[VnicType, str], ...] = ()  # (vnic type, physnet)
    created: float = 0.0  # seconds since the epoch; 0 when the cloud does not say


@dataclass
class LiveGraph:
    graph: InfrastructureGraph
    caveats: list[str] = field(default_factory=list)
    servers_counted: int = 0


async def observe_servers(vim: Vim) -> list[ObservedServer]:
    """Every server with a host, across tenants, with its flavor and SR-IOV ports."""
    servers: list[dict[str, Any]] = []
    marker: str | None = None
    while True:
        params: dict[str, Any] = {"all_tenants": "1", "limit": PAGE}
        if marker:
            params["marker"] = marker
        body = await vim.compute.request("GET", "/servers/detail", "list servers", params=params)
        page = body.get("servers", [])
        servers += page
        if len(page) < PAGE:
            break
        marker = page[-1]["id"]
    ports = await vim.network.request("GET", "/ports", "list ports")
    physnets = await _physnets(vim)
    sriov: dict[str, list[tuple[VnicType, str]]] = {}
    for port in ports.get("ports", []):
        vnic = VnicType(port.get("binding:vnic_type", "normal"))
        if vnic.needs_sriov and port.get("device_id"):
            physnet = (port.get("binding:profile") or {}).get("physical_network")
            physnet = physnet or physnets.get(port["network_id"], "")
            sriov.setdefault(port["device_id"], []).append((vnic, physnet))
    return [
        ObservedServer(
            id=server["id"],
            host=server["OS-EXT-SRV-ATTR:host"],
            flavor=_flavor(server["flavor"]),
            tags=tuple(server.get("tags") or ()),
            sriov_ports=tuple(sriov.get(server["id"], ())),
            created=_epoch(server.get("created")),
        )
        for server in servers
        if server.get("OS-EXT-SRV-ATTR:host") and server.get("status") != "DELETED"
    ]


async def unavailable_hosts(vim: Vim) -> set[str]:
    """Hosts whose nova-compute service is down, forced down or disabled."""
    body = await vim.compute.request(
        "GET", "/os-services", "list compute services", params={"binary": "nova-compute"}
    )
    return {
        service["host"]
        for service in body.get("services", [])
        if service.get("state") == "down"
        or service.get("status") == "disabled"
        or service.get("forced_down")
    }


async def _physnets(vim: Vim) -> dict[str, str]:
    body = await vim.network.request("GET", "/networks", "list networks")
    return {
        network["id"]: network["provider:physical_network"]
        for network in body.get("networks", [])
        if network.get("provider:physical_network")
    }


def _epoch(text: str | None) -> float:
    try:
        return datetime.fromisoformat(text).timestamp() if text else 0.0
    except ValueError:
        return 0.0


def _flavor(embedded: dict[str, Any]) -> FlavorSpec:
    return FlavorSpec(
        vcpus=int(embedded["vcpus"]),
        ram_mb=int(embedded["ram"]),
        disk_gb=int(embedded.get("disk", 0)),
        extra_specs=dict(embedded.get("extra_specs") or {}),
    )


def derive_usage(graph: InfrastructureGraph, server: ObservedServer) -> Usage | str:
    """The usage ``server`` takes on its host, or why it cannot be derived."""
    host = graph.hosts.get(server.host)
    if host is None:
        return f"server {server.id} runs on {server.host}, which the site inventory lacks"
    interfaces = [
        InterfaceRequirement(cp_id=f"port-{index}", vnic_type=vnic, logical_network=physnet)
        for index, (vnic, physnet) in enumerate(server.sriov_ports)
    ]
    try:
        requirement = requirement_from_flavor(server.id, server.flavor, interfaces)
        demand = demand_for(requirement, {physnet: physnet for _, physnet in server.sriov_ports})
    except (ValueError, DemandError) as exc:
        return f"server {server.id}: its flavor cannot be read back ({exc})"
    claim = fit(host, graph.states[host.name], demand)
    if claim is None:
        return f"server {server.id} does not fit {host.name} as the inventory describes it"
    return Usage(host=host.name, consumer=f"server:{server.id}", claim=claim)


async def read_placement(vim: Vim, hosts: list[str]) -> PlacementSnapshot | str:
    """Placement's providers of ``hosts``, or why they could not be read."""
    try:
        return await vim.placement.snapshot(hosts)
    except VimError as error:
        return f"Placement not read, usage from the servers alone: {error}"


async def live_graph(
    inventory: SiteInventory,
    vim: Vim,
    reservations: Reservations | None = None,
    *,
    pack_numa_cells: bool = False,
) -> LiveGraph:
    """The graph with the usage of every server the VIM shows us, reconciled with
    Placement where it can be read."""
    graph = build_graph(inventory, pack_numa_cells=pack_numa_cells)
    placement = await read_placement(vim, list(graph.hosts))
    result = LiveGraph(graph)
    if isinstance(placement, str):
        result.caveats.append(placement)
    else:
        result.caveats += prefer_placement_capacity(graph, placement)
    held_usages: list[Usage] = []
    if vim.session.spec.admin:
        held_usages = await _count_servers(vim, reservations, result)
    else:
        result.caveats.insert(0, NO_ADMIN)
    if not isinstance(placement, str):
        accounted = accounted_resources([*graph.usages.values(), *held_usages])
        result.caveats += count_unattributed(graph, placement, accounted)
    return result


async def _count_servers(
    vim: Vim, reservations: Reservations | None, result: LiveGraph
) -> list[Usage]:
    """Apply every server's usage to the graph but those of held reservations, whose
    usages are returned (they explain part of what Placement counts). A held
    reservation stands for the servers its VNF instances create after it was made;
    their older servers (the siblings of a scale-out) count as the cloud runs them."""
    graph = result.graph
    held: dict[str, float] = {}  # VNF instance tag -> when its first held reservation began
    held_usages: list[Usage] = []
    if reservations is not None:
        for reservation in await reservations.active((ReservationState.HELD,)):
            for vnf in reservation.vnf_instance_ids:
                tag = fit_tag("nfvo-vnf", vnf)
                held[tag] = min(held.get(tag, reservation.created), reservation.created)
            held_usages += reservation.usages
    graph.unavailable = await unavailable_hosts(vim)
    if graph.unavailable:
        result.caveats.append(f"hosts out of service: {', '.join(sorted(graph.unavailable))}")
    for server in await observe_servers(vim):
        began = min((held[tag] for tag in server.tags if tag in held), default=None)
        # Clouds stamp servers to the second: one stamped in the second the reservation
        # began is taken as its own (a sibling made in that very second is not counted).
        if began is not None and server.created >= math.floor(began):
            continue
        usage = derive_usage(graph, server)
        if isinstance(usage, str):
            result.caveats.append(usage)
            continue
        graph.apply(usage)
        result.servers_counted += 1
    return held_usages


class LiveSite:
    """The live graph kept current rather than rebuilt per request: refreshed when a VIM
    event says servers or hosts changed, and reconciled at least every ``max_age``."""

    RELEVANT = ("vim.server.", "vim.service.", "vim.host.")

    def __init__(
        self,
        inventory: SiteInventory,
        vim: Vim,
        reservations: Reservations | None = None,
        *,
        max_age: float = 60.0,
    ) -> None:
        self.inventory, self.vim, self.reservations = inventory, vim, reservations
        self.max_age = max_age
        self._current: LiveGraph | None = None
        self._generation = 0  # of the reservations the current graph was built after
        self._dirty = True
        self._refreshing = asyncio.Lock()

    def notice(self, event: Event) -> None:
        if event.type.startswith(self.RELEVANT):
            self._dirty = True

    async def current(self) -> LiveGraph:
        async with self._refreshing:
            stale = self._current is None or (
                time.time() - self._current.graph.built_at > self.max_age
            )
            generation = await self.reservations.generation() if self.reservations else 0
            if self._dirty or stale or generation != self._generation:
                self._dirty = False  # events arriving during the refresh dirty it again
                self._generation = generation
                self._current = await live_graph(self.inventory, self.vim, self.reservations)
            assert self._current is not None
            return self._current

    async def follow(self, redis: aioredis.Redis, keyspace: Keyspace, stop: asyncio.Event) -> None:
        """Watch ``vim-events`` (every planner sees every event: a follower, not a group)."""
        follower = Follower(redis, keyspace.stream(EventStream.VIM.value), block_seconds=0.5)
        await follower.follow(self._notice_entry, stop)

    async def _notice_entry(self, entry: Entry) -> None:
        self.notice(Event.from_entry(entry.fields))
