"""What the placement engine is asked and what it answers.

A :class:`PlacementRequest` holds one :class:`VnfcRequest` per VNFC instance (each with
its VDU's :class:`~descriptors.requirements.VduRequirement`), the affinity and
anti-affinity groups among them, zone restrictions, how each logical network is
bound on this site, the mode (name the host, or express the decision as zone plus
server group when we lack admin rights) and the objective. The answer is a
:class:`PlacementDecision`: a :class:`VnfcPlacement` for every VNFC, or an
:class:`PlacementExplanation` an operator can act on. All or nothing.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

from descriptors.requirements import VduRequirement


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class AffinityScope(StrEnum):
    """SOL001's scopes for affinity rules (``tosca.policies.nfv.AffinityRule``)."""

    NFVI_NODE = "nfvi_node"
    ZONE = "zone"
    ZONE_GROUP = "zone_group"
    NFVI_POP = "nfvi_pop"
    NETWORK_LINK_AND_NODE = "network_link_and_node"

    @property
    def supported(self) -> bool:
        """The engine places within these; it refuses the others with an explanation."""
        return self in (AffinityScope.NFVI_NODE, AffinityScope.ZONE)


class AffinityKind(StrEnum):
    AFFINITY = "affinity"
    ANTI_AFFINITY = "anti_affinity"


class AffinityGroup(_Model):
    group_id: str
    kind: AffinityKind
    scope: AffinityScope
    members: list[str] = Field(min_length=1, description="vnfc_id values.")
    best_effort: bool = Field(
        default=False, description="SOL003 fallbackBestEffort; Nova's soft-(anti-)affinity."
    )
    placed_hosts: list[str] = Field(
        default_factory=list,
        description="Hosts already running members outside this request (the siblings of a "
        "scale-out or a heal): anti-affinity keeps away from them, affinity goes to them, "
        "and zone-scope rules count their zones.",
    )


class NetworkBinding(_Model):
    """Where a logical network of the descriptors lands on this site: a physical
    network (for SR-IOV ports and provider networks we create) or an existing Neutron
    network, or both when the existing network sits on a known physnet."""

    logical_network: str
    physnet: str | None = None
    network_id: str | None = None

    @model_validator(mode="after")
    def _bound(self) -> Self:
        if self.physnet is None and self.network_id is None:
            raise ValueError(f"{self.logical_network}: bind it to a physnet or a network id")
        return self


class PlacementMode(StrEnum):
    HOST = "host"  # admin rights: name the hypervisor (Nova 2.74)
    ZONE_AND_SERVER_GROUP = "zone_and_server_group"  # no admin rights


class Objective(StrEnum):
    PACK = "pack"  # fewest hosts (control plane default)
    SPREAD = "spread"  # across hosts and zones (anti-affinity default)


class VnfcRequest(_Model):
    vnfc_id: str = Field(description="Unique in the request; the grant's resourceDefinitionId.")
    vdu_id: str
    vnf_instance_id: str | None = None
    requirement: VduRequirement
    zones: list[str] | None = Field(default=None, description="Allowed zones; None: any.")


class PlacementRequest(_Model):
    request_id: str
    vnfcs: list[VnfcRequest] = Field(min_length=1)
    groups: list[AffinityGroup] = Field(default_factory=list)
    allowed_zones: list[str] | None = None
    network_bindings: list[NetworkBinding] = Field(default_factory=list)
    mode: PlacementMode = PlacementMode.HOST
    objective: Objective = Objective.PACK

    @model_validator(mode="after")
    def _references(self) -> Self:
        ids = [v.vnfc_id for v in self.vnfcs]
        if len(ids) != len(set(ids)):
            raise ValueError("vnfc_id values must be unique")
        known = set(ids)
        for group in self.groups:
            unknown = sorted(set(group.members) - known)
            if unknown:
                raise ValueError(f"group {group.group_id} names unknown VNFCs: {unknown}")
        bound = [b.logical_network for b in self.network_bindings]
        if len(bound) != len(set(bound)):
            raise ValueError("each logical network may be bound once")
        return self

    def binding(self, logical_network: str) -> NetworkBinding | None:
        return next(
            (b for b in self.network_bindings if b.logical_network == logical_network), None
        )


class PhysicalFunction(_Model):
    cp_id: str
    physnet: str
    device: str
    numa_cell: int | None = None


class VnfcPlacement(_Model):
    vnfc_id: str
    host: str | None = Field(default=None, description="Set in HOST mode.")
    zone: str
    server_group: str | None = Field(default=None, description="The group's name in its mode.")
    numa_cells: list[int] = Field(default_factory=list)
    physical_functions: list[PhysicalFunction] = Field(default_factory=list)
    predicted: bool = Field(
        default=True, description="NUMA cells and PFs are our prediction of Nova's choice."
    )
    reservation_id: str | None = None


class ConstraintFailure(_Model):
    constraint: str = Field(description="e.g. 'pinned CPUs', 'VF on sriov-n3', 'zone'.")
    hosts: int = Field(ge=0, description="How many hosts fail on it.")


class PlacementExplanation(_Model):
    """Why a request could not be placed, in words an operator can act on."""

    vnfc_id: str | None = None
    needs: str = Field(description="What the VNFC needs, in one sentence.")
    failures: list[ConstraintFailure] = Field(default_factory=list)
    nearest_miss: str | None = Field(default=None, description="The closest host and its gap.")

    def __str__(self) -> str:
        parts = [self.needs]
        parts += [f"{f.hosts} hosts lack {f.constraint}" for f in self.failures]
        if self.nearest_miss:
            parts.append(self.nearest_miss)
        return "; ".join(parts)


class PlacementDecision(_Model):
    request_id: str
    placements: list[VnfcPlacement] = Field(default_factory=list)
    explanation: PlacementExplanation | None = None
    graph_age_seconds: float | None = Field(
        default=None, description="How fresh the infrastructure view behind it was."
    )
    caveats: list[str] = Field(
        default_factory=list, description="e.g. 'no admin rights: capacity without usage'."
    )

    @model_validator(mode="after")
    def _either(self) -> Self:
        if self.explanation is not None and self.placements:
            raise ValueError("a decision is all or nothing: placements or an explanation")
        if self.explanation is None and not self.placements:
            raise ValueError("a decision without placements needs an explanation")
        return self

    @property
    def feasible(self) -> bool:
        return self.explanation is None

    def placement(self, vnfc_id: str) -> VnfcPlacement | None:
        return next((p for p in self.placements if p.vnfc_id == vnfc_id), None)
