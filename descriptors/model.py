"""The typed VNFD and NSD: what later code reads instead of TOSCA.

Built once, at onboarding, from tosca-parser's view of the descriptor (see
:mod:`descriptors.vnfd_reader` and :mod:`descriptors.nsd_reader`) and stored inside a
versioned document (:mod:`descriptors.stored`), which alone knows storage versions.
Names follow SOL001's property names in snake case; sizes are plain integers in the
unit their name says.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class _Record(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Checksum(_Record):
    algorithm: str = Field(description="sha-224, sha-256, sha-384 or sha-512")
    hash: str


class SoftwareImage(_Record):
    name: str
    version: str
    checksum: Checksum
    container_format: str
    disk_format: str
    min_disk_bytes: int = 0
    min_ram_bytes: int | None = None
    size_bytes: int
    provider: str | None = None
    operating_system: str | None = None
    file: str | None = Field(default=None, description="The artifact's path in the package.")


class BootData(_Record):
    """Day-1 data: SOL001 2.x gives a string (``content``); 3.x and later a BootData map."""

    content: str | None = None
    data: dict[str, str] = Field(default_factory=dict)
    kvp_data: dict[str, str] = Field(default_factory=dict)
    source_path: str | None = None
    destination_path: str | None = None
    vim_type: str | None = None
    vim_properties: dict[str, str] = Field(default_factory=dict)


class VirtualStorage(_Record):
    storage_id: str
    size_bytes: int
    rdma_enabled: bool = False
    image: SoftwareImage | None = None


class AdditionalCapability(_Record):
    name: str
    support_mandatory: bool
    target_performance_parameters: dict[str, str] = Field(default_factory=dict)


class Vdu(_Record):
    vdu_id: str
    name: str
    description: str = ""
    min_instances: int
    max_instances: int
    vcpus: int = Field(description="0 when the VDU declares no virtual_compute.")
    memory_mb: int
    local_storage_gb: list[int] = Field(default_factory=list)
    cpu_requirements: dict[str, str] = Field(default_factory=dict)
    memory_requirements: dict[str, str] = Field(default_factory=dict)
    cpu_pinning_policy: Literal["static", "dynamic"] | None = None
    cpu_pinning_rules: list[str] = Field(default_factory=list)
    numa_enabled: bool | None = None
    additional_capabilities: list[AdditionalCapability] = Field(default_factory=list)
    compute_requirements: dict[str, str] = Field(default_factory=dict)
    image: SoftwareImage | None = None
    storages: list[str] = Field(default_factory=list)
    boot_data: BootData | None = None


class VduCp(_Record):
    cp_id: str
    vdu_id: str
    layer_protocols: list[str] = Field(default_factory=list)
    vnic_type: str | None = Field(default=None, description="As written; see normalise.")
    order: int | None = None
    virtual_link: str | None = Field(default=None, description="The VnfVirtualLink bound to.")
    interface_requirements: dict[str, str] = Field(default_factory=dict)


class VirtualLink(_Record):
    vl_id: str
    layer_protocols: list[str] = Field(default_factory=list)
    description: str = ""
    network_type: str | None = None
    mtu: int | None = None
    ip_version: str | None = None
    cidr: str | None = None
    max_bitrate: int | None = None
    min_bitrate: int | None = None


class ExtCp(_Record):
    """An external CP: a VduCp (or virtual link) the VNF exposes to NS virtual links."""

    cp_id: str
    maps_to: str = Field(description="The VduCp or VnfExtCp node behind it.")
    layer_protocols: list[str] = Field(default_factory=list)
    internal_virtual_link: str | None = None


class ScalingAspect(_Record):
    aspect_id: str
    name: str
    description: str = ""
    max_scale_level: int
    step_deltas: list[str] = Field(default_factory=list)
    vdu_deltas: dict[str, dict[str, int]] = Field(
        default_factory=dict, description="VDU id -> delta id -> number of instances."
    )


class InstantiationLevel(_Record):
    level_id: str
    description: str = ""
    scale_info: dict[str, int] = Field(default_factory=dict, description="aspect -> level")
    vdu_instances: dict[str, int] = Field(default_factory=dict)


class PlacementKind(StrEnum):
    AFFINITY = "affinity"
    ANTI_AFFINITY = "anti-affinity"


class PlacementRule(_Record):
    rule_id: str
    kind: PlacementKind
    scope: str = Field(description="nfvi_node, zone, zone_group, nfvi_pop, ...")
    targets: list[str] = Field(description="The VDUs (or VNFs in an NSD) it places.")


class Flavour(_Record):
    flavour_id: str
    description: str = ""
    vdus: list[Vdu] = Field(default_factory=list)
    cps: list[VduCp] = Field(default_factory=list)
    virtual_links: list[VirtualLink] = Field(default_factory=list)
    ext_cps: list[ExtCp] = Field(default_factory=list)
    storages: list[VirtualStorage] = Field(default_factory=list)
    scaling_aspects: list[ScalingAspect] = Field(default_factory=list)
    initial_deltas: dict[str, int] = Field(default_factory=dict)
    instantiation_levels: list[InstantiationLevel] = Field(default_factory=list)
    default_level: str | None = None
    placement_rules: list[PlacementRule] = Field(default_factory=list)

    def vdu(self, vdu_id: str) -> Vdu:
        return next(v for v in self.vdus if v.vdu_id == vdu_id)


class Vnfd(_Record):
    descriptor_id: str
    descriptor_version: str
    provider: str
    product_name: str
    software_version: str
    product_info_name: str | None = None
    vnfm_info: list[str] = Field(default_factory=list)
    node_type: str = Field(description="The VNF's node type, as an NSD names it.")
    flavours: list[Flavour] = Field(default_factory=list)

    def flavour(self, flavour_id: str) -> Flavour:
        return next(f for f in self.flavours if f.flavour_id == flavour_id)


class VnfProfile(_Record):
    profile_id: str = Field(description="The VNF node's name in the NSD.")
    vnfd_id: str
    flavour_id: str
    product_name: str = ""
    provider: str = ""
    node_type: str = ""
    min_instances: int = 1
    max_instances: int = 1
    instantiation_level: str | None = None
    virtual_links: dict[str, str] = Field(
        default_factory=dict, description="VNF requirement (external CP) -> NS virtual link."
    )


class NsVirtualLink(_Record):
    vl_id: str
    layer_protocols: list[str] = Field(default_factory=list)
    description: str = ""
    max_bitrate: int | None = None
    min_bitrate: int | None = None


class Sap(_Record):
    sap_id: str
    layer_protocols: list[str] = Field(default_factory=list)
    virtual_link: str | None = None


class VnfDependency(_Record):
    """``vnf`` is instantiated only after ``depends_on`` (TOSCA ``dependency``)."""

    vnf: str
    depends_on: str


class NsScalingAspect(_Record):
    aspect_id: str
    name: str
    description: str = ""
    levels: dict[int, str] = Field(default_factory=dict)
    vnf_instances: dict[str, dict[int, int]] = Field(
        default_factory=dict, description="VNF profile -> NS scale level -> instances."
    )


class NsInstantiationLevel(_Record):
    level_id: str
    description: str = ""
    vnf_instances: dict[str, int] = Field(default_factory=dict)


class NsFlavour(_Record):
    flavour_id: str
    vnf_profiles: list[VnfProfile] = Field(default_factory=list)
    virtual_links: list[NsVirtualLink] = Field(default_factory=list)
    saps: list[Sap] = Field(default_factory=list)
    dependencies: list[VnfDependency] = Field(default_factory=list)
    instantiation_levels: list[NsInstantiationLevel] = Field(default_factory=list)
    default_level: str | None = None
    scaling_aspects: list[NsScalingAspect] = Field(default_factory=list)
    placement_rules: list[PlacementRule] = Field(default_factory=list)


class Nsd(_Record):
    descriptor_id: str
    designer: str
    version: str
    name: str
    invariant_id: str
    flavours: list[NsFlavour] = Field(default_factory=list)
