"""Which record change notifies what, and which subscription filters want it."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from nfvo.catalog.notices import Event, notice_of, nsdm_matches, pkgm_matches
from nfvo.catalog.notification_wire import NsdmNotificationsFilter, PkgmNotificationsFilter
from nfvo.catalog.records import CatalogRecord, Kind, StoredProblem
from nfvo.catalog.wire import OnboardingState, OperationalState

AMF = CatalogRecord(
    id="pkg-1",
    kind=Kind.VNF_PACKAGE,
    created_at="2024-01-01T00:00:00Z",
    owner="red",
    onboarding_state=OnboardingState.ONBOARDED,
    operational_state=OperationalState.ENABLED,
    descriptor_id="vnfd-amf",
    descriptor_version="1.0.0",
    provider="nfvo",
    product_name="nfvo-5gc-amf",
    software_version="2.1",
    vnfm_info=["etsivnfm:v4.2.1"],
)
NSD = CatalogRecord(
    id="nsd-1",
    kind=Kind.NSD,
    created_at="2024-01-01T00:00:00Z",
    onboarding_state=OnboardingState.ONBOARDED,
    operational_state=OperationalState.ENABLED,
    descriptor_id="nsd-5gc",
    descriptor_version="1.0",
    provider="tests",
    product_name="5gc-sa",
    vnf_package_ids=["pkg-1", "pkg-2"],
)
PNFD = NSD.but(id="pnfd-1", kind=Kind.PNFD, descriptor_id="pnf-gnb", product_name="gnb")


def _pkgm(flt: dict[str, Any]) -> dict[str, Any]:
    """The filter as the subscription routes store it."""
    return PkgmNotificationsFilter.model_validate(flt).to_wire()


def _products(**version: Any) -> dict[str, Any]:
    versions = [{"vnfSoftwareVersion": "2.1", **version}]
    product = {"vnfProductName": "nfvo-5gc-amf", "versions": versions}
    return {"vnfProductsFromProviders": [{"vnfProvider": "nfvo", "vnfProducts": [product]}]}


@pytest.mark.parametrize(
    ("flt", "wanted"),
    [
        ({}, True),
        ({"vnfdId": ["other", "vnfd-amf"]}, True),
        ({"vnfdId": ["other"]}, False),
        ({"vnfPkgId": ["pkg-1"], "operationalState": ["ENABLED"]}, True),
        ({"vnfPkgId": ["pkg-1"], "operationalState": ["DISABLED"]}, False),
        ({"vnfmInfo": ["etsivnfm:v4.2.1"]}, True),
        ({"usageState": ["IN_USE"]}, False),
        ({"vnfProductsFromProviders": [{"vnfProvider": "nfvo"}]}, True),
        ({"vnfProductsFromProviders": [{"vnfProvider": "acme"}, {"vnfProvider": "nfvo"}]}, True),
        ({"vnfProductsFromProviders": [{"vnfProvider": "acme"}]}, False),
        (_products(), True),
        (_products(vnfdVersions=["0.9", "1.0.0"]), True),
        (_products(vnfdVersions=["0.9"]), False),
        (_products(vnfSoftwareVersion="3.0"), False),
    ],
)
def test_pkgm_filter_attributes(flt: dict[str, Any], wanted: bool) -> None:
    assert pkgm_matches(AMF)(_pkgm(flt)) is wanted


@pytest.mark.parametrize(
    ("record", "flt", "wanted"),
    [
        (NSD, {"nsdId": ["nsd-5gc"], "nsdDesigner": ["tests"]}, True),
        (NSD, {"vnfPkgIds": ["pkg-2"]}, True),
        (NSD, {"nsdOperationalState": ["DISABLED"]}, False),
        (NSD, {"pnfdInfoIds": ["pnfd-1"]}, False),  # this NSD references no PNFD
        (NSD, {"pnfdProvider": ["tests"]}, False),  # a PNFD attribute: not this NSD
        (PNFD, {"pnfdInfoIds": ["pnfd-1"]}, True),
        (PNFD, {"pnfdId": ["pnf-gnb"], "pnfdName": ["gnb"]}, True),
        (PNFD, {"nsdId": ["nsd-5gc"]}, False),
        (NSD.but(descriptor_id=None), {"nsdId": ["nsd-5gc"]}, False),
    ],
)
def test_nsdm_filter_attributes(record: CatalogRecord, flt: dict[str, Any], wanted: bool) -> None:
    stored = NsdmNotificationsFilter.model_validate(flt).to_wire()
    assert nsdm_matches(record)(stored) is wanted


@pytest.mark.parametrize(
    "flt",
    [
        {"notificationTypes": ["VnfPackageOnboardingNotification"], "usageState": ["IN_USE"]},
        {"vnfdIds": ["x"]},
        {"vnfProductsFromProviders": [{"vnfProducts": [{"vnfProductName": "x"}]}]},
        {"operationalState": ["SLEEPING"]},
    ],
)
def test_pkgm_filters_refused(flt: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        PkgmNotificationsFilter.model_validate(flt)


def test_change_attributes_are_allowed_with_the_change_type() -> None:
    flt = {"notificationTypes": ["VnfPackageChangeNotification"], "vnfPkgId": ["pkg-1"]}
    assert _pkgm(flt) == flt


def test_vnf_onboarding_body_and_stable_id() -> None:
    notice = notice_of(AMF, Event.ONBOARDED)
    assert notice is not None and notice.api.name == "vnfpkgm"
    assert notice.notification_type == "VnfPackageOnboardingNotification"
    body = notice.body
    assert set(body) == {"id", "notificationType", "timeStamp", "vnfPkgId", "vnfdId",
                         "vnfmInfo", "_links"}  # fmt: skip
    assert body["_links"] == {"vnfPackage": {"href": "/vnfpkgm/v2/vnf_packages/pkg-1"}}
    again = notice_of(AMF, Event.ONBOARDED)
    assert again is not None and again.body["id"] == body["id"]  # a rerun sends the same id


def test_changes_and_deletions() -> None:
    disabled = AMF.but(operational_state=OperationalState.DISABLED)
    change = notice_of(disabled, Event.OPERATIONAL_STATE_SET)
    assert change is not None
    assert change.body["changeType"] == "OP_STATE_CHANGE"
    assert change.body["operationalState"] == "DISABLED"
    deletion = notice_of(disabled, Event.DELETED)
    assert deletion is not None and deletion.body["changeType"] == "PKG_DELETE"
    assert "operationalState" not in deletion.body
    assert change.body["id"] != deletion.body["id"]
    never_onboarded = AMF.but(onboarding_state=OnboardingState.CREATED, descriptor_id=None)
    assert notice_of(never_onboarded, Event.DELETED) is None
    assert notice_of(AMF, Event.ONBOARDING_FAILED) is None  # SOL005 defines none for packages
    assert notice_of(PNFD, Event.OPERATIONAL_STATE_SET) is None  # PNFDs have no such state


def test_nsd_and_pnfd_failures_carry_the_problems() -> None:
    problem = StoredProblem(message="no NS node", file="nsd.yaml", line=3)
    failed = NSD.but(onboarding_state=OnboardingState.ERROR, descriptor_id=None, failure=[problem])
    notice = notice_of(failed, Event.ONBOARDING_FAILED)
    assert notice is not None and notice.api.name == "nsd"
    assert notice.notification_type == "NsdOnboardingFailureNotification"
    assert "nsdId" not in notice.body
    details = notice.body["onboardingFailureDetails"]
    assert details["status"] == 422 and "nsd.yaml:3: no NS node" in details["detail"]
    assert notice.body["_links"] == {"nsdInfo": {"href": "/nsd/v2/ns_descriptors/nsd-1"}}
    pnfd = notice_of(PNFD.but(onboarding_state=OnboardingState.ERROR), Event.ONBOARDING_FAILED)
    assert pnfd is not None
    assert pnfd.notification_type == "PnfdOnBoardingFailureNotification"
    assert pnfd.body["_links"] == {"pnfdInfo": {"href": "/nsd/v2/pnf_descriptors/pnfd-1"}}
