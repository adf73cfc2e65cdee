"""SOL003 VNF lifecycle management bodies (clause 5.5), by their ETSI names.

Requests are validated into these models (422 naming the attribute); responses are the
stored documents rendered by ``vnfm.views``, described here for the OpenAPI document.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from pydantic import Field

from nfvo.sol.wire import WireModel


class InstantiationState(StrEnum):
    NOT_INSTANTIATED = "NOT_INSTANTIATED"
    INSTANTIATED = "INSTANTIATED"


class LcmOperation(StrEnum):
    """``LcmOperationType`` (SOL003 5.5.4.5)."""

    INSTANTIATE = "INSTANTIATE"
    SCALE = "SCALE"
    SCALE_TO_LEVEL = "SCALE_TO_LEVEL"
    CHANGE_FLAVOUR = "CHANGE_FLAVOUR"
    TERMINATE = "TERMINATE"
    HEAL = "HEAL"
    OPERATE = "OPERATE"
    CHANGE_EXT_CONN = "CHANGE_EXT_CONN"
    MODIFY_INFO = "MODIFY_INFO"


class CreateVnfRequest(WireModel):
    """SOL003 5.5.2.3."""

    vnfd_id: str = Field(min_length=1, max_length=200)
    vnf_instance_name: str | None = Field(default=None, max_length=255)
    vnf_instance_description: str | None = Field(default=None, max_length=1024)
    metadata: dict[str, Any] | None = None


class VnfInfoModificationRequest(WireModel):
    """SOL003 5.5.2.6 (a JSON Merge Patch of these attributes)."""

    vnf_instance_name: str | None = Field(default=None, max_length=255)
    vnf_instance_description: str | None = Field(default=None, max_length=1024)
    vnf_configurable_properties: dict[str, Any] | None = None
    metadata: dict[str, Any] | None = None
    extensions: dict[str, Any] | None = None


class IpAddressData(WireModel):
    type: str = Field(pattern="^(IPV4|IPV6)$")
    fixed_addresses: list[str] | None = None
    num_dynamic_addresses: int | None = Field(default=None, ge=0)
    subnet_id: str | None = None


class IpOverEthernetData(WireModel):
    mac_address: str | None = None
    ip_addresses: list[IpAddressData] | None = None


class CpProtocolData(WireModel):
    layer_protocol: str
    ip_over_ethernet: IpOverEthernetData | None = None


class VnfExtCpConfig(WireModel):
    parent_cp_config_id: str | None = None
    link_port_id: str | None = None
    cp_protocol_data: list[CpProtocolData] | None = None


class VnfExtCpData(WireModel):
    """SOL003 4.4.1.10: the external CP (``cpdId``) and, per instance, its configuration."""

    cpd_id: str = Field(min_length=1)
    cp_config: dict[str, VnfExtCpConfig] | None = None


class ExtVirtualLinkData(WireModel):
    """SOL003 4.4.1.11: an existing network (``resourceId``) the external CPs attach to."""

    id: str = Field(min_length=1)
    vim_connection_id: str | None = None
    resource_provider_id: str | None = None
    resource_id: str = Field(min_length=1)
    ext_cps: list[VnfExtCpData] = Field(min_length=1)


class ExtManagedVirtualLinkData(WireModel):
    """SOL003 4.4.1.12: an internal virtual link realised by an existing network."""

    id: str = Field(min_length=1)
    vnf_virtual_link_desc_id: str = Field(min_length=1)
    vim_connection_id: str | None = None
    resource_provider_id: str | None = None
    resource_id: str = Field(min_length=1)


class VimConnectionInfo(WireModel):
    """SOL003 4.4.1.6."""

    vim_id: str | None = None
    vim_type: str
    interface_info: dict[str, Any] | None = None
    access_info: dict[str, Any] | None = None
    extra: dict[str, Any] | None = None


class InstantiateVnfRequest(WireModel):
    """SOL003 5.5.2.4."""

    flavour_id: str = Field(min_length=1)
    instantiation_level_id: str | None = None
    ext_virtual_links: list[ExtVirtualLinkData] | None = None
    ext_managed_virtual_links: list[ExtManagedVirtualLinkData] | None = None
    vim_connection_info: dict[str, VimConnectionInfo] | None = None
    localization_language: str | None = None
    additional_params: dict[str, Any] | None = None
    extensions: dict[str, Any] | None = None
    vnf_configurable_properties: dict[str, Any] | None = None


class TerminationType(StrEnum):
    FORCEFUL = "FORCEFUL"
    GRACEFUL = "GRACEFUL"


class TerminateVnfRequest(WireModel):
    """SOL003 5.5.2.8."""

    termination_type: TerminationType
    graceful_termination_timeout: int | None = Field(default=None, ge=0)
    additional_params: dict[str, Any] | None = None


class VnfInstance(WireModel):
    """SOL003 5.5.2.2 (the response; built from the stored document)."""

    id: str
    vnf_instance_name: str | None = None
    vnf_instance_description: str | None = None
    vnfd_id: str
    vnf_provider: str
    vnf_product_name: str
    vnf_software_version: str
    vnfd_version: str
    vnf_configurable_properties: dict[str, Any] | None = None
    vim_connection_info: dict[str, Any] | None = None
    instantiation_state: InstantiationState
    instantiated_vnf_info: dict[str, Any] | None = None
    metadata: dict[str, Any] | None = None
    extensions: dict[str, Any] | None = None
    links: dict[str, Any] = Field(alias="_links")


class VnfLcmOpOcc(WireModel):
    """SOL003 5.5.2.13 (the response)."""

    id: str
    operation_state: str
    state_entered_time: str
    start_time: str
    vnf_instance_id: str
    grant_id: str | None = None
    operation: LcmOperation
    is_automatic_invocation: bool
    operation_params: dict[str, Any] | None = None
    is_cancel_pending: bool
    error: dict[str, Any] | None = None
    resource_changes: dict[str, Any] | None = None
    links: dict[str, Any] = Field(alias="_links")


class ScaleType(StrEnum):
    SCALE_OUT = "SCALE_OUT"
    SCALE_IN = "SCALE_IN"


class ScaleVnfRequest(WireModel):
    """SOL003 5.5.2.5."""

    type: ScaleType
    aspect_id: str = Field(min_length=1)
    number_of_steps: int = Field(default=1, ge=1)
    additional_params: dict[str, Any] | None = None


class VnfOperationalState(StrEnum):
    STARTED = "STARTED"
    STOPPED = "STOPPED"


class StopType(StrEnum):
    FORCEFUL = "FORCEFUL"
    GRACEFUL = "GRACEFUL"


class OperateVnfRequest(WireModel):
    """SOL003 5.5.2.10."""

    vnfc_instance_id: list[str] | None = None
    change_state_to: VnfOperationalState
    stop_type: StopType | None = None
    graceful_stop_timeout: int | None = Field(default=None, ge=0)
    additional_params: dict[str, Any] | None = None


class HealVnfRequest(WireModel):
    """SOL003 5.5.2.9; ``additionalParams.healType`` (``reboot``, ``rebuild``,
    ``recreate``) chooses how, else reboot, or recreate when the host is down."""

    vnfc_instance_id: list[str] | None = None
    cause: str | None = None
    additional_params: dict[str, Any] | None = None
    health_check_params: dict[str, Any] | None = None
