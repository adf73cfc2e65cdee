"""What placement consumes for one VDU: the normalised compute and data-plane needs.

The descriptor reader turns each SOL001 ``Vdu.Compute`` (with its ``VduCp``s and the
free-form maps SOL001 leaves for EPA, see docs/descriptors.md) into one
:class:`VduRequirement`. Placement, the grant's flavours and the VNFM read only this,
never TOSCA. Interfaces name *logical* networks (the VNFD's virtual links or external
CPs); which physical network or existing Neutron network each one is bound to is site
data supplied at instantiation.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Self

from pydantic import BaseModel, ConfigDict, Field, model_validator


class CpuPolicy(StrEnum):
    """Nova ``hw:cpu_policy``."""

    SHARED = "shared"
    DEDICATED = "dedicated"
    MIXED = "mixed"


class ThreadPolicy(StrEnum):
    """Nova ``hw:cpu_thread_policy``: ``isolate`` refuses hyper-threaded hosts and
    ``require`` needs them (current Nova semantics)."""

    PREFER = "prefer"
    ISOLATE = "isolate"
    REQUIRE = "require"


class EmulatorThreadsPolicy(StrEnum):
    """Nova ``hw:emulator_threads_policy``: ``isolate`` takes one more pinned CPU."""

    SHARE = "share"
    ISOLATE = "isolate"


class PageSize(StrEnum):
    """Nova ``hw:mem_page_size``."""

    SMALL = "small"
    LARGE = "large"
    ANY = "any"
    SIZE_2MB = "2MB"
    SIZE_1GB = "1GB"

    @property
    def is_huge(self) -> bool:
        return self in (PageSize.LARGE, PageSize.SIZE_2MB, PageSize.SIZE_1GB)


class VnicType(StrEnum):
    """Neutron ``binding:vnic_type`` values a VM port can have."""

    NORMAL = "normal"
    DIRECT = "direct"
    DIRECT_PHYSICAL = "direct-physical"
    VIRTIO_FORWARDER = "virtio-forwarder"
    MACVTAP = "macvtap"
    VDPA = "vdpa"
    BAREMETAL = "baremetal"

    @property
    def needs_sriov(self) -> bool:
        """A VF (or, for direct-physical, a whole PF) of a NIC on the port's physnet."""
        return self in (VnicType.DIRECT, VnicType.DIRECT_PHYSICAL, VnicType.MACVTAP)


class NumaNodeSplit(BaseModel):
    """How much of the guest one NUMA node holds (Nova ``hw:numa_cpus.N``/``hw:numa_mem.N``)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    vcpus: list[int] = Field(description="Guest vCPU indexes on this node.")
    memory_mb: int = Field(gt=0)


class InterfaceRequirement(BaseModel):
    """One connection point of the VDU."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    cp_id: str = Field(description="The VduCp's node name in the VNFD.")
    vnic_type: VnicType = VnicType.NORMAL
    logical_network: str | None = Field(
        default=None,
        description="The VNF virtual link or external CP this interface attaches to.",
    )
    order: int | None = Field(default=None, description="SOL001 `order`: NIC position.")
    port_security: bool = Field(
        default=True, description="False where the VNFD disables anti-spoofing."
    )


class VduRequirement(BaseModel):
    """The compute, memory, storage and data-plane needs of one VDU."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    vdu_id: str
    vcpus: int = Field(gt=0)
    memory_mb: int = Field(gt=0)
    disk_gb: int = Field(default=0, ge=0)
    cpu_policy: CpuPolicy = CpuPolicy.SHARED
    dedicated_cpus: list[int] = Field(
        default_factory=list,
        description="With the mixed policy: the guest vCPUs that are pinned "
        "(Nova `hw:cpu_dedicated_mask`).",
    )
    thread_policy: ThreadPolicy | None = None
    emulator_threads: EmulatorThreadsPolicy = EmulatorThreadsPolicy.SHARE
    numa_nodes: int | None = Field(default=None, ge=1, description="Nova `hw:numa_nodes`.")
    numa_split: list[NumaNodeSplit] = Field(
        default_factory=list, description="Explicit per-node split; empty means even."
    )
    page_size: PageSize | None = None
    interfaces: list[InterfaceRequirement] = Field(default_factory=list)
    dpdk: bool = Field(
        default=False, description="The guest runs DPDK (vhost-user needs huge pages)."
    )
    extra: dict[str, str] = Field(
        default_factory=dict, description="Other Nova extra specs, passed through."
    )

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if self.cpu_policy is CpuPolicy.MIXED:
            if not self.dedicated_cpus:
                raise ValueError("the mixed CPU policy needs dedicated_cpus")
            if len(self.dedicated_cpus) >= self.vcpus:
                raise ValueError("the mixed CPU policy needs at least one shared vCPU")
        elif self.dedicated_cpus:
            raise ValueError("dedicated_cpus is only meaningful with the mixed CPU policy")
        if any(not 0 <= cpu < self.vcpus for cpu in self.dedicated_cpus):
            raise ValueError(f"dedicated_cpus must be guest vCPU indexes below {self.vcpus}")
        if self.numa_split:
            if self.numa_nodes is not None and len(self.numa_split) != self.numa_nodes:
                raise ValueError("numa_split must have one entry per NUMA node")
            cpus = sorted(cpu for node in self.numa_split for cpu in node.vcpus)
            if cpus != list(range(self.vcpus)):
                raise ValueError("numa_split must assign every vCPU to exactly one node")
            if sum(node.memory_mb for node in self.numa_split) != self.memory_mb:
                raise ValueError("numa_split memory must add up to memory_mb")
        if self.numa_nodes and self.numa_nodes > self.vcpus:
            raise ValueError("numa_nodes cannot exceed vcpus")
        cp_ids = [iface.cp_id for iface in self.interfaces]
        if len(cp_ids) != len(set(cp_ids)):
            raise ValueError("interface cp_id values must be unique")
        return self

    @property
    def pinned_cpus(self) -> int:
        """Host CPUs this VDU pins (emulator threads included when isolated)."""
        if self.cpu_policy is CpuPolicy.DEDICATED:
            pinned = self.vcpus
        elif self.cpu_policy is CpuPolicy.MIXED:
            pinned = len(self.dedicated_cpus)
        else:
            return 0
        return pinned + (1 if self.emulator_threads is EmulatorThreadsPolicy.ISOLATE else 0)

    @property
    def shared_cpus(self) -> int:
        """Guest vCPUs that float on the host's shared CPU set."""
        if self.cpu_policy is CpuPolicy.DEDICATED:
            return 0
        return self.vcpus - len(self.dedicated_cpus)

    @property
    def needs_numa(self) -> bool:
        """Whether Nova gives the guest a NUMA topology (and so aligns it to host cells)."""
        return (
            self.cpu_policy is not CpuPolicy.SHARED
            or self.numa_nodes is not None
            or (self.page_size is not None and self.page_size is not PageSize.SMALL)
        )
