"""NUMATopologyFilter: fit a guest's NUMA cells, pinned CPUs and huge pages on a host.

Each guest cell goes to a distinct host cell; pinned vCPUs take dedicated host threads
(PCPU) of that cell, under the thread policy; huge pages come from the same cell.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass

from simulators.openstack.hosts import CellState, HostState
from simulators.openstack.scheduler.claims import CellClaim
from simulators.openstack.scheduler.request import GuestCell, RequestSpec


@dataclass(frozen=True)
class NumaFit:
    cells: list[CellClaim]
    emulator_cpu: tuple[int, int] | None


PciCheck = Callable[[list[int] | None], str | None]


def fit_numa(host: HostState, spec: RequestSpec, pci_check: PciCheck) -> NumaFit | str:
    """The first cell mapping where memory, CPUs and PCI devices all fit, else why not."""
    if spec.cells is None:
        reason = pci_check(None)
        return reason if reason else NumaFit([], None)
    if len(spec.cells) > len(host.cells):
        return f"guest needs {len(spec.cells)} NUMA nodes, host has {len(host.cells)}"
    reason, nearest = "no NUMA cell combination fits", None
    for mapping in itertools.permutations(cell_order(host, spec), len(spec.cells)):
        fit = _fit_mapping(spec, mapping)
        if isinstance(fit, str):
            reason = fit
            continue
        pci_reason = pci_check([claim.host_cell for claim in fit.cells])
        if pci_reason is None:
            return fit
        nearest = pci_reason  # CPUs and memory fitted: the most telling reason
    return nearest or reason


def cell_order(host: HostState, spec: RequestSpec) -> list[CellState]:
    """Host cells in the order current Nova tries them (``[compute]
    packing_host_numa_cells_allocation_strategy=false``, the default since Zed): most
    free CPUs of the kind the guest takes first, then most free memory of its page
    size; a guest without PCI devices tries cells without them first. Ties keep the
    cells' own order."""
    page_size = spec.page_sizes[0] if spec.page_sizes else None
    dedicated = spec.cpu_policy in ("dedicated", "mixed")

    def free(cell: CellState) -> tuple[int, int]:
        cpus = len(cell.free_dedicated) if dedicated else len(cell.shared_cpus)
        if page_size is None:
            return cpus, cell.small_free_mb
        return cpus, cell.pages_free.get(page_size, 0) * page_size

    order = sorted(host.cells, key=free, reverse=True)
    if not spec.pci:
        with_devices = {nic.spec.numa_cell for nic in host.nics if nic.spec.physnet}
        order.sort(key=lambda cell: cell.id in with_devices)
    return order


def _fit_mapping(spec: RequestSpec, mapping: tuple[CellState, ...]) -> NumaFit | str:
    claims: list[CellClaim] = []
    assert spec.cells is not None
    for guest, cell in zip(spec.cells, mapping, strict=True):
        claim = _fit_cell(spec, guest, cell)
        if isinstance(claim, str):
            return f"host NUMA cell {cell.id}: {claim}"
        claims.append(claim)
    emulator: tuple[int, int] | None = None
    if spec.emulator_isolate:
        emulator = _emulator_cpu(mapping, claims)
        if emulator is None:
            return "no dedicated CPU left for the isolated emulator threads"
    return NumaFit(claims, emulator)


def _emulator_cpu(
    mapping: tuple[CellState, ...], claims: list[CellClaim]
) -> tuple[int, int] | None:
    for cell, claim in zip(mapping, claims, strict=True):
        taken = set(claim.pinning.values()) | set(claim.reserved_siblings)
        free = sorted(cell.free_dedicated - taken)
        if free:
            return (cell.id, free[0])
    return None


def _fit_cell(spec: RequestSpec, guest: GuestCell, cell: CellState) -> CellClaim | str:
    page = _page_size(spec, guest, cell)
    if isinstance(page, str):
        return page
    shared = len(guest.vcpus) - len(guest.dedicated)
    if shared and not cell.shared_cpus:
        return "no shared CPUs for the guest's floating vCPUs"
    picked = _pick_cpus(spec.thread_policy, len(guest.dedicated), cell)
    if isinstance(picked, str):
        return picked
    threads, reserved = picked
    return CellClaim(
        guest_cell=guest.id,
        host_cell=cell.id,
        vcpus=guest.vcpus,
        pinning=dict(zip(sorted(guest.dedicated), threads, strict=True)),
        reserved_siblings=tuple(reserved),
        memory_mb=guest.memory_mb,
        page_size_mb=page,
    )


def _page_size(spec: RequestSpec, guest: GuestCell, cell: CellState) -> int | str | None:
    for size in spec.page_sizes:
        if size is None:
            if cell.small_free_mb >= guest.memory_mb:
                return None
        elif (
            guest.memory_mb % size == 0 and cell.pages_free.get(size, 0) >= guest.memory_mb // size
        ):
            return size
    wanted = "/".join("small" if s is None else f"{s}MB" for s in spec.page_sizes)
    return f"not enough free {wanted} pages for {guest.memory_mb} MiB"


def _pick_cpus(policy: str, count: int, cell: CellState) -> tuple[list[int], list[int]] | str:
    """Threads to pin, and sibling threads made unusable (isolate); or why not."""
    if count == 0:
        return [], []
    cores = cell.cores()
    free_cores = [core for core in cores if all(t in cell.free_dedicated for t in core)]
    if policy == "isolate":
        if len(free_cores) < count:
            return f"{count} pinned vCPUs need {count} free cores, {len(free_cores)} free"
        chosen = free_cores[:count]
        return [core[0] for core in chosen], [t for core in chosen for t in core[1:]]
    if policy == "require":
        threads = [t for core in free_cores for t in core]
        if len(threads) < count:
            return f"{count} pinned vCPUs need sibling threads of free cores, {len(threads)} free"
        return threads[:count], []
    ordered = sorted(cores, key=lambda core: -sum(t in cell.free_dedicated for t in core))
    threads = [t for core in ordered for t in core if t in cell.free_dedicated]
    if len(threads) < count:
        return f"{count} pinned vCPUs, {len(threads)} free dedicated CPUs"
    return threads[:count], []
