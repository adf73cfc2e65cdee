"""A compute host's live state: CPUs, memory, huge pages, NICs and its nova-compute service."""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING

from simulators.openstack.inventory import HostSpec, NicSpec, NumaCellSpec

if TYPE_CHECKING:
    from simulators.openstack.scheduler.claims import Claim

PAGE_2M = 2
PAGE_1G = 1024


@dataclass
class CellState:
    spec: NumaCellSpec
    shared_cpus: list[int]
    dedicated_cpus: list[int]
    siblings: dict[int, tuple[int, ...]]
    free_dedicated: set[int]
    pages_free: dict[int, int]
    small_free_mb: int

    @property
    def id(self) -> int:
        return self.spec.id

    def cores(self) -> list[tuple[int, ...]]:
        """The dedicated cores of this cell, as tuples of their thread ids."""
        seen: dict[tuple[int, ...], None] = {}
        for cpu in self.dedicated_cpus:
            seen[self.siblings[cpu]] = None
        return list(seen)


@dataclass
class NicState:
    spec: NicSpec
    used_vfs: set[int] = field(default_factory=set)
    pf_taken: bool = False
    generation: int = 1  # of its Placement provider (with PCI in Placement)

    def free_vfs(self) -> int:
        return 0 if self.pf_taken else self.spec.vfs - len(self.used_vfs)


@dataclass
class ServiceState:
    id: str
    disabled: bool = False
    disabled_reason: str | None = None
    forced_down: bool = False
    alive: bool = True
    last_heartbeat: float = field(default_factory=time.monotonic)
    updated_at: str = ""
    booted_at: float = field(default_factory=time.time)  # wall clock, for the uptime


@dataclass
class HostState:
    spec: HostSpec
    cells: list[CellState]
    nics: list[NicState]
    service: ServiceState
    hypervisor_id: str
    provider_id: str
    vcpus_used: int = 0
    pcpus_used: int = 0
    ram_used_mb: int = 0
    disk_used_gb: int = 0
    servers: set[str] = field(default_factory=set)
    # Placement's generation of the host's provider: every change of its allocations
    # bumps it, as Placement does.
    generation: int = 1
    # Placement allocations of consumers other than servers (class -> amount): the
    # scheduler's allocation candidates leave them out, the resource tracker never sees them.
    outside_used: dict[str, int] = field(default_factory=dict)
    # Claims a migration holds on its source until it is confirmed or reverted (by the
    # migration's uuid, which is their Placement consumer).
    held: dict[str, Claim] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return self.spec.name

    # The capacities follow from the inventory and never change: computed once.
    @cached_property
    def shared_cpu_count(self) -> int:
        return sum(len(c.shared_cpus) for c in self.cells)

    @cached_property
    def dedicated_cpu_count(self) -> int:
        return sum(len(c.dedicated_cpus) for c in self.cells)

    @cached_property
    def memory_mb(self) -> int:
        return sum(c.spec.memory_mb for c in self.cells)

    @cached_property
    def _vcpu_capacity(self) -> int:
        return int(self.shared_cpu_count * self.spec.cpu_allocation_ratio)

    @cached_property
    def _ram_capacity_mb(self) -> int:
        usable = self.memory_mb - self.spec.reserved_host_memory_mb
        return int(usable * self.spec.ram_allocation_ratio)

    def vcpu_capacity(self) -> int:
        return self._vcpu_capacity

    def ram_capacity_mb(self) -> int:
        return self._ram_capacity_mb

    def disk_capacity_gb(self) -> int:
        return int(self.spec.disk_gb * self.spec.disk_allocation_ratio)

    def free_ram_mb(self) -> int:
        return self.ram_capacity_mb() - self.ram_used_mb

    def service_up(self, now: float, service_down_time: float) -> bool:
        """As Nova's servicegroup reads it: the last heartbeat is recent enough."""
        if self.service.forced_down:
            return False
        return self.service.alive or now - self.service.last_heartbeat <= service_down_time

    def host_status(self, now: float, service_down_time: float) -> str:
        """Nova's host_status of a server on this host (2.16), in Nova's order."""
        if self.service.forced_down:
            return "DOWN"
        if self.service.disabled:
            return "MAINTENANCE"
        return "UP" if self.service_up(now, service_down_time) else "UNKNOWN"


def build_host(spec: HostSpec, namespace: uuid.UUID) -> HostState:
    cells: list[CellState] = []
    base = 0
    for cell_spec in spec.numa_cells:
        cell = _build_cell(cell_spec, base)
        base += cell_spec.cores * cell_spec.threads_per_core
        cells.append(cell)
    return HostState(
        spec=spec,
        cells=cells,
        nics=[NicState(nic) for nic in spec.nics],
        service=ServiceState(id=str(uuid.uuid5(namespace, f"service:{spec.name}"))),
        hypervisor_id=str(uuid.uuid5(namespace, f"hypervisor:{spec.name}")),
        provider_id=str(uuid.uuid5(namespace, f"provider:{spec.name}")),
    )


def _build_cell(spec: NumaCellSpec, base: int) -> CellState:
    shared: list[int] = []
    dedicated: list[int] = []
    siblings: dict[int, tuple[int, ...]] = {}
    first_dedicated = spec.cores - spec.dedicated_cores
    for core in range(spec.cores):
        threads = tuple(
            base + core * spec.threads_per_core + t for t in range(spec.threads_per_core)
        )
        for cpu in threads:
            siblings[cpu] = threads
        (dedicated if core >= first_dedicated else shared).extend(threads)
    huge_mb = spec.hugepages_2mb * PAGE_2M + spec.hugepages_1gb * PAGE_1G
    return CellState(
        spec=spec,
        shared_cpus=shared,
        dedicated_cpus=dedicated,
        siblings=siblings,
        free_dedicated=set(dedicated),
        pages_free={PAGE_2M: spec.hugepages_2mb, PAGE_1G: spec.hugepages_1gb},
        small_free_mb=spec.memory_mb - huge_mb,
    )
