"""One VNFC's needs in the shape host fitting consumes: per guest NUMA node, per port.

Derived once per distinct :class:`~descriptors.requirements.VduRequirement` and network
binding, hashable, so equal VNFCs share fit answers and batches.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from descriptors.requirements import (
    CpuPolicy,
    EmulatorThreadsPolicy,
    PageSize,
    ThreadPolicy,
    VduRequirement,
    VnicType,
)

PCI_POLICY_KEY = "hw:pci_numa_affinity_policy"
# Nova's "legacy" (the default) insists on NUMA affinity whenever the device reports its
# cell, which every inventory NIC does; only "preferred" and "socket" let VFs come from
# another cell (we treat socket as preferred: the inventory has no sockets).
RELAXED_PCI_POLICIES = frozenset({"preferred", "socket"})


class DemandError(ValueError):
    """A VNFC that cannot be placed anywhere as described (e.g. an unbound network)."""


@dataclass(frozen=True, slots=True)
class NodeDemand:
    """One guest NUMA node: what it needs from the one host cell it lands in."""

    pinned: int
    shared: int
    memory_mb: int


@dataclass(frozen=True, slots=True)
class PortDemand:
    port: str
    physnet: str
    whole_pf: bool = False


@dataclass(frozen=True, slots=True)
class Demand:
    vcpus: int
    memory_mb: int
    disk_gb: int
    numa: bool
    nodes: tuple[NodeDemand, ...]
    page_size: PageSize | None = None
    thread_policy: ThreadPolicy | None = None
    ports: tuple[PortDemand, ...] = ()
    pci_relaxed: bool = False
    normal_ports: bool = False
    virtio_forwarder: bool = False

    @property
    def pinned(self) -> int:
        return sum(node.pinned for node in self.nodes)

    @property
    def huge_pages(self) -> bool:
        return self.page_size is not None and self.page_size.is_huge

    @property
    def size(self) -> tuple[int, int, int, int]:
        """Sort key, largest first: the scarce resources (pinned CPUs, VFs) lead."""
        return (self.pinned, len(self.ports), self.memory_mb, self.vcpus)


def _node_vcpus(requirement: VduRequirement) -> list[list[int]]:
    if requirement.numa_split:
        return [list(node.vcpus) for node in requirement.numa_split]
    count = requirement.numa_nodes or 1
    per, extra = divmod(requirement.vcpus, count)
    nodes: list[list[int]] = []
    start = 0
    for index in range(count):
        size = per + (1 if index < extra else 0)
        nodes.append(list(range(start, start + size)))
        start += size
    return nodes


def _node_memory(requirement: VduRequirement) -> list[int]:
    if requirement.numa_split:
        return [node.memory_mb for node in requirement.numa_split]
    count = requirement.numa_nodes or 1
    per, extra = divmod(requirement.memory_mb, count)
    return [per + (1 if index < extra else 0) for index in range(count)]


def _nodes(requirement: VduRequirement) -> tuple[NodeDemand, ...]:
    dedicated = set(requirement.dedicated_cpus)
    nodes: list[NodeDemand] = []
    for vcpus, memory in zip(_node_vcpus(requirement), _node_memory(requirement), strict=True):
        if requirement.cpu_policy is CpuPolicy.DEDICATED:
            pinned = len(vcpus)
        elif requirement.cpu_policy is CpuPolicy.MIXED:
            pinned = len(dedicated.intersection(vcpus))
        else:
            pinned = 0
        nodes.append(NodeDemand(pinned=pinned, shared=len(vcpus) - pinned, memory_mb=memory))
    if requirement.emulator_threads is EmulatorThreadsPolicy.ISOLATE and requirement.pinned_cpus:
        # Nova pins the emulator threads to one more host CPU of the guest's first node.
        first = nodes[0]
        nodes[0] = NodeDemand(first.pinned + 1, first.shared, first.memory_mb)
    return tuple(nodes)


def demand_for(requirement: VduRequirement, physnets: Mapping[str, str]) -> Demand:
    """The demand of ``requirement`` with logical networks bound through ``physnets``.

    Raises DemandError when an SR-IOV port's logical network has no physnet binding.
    """
    ports: list[PortDemand] = []
    for interface in requirement.interfaces:
        if not interface.vnic_type.needs_sriov:
            continue
        physnet = physnets.get(interface.logical_network or "")
        if physnet is None:
            raise DemandError(
                f"{requirement.vdu_id}: port {interface.cp_id} ({interface.vnic_type}) needs "
                f"logical network {interface.logical_network!r} bound to a physnet"
            )
        whole = interface.vnic_type is VnicType.DIRECT_PHYSICAL
        ports.append(PortDemand(port=interface.cp_id, physnet=physnet, whole_pf=whole))
    vnic_types = {interface.vnic_type for interface in requirement.interfaces}
    return Demand(
        vcpus=requirement.vcpus,
        memory_mb=requirement.memory_mb,
        disk_gb=requirement.disk_gb,
        numa=requirement.needs_numa,
        nodes=_nodes(requirement),
        page_size=requirement.page_size,
        thread_policy=requirement.thread_policy,
        ports=tuple(ports),
        pci_relaxed=requirement.extra.get(PCI_POLICY_KEY, "legacy") in RELAXED_PCI_POLICIES,
        normal_ports=VnicType.NORMAL in vnic_types,
        virtio_forwarder=VnicType.VIRTIO_FORWARDER in vnic_types,
    )
