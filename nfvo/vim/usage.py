"""What one guest takes from one host, and a host's free capacity after such takings.

A :class:`Claim` is host-independent (cell ids and PF device names, no host name), so
hosts with equal profiles and equal free capacity can share one fit answer; a
:class:`Usage` is a claim on a named host by a named consumer (a VNFC now, a server
when the live part derives usage from each host's servers and flavors).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from nfvo.vim.infrastructure import Host


@dataclass(frozen=True, slots=True)
class CellClaim:
    cell_id: int
    pinned_cpus: int = 0
    shared_vcpus: int = 0
    memory_mb: int = 0  # small pages
    pages_2mb: int = 0
    pages_1gb: int = 0


@dataclass(frozen=True, slots=True)
class PortClaim:
    """A VF of (or, ``whole_pf``, the whole) physical function ``device``."""

    port: str
    device: str
    physnet: str
    numa_cell: int
    whole_pf: bool = False


@dataclass(frozen=True, slots=True)
class Claim:
    cells: tuple[CellClaim, ...] = ()
    vcpus: int = 0  # floating shared vCPUs of a guest without NUMA topology
    memory_mb: int = 0  # floating memory of a guest without NUMA topology
    disk_gb: int = 0
    ports: tuple[PortClaim, ...] = ()

    @property
    def numa_cells(self) -> list[int]:
        return [cell.cell_id for cell in self.cells]

    def resources(self) -> dict[str, int]:
        """The claim as Placement counts it: VCPU, PCPU, MEMORY_MB (huge pages
        included: Nova allocates a guest's whole RAM) and DISK_GB."""
        return {
            "VCPU": self.vcpus + sum(cell.shared_vcpus for cell in self.cells),
            "PCPU": sum(cell.pinned_cpus for cell in self.cells),
            "MEMORY_MB": self.memory_mb
            + sum(
                cell.memory_mb + cell.pages_2mb * 2 + cell.pages_1gb * 1024 for cell in self.cells
            ),
            "DISK_GB": self.disk_gb,
        }

    def vfs_per_pf(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for port in self.ports:
            if not port.whole_pf:
                counts[port.device] = counts.get(port.device, 0) + 1
        return counts


@dataclass(frozen=True, slots=True)
class Usage:
    host: str
    consumer: str
    claim: Claim


def _cell_index(host: Host, cell_id: int) -> int:
    return next(i for i, cell in enumerate(host.cells) if cell.cell_id == cell_id)


def _nic_index(host: Host, device: str) -> int:
    return next(i for i, nic in enumerate(host.nics) if nic.device == device)


class HostState:
    """Free capacity of one host: per cell, per PF and host-wide (mutable, cheap to copy).

    Host-wide ``vcpus``/``host_memory`` are what guests without a NUMA topology draw
    from (Placement's VCPU and MEMORY_MB, allocation ratios applied); guests with one
    draw shared vCPUs and small-page memory from both their cells and the host.
    """

    __slots__ = (
        "disk",
        "host_memory",
        "memory",
        "pages_1gb",
        "pages_2mb",
        "pinned",
        "shared",
        "vcpus",
        "vfs",
        "whole_pf",
    )

    def __init__(
        self,
        *,
        pinned: list[int],
        shared: list[int],
        memory: list[int],
        pages_2mb: list[int],
        pages_1gb: list[int],
        vfs: list[int],
        whole_pf: list[bool],
        vcpus: int,
        host_memory: int,
        disk: int,
    ) -> None:
        self.pinned = pinned
        self.shared = shared
        self.memory = memory
        self.pages_2mb = pages_2mb
        self.pages_1gb = pages_1gb
        self.vfs = vfs
        self.whole_pf = whole_pf
        self.vcpus = vcpus
        self.host_memory = host_memory
        self.disk = disk

    def copy(self) -> HostState:
        return HostState(
            pinned=self.pinned.copy(),
            shared=self.shared.copy(),
            memory=self.memory.copy(),
            pages_2mb=self.pages_2mb.copy(),
            pages_1gb=self.pages_1gb.copy(),
            vfs=self.vfs.copy(),
            whole_pf=self.whole_pf.copy(),
            vcpus=self.vcpus,
            host_memory=self.host_memory,
            disk=self.disk,
        )

    def key(self) -> tuple[object, ...]:
        """The free-capacity signature: equal keys (on equal profiles) fit alike."""
        return (
            tuple(self.pinned),
            tuple(self.shared),
            tuple(self.memory),
            tuple(self.pages_2mb),
            tuple(self.pages_1gb),
            tuple(self.vfs),
            tuple(self.whole_pf),
            self.vcpus,
            self.host_memory,
            self.disk,
        )

    def apply(self, host: Host, usage: Usage) -> None:
        self._change(host, usage.claim, -1)

    def release(self, host: Host, usage: Usage) -> None:
        self._change(host, usage.claim, +1)

    def take(self, host: Host, claim: Claim) -> None:
        self._change(host, claim, -1)

    def give(self, host: Host, claim: Claim) -> None:
        self._change(host, claim, +1)

    def _change(self, host: Host, claim: Claim, sign: int) -> None:
        for cell in claim.cells:
            i = _cell_index(host, cell.cell_id)
            self.pinned[i] += sign * cell.pinned_cpus
            self.shared[i] += sign * cell.shared_vcpus
            self.vcpus += sign * cell.shared_vcpus
            self.memory[i] += sign * cell.memory_mb
            self.host_memory += sign * cell.memory_mb
            self.pages_2mb[i] += sign * cell.pages_2mb
            self.pages_1gb[i] += sign * cell.pages_1gb
        self.vcpus += sign * claim.vcpus
        self.host_memory += sign * claim.memory_mb
        self.disk += sign * claim.disk_gb
        for port in claim.ports:
            n = _nic_index(host, port.device)
            if port.whole_pf:
                # A PF passed through whole takes its VFs with it.
                self.whole_pf[n] = sign > 0
                self.vfs[n] += sign * host.nics[n].vfs
            else:
                self.vfs[n] += sign
                # A PF can go whole only while none of its VFs is in use.
                self.whole_pf[n] = self.vfs[n] == host.nics[n].vfs
