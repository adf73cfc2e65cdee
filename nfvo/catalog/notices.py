"""What the catalogue notifies: a record and an event in, a notification queued out.

The one place a :class:`CatalogRecord` becomes a SOL005 notification body, and the
one matcher per API that evaluates a subscription's filter against the record:

| event                 | VNF package (``/vnfpkgm/v2``)       | NSD / PNFD (``/nsd/v2``)          |
| --------------------- | ----------------------------------- | --------------------------------- |
| ONBOARDED             | VnfPackageOnboardingNotification    | Nsd/PnfdOnBoardingNotification    |
| ONBOARDING_FAILED     | (SOL005 defines none)               | NsdOnboardingFailureNotification, |
|                       |                                     | PnfdOnBoardingFailureNotification |
| OPERATIONAL_STATE_SET | VnfPackageChangeNotification        | NsdChangeNotification (no PNFD)   |
|                       | (OP_STATE_CHANGE)                   |                                   |
| DELETED (if ONBOARDED)| VnfPackageChangeNotification        | Nsd/PnfdDeletionNotification      |
|                       | (PKG_DELETE)                        |                                   |

Publishing only queues into Redis; ``nfvo serve``'s notifier delivers. A filter
attribute matches when one of its values is among the record's values for it; an
attribute the record has no value for (an NSD attribute on a PNFD, ``nsdId`` of an
NSD that failed) does not match, since every attribute must (SOL005 5.5.3.2, 9.5.3.2).
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from nfvo.catalog.notification_wire import (
    CatalogNotification,
    NsdChangeNotification,
    NsdDeletionNotification,
    NsdmLinks,
    NsdmNotificationsFilter,
    NsdmNotificationType,
    NsdOnBoardingFailureNotification,
    NsdOnBoardingNotification,
    PackageChangeType,
    PkgmLinks,
    PkgmNotificationsFilter,
    PkgmNotificationType,
    PnfdDeletionNotification,
    PnfdmLinks,
    PnfdOnBoardingFailureNotification,
    PnfdOnBoardingNotification,
    VnfPackageChangeNotification,
    VnfPackageOnboardingNotification,
)
from nfvo.catalog.records import CatalogRecord, Kind
from nfvo.catalog.store import noun
from nfvo.catalog.views import NSD_ROOT, VNFPKGM_ROOT, failure_details, resource_href
from nfvo.catalog.wire import OnboardingState
from nfvo.sol.notifications import Matches, Notifier, SubscriptionApi
from nfvo.sol.wire import Link

LOG = logging.getLogger("nfvo.catalog")

# The API modules mount these with their scopes (dataclasses.replace keeps the kind).
PKGM_SUBSCRIPTIONS = SubscriptionApi(
    name="vnfpkgm",
    api_root=VNFPKGM_ROOT,
    notification_types=frozenset(PkgmNotificationType),
    filter_model=PkgmNotificationsFilter,
)
NSDM_SUBSCRIPTIONS = SubscriptionApi(
    name="nsd",
    api_root=NSD_ROOT,
    notification_types=frozenset(NsdmNotificationType),
    filter_model=NsdmNotificationsFilter,
)
# Ids of onboarding notifications derive from the entry, so that the job's notify
# step, run again after a crash, sends the same id (a subscriber may deduplicate).
_ID_NAMESPACE = uuid.UUID("6f1f3c2e-9b57-4b8e-a1d4-3c0e6f2a9d41")


class Event(StrEnum):
    ONBOARDED = "onboarded"
    ONBOARDING_FAILED = "onboarding-failed"
    OPERATIONAL_STATE_SET = "operational-state-set"
    DELETED = "deleted"


@dataclass(frozen=True)
class Notice:
    """One notification to publish: where, of which type, the body, and the filter test."""

    api: SubscriptionApi
    notification_type: str
    body: dict[str, Any]
    matches: Matches


# --- bodies ----------------------------------------------------------------------------

Fields = dict[str, Any]  # id, time_stamp and the links: what every builder gets
Builder = Callable[[CatalogRecord, Fields], CatalogNotification]


def _vnf_onboarded(record: CatalogRecord, base: Fields) -> CatalogNotification:
    return VnfPackageOnboardingNotification(
        **base, vnf_pkg_id=record.id, vnfd_id=record.descriptor_id, vnfm_info=record.vnfm_info
    )


def _vnf_changed(record: CatalogRecord, base: Fields) -> CatalogNotification:
    return VnfPackageChangeNotification(
        **base,
        vnf_pkg_id=record.id,
        vnfd_id=record.descriptor_id,
        change_type=PackageChangeType.OP_STATE_CHANGE,
        operational_state=record.operational_state,
    )


def _vnf_deleted(record: CatalogRecord, base: Fields) -> CatalogNotification:
    return VnfPackageChangeNotification(
        **base,
        vnf_pkg_id=record.id,
        vnfd_id=record.descriptor_id,
        change_type=PackageChangeType.PKG_DELETE,
    )


def _nsd(model: type[CatalogNotification], **extra: Any) -> Builder:
    def build(record: CatalogRecord, base: Fields) -> CatalogNotification:
        return model(**base, nsd_info_id=record.id, nsd_id=record.descriptor_id, **extra)

    return build


def _pnfd(model: type[CatalogNotification]) -> Builder:
    def build(record: CatalogRecord, base: Fields) -> CatalogNotification:
        return model(**base, pnfd_info_id=record.id, pnfd_id=record.descriptor_id)

    return build


def _failed(nsd_or_pnfd: Builder) -> Builder:
    def build(record: CatalogRecord, base: Fields) -> CatalogNotification:
        details = failure_details(record.failure or [])
        return nsd_or_pnfd(record, {**base, "onboarding_failure_details": details})

    return build


def _nsd_changed(record: CatalogRecord, base: Fields) -> CatalogNotification:
    state = {"nsd_operational_state": record.operational_state}
    return _nsd(NsdChangeNotification)(record, {**base, **state})


_BUILDERS: dict[tuple[Kind, Event], Builder] = {
    (Kind.VNF_PACKAGE, Event.ONBOARDED): _vnf_onboarded,
    (Kind.VNF_PACKAGE, Event.OPERATIONAL_STATE_SET): _vnf_changed,
    (Kind.VNF_PACKAGE, Event.DELETED): _vnf_deleted,
    (Kind.NSD, Event.ONBOARDED): _nsd(NsdOnBoardingNotification),
    (Kind.NSD, Event.ONBOARDING_FAILED): _failed(_nsd(NsdOnBoardingFailureNotification)),
    (Kind.NSD, Event.OPERATIONAL_STATE_SET): _nsd_changed,
    (Kind.NSD, Event.DELETED): _nsd(NsdDeletionNotification),
    (Kind.PNFD, Event.ONBOARDED): _pnfd(PnfdOnBoardingNotification),
    (Kind.PNFD, Event.ONBOARDING_FAILED): _failed(_pnfd(PnfdOnBoardingFailureNotification)),
    (Kind.PNFD, Event.DELETED): _pnfd(PnfdDeletionNotification),
}
_ONCE_PER_ENTRY = frozenset({Event.ONBOARDED, Event.ONBOARDING_FAILED})


def _links(record: CatalogRecord) -> PkgmLinks | NsdmLinks | PnfdmLinks:
    link = Link(href=resource_href(record))
    if record.kind is Kind.VNF_PACKAGE:
        return PkgmLinks(vnf_package=link)
    return NsdmLinks(nsd_info=link) if record.kind is Kind.NSD else PnfdmLinks(pnfd_info=link)


def _notification_id(record: CatalogRecord, event: Event) -> str:
    if event in _ONCE_PER_ENTRY:
        return str(uuid.uuid5(_ID_NAMESPACE, f"{record.kind.value}/{record.id}/{event.value}"))
    return str(uuid.uuid4())


# --- matchers --------------------------------------------------------------------------


def _values(*values: str | None) -> list[str]:
    return [value for value in values if value is not None]


def _facts(record: CatalogRecord) -> dict[str, list[str]]:
    """The record's value(s) for each filter attribute of its API that applies to it."""
    onboarding = [record.onboarding_state.value]
    usage = [record.usage_state.value]
    if record.kind is Kind.VNF_PACKAGE:
        return {
            "vnfdId": _values(record.descriptor_id),
            "vnfPkgId": [record.id],
            "operationalState": [record.operational_state.value],
            "usageState": usage,
            "vnfmInfo": list(record.vnfm_info),
        }
    if record.kind is Kind.NSD:
        return {
            "nsdInfoId": [record.id],
            "nsdId": _values(record.descriptor_id),
            "nsdName": _values(record.product_name),
            "nsdVersion": _values(record.descriptor_version),
            "nsdDesigner": _values(record.provider),
            "nsdInvariantId": _values(record.invariant_id),
            "vnfPkgIds": list(record.vnf_package_ids),
            "nsdOnboardingState": onboarding,
            "nsdOperationalState": [record.operational_state.value],
            "nsdUsageState": usage,
        }  # pnfdInfoIds and nestedNsdInfoIds: NSDs here reference neither
    return {
        "pnfdInfoIds": [record.id],  # SOL005 5.5.3.2 note 3: the PNFD itself
        "pnfdId": _values(record.descriptor_id),
        "pnfdName": _values(record.product_name),
        "pnfdVersion": _values(record.descriptor_version),
        "pnfdProvider": _values(record.provider),
        "pnfdInvariantId": _values(record.invariant_id),
        "pnfdOnboardingState": onboarding,
        "pnfdUsageState": usage,
    }


def _attributes_match(flt: Mapping[str, Any], facts: Mapping[str, list[str]]) -> bool:
    """Every attribute of ``flt`` (but those matched elsewhere) has a value of the record."""
    for name, wanted in flt.items():
        if name in ("notificationTypes", "vnfProductsFromProviders") or not wanted:
            continue
        values = wanted if isinstance(wanted, list) else [wanted]
        if not set(map(str, values)) & set(facts.get(name, ())):
            return False
    return True


def _version_matches(version: Mapping[str, Any], record: CatalogRecord) -> bool:
    vnfd_versions = version.get("vnfdVersions")
    return version.get("vnfSoftwareVersion") == record.software_version and (
        not vnfd_versions or record.descriptor_version in vnfd_versions
    )


def _product_matches(product: Mapping[str, Any], record: CatalogRecord) -> bool:
    versions = product.get("versions")
    return product.get("vnfProductName") == record.product_name and (
        not versions or any(_version_matches(version, record) for version in versions)
    )


def _provider_matches(entry: Mapping[str, Any], record: CatalogRecord) -> bool:
    products = entry.get("vnfProducts")
    return entry.get("vnfProvider") == record.provider and (
        not products or any(_product_matches(product, record) for product in products)
    )


def _products_match(providers: Any, record: CatalogRecord) -> bool:
    """``vnfProductsFromProviders`` (SOL005 table 9.5.3.2-1): one entry matches."""
    return not providers or any(_provider_matches(entry, record) for entry in providers)


def pkgm_matches(record: CatalogRecord) -> Matches:
    """The filter test of ``/vnfpkgm/v2`` subscriptions for notifications on ``record``."""
    facts = _facts(record)

    def matches(flt: Mapping[str, Any]) -> bool:
        products = flt.get("vnfProductsFromProviders")
        return _attributes_match(flt, facts) and _products_match(products, record)

    return matches


def nsdm_matches(record: CatalogRecord) -> Matches:
    """The filter test of ``/nsd/v2`` subscriptions for notifications on ``record``."""
    facts = _facts(record)

    def matches(flt: Mapping[str, Any]) -> bool:
        return _attributes_match(flt, facts)

    return matches


# --- publishing ------------------------------------------------------------------------


def notice_of(record: CatalogRecord, event: Event) -> Notice | None:
    """The notification ``event`` on ``record`` sends, if SOL005 defines one."""
    builder = _BUILDERS.get((record.kind, event))
    if builder is None:
        return None
    if event is Event.DELETED and record.onboarding_state is not OnboardingState.ONBOARDED:
        return None  # only the deletion of an onboarded entry is notified
    base: Fields = {
        "id": _notification_id(record, event),
        "time_stamp": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "links": _links(record),
    }
    notification = builder(record, base)
    vnf = record.kind is Kind.VNF_PACKAGE
    return Notice(
        api=PKGM_SUBSCRIPTIONS if vnf else NSDM_SUBSCRIPTIONS,
        notification_type=notification.notification_type,
        body=notification.to_wire(),
        matches=pkgm_matches(record) if vnf else nsdm_matches(record),
    )


class Notices:
    """Queues the catalogue's notifications for the subscriptions of the entry's owner."""

    def __init__(self, notifier: Notifier) -> None:
        self.notifier = notifier

    async def publish(self, record: CatalogRecord, event: Event) -> int:
        """Queue what ``event`` on ``record`` notifies; how many subscriptions get it."""
        notice = notice_of(record, event)
        if notice is None:
            return 0
        return await self.notifier.publish_notification(
            notice.api,
            notice.notification_type,
            notice.body,
            matches=notice.matches,
            owner=record.owner,
        )

    async def announce(self, record: CatalogRecord, event: Event) -> None:
        """:meth:`publish`, logging instead of raising: what it reports is already
        stored, so a notification that cannot be queued must not fail the request."""
        try:
            await self.publish(record, event)
        except Exception:  # the boundary: Redis down or a bug, the change stands
            LOG.exception(
                "the %s notification of %s %s was not queued", event, noun(record.kind), record.id
            )
