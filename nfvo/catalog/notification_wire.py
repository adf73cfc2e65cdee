"""SOL005 V3.7.1 subscription filters and notification bodies of the catalogue.

VNF package management: ``PkgmNotificationsFilter`` (clause 9.5.3.2),
``VnfPackageOnboardingNotification`` (9.5.2.8), ``VnfPackageChangeNotification``
(9.5.2.9). NSD management: ``NsdmNotificationsFilter`` (5.5.3.2) and the seven NSD and
PNFD notifications (5.5.2.9 to 5.5.2.15). Names and required attributes are those of
ETSI's OpenAPI documents; where those documents contradict the clause's table, the
table wins and the class says so.

``subscriptionId`` and ``_links.subscription`` are absent here: the notifier adds them
per subscription (``nfvo.sol.notifications``).
"""

from __future__ import annotations

from enum import StrEnum
from typing import Self

from pydantic import ConfigDict, Field, model_validator

from nfvo.catalog.wire import (
    OnboardingFailureDetails,
    OnboardingState,
    OperationalState,
    UsageState,
)
from nfvo.sol.wire import Link, WireModel


class PkgmNotificationType(StrEnum):
    """SOL005 clause 9.5.3.2, ``notificationTypes``."""

    VNF_PACKAGE_ONBOARDING = "VnfPackageOnboardingNotification"
    VNF_PACKAGE_CHANGE = "VnfPackageChangeNotification"


class PackageChangeType(StrEnum):
    """SOL005 clause 9.5.4.6."""

    OP_STATE_CHANGE = "OP_STATE_CHANGE"
    PKG_DELETE = "PKG_DELETE"


class NsdmNotificationType(StrEnum):
    """SOL005 clause 5.5.3.2, ``notificationTypes``, spelled as ETSI's filter enumerates
    them (the failure of an NSD is ``Onboarding``, every other one ``OnBoarding``)."""

    NSD_ONBOARDING = "NsdOnBoardingNotification"
    NSD_ONBOARDING_FAILURE = "NsdOnboardingFailureNotification"
    NSD_CHANGE = "NsdChangeNotification"
    NSD_DELETION = "NsdDeletionNotification"
    PNFD_ONBOARDING = "PnfdOnBoardingNotification"
    PNFD_ONBOARDING_FAILURE = "PnfdOnBoardingFailureNotification"
    PNFD_DELETION = "PnfdDeletionNotification"


# --- filters ---------------------------------------------------------------------------


class FilterModel(WireModel):
    """A filter attribute we do not know is refused (422), not ignored: ignoring it
    would silently widen what the subscription receives."""

    model_config = ConfigDict(extra="forbid")


class VnfProductVersions(FilterModel):
    """``vnfProductsFromProviders>vnfProducts>versions`` (SOL005 table 9.5.3.2-1)."""

    vnf_software_version: str
    vnfd_versions: list[str] | None = None


class VnfProducts(FilterModel):
    """``vnfProductsFromProviders>vnfProducts`` (SOL005 table 9.5.3.2-1)."""

    vnf_product_name: str
    versions: list[VnfProductVersions] | None = None


class VnfProductsFromProviders(FilterModel):
    """``vnfProductsFromProviders`` (SOL005 table 9.5.3.2-1)."""

    vnf_provider: str
    vnf_products: list[VnfProducts] | None = None


_CHANGE_ONLY = {"vnf_pkg_id": "vnfPkgId", "operational_state": "operationalState",
                "usage_state": "usageState"}  # fmt: skip


class PkgmNotificationsFilter(FilterModel):
    """SOL005 clause 9.5.3.2. ETSI's OpenAPI document differs from the clause's table;
    we follow the table: ``notificationTypes`` is an array, the products of a provider
    are ``vnfProducts``, and no attribute is required (the document's ``oneOf``)."""

    notification_types: list[PkgmNotificationType] | None = None
    vnf_products_from_providers: list[VnfProductsFromProviders] | None = None
    vnfd_id: list[str] | None = None
    vnf_pkg_id: list[str] | None = None
    operational_state: list[OperationalState] | None = None
    usage_state: list[UsageState] | None = None
    vnfm_info: list[str] | None = None

    @model_validator(mode="after")
    def _change_attributes_only_for_changes(self) -> Self:
        # "May be present if notificationTypes contains VnfPackageChangeNotification,
        # and shall be absent otherwise."
        types = self.notification_types
        if types and PkgmNotificationType.VNF_PACKAGE_CHANGE not in types:
            present = [wire for name, wire in _CHANGE_ONLY.items() if getattr(self, name)]
            if present:
                raise ValueError(
                    f"{', '.join(present)} may be given only when notificationTypes "
                    "contains VnfPackageChangeNotification"
                )
        return self


class NsdmNotificationsFilter(FilterModel):
    """SOL005 clause 5.5.3.2. No attribute is required (the ``anyOf`` of ETSI's OpenAPI
    document contradicts the clause's table, where each is optional)."""

    notification_types: list[NsdmNotificationType] | None = None
    nsd_info_id: list[str] | None = None
    nsd_id: list[str] | None = None
    nsd_name: list[str] | None = None
    nsd_version: list[str] | None = None
    nsd_designer: list[str] | None = None
    nsd_invariant_id: list[str] | None = None
    vnf_pkg_ids: list[str] | None = None
    pnfd_info_ids: list[str] | None = None
    nested_nsd_info_ids: list[str] | None = None
    nsd_onboarding_state: list[OnboardingState] | None = None
    nsd_operational_state: list[OperationalState] | None = None
    nsd_usage_state: list[UsageState] | None = None
    pnfd_id: list[str] | None = None
    pnfd_name: list[str] | None = None
    pnfd_version: list[str] | None = None
    pnfd_provider: list[str] | None = None
    pnfd_invariant_id: list[str] | None = None
    pnfd_onboarding_state: list[OnboardingState] | None = None
    pnfd_usage_state: list[UsageState] | None = None


# --- notifications ---------------------------------------------------------------------


class CatalogNotification(WireModel):
    """What every catalogue notification carries; ``id`` is the same for every
    subscription one event is sent to."""

    id: str
    notification_type: str
    subscription_id: str | None = None  # set per subscription by the notifier
    time_stamp: str


class PkgmLinks(WireModel):
    """SOL005 clause 9.5.3.5 (``subscription`` is added per subscription)."""

    vnf_package: Link
    subscription: Link | None = None


class VnfPackageOnboardingNotification(CatalogNotification):
    """SOL005 clause 9.5.2.8: the package became ONBOARDED."""

    notification_type: str = PkgmNotificationType.VNF_PACKAGE_ONBOARDING.value
    vnf_pkg_id: str
    vnfd_id: str
    vnfm_info: list[str]
    links: PkgmLinks = Field(alias="_links")


class VnfPackageChangeNotification(CatalogNotification):
    """SOL005 clause 9.5.2.9: the operational state of an onboarded package changed, or
    an onboarded package was deleted."""

    notification_type: str = PkgmNotificationType.VNF_PACKAGE_CHANGE.value
    vnf_pkg_id: str
    vnfd_id: str
    change_type: PackageChangeType
    operational_state: OperationalState | None = None  # only for OP_STATE_CHANGE
    links: PkgmLinks = Field(alias="_links")


class NsdmLinks(WireModel):
    """SOL005 clause 5.5.3.3 (``subscription`` is added per subscription)."""

    nsd_info: Link
    subscription: Link | None = None


class PnfdmLinks(WireModel):
    """SOL005 clause 5.5.3.4 (``subscription`` is added per subscription)."""

    pnfd_info: Link
    subscription: Link | None = None


class NsdNotification(CatalogNotification):
    """Clauses 5.5.2.9 to 5.5.2.12 share these; ``nsdId`` is absent only on a failure."""

    nsd_info_id: str
    nsd_id: str | None = None
    links: NsdmLinks = Field(alias="_links")


class NsdOnBoardingNotification(NsdNotification):
    """SOL005 clause 5.5.2.9: the NSD became ONBOARDED."""

    notification_type: str = NsdmNotificationType.NSD_ONBOARDING.value
    nsd_id: str


class NsdOnBoardingFailureNotification(NsdNotification):
    """SOL005 clause 5.5.2.10: the NSD's onboarding failed."""

    notification_type: str = NsdmNotificationType.NSD_ONBOARDING_FAILURE.value
    onboarding_failure_details: OnboardingFailureDetails


class NsdChangeNotification(NsdNotification):
    """SOL005 clause 5.5.2.11: the operational state of an onboarded NSD changed."""

    notification_type: str = NsdmNotificationType.NSD_CHANGE.value
    nsd_id: str
    nsd_operational_state: OperationalState


class NsdDeletionNotification(NsdNotification):
    """SOL005 clause 5.5.2.12: an onboarded NSD was deleted."""

    notification_type: str = NsdmNotificationType.NSD_DELETION.value
    nsd_id: str


class PnfdNotification(CatalogNotification):
    """Clauses 5.5.2.13 to 5.5.2.15 share these; ``pnfdId`` is absent only on a failure."""

    pnfd_info_id: str
    pnfd_id: str | None = None
    links: PnfdmLinks = Field(alias="_links")


class PnfdOnBoardingNotification(PnfdNotification):
    """SOL005 clause 5.5.2.13: the PNFD became ONBOARDED."""

    notification_type: str = NsdmNotificationType.PNFD_ONBOARDING.value
    pnfd_id: str


class PnfdOnBoardingFailureNotification(PnfdNotification):
    """SOL005 clause 5.5.2.14: the PNFD's onboarding failed."""

    notification_type: str = NsdmNotificationType.PNFD_ONBOARDING_FAILURE.value
    onboarding_failure_details: OnboardingFailureDetails


class PnfdDeletionNotification(PnfdNotification):
    """SOL005 clause 5.5.2.15: an onboarded PNFD was deleted."""

    notification_type: str = NsdmNotificationType.PNFD_DELETION.value
    pnfd_id: str
