"""What the catalogue stores: one record shape for VNF packages, NSDs and PNFDs.

Stored records are versioned JSON (``schema_version``), snake_case and independent of
the wire (STYLE: wire vs domain vs stored); ``nfvo.catalog.views`` is the one place
they become SOL005 bodies. A record changes by returning a new value (``but``).
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any, Self

from pydantic import BaseModel, ConfigDict, Field

from nfvo.catalog.wire import OnboardingState, OperationalState, UsageState

RECORD_SCHEMA_VERSION = 1


class Kind(StrEnum):
    """The three kinds of catalogue entry; the value is the repository kind."""

    VNF_PACKAGE = "vnfpkg"
    NSD = "nsd"
    PNFD = "pnfd"


class StoredFile(BaseModel):
    """A file of an onboarded package, kept as its own blob for ranged reads."""

    model_config = ConfigDict(frozen=True)

    path: str
    blob_key: str
    size: int
    sha256: str
    # artifact | image | descriptor | manifest | meta | certificate | signature
    role: str = "artifact"
    non_mano_set: str | None = None


class StoredProblem(BaseModel):
    model_config = ConfigDict(frozen=True)

    message: str
    file: str | None = None
    path: str | None = None
    line: int | None = None
    severity: str = "error"
    code: str = "invalid"


class StoredImage(BaseModel):
    """A software image the VNFD declares (for ``softwareImages``)."""

    model_config = ConfigDict(frozen=True)

    id: str
    name: str
    provider: str
    version: str
    algorithm: str
    hash: str
    container_format: str
    disk_format: str
    min_disk: int
    min_ram: int
    size: int
    image_path: str


class StoredSignature(BaseModel):
    """The signature a package verified with at onboarding (SOL004/SOL007 clause 5)."""

    model_config = ConfigDict(frozen=True)

    security_option: str  # OPTION_1 (signed manifest) | OPTION_2 (signed envelope)
    signer: str
    issuer: str
    certificate_sha256: str
    chain: list[str] = Field(default_factory=list)
    signing_time: str | None = None
    artifacts: dict[str, str] = Field(
        default_factory=dict, description="Artifact path -> signer, for artifacts signed alone."
    )


class CatalogRecord(BaseModel):
    """One VNF package, NSD or PNFD, as stored."""

    model_config = ConfigDict(frozen=True)

    schema_version: int = RECORD_SCHEMA_VERSION
    id: str
    kind: Kind
    created_at: str
    owner: str = "default"  # the creating token's project (tenancy)
    onboarding_state: OnboardingState = OnboardingState.CREATED
    operational_state: OperationalState = OperationalState.DISABLED
    usage_state: UsageState = UsageState.NOT_IN_USE
    user_defined_data: dict[str, Any] = Field(default_factory=dict)
    content_key: str | None = None
    content_sha256: str | None = None
    content_size: int | None = None
    content_type: str | None = None
    descriptor_id: str | None = None
    descriptor_version: str | None = None
    provider: str | None = None
    product_name: str | None = None
    software_version: str | None = None
    invariant_id: str | None = None
    vnfm_info: list[str] = Field(default_factory=list)
    referenced_vnfd_ids: list[str] = Field(default_factory=list)
    vnf_package_ids: list[str] = Field(default_factory=list)
    files: list[StoredFile] = Field(default_factory=list)
    images: list[StoredImage] = Field(default_factory=list)
    signature: StoredSignature | None = None  # None: not signed (or not checked)
    failure: list[StoredProblem] | None = None
    # What a package that failed said of itself (its manifest's metadata), if readable.
    failure_metadata: dict[str, str] = Field(default_factory=dict)
    job_id: str | None = None

    def but(self, **changes: Any) -> Self:
        return self.model_copy(update=changes)

    def to_document(self) -> dict[str, Any]:
        return self.model_dump(mode="json")

    @classmethod
    def from_document(cls, document: dict[str, Any]) -> Self:
        version = document.get("schema_version")
        if version != RECORD_SCHEMA_VERSION:
            raise ValueError(f"catalogue record schema_version {version} is not understood")
        return cls.model_validate(document)

    def file(self, path: str) -> StoredFile | None:
        return next((item for item in self.files if item.path == path), None)

    def files_with(self, *roles: str) -> list[StoredFile]:
        return [item for item in self.files if item.role in roles]


# The descriptor's normalised model is a separate document of this kind, keyed by the
# record's id, so lifecycle code reads it without running tosca-parser again.
MODEL_KIND = "descriptor-model"
