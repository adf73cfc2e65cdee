"""Does a guest fit one host, and where: Nova's NUMA fitting, mirrored.

- Guests with a NUMA topology (dedicated or mixed CPUs, huge pages, ``hw:numa_nodes``)
  take each guest node from one host cell, N nodes from N distinct cells, trying cell
  permutations as Nova's ``numa_fit_instance_to_host`` does, cells sorted by usage as
  the host's cell strategy says (pack or spread): pinned CPUs from
  the cell's dedicated set, shared vCPUs from its shared set (with the CPU ratio), and
  memory as huge pages of the cell or, with small pages, from the cell's memory.
- SR-IOV ports take a VF (``direct``/``macvtap``) or a whole PF with no VF in use
  (``direct-physical``) of a NIC on the bound physnet in one of the guest's cells,
  unless ``hw:pci_numa_affinity_policy`` relaxes it.
- Guests without a NUMA topology take VCPU and MEMORY_MB host-wide, as Placement does.
- Static host properties (hyper-threading against the thread policy, OVS-DPDK against
  a guest without huge pages, virtio-forwarder NICs, physnets) are checked first.
"""

from __future__ import annotations

from itertools import permutations

from descriptors.requirements import PageSize, ThreadPolicy
from nfvo.placement.demand import Demand, NodeDemand, PortDemand
from nfvo.vim.infrastructure import Host
from nfvo.vim.usage import CellClaim, Claim, HostState, PortClaim

# The sizes Nova tries for each page-size request, in its order of preference.
_PAGE_CHOICES: dict[PageSize | None, tuple[int, ...]] = {
    None: (4,),
    PageSize.SMALL: (4,),
    PageSize.SIZE_2MB: (2048,),
    PageSize.SIZE_1GB: (1048576,),
    PageSize.LARGE: (1048576, 2048),
    PageSize.ANY: (1048576, 2048, 4),
}

OVS_DPDK_CONSTRAINT = "kernel OVS (normal ports on OVS-DPDK need huge pages)"


def static_failure(host: Host, demand: Demand) -> str | None:
    """The first host property (not capacity) that rules the host out, or None."""
    # Nova reads the thread policy only for guests with pinned CPUs.
    pinned = demand.numa and demand.pinned > 0
    if pinned and demand.thread_policy is ThreadPolicy.ISOLATE and host.hyperthreading:
        return "hyper-threading off (thread policy isolate)"
    if pinned and demand.thread_policy is ThreadPolicy.REQUIRE and not host.hyperthreading:
        return "hyper-threading (thread policy require)"
    if host.ovs_dpdk and demand.normal_ports and not demand.huge_pages:
        # vhost-user needs the guest's memory shared through huge pages; without them
        # the guest boots with no connectivity, so refuse the host.
        return OVS_DPDK_CONSTRAINT
    if demand.virtio_forwarder and not host.virtio_forwarder:
        return "a virtio-forwarder NIC"
    physnets = host.physnets
    for port in demand.ports:
        if port.physnet not in physnets:
            return f"a NIC on {port.physnet}"
    if demand.numa and len(demand.nodes) > len(host.cells):
        return f"{len(demand.nodes)} NUMA cells"
    return None


def fit(host: Host, state: HostState, demand: Demand) -> Claim | None:
    """What the guest would take from ``host`` as it is now, or None if it cannot fit."""
    if demand.disk_gb > state.disk or static_failure(host, demand) is not None:
        return None
    if not demand.numa:
        if demand.vcpus > state.vcpus or demand.memory_mb > state.host_memory:
            return None
        ports = pick_ports(host, state, demand.ports, None, relaxed=True)
        if ports is None:
            return None
        return Claim(
            vcpus=demand.vcpus, memory_mb=demand.memory_mb, disk_gb=demand.disk_gb, ports=ports
        )
    if demand.pinned > sum(state.pinned):
        return None  # the cheap test that rejects most full hosts
    for cells in permutations(cell_order(host, state, demand), len(demand.nodes)):
        claim = _fit_cells(host, state, demand, cells)
        if claim is not None:
            return claim
    return None


def cell_order(host: Host, state: HostState, demand: Demand) -> list[int]:
    """Host cell indexes in the order Nova tries them: by free CPUs of the kind the guest
    takes, then free memory of its page size (most free first, or most used first when
    the host packs cells); guests without SR-IOV ports try cells without VFs first."""
    order = list(range(len(host.cells)))
    if len(order) == 1:
        return order
    pinned = demand.pinned > 0

    def free(index: int) -> tuple[int, int]:
        cpus = state.pinned[index] if pinned else state.shared[index]
        if demand.page_size is PageSize.SIZE_1GB:
            memory = state.pages_1gb[index] * 1024
        elif demand.page_size is PageSize.SIZE_2MB:
            memory = state.pages_2mb[index] * 2
        elif demand.huge_pages:
            memory = state.pages_1gb[index] * 1024 + state.pages_2mb[index] * 2
        else:
            memory = state.memory[index]
        return cpus, memory

    order.sort(key=free, reverse=not host.pack_numa_cells)  # stable: ties keep cell order
    if not demand.ports:
        with_vfs = {nic.numa_cell for nic in host.nics if nic.physnet}
        order.sort(key=lambda index: host.cells[index].cell_id in with_vfs)
    return order


def _fit_cells(
    host: Host, state: HostState, demand: Demand, cells: tuple[int, ...]
) -> Claim | None:
    claims: list[CellClaim] = []
    for node, index in zip(demand.nodes, cells, strict=True):
        claim = fit_node(host, state, index, node, demand.page_size)
        if claim is None:
            return None
        claims.append(claim)
    if sum(c.shared_vcpus for c in claims) > state.vcpus:
        return None
    if sum(c.memory_mb for c in claims) > state.host_memory:
        return None
    guest_cells = {host.cells[index].cell_id for index in cells}
    ports = pick_ports(host, state, demand.ports, guest_cells, relaxed=demand.pci_relaxed)
    if ports is None:
        return None
    return Claim(cells=tuple(claims), disk_gb=demand.disk_gb, ports=ports)


def fit_node(
    host: Host, state: HostState, index: int, node: NodeDemand, page_size: PageSize | None
) -> CellClaim | None:
    """One guest node in host cell ``index``, or None."""
    if node.pinned > state.pinned[index] or node.shared > state.shared[index]:
        return None
    cell_id = host.cells[index].cell_id
    for page_kb in _PAGE_CHOICES[page_size]:
        memory_kb = node.memory_mb * 1024
        if memory_kb % page_kb:
            continue  # Nova needs the memory to be a whole number of pages
        pages = memory_kb // page_kb
        if page_kb == 4:
            if node.memory_mb <= state.memory[index]:
                return CellClaim(cell_id, node.pinned, node.shared, memory_mb=node.memory_mb)
        elif page_kb == 2048:
            if pages <= state.pages_2mb[index]:
                return CellClaim(cell_id, node.pinned, node.shared, pages_2mb=pages)
        elif pages <= state.pages_1gb[index]:
            return CellClaim(cell_id, node.pinned, node.shared, pages_1gb=pages)
    return None


def pick_ports(
    host: Host,
    state: HostState,
    ports: tuple[PortDemand, ...],
    guest_cells: set[int] | None,
    *,
    relaxed: bool,
) -> tuple[PortClaim, ...] | None:
    """A PF for every SR-IOV port, in the guest's cells (any cell when ``relaxed`` or
    the guest has no NUMA topology, preferring its own), or None."""
    if not ports:
        return ()
    taken: dict[int, int] = {}
    whole: set[int] = set()
    claims: list[PortClaim] = []
    for port in ports:
        index = _pick_nic(host, state, port, guest_cells, taken, whole)
        if index is None and relaxed and guest_cells is not None:
            index = _pick_nic(host, state, port, None, taken, whole)
        if index is None:
            return None
        if port.whole_pf:
            whole.add(index)
        else:
            taken[index] = taken.get(index, 0) + 1
        nic = host.nics[index]
        claims.append(
            PortClaim(port.port, nic.device, port.physnet, nic.numa_cell, whole_pf=port.whole_pf)
        )
    return tuple(claims)


def _pick_nic(
    host: Host,
    state: HostState,
    port: PortDemand,
    guest_cells: set[int] | None,
    taken: dict[int, int],
    whole: set[int],
) -> int | None:
    for index, nic in enumerate(host.nics):
        if nic.physnet != port.physnet or index in whole:
            continue
        if guest_cells is not None and nic.numa_cell not in guest_cells:
            continue
        if port.whole_pf:
            if state.whole_pf[index] and index not in taken:
                return index
        elif state.vfs[index] - taken.get(index, 0) > 0:
            return index
    return None
