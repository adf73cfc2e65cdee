"""The SOL003 Granting interface (clause 9) and how a placement decision rides in it.

The VNFM asks (``GrantRequest``); the NFVO answers (``Grant``) through the standard's
own fields wherever one exists:

- ``zones[]`` (``ZoneInfo.zoneId`` names the availability zone) and each
  ``GrantInfo.zoneId`` refers to one of them;
- ``GrantInfo.reservationId`` carries the placement reservation;
- ``vimAssets.computeResourceFlavours``: one flavour per ``vnfdVirtualComputeDescId``,
  whose extra specs make Nova place the VNFC as decided;

and only what the standard has no field for in
``additionalParams.placement[resourceDefinitionId]`` (:class:`PlacementHint`): the host,
the server group, the predicted NUMA cells and physical functions.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from pydantic import Field, ValidationError

from nfvo.sol.wire import Link, WireModel

PLACEMENT_KEY = "placement"


class GrantedLcmOperation(StrEnum):
    """``GrantedLcmOperationType`` (SOL003 9.5.4.2)."""

    INSTANTIATE = "INSTANTIATE"
    SCALE = "SCALE"
    SCALE_TO_LEVEL = "SCALE_TO_LEVEL"
    CHANGE_FLAVOUR = "CHANGE_FLAVOUR"
    TERMINATE = "TERMINATE"
    HEAL = "HEAL"
    OPERATE = "OPERATE"
    CHANGE_EXT_CONN = "CHANGE_EXT_CONN"
    CHANGE_VNFPKG = "CHANGE_VNFPKG"
    CREATE_SNAPSHOT = "CREATE_SNAPSHOT"
    REVERT_TO_SNAPSHOT = "REVERT_TO_SNAPSHOT"


class ResourceType(StrEnum):
    COMPUTE = "COMPUTE"
    VL = "VL"
    STORAGE = "STORAGE"
    LINKPORT = "LINKPORT"


class ResourceDefinition(WireModel):
    """SOL003 9.5.3.2: one resource the VNFM wants to add, remove or change."""

    id: str
    type: ResourceType
    vdu_id: str | None = None
    vnfd_id: str | None = None
    resource_template_id: list[str] | str
    secondary_resource_template_id: str | None = None


class ConstraintResourceRef(WireModel):
    id_type: str = Field(pattern="^(RES_MGMT|GRANT)$")
    resource_id: str
    vim_connection_id: str | None = None


class PlacementConstraint(WireModel):
    """SOL003 9.5.3.6: affinity or anti-affinity among resources of the request."""

    affinity_or_anti_affinity: str = Field(pattern="^(AFFINITY|ANTI_AFFINITY)$")
    scope: str = Field(pattern="^(NFVI_POP|ZONE|ZONE_GROUP|NFVI_NODE)$")
    resource: list[ConstraintResourceRef]
    fallback_best_effort: bool | None = None


class GrantRequestLinks(WireModel):
    vnf_lcm_op_occ: Link
    vnf_instance: Link


class GrantRequest(WireModel):
    """SOL003 9.5.2.2."""

    vnf_instance_id: str
    vnf_lcm_op_occ_id: str
    vnfd_id: str
    flavour_id: str | None = None
    operation: GrantedLcmOperation
    is_automatic_invocation: bool
    instantiation_level_id: str | None = None
    add_resources: list[ResourceDefinition] = Field(default_factory=list)
    remove_resources: list[ResourceDefinition] = Field(default_factory=list)
    update_resources: list[ResourceDefinition] = Field(default_factory=list)
    placement_constraints: list[PlacementConstraint] = Field(default_factory=list)
    additional_params: dict[str, Any] | None = None
    links: GrantRequestLinks = Field(alias="_links")


class ZoneInfo(WireModel):
    """SOL003 9.5.3.3: ``zoneId`` is the availability zone's name."""

    id: str
    zone_id: str
    vim_connection_id: str | None = None


class GrantInfo(WireModel):
    """SOL003 9.5.3.4: one granted resource; ``zoneId`` refers to a ``ZoneInfo.id``."""

    resource_definition_id: str
    reservation_id: str | None = None
    vim_connection_id: str | None = None
    resource_provider_id: str | None = None
    zone_id: str | None = None
    resource_group_id: str | None = None


class VimComputeResourceFlavour(WireModel):
    vim_connection_id: str | None = None
    vnfd_virtual_compute_desc_id: str
    vim_flavour_id: str


class VimSoftwareImage(WireModel):
    vim_connection_id: str | None = None
    vnfd_software_image_id: str
    vim_software_image_id: str


class GrantVimAssets(WireModel):
    compute_resource_flavours: list[VimComputeResourceFlavour] = Field(default_factory=list)
    software_images: list[VimSoftwareImage] = Field(default_factory=list)


class GrantLinks(WireModel):
    self: Link
    vnf_lcm_op_occ: Link
    vnf_instance: Link


class PhysicalFunctionHint(WireModel):
    """A physical function we expect Nova to take a VF (or the PF itself) from."""

    cp_id: str
    physnet: str
    device: str = Field(description="The PF's interface name or PCI address.")
    numa_cell: int | None = None


class PlacementHint(WireModel):
    """``additionalParams.placement[resourceDefinitionId]``: what SOL003 has no field for.

    ``predicted`` is true when the NUMA cells and PFs are our expectation of what Nova
    will choose (always, unless the VIM reports them), so the VNFM treats them as hints.
    """

    host: str | None = None
    server_group_id: str | None = None
    numa_cells: list[int] = Field(default_factory=list)
    physical_functions: list[PhysicalFunctionHint] = Field(default_factory=list)
    predicted: bool = True


class Grant(WireModel):
    """SOL003 9.5.2.3."""

    id: str
    vnf_instance_id: str
    vnf_lcm_op_occ_id: str
    zones: list[ZoneInfo] = Field(default_factory=list)
    add_resources: list[GrantInfo] = Field(default_factory=list)
    remove_resources: list[GrantInfo] = Field(default_factory=list)
    update_resources: list[GrantInfo] = Field(default_factory=list)
    vim_assets: GrantVimAssets | None = None
    additional_params: dict[str, Any] | None = None
    links: GrantLinks = Field(alias="_links")

    def zone_of(self, resource_definition_id: str) -> str | None:
        """The availability zone granted to a resource, resolved through ``zones[]``."""
        info = next(
            (g for g in self.add_resources if g.resource_definition_id == resource_definition_id),
            None,
        )
        if info is None or info.zone_id is None:
            return None
        zone = next((z for z in self.zones if z.id == info.zone_id), None)
        return zone.zone_id if zone else None

    def flavour_for(self, virtual_compute_desc_id: str) -> str | None:
        if self.vim_assets is None:
            return None
        return next(
            (
                f.vim_flavour_id
                for f in self.vim_assets.compute_resource_flavours
                if f.vnfd_virtual_compute_desc_id == virtual_compute_desc_id
            ),
            None,
        )

    def placement_hint(self, resource_definition_id: str) -> PlacementHint | None:
        """Our extension for one resource, or None when the NFVO sent none.

        Raises ValueError when the extension is present but malformed.
        """
        hints = (self.additional_params or {}).get(PLACEMENT_KEY) or {}
        raw = hints.get(resource_definition_id) if isinstance(hints, dict) else None
        if raw is None:
            return None
        try:
            return PlacementHint.model_validate(raw)
        except ValidationError as exc:
            raise ValueError(
                f"additionalParams.placement.{resource_definition_id} is malformed: {exc}"
            ) from exc


def placement_params(hints: dict[str, PlacementHint]) -> dict[str, Any]:
    """The ``additionalParams`` fragment carrying ``hints`` keyed by resource definition."""
    return {PLACEMENT_KEY: {key: hint.to_wire() for key, hint in hints.items()}}
