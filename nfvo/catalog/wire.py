"""SOL005 V3.7.1 bodies of the NSD management and VNF package management interfaces.

Wire models only: ETSI attribute names (camelCase aliases), each citing its clause.
The stored record is :class:`nfvo.catalog.records.CatalogRecord`; ``views`` converts.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from pydantic import Field

from nfvo.sol.problems import ProblemDetails
from nfvo.sol.wire import Link, WireModel

KeyValuePairs = dict[str, Any]


class OnboardingState(StrEnum):
    """SOL005 clause 9.5.4.3 PackageOnboardingStateType (NSD and PNFD alike, 5.5.4.5/5.5.4.6)."""

    CREATED = "CREATED"
    UPLOADING = "UPLOADING"
    PROCESSING = "PROCESSING"
    ONBOARDED = "ONBOARDED"
    ERROR = "ERROR"


class OperationalState(StrEnum):
    """SOL005 clause 9.5.4.4 PackageOperationalStateType (5.5.4.3 for NSDs)."""

    ENABLED = "ENABLED"
    DISABLED = "DISABLED"


class UsageState(StrEnum):
    """SOL005 clause 9.5.4.5 PackageUsageStateType (5.5.4.4 for NSDs)."""

    IN_USE = "IN_USE"
    NOT_IN_USE = "NOT_IN_USE"


class Checksum(WireModel):
    """SOL005 clause 4.4.1.x Checksum (from SOL013 clause 8.3.4)."""

    algorithm: str
    hash: str


class ProblemEntry(WireModel):
    """One problem found in a package: where (file, path, line) and what."""

    message: str
    file: str | None = None
    path: str | None = None
    line: int | None = None
    severity: str = "error"
    code: str = "invalid"


class OnboardingFailureDetails(ProblemDetails):
    """``onboardingFailureDetails`` (SOL005 clauses 9.5.2.5, 5.5.2.2): a ProblemDetails
    whose ``detail`` lists every problem; ``problems`` is the same list as data
    (SOL013 clause 6.3 lets a ProblemDetails carry further attributes);
    ``packageMetadata`` is what the package said of itself (its manifest's metadata) as
    far as it could be read, since the entry's own name attributes stay absent."""

    problems: list[ProblemEntry] = []
    package_metadata: dict[str, str] | None = None


# --- VNF packages (SOL005 clause 9.5.2) -------------------------------------------------


class CreateVnfPkgInfoRequest(WireModel):
    """SOL005 clause 9.5.2.2."""

    user_defined_data: KeyValuePairs | None = None


class VnfPkgInfoModifications(WireModel):
    """SOL005 clause 9.5.2.3; a PATCH body (merge patch) and its 200 answer."""

    operational_state: OperationalState | None = None
    user_defined_data: KeyValuePairs | None = None


class UploadVnfPackageFromUriRequest(WireModel):
    """SOL005 clause 9.5.2.4; only ``authType`` BASIC is honoured (none given: no auth)."""

    address_information: str
    auth_type: list[str] | None = None
    username: str | None = None
    password: str | None = None


class VnfPackageSoftwareImageInfo(WireModel):
    """SOL005 clause 9.5.3.2."""

    id: str
    name: str
    provider: str
    version: str
    checksum: Checksum
    is_encrypted: bool = False
    container_format: str
    disk_format: str
    created_at: str
    min_disk: int
    min_ram: int
    size: int
    image_path: str


class VnfPackageArtifactInfo(WireModel):
    """SOL005 clause 9.5.3.3; ``metadata.signedBy`` names who signed the artifact alone."""

    artifact_path: str
    checksum: Checksum
    is_encrypted: bool = False
    non_mano_artifact_set_id: str | None = None
    metadata: KeyValuePairs | None = None


class PackageSignature(WireModel):
    """Our extension of VnfPkgInfo and NsdInfo (docs/api.md): who signed the package, as
    verified at onboarding against the configured trust anchors."""

    security_option: str
    signer: str
    issuer: str
    certificate_sha256: str
    chain: list[str]
    signing_time: str | None = None
    signed_artifacts: dict[str, str] | None = None  # path -> signer, for those signed alone


class VnfPkgLinks(WireModel):
    self_: Link = Field(alias="self")
    vnfd: Link
    package_content: Link = Field(alias="packageContent")


class VnfPkgInfo(WireModel):
    """SOL005 clause 9.5.2.5 VnfPkgInfo."""

    id: str
    vnfd_id: str | None = None
    vnf_provider: str | None = None
    vnf_product_name: str | None = None
    vnf_software_version: str | None = None
    vnfd_version: str | None = None
    checksum: Checksum | None = None
    package_security_option: str | None = None
    software_images: list[VnfPackageSoftwareImageInfo] | None = None
    additional_artifacts: list[VnfPackageArtifactInfo] | None = None
    onboarding_state: OnboardingState
    operational_state: OperationalState
    usage_state: UsageState
    vnfm_info: list[str] | None = None
    user_defined_data: KeyValuePairs | None = None
    onboarding_failure_details: OnboardingFailureDetails | None = None
    package_signature: PackageSignature | None = None
    links: VnfPkgLinks = Field(alias="_links")


# --- NSDs and PNFDs (SOL005 clause 5.5.2) -----------------------------------------------


class CreateNsdInfoRequest(WireModel):
    """SOL005 clause 5.5.2.3."""

    user_defined_data: KeyValuePairs | None = None


class NsdInfoModifications(WireModel):
    """SOL005 clause 5.5.2.4; a PATCH body (merge patch) and its 200 answer."""

    nsd_operational_state: OperationalState | None = None
    user_defined_data: KeyValuePairs | None = None


class NsdArchiveArtifactInfo(WireModel):
    """SOL005 clause 5.5.3.5."""

    artifact_path: str
    checksum: Checksum


class NsdLinks(WireModel):
    self_: Link = Field(alias="self")
    nsd_content: Link = Field(alias="nsd_content")


class NsdInfo(WireModel):
    """SOL005 clause 5.5.2.2 NsdInfo."""

    id: str
    nsd_id: str | None = None
    nsd_name: str | None = None
    nsd_version: str | None = None
    nsd_designer: str | None = None
    nsd_invariant_id: str | None = None
    vnf_pkg_ids: list[str] | None = None
    pnfd_info_ids: list[str] | None = None
    artifacts: list[NsdArchiveArtifactInfo] | None = None
    nsd_onboarding_state: OnboardingState
    onboarding_failure_details: OnboardingFailureDetails | None = None
    nsd_operational_state: OperationalState
    nsd_usage_state: UsageState
    user_defined_data: KeyValuePairs | None = None
    package_signature: PackageSignature | None = None
    links: NsdLinks = Field(alias="_links")


class CreatePnfdInfoRequest(WireModel):
    """SOL005 clause 5.5.2.6."""

    user_defined_data: KeyValuePairs | None = None


class PnfdInfoModifications(WireModel):
    """SOL005 clause 5.5.2.7."""

    user_defined_data: KeyValuePairs


class PnfdLinks(WireModel):
    self_: Link = Field(alias="self")
    pnfd_content: Link = Field(alias="pnfd_content")


class PnfdInfo(WireModel):
    """SOL005 clause 5.5.2.5 PnfdInfo."""

    id: str
    pnfd_id: str | None = None
    pnfd_name: str | None = None
    pnfd_provider: str | None = None
    pnfd_invariant_id: str | None = None
    artifacts: list[NsdArchiveArtifactInfo] | None = None
    pnfd_onboarding_state: OnboardingState
    onboarding_failure_details: OnboardingFailureDetails | None = None
    pnfd_usage_state: UsageState
    user_defined_data: KeyValuePairs | None = None
    links: PnfdLinks = Field(alias="_links")
