"""Stored records to SOL005 bodies, and the index values each kind is filtered by.

The one place a :class:`CatalogRecord` becomes ``VnfPkgInfo`` (SOL005 clause 9.5.2.5),
``NsdInfo`` (5.5.2.2) or ``PnfdInfo`` (5.5.2.5). Index names are the wire names, so a
``filter=(eq,onboardingState,ONBOARDED)`` is answered by a Redis index
(``nfvo.sol.filters.plan_filter``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from nfvo.catalog.records import CatalogRecord, Kind, StoredProblem
from nfvo.catalog.wire import (
    Checksum,
    NsdArchiveArtifactInfo,
    NsdInfo,
    NsdLinks,
    OnboardingFailureDetails,
    PackageSignature,
    PnfdInfo,
    PnfdLinks,
    ProblemEntry,
    VnfPackageArtifactInfo,
    VnfPackageSoftwareImageInfo,
    VnfPkgInfo,
    VnfPkgLinks,
)
from nfvo.sol.tenancy import OWNER
from nfvo.sol.wire import Link, WireModel
from nfvo.store.repository import IndexValue

VNFPKGM_ROOT = "/vnfpkgm/v2"
NSD_ROOT = "/nsd/v2"
SHA256 = "SHA-256"

# Wire attribute -> stored attribute, per kind; what plan_filter may serve from indexes.
_INDEXES: dict[Kind, dict[str, str]] = {
    Kind.VNF_PACKAGE: {
        "onboardingState": "onboarding_state",
        "operationalState": "operational_state",
        "usageState": "usage_state",
        "vnfdId": "descriptor_id",
        "vnfProvider": "provider",
        "vnfProductName": "product_name",
        "vnfSoftwareVersion": "software_version",
        "vnfdVersion": "descriptor_version",
    },
    Kind.NSD: {
        "nsdOnboardingState": "onboarding_state",
        "nsdOperationalState": "operational_state",
        "nsdUsageState": "usage_state",
        "nsdId": "descriptor_id",
        "nsdName": "product_name",
        "nsdDesigner": "provider",
        "nsdVersion": "descriptor_version",
    },
    Kind.PNFD: {
        "pnfdOnboardingState": "onboarding_state",
        "pnfdUsageState": "usage_state",
        "pnfdId": "descriptor_id",
        "pnfdProvider": "provider",
    },
}
CONTENT_INDEX = "contentSha256"  # not a wire attribute: finds a duplicate upload
_CONTAINERS = {
    Kind.VNF_PACKAGE: f"{VNFPKGM_ROOT}/vnf_packages",
    Kind.NSD: f"{NSD_ROOT}/ns_descriptors",
    Kind.PNFD: f"{NSD_ROOT}/pnf_descriptors",
}


def resource_href(record: CatalogRecord) -> str:
    """The path of the entry's individual resource (``_links.self``)."""
    return f"{_CONTAINERS[record.kind]}/{record.id}"


def state_attribute(kind: Kind) -> str:
    """The indexed wire attribute of an entry's onboarding state."""
    return next(wire for wire, stored in _INDEXES[kind].items() if stored == "onboarding_state")


def filter_indexes(kind: Kind) -> frozenset[str]:
    return frozenset(_INDEXES[kind])


def index_names(kind: Kind) -> tuple[str, ...]:
    return (*_INDEXES[kind], CONTENT_INDEX, OWNER)


def index_values(kind: Kind, document: Mapping[str, Any]) -> dict[str, IndexValue]:
    values: dict[str, IndexValue] = {
        wire: document.get(stored) for wire, stored in _INDEXES[kind].items()
    }
    values[CONTENT_INDEX] = document.get("content_sha256")
    values[OWNER] = document.get(OWNER)
    return values


def failure_details(
    problems: list[StoredProblem], metadata: Mapping[str, str] | None = None
) -> OnboardingFailureDetails:
    listed = "; ".join(_problem_text(problem) for problem in problems)
    return OnboardingFailureDetails(
        title="Onboarding failed",
        status=422,
        detail=f"{len(problems)} problem(s): {listed}",
        problems=[ProblemEntry(**problem.model_dump()) for problem in problems],
        package_metadata=dict(metadata) if metadata else None,
    )


def _failure(record: CatalogRecord) -> OnboardingFailureDetails | None:
    return failure_details(record.failure, record.failure_metadata) if record.failure else None


def _problem_text(problem: StoredProblem) -> str:
    where = problem.file or ""
    if problem.line is not None:
        where += f":{problem.line}"
    if problem.path:
        where += f" ({problem.path})" if where else problem.path
    return f"{where}: {problem.message}" if where else problem.message


def _checksum(record: CatalogRecord) -> Checksum | None:
    if record.content_sha256 is None:
        return None
    return Checksum(algorithm=SHA256, hash=record.content_sha256)


def _signature(record: CatalogRecord) -> PackageSignature | None:
    signed = record.signature
    if signed is None:
        return None
    return PackageSignature(
        security_option=signed.security_option,
        signer=signed.signer,
        issuer=signed.issuer,
        certificate_sha256=signed.certificate_sha256,
        chain=signed.chain,
        signing_time=signed.signing_time,
        signed_artifacts=signed.artifacts or None,
    )


def _artifact_metadata(record: CatalogRecord, path: str) -> dict[str, Any] | None:
    signer = record.signature.artifacts.get(path) if record.signature else None
    return {"signedBy": signer} if signer else None


def vnf_pkg_info(record: CatalogRecord) -> VnfPkgInfo:
    base = resource_href(record)
    images = [
        VnfPackageSoftwareImageInfo(
            id=image.id,
            name=image.name,
            provider=image.provider,
            version=image.version,
            checksum=Checksum(algorithm=image.algorithm, hash=image.hash),
            # SOL005 table 9.5.3.2-1 spells the formats in upper case; SOL001 in lower.
            container_format=image.container_format.upper(),
            disk_format=image.disk_format.upper(),
            created_at=record.created_at,
            min_disk=image.min_disk,
            min_ram=image.min_ram,
            size=image.size,
            image_path=image.image_path,
        )
        for image in record.images
    ]
    artifacts = [
        VnfPackageArtifactInfo(
            artifact_path=item.path,
            checksum=Checksum(algorithm=SHA256, hash=item.sha256),
            non_mano_artifact_set_id=item.non_mano_set,
            metadata=_artifact_metadata(record, item.path),
        )
        for item in record.files_with("artifact")
    ]
    onboarded = record.descriptor_id is not None
    # an unsigned package is reported as option 1 (SOL005 has no value for "none"); who
    # signed, if anyone, is in packageSignature
    security_option = record.signature.security_option if record.signature else "OPTION_1"
    return VnfPkgInfo(
        id=record.id,
        vnfd_id=record.descriptor_id,
        vnf_provider=record.provider,
        vnf_product_name=record.product_name,
        vnf_software_version=record.software_version,
        vnfd_version=record.descriptor_version,
        checksum=_checksum(record),
        package_security_option=security_option if onboarded else None,
        software_images=images if onboarded else None,
        additional_artifacts=artifacts if onboarded else None,
        onboarding_state=record.onboarding_state,
        operational_state=record.operational_state,
        usage_state=record.usage_state,
        vnfm_info=record.vnfm_info or None,
        user_defined_data=record.user_defined_data or None,
        onboarding_failure_details=_failure(record),
        package_signature=_signature(record),
        links=VnfPkgLinks(
            self_=Link(href=base),
            vnfd=Link(href=f"{base}/vnfd"),
            package_content=Link(href=f"{base}/package_content"),
        ),
    )


def _archive_artifacts(record: CatalogRecord) -> list[NsdArchiveArtifactInfo] | None:
    if record.descriptor_id is None:
        return None
    return [
        NsdArchiveArtifactInfo(
            artifact_path=item.path, checksum=Checksum(algorithm=SHA256, hash=item.sha256)
        )
        for item in record.files_with("artifact")
    ]


def nsd_info(record: CatalogRecord) -> NsdInfo:
    base = resource_href(record)
    failure = _failure(record)
    return NsdInfo(
        id=record.id,
        nsd_id=record.descriptor_id,
        nsd_name=record.product_name,
        nsd_version=record.descriptor_version,
        nsd_designer=record.provider,
        nsd_invariant_id=record.invariant_id,
        # ETSI's schema demands vnfPkgIds or nestedNsdInfoIds in every NsdInfo (anyOf).
        vnf_pkg_ids=record.vnf_package_ids,
        artifacts=_archive_artifacts(record),
        nsd_onboarding_state=record.onboarding_state,
        onboarding_failure_details=failure,
        nsd_operational_state=record.operational_state,
        nsd_usage_state=record.usage_state,
        user_defined_data=record.user_defined_data or None,
        package_signature=_signature(record),
        links=NsdLinks(self_=Link(href=base), nsd_content=Link(href=f"{base}/nsd_content")),
    )


def pnfd_info(record: CatalogRecord) -> PnfdInfo:
    base = resource_href(record)
    failure = _failure(record)
    return PnfdInfo(
        id=record.id,
        pnfd_id=record.descriptor_id,
        pnfd_name=record.product_name,
        pnfd_provider=record.provider,
        pnfd_invariant_id=record.invariant_id,
        artifacts=_archive_artifacts(record),
        pnfd_onboarding_state=record.onboarding_state,
        onboarding_failure_details=failure,
        pnfd_usage_state=record.usage_state,
        user_defined_data=record.user_defined_data or None,
        links=PnfdLinks(self_=Link(href=base), pnfd_content=Link(href=f"{base}/pnfd_content")),
    )


def wire_of(record: CatalogRecord) -> WireModel:
    view = {Kind.VNF_PACKAGE: vnf_pkg_info, Kind.NSD: nsd_info, Kind.PNFD: pnfd_info}
    return view[record.kind](record)


def wire_document(record: CatalogRecord) -> dict[str, Any]:
    return wire_of(record).to_wire()
