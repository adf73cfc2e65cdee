"""What a server was given on its host, and how it is taken and given back exactly."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from simulators.openstack.hosts import HostState


@dataclass(frozen=True)
class CellClaim:
    guest_cell: int
    host_cell: int
    vcpus: tuple[int, ...]
    pinning: dict[int, int]
    reserved_siblings: tuple[int, ...]
    memory_mb: int
    page_size_mb: int | None


@dataclass(frozen=True)
class PciClaim:
    port_id: str
    kind: str
    nic: str
    pci_address: str
    vf_index: int | None
    physnet: str | None
    numa_cell: int
    vnic_type: str


@dataclass
class Claim:
    host: str
    vcpus: int
    pcpus: int
    ram_mb: int
    disk_gb: int
    cells: list[CellClaim] = field(default_factory=list)
    emulator_cpu: tuple[int, int] | None = None  # (host cell, cpu)
    pci: list[PciClaim] = field(default_factory=list)

    def view(self) -> dict[str, Any]:
        return {
            "host": self.host,
            "resources": {
                "VCPU": self.vcpus,
                "PCPU": self.pcpus,
                "MEMORY_MB": self.ram_mb,
                "DISK_GB": self.disk_gb,
            },
            "numa_cells": [
                {
                    "guest_cell": c.guest_cell,
                    "host_cell": c.host_cell,
                    "vcpus": list(c.vcpus),
                    "pinning": {str(k): v for k, v in c.pinning.items()},
                    "pinned_cpus": sorted(c.pinning.values()),
                    "isolated_siblings": list(c.reserved_siblings),
                    "memory_mb": c.memory_mb,
                    "page_size": _page_label(c.page_size_mb),
                }
                for c in self.cells
            ],
            "emulator_threads": (
                None
                if self.emulator_cpu is None
                else {"host_cell": self.emulator_cpu[0], "cpu": self.emulator_cpu[1]}
            ),
            "pci_devices": [
                {
                    "port_id": p.port_id,
                    "type": "type-VF" if p.kind == "vf" else "type-PF",
                    "pf": p.nic,
                    "pci_address": p.pci_address,
                    "vf_index": p.vf_index,
                    "physnet": p.physnet,
                    "numa_cell": p.numa_cell,
                    "vnic_type": p.vnic_type,
                }
                for p in self.pci
            ],
        }


def _page_label(size: int | None) -> str:
    return {None: "small", 2: "2MB", 1024: "1GB"}[size]


def _bump_generations(host: HostState, claim: Claim) -> None:
    """The claim changes the allocations against the host's providers."""
    host.generation += 1
    touched = {p.nic for p in claim.pci}
    for nic in host.nics:
        if nic.spec.name in touched:
            nic.generation += 1


def apply_claim(host: HostState, claim: Claim) -> None:
    _bump_generations(host, claim)
    host.vcpus_used += claim.vcpus
    host.pcpus_used += claim.pcpus
    host.ram_used_mb += claim.ram_mb
    host.disk_used_gb += claim.disk_gb
    cells = {c.id: c for c in host.cells}
    for cell_claim in claim.cells:
        cell = cells[cell_claim.host_cell]
        cell.free_dedicated -= set(cell_claim.pinning.values()) | set(cell_claim.reserved_siblings)
        if cell_claim.page_size_mb is None:
            cell.small_free_mb -= cell_claim.memory_mb
        else:
            cell.pages_free[cell_claim.page_size_mb] -= (
                cell_claim.memory_mb // cell_claim.page_size_mb
            )
    if claim.emulator_cpu is not None:
        cells[claim.emulator_cpu[0]].free_dedicated.discard(claim.emulator_cpu[1])
    nics = {n.spec.name: n for n in host.nics}
    for pci in claim.pci:
        if pci.vf_index is None:
            nics[pci.nic].pf_taken = True
        else:
            nics[pci.nic].used_vfs.add(pci.vf_index)


def release_claim(host: HostState, claim: Claim) -> None:
    _bump_generations(host, claim)
    host.vcpus_used -= claim.vcpus
    host.pcpus_used -= claim.pcpus
    host.ram_used_mb -= claim.ram_mb
    host.disk_used_gb -= claim.disk_gb
    cells = {c.id: c for c in host.cells}
    for cell_claim in claim.cells:
        cell = cells[cell_claim.host_cell]
        cell.free_dedicated |= set(cell_claim.pinning.values()) | set(cell_claim.reserved_siblings)
        if cell_claim.page_size_mb is None:
            cell.small_free_mb += cell_claim.memory_mb
        else:
            cell.pages_free[cell_claim.page_size_mb] += (
                cell_claim.memory_mb // cell_claim.page_size_mb
            )
    if claim.emulator_cpu is not None:
        cells[claim.emulator_cpu[0]].free_dedicated.add(claim.emulator_cpu[1])
    nics = {n.spec.name: n for n in host.nics}
    for pci in claim.pci:
        if pci.vf_index is None:
            nics[pci.nic].pf_taken = False
        else:
            nics[pci.nic].used_vfs.discard(pci.vf_index)
