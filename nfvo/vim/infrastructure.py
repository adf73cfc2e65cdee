"""The infrastructure graph: what each compute host offers, cell by cell.

Built from the site inventory (``docs/schemas/site-inventory.v1.schema.json``), because
OpenStack publishes neither NUMA cells with huge pages nor which NIC sits on which
physnet in which cell. The graph (networkx) links zones, aggregates, hosts, NUMA cells,
NICs and physnets so questions such as "which hosts reach physnet sriov-n3" are one
neighbourhood away; the numbers placement needs per host live in compact frozen
records (:class:`Host`, :class:`NumaCell`, :class:`Nic`) stored on the host node, not as
one node per CPU or VF, which keeps 1,000 hosts to a few thousand nodes.

Free capacity is capacity minus :class:`~nfvo.vim.usage.Usage` records, applied and
removed one by one; the live part later derives them from each host's servers and
flavors. Every view says when the graph was built (``built_at``).
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

import networkx as nx  # type: ignore[import-untyped]  # no stubs in the dev extra

from nfvo.vim.inventory import SiteInventory
from nfvo.vim.usage import HostState, Usage

HYPERTHREADING_TRAIT = "HW_CPU_HYPERTHREADING"
PAGE_MB = {"2MB": 2, "1GB": 1024}


@dataclass(frozen=True, slots=True)
class Nic:
    """One physical function: SR-IOV VFs come from it, on its physnet, in its cell."""

    name: str
    numa_cell: int
    physnet: str | None = None
    vfs: int = 0
    virtio_forwarder: bool = False
    pci_address: str | None = None

    @property
    def device(self) -> str:
        return self.pci_address or self.name


@dataclass(frozen=True, slots=True)
class NumaCell:
    """One NUMA cell as Nova sees it with ``cpu_dedicated_set``/``cpu_shared_set``."""

    cell_id: int
    pcpus: int  # dedicated cores x threads: what pinned guests take (PCPU)
    shared_cpus: int  # the other host CPUs: what floating vCPUs run on (VCPU)
    memory_mb: int  # small-page memory; huge pages are set aside at boot
    pages_2mb: int = 0
    pages_1gb: int = 0


@dataclass(frozen=True, slots=True)
class Host:
    name: str
    zone: str
    cells: tuple[NumaCell, ...]
    nics: tuple[Nic, ...] = ()
    aggregates: frozenset[str] = frozenset()
    traits: frozenset[str] = frozenset()
    ovs_dpdk: bool = False
    cpu_ratio: float = 1.0
    ram_ratio: float = 1.0
    disk_ratio: float = 1.0
    disk_gb: int = 0
    reserved_memory_mb: int = 0
    # Placement's reserved VCPU and DISK_GB (the site inventory has no field for them).
    reserved_vcpus: int = 0
    reserved_disk_gb: int = 0
    # Nova's [compute] packing_host_numa_cells_allocation_strategy: True tries the most
    # used cells first; False (the default of current releases) the most free first.
    pack_numa_cells: bool = False

    @property
    def hyperthreading(self) -> bool:
        return HYPERTHREADING_TRAIT in self.traits

    @property
    def virtio_forwarder(self) -> bool:
        return any(nic.virtio_forwarder for nic in self.nics)

    @property
    def physnets(self) -> frozenset[str]:
        return frozenset(nic.physnet for nic in self.nics if nic.physnet)

    def profile(self) -> tuple[Any, ...]:
        """Everything but the name: hosts with equal profiles answer fits alike."""
        return (
            self.zone,
            self.cells,
            self.nics,
            self.aggregates,
            self.traits,
            self.ovs_dpdk,
            self.cpu_ratio,
            self.ram_ratio,
            self.disk_ratio,
            self.disk_gb,
            self.reserved_memory_mb,
            self.reserved_vcpus,
            self.reserved_disk_gb,
            self.pack_numa_cells,
        )

    def empty_state(self) -> HostState:
        """Free capacity with nothing running."""
        return HostState(
            pinned=[cell.pcpus for cell in self.cells],
            shared=[int(cell.shared_cpus * self.cpu_ratio) for cell in self.cells],
            memory=[cell.memory_mb for cell in self.cells],
            pages_2mb=[cell.pages_2mb for cell in self.cells],
            pages_1gb=[cell.pages_1gb for cell in self.cells],
            vfs=[nic.vfs for nic in self.nics],
            whole_pf=[True for _ in self.nics],
            vcpus=int(
                (sum(cell.shared_cpus for cell in self.cells) - self.reserved_vcpus)
                * self.cpu_ratio
            ),
            host_memory=int(
                (sum(cell.memory_mb for cell in self.cells) - self.reserved_memory_mb)
                * self.ram_ratio
            ),
            disk=int((self.disk_gb - self.reserved_disk_gb) * self.disk_ratio),
        )


def _cell(raw: dict[str, Any]) -> NumaCell:
    threads = int(raw.get("threads_per_core", 1))
    cores = int(raw["cores"])
    dedicated = min(int(raw.get("dedicated_cores", 0)), cores)
    pages = raw.get("hugepages", {})
    page_memory = sum(count * PAGE_MB[size] for size, count in pages.items())
    return NumaCell(
        cell_id=int(raw["id"]),
        pcpus=dedicated * threads,
        shared_cpus=(cores - dedicated) * threads,
        memory_mb=max(int(raw["memory_mb"]) - page_memory, 0),
        pages_2mb=int(pages.get("2MB", 0)),
        pages_1gb=int(pages.get("1GB", 0)),
    )


def host_from_inventory(raw: dict[str, Any], pack_numa_cells: bool = False) -> Host:
    """One inventory host (defaults already merged) as a :class:`Host`."""
    ratios = raw.get("allocation_ratios", {})
    return Host(
        name=raw["name"],
        zone=raw["zone"],
        cells=tuple(_cell(cell) for cell in raw.get("numa_cells", [])),
        nics=tuple(
            Nic(
                name=nic["name"],
                numa_cell=int(nic["numa_cell"]),
                physnet=nic.get("physnet"),
                vfs=int(nic.get("vfs", 0)),
                virtio_forwarder=bool(nic.get("virtio_forwarder", False)),
                pci_address=nic.get("pci_address"),
            )
            for nic in raw.get("nics", [])
        ),
        aggregates=frozenset(raw.get("aggregates", [])),
        traits=frozenset(raw.get("traits", [])),
        ovs_dpdk=bool(raw.get("ovs_dpdk", False)),
        cpu_ratio=float(ratios.get("cpu", 1.0)),
        ram_ratio=float(ratios.get("ram", 1.0)),
        disk_ratio=float(ratios.get("disk", 1.0)),
        disk_gb=int(raw.get("disk_gb", 0)),
        reserved_memory_mb=int(raw.get("reserved_host_memory_mb", 0)),
        pack_numa_cells=pack_numa_cells,
    )


def inventory_hosts(inventory: SiteInventory) -> Iterator[dict[str, Any]]:
    """Listed hosts, then ``generate_hosts`` expanded (zones taken round-robin)."""
    yield from inventory.hosts
    generated = inventory.document.get("generate_hosts")
    if not generated:
        return
    defaults = inventory.document.get("host_defaults", {})
    zones = generated.get("zones") or inventory.zones
    name_format = generated.get("name_format", "gen-{index:05d}")
    for index in range(int(generated["count"])):
        yield {
            **defaults,
            **generated["template"],
            "name": name_format.format(index=index),
            "zone": zones[index % len(zones)],
        }


@dataclass
class InfrastructureGraph:
    """Hosts and their topology, with free capacity after the applied usage."""

    graph: nx.DiGraph
    hosts: dict[str, Host]
    states: dict[str, HostState]
    zones: list[str]
    built_at: float = field(default_factory=time.time)
    usages: dict[str, Usage] = field(default_factory=dict)
    # Hosts whose compute service is down or disabled: Nova schedules nothing there.
    unavailable: set[str] = field(default_factory=set)

    def age_seconds(self, now: float | None = None) -> float:
        return max((now if now is not None else time.time()) - self.built_at, 0.0)

    def hosts_on_physnet(self, physnet: str) -> list[str]:
        node = ("physnet", physnet)
        if node not in self.graph:
            return []
        hosts = {self.graph.nodes[nic]["host"] for nic in self.graph.predecessors(node)}
        return sorted(hosts)

    def apply(self, usage: Usage) -> None:
        """Take ``usage`` from its host's free capacity (idempotent per consumer)."""
        if usage.consumer in self.usages:
            return
        self.states[usage.host].apply(self.hosts[usage.host], usage)
        self.usages[usage.consumer] = usage

    def remove(self, consumer: str) -> Usage | None:
        """Give back what ``consumer`` took; None when it held nothing."""
        usage = self.usages.pop(consumer, None)
        if usage is not None:
            self.states[usage.host].release(self.hosts[usage.host], usage)
        return usage

    def replace_host(self, host: Host) -> None:
        """Give ``host.name`` a new description (same topology, other ratios or
        reservations): its free capacity is recomputed with its usages applied again."""
        self.hosts[host.name] = host
        self.graph.nodes[("host", host.name)]["host"] = host
        state = host.empty_state()
        for usage in self.usages.values():
            if usage.host == host.name:
                state.apply(host, usage)
        self.states[host.name] = state

    def capacity_view(self) -> CapacityView:
        """A private copy of free capacity for one planning run."""
        names = [name for name in self.hosts if name not in self.unavailable]
        return CapacityView(
            hosts=[self.hosts[name] for name in names],
            states=[self.states[name].copy() for name in names],
            zones=list(self.zones),
            built_at=self.built_at,
        )


@dataclass
class CapacityView:
    """What the placement engine reads and changes while planning: hosts in a fixed
    order with their free capacity. Changing it never changes the graph; a reservation
    layer commits a plan's usages to the graph (or to Redis) afterwards."""

    hosts: list[Host]
    states: list[HostState]
    zones: list[str]
    built_at: float


def build_graph(
    inventory: SiteInventory, usages: Iterable[Usage] = (), pack_numa_cells: bool = False
) -> InfrastructureGraph:
    """The graph for a site, with ``usages`` (servers already running) applied.

    ``pack_numa_cells`` is the site's Nova cell strategy (the inventory has no field
    for it), so predicted cells follow what Nova will choose.
    """
    graph: nx.DiGraph = nx.DiGraph()
    hosts: dict[str, Host] = {}
    for zone in inventory.zones:
        graph.add_node(("zone", zone), kind="zone")
    for raw in inventory_hosts(inventory):
        host = host_from_inventory(raw, pack_numa_cells)
        hosts[host.name] = host
        _add_host(graph, host)
    zones = list(dict.fromkeys([*inventory.zones, *(h.zone for h in hosts.values())]))
    infrastructure = InfrastructureGraph(
        graph=graph,
        hosts=hosts,
        states={name: host.empty_state() for name, host in hosts.items()},
        zones=zones,
    )
    for usage in usages:
        infrastructure.apply(usage)
    return infrastructure


def _add_host(graph: nx.DiGraph, host: Host) -> None:
    node = ("host", host.name)
    graph.add_node(node, kind="host", host=host)
    graph.add_edge(("zone", host.zone), node)
    for aggregate in host.aggregates:
        graph.add_edge(("aggregate", aggregate), node)
    for cell in host.cells:
        cell_node = ("cell", host.name, cell.cell_id)
        graph.add_node(cell_node, kind="cell", cell=cell)
        graph.add_edge(node, cell_node)
    for nic in host.nics:
        nic_node = ("nic", host.name, nic.name)
        graph.add_node(nic_node, kind="nic", nic=nic, host=host.name)
        graph.add_edge(("cell", host.name, nic.numa_cell), nic_node)
        if nic.physnet:
            graph.add_edge(nic_node, ("physnet", nic.physnet))
