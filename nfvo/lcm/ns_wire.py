"""SOL005 NS lifecycle management request bodies (clause 6.5, V3.7.1), by ETSI names.

What a client may send; each model cites its clause. Responses are the stored
documents rendered by ``nfvo.lcm.ns_views``. Attributes the NFVO does not act on
(PNFs, nested NSs, WAN connections) are refused by name rather than ignored, so a
client never believes something happened that did not.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from pydantic import AwareDatetime, Field

from nfvo.sol.wire import WireModel


class LcmOperationType(StrEnum):
    """``NsLcmOpType`` (SOL005 6.5.4.3)."""

    INSTANTIATE = "INSTANTIATE"
    SCALE = "SCALE"
    UPDATE = "UPDATE"
    TERMINATE = "TERMINATE"
    HEAL = "HEAL"


class NsState(StrEnum):
    NOT_INSTANTIATED = "NOT_INSTANTIATED"
    INSTANTIATED = "INSTANTIATED"


class CreateNsRequest(WireModel):
    """SOL005 6.5.2.9."""

    nsd_id: str = Field(min_length=1, max_length=200)
    ns_name: str = Field(max_length=255)
    ns_description: str = Field(max_length=1024)


class ParamsForVnf(WireModel):
    """SOL005 6.5.3.22: day-1 values and metadata for the VNF of one profile."""

    vnf_profile_id: str = Field(min_length=1)
    vnf_instance_name: str | None = None
    vnf_instance_description: str | None = None
    vnf_configurable_properties: dict[str, Any] | None = None
    metadata: dict[str, Any] | None = None
    extensions: dict[str, Any] | None = None
    additional_params: dict[str, Any] | None = None


class CivicAddressElement(WireModel):
    ca_type: int
    ca_value: str


class LocationConstraints(WireModel):
    """SOL005 6.5.3.21. Our convention: civic address elements of caType 22 (RFC 4776
    "LOC", additional location information) name the availability zones allowed."""

    country_code: str | None = None
    civic_address_element: list[CivicAddressElement] | None = None
    area: dict[str, Any] | None = None


class VnfLocationConstraint(WireModel):
    """SOL005 6.5.3.20."""

    vnf_profile_id: str = Field(min_length=1)
    location_constraints: LocationConstraints


class AffinityOrAntiAffinityRule(WireModel):
    """SOL005 6.5.3.95 (ETSI spells the attribute ``affinityOrAntiAffiinty``)."""

    vnfd_id: list[str] | None = None
    vnf_profile_id: list[str] | None = None
    vnf_instance_id: list[str] | None = None
    affinity_or_anti_affiinty: str = Field(pattern="^(AFFINITY|ANTI_AFFINITY)$")
    scope: str = Field(pattern="^(NFVI_POP|ZONE|ZONE_GROUP|NFVI_NODE)$")


class SapData(WireModel):
    """SOL005 6.5.3.10."""

    sapd_id: str = Field(min_length=1)
    sap_name: str
    description: str
    sap_protocol_data: list[dict[str, Any]] | None = None


class InstantiateNsRequest(WireModel):
    """SOL005 6.5.2.11; ``additionalParamsForNs.networkBindings`` binds NS virtual links
    and SAPs (docs/nslcm.md), ``additionalParamsForNs.vnfms`` names a VNFM per profile."""

    ns_flavour_id: str = Field(min_length=1)
    sap_data: list[SapData] | None = None
    addpnf_data: list[dict[str, Any]] | None = None
    vnf_instance_data: list[dict[str, Any]] | None = None
    nested_ns_instance_data: list[dict[str, Any]] | None = None
    location_constraints: list[VnfLocationConstraint] | None = None
    additional_params_for_ns: dict[str, Any] | None = None
    additional_params_for_vnf: list[ParamsForVnf] | None = None
    start_time: AwareDatetime | None = None
    ns_instantiation_level_id: str | None = None
    wan_connection_data: list[dict[str, Any]] | None = None
    additional_affinity_or_anti_affinity_rule: list[AffinityOrAntiAffinityRule] | None = None


class TerminateNsRequest(WireModel):
    """SOL005 6.5.2.15: now, or at ``terminationTime``."""

    termination_time: AwareDatetime | None = None
    terminate_ns_data: dict[str, Any] | None = None
    terminate_vnf_data: list[dict[str, Any]] | None = None


class ScalingDirection(StrEnum):
    SCALE_IN = "SCALE_IN"
    SCALE_OUT = "SCALE_OUT"


class ScaleNsByStepsData(WireModel):
    """SOL005 6.5.3.28."""

    scaling_direction: ScalingDirection
    aspect_id: str = Field(min_length=1)
    number_of_steps: int = Field(default=1, ge=1)


class NsScaleInfo(WireModel):
    ns_scaling_aspect_id: str
    ns_scale_level_id: str


class ScaleNsToLevelData(WireModel):
    """SOL005 6.5.3.29."""

    ns_instantiation_level: str | None = None
    ns_scale_info: list[NsScaleInfo] | None = None


class ScaleNsData(WireModel):
    """SOL005 6.5.3.27."""

    vnf_instance_to_be_added: list[dict[str, Any]] | None = None
    vnf_instance_to_be_removed: list[str] | None = None
    scale_ns_by_steps_data: ScaleNsByStepsData | None = None
    scale_ns_to_level_data: ScaleNsToLevelData | None = None
    additional_params_for_ns: dict[str, Any] | None = None
    additional_params_for_vnf: list[ParamsForVnf] | None = None
    location_constraints: list[VnfLocationConstraint] | None = None


class ScaleByStepData(WireModel):
    aspect_id: str = Field(min_length=1)
    number_of_steps: int = Field(default=1, ge=1)
    additional_params: dict[str, Any] | None = None


class ScaleVnfType(StrEnum):
    SCALE_OUT = "SCALE_OUT"
    SCALE_IN = "SCALE_IN"
    SCALE_TO_INSTANTIATION_LEVEL = "SCALE_TO_INSTANTIATION_LEVEL"
    SCALE_TO_SCALE_LEVELS = "SCALE_TO_SCALE_LEVEL(S)"


class ScaleVnfData(WireModel):
    """SOL005 6.5.3.34."""

    vnf_instance_id: str = Field(min_length=1)
    scale_vnf_type: ScaleVnfType
    scale_to_level_data: dict[str, Any] | None = None
    scale_by_step_data: ScaleByStepData | None = None


class ScaleType(StrEnum):
    SCALE_NS = "SCALE_NS"
    SCALE_VNF = "SCALE_VNF"


class ScaleNsRequest(WireModel):
    """SOL005 6.5.2.14."""

    scale_type: ScaleType
    scale_ns_data: ScaleNsData | None = None
    scale_vnf_data: list[ScaleVnfData] | None = None
    scale_time: AwareDatetime | None = None


class HealVnfData(WireModel):
    """SOL005 6.5.3.44: ``additionalParams`` go to the VNFM's heal as they are."""

    vnf_instance_id: str = Field(min_length=1)
    cause: str | None = None
    additional_params: dict[str, Any] | None = None


class DegreeHealing(StrEnum):
    HEAL_RESTORE = "HEAL_RESTORE"
    HEAL_QOS = "HEAL_QOS"
    HEAL_RESET = "HEAL_RESET"
    PARTIAL_HEALING = "PARTIAL_HEALING"


class HealNsData(WireModel):
    """SOL005 6.5.3.43."""

    degree_healing: DegreeHealing
    actions_healing: list[str] | None = None
    heal_script: str | None = None
    additional_paramsfor_ns: dict[str, Any] | None = Field(
        default=None, alias="additionalParamsforNs"
    )


class HealNsRequest(WireModel):
    """SOL005 6.5.2.13: either ``healNsData`` or ``healVnfData``."""

    heal_ns_data: HealNsData | None = None
    heal_vnf_data: list[HealVnfData] | None = None


class InstantiateVnfData(WireModel):
    """SOL005 6.5.3.24: a new VNF of the NS, from a VNF profile of its flavour."""

    vnfd_id: str = Field(min_length=1)
    vnf_flavour_id: str = Field(min_length=1)
    vnf_instantiation_level_id: str | None = None
    vnf_profile_id: str | None = None
    vnf_instance_name: str | None = None
    vnf_instance_description: str | None = None
    vnf_configurable_properties: dict[str, Any] | None = None
    additional_params: dict[str, Any] | None = None
    metadata: dict[str, Any] | None = None
    extensions: dict[str, Any] | None = None


class OperateVnfData(WireModel):
    """SOL005 6.5.3.31."""

    vnf_instance_id: str = Field(min_length=1)
    change_state_to: str = Field(pattern="^(STARTED|STOPPED)$")
    stop_type: str | None = Field(default=None, pattern="^(FORCEFUL|GRACEFUL)$")
    graceful_stop_timeout: int | None = Field(default=None, ge=0)
    additional_param: dict[str, Any] | None = None


class UpdateNsRequest(WireModel):
    """SOL005 6.5.2.12; the update types served are listed in docs/nslcm.md."""

    update_type: str = Field(min_length=1)
    remove_vnf_instance_id: list[str] | None = None
    instantiate_vnf_data: list[InstantiateVnfData] | None = None
    operate_vnf_data: list[OperateVnfData] | None = None
    add_sap: list[SapData] | None = None
    remove_sap_id: list[str] | None = None
    update_time: AwareDatetime | None = None


class CancelModeType(StrEnum):
    GRACEFUL = "GRACEFUL"
    FORCEFUL = "FORCEFUL"


class CancelMode(WireModel):
    """SOL005 6.5.2.16."""

    cancel_mode: CancelModeType
