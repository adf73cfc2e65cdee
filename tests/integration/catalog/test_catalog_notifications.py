"""Catalogue subscriptions and notifications end to end: a served catalogue, its
onboarding workers, and real subscribers on loopback.

Bodies are checked against ETSI's notification definitions where the folder is there.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import redis.asyncio as aioredis

from nfvo.sol.notifications import QUEUE
from nfvo.store.keys import Keyspace
from tests.integration.catalog import etsi
from tests.integration.catalog.conftest import (
    VERSIONS,
    Client,
    ServeFactory,
    onboard,
    wait_state,
)
from tests.integration.catalog.test_catalog_tenancy import CLIENTS, onboard_as, token
from tests.integration.catalog.test_nsd_api import PLAIN_NSD, PNFD
from tests.integration.sol.subscribers import Subscriber

PKGM, NSDM = VERSIONS["vnfpkgm"], VERSIONS["nsd"]
MERGE = {"Content-Type": "application/merge-patch+json"}
ONBOARDING = "VnfPackageOnboardingNotification"
CHANGE = "VnfPackageChangeNotification"
QUIET_SECONDS = 1.5  # several delivery polls: what was queued would have arrived


@pytest.fixture
async def subscribers() -> AsyncIterator[list[Subscriber]]:
    started = [await Subscriber().start() for _ in range(3)]
    yield started
    for server in started:
        await server.stop()


async def subscribe(
    client: Client,
    api: str,
    url: str,
    flt: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
) -> dict[str, Any]:
    body: dict[str, Any] = {"callbackUri": url}
    if flt is not None:
        body["filter"] = flt
    root = "/vnfpkgm/v2" if api == "vnfpkgm" else "/nsd/v2"
    response = await client.post(
        f"{root}/subscriptions", json=body, headers=headers or VERSIONS[api]
    )
    assert response.status == 201, await response.text()
    created: dict[str, Any] = await response.json()
    return created


def conforms(api: str, body: dict[str, Any], definition: str | None = None) -> None:
    if etsi.available():
        etsi.validate_definition(api, definition or body["notificationType"], body)


def links_of(notification: dict[str, Any], subscription: dict[str, Any]) -> None:
    assert notification["subscriptionId"] == subscription["id"]
    href = notification["_links"]["subscription"]["href"]
    assert href == subscription["_links"]["self"]["href"]


async def test_a_package_onboarding_reaches_the_matching_filter_only(
    client: Client, shipped: dict[str, Path], subscribers: list[Subscriber]
) -> None:
    wanted, other_vnfd, other_version = subscribers
    products = [{"vnfProvider": "nfvo", "vnfProducts": [
        {"vnfProductName": "nfvo-5gc-amf",
         "versions": [{"vnfSoftwareVersion": "1.0.0", "vnfdVersions": ["1.0.0"]}]}]}]  # fmt: skip
    subscription = await subscribe(
        client,
        "vnfpkgm",
        wanted.url,
        {"notificationTypes": [ONBOARDING], "vnfProductsFromProviders": products},
    )
    await subscribe(client, "vnfpkgm", other_vnfd.url, {"vnfdId": ["not-this-one"]})
    products[0]["vnfProducts"][0]["versions"][0]["vnfdVersions"] = ["2.0.0"]
    await subscribe(client, "vnfpkgm", other_version.url, {"vnfProductsFromProviders": products})

    package = await onboard(client, shipped["amf"])
    assert package["onboardingState"] == "ONBOARDED"
    await wanted.wait_for(1)
    [notification] = wanted.received
    assert notification["notificationType"] == ONBOARDING
    assert notification["vnfPkgId"] == package["id"]
    assert notification["vnfdId"] == package["vnfdId"]
    assert notification["vnfmInfo"] == package["vnfmInfo"]
    assert notification["_links"]["vnfPackage"]["href"] == package["_links"]["self"]["href"]
    assert notification["timeStamp"].endswith("Z")
    links_of(notification, subscription)
    conforms("vnfpkgm-notification", notification)
    await asyncio.sleep(QUIET_SECONDS)
    assert other_vnfd.received == [] and other_version.received == []
    assert len(wanted.received) == 1


async def test_disable_and_delete_are_package_changes(
    client: Client, shipped: dict[str, Path], subscribers: list[Subscriber]
) -> None:
    changes, another_package, _ = subscribers
    package = await onboard(client, shipped["nrf"])
    href = package["_links"]["self"]["href"]
    subscription = await subscribe(
        client,
        "vnfpkgm",
        changes.url,
        {"notificationTypes": [CHANGE], "vnfPkgId": [package["id"]]},
    )
    another = {"notificationTypes": [CHANGE], "vnfPkgId": ["another-package"]}
    await subscribe(client, "vnfpkgm", another_package.url, another)
    disable = {"operationalState": "DISABLED"}
    disabled = await client.patch(href, json=disable, headers={**PKGM, **MERGE})
    assert disabled.status == 200, await disabled.text()
    await changes.wait_for(1)
    assert (await client.delete(href, headers=PKGM)).status == 204
    await changes.wait_for(2)
    state_change, deletion = changes.received
    assert state_change["changeType"] == "OP_STATE_CHANGE"
    assert state_change["operationalState"] == "DISABLED"
    assert deletion["changeType"] == "PKG_DELETE"
    assert "operationalState" not in deletion
    assert state_change["id"] != deletion["id"]
    for notification in changes.received:
        assert notification["notificationType"] == CHANGE
        assert notification["vnfPkgId"] == package["id"]
        assert notification["vnfdId"] == package["vnfdId"]
        assert notification["_links"]["vnfPackage"]["href"] == href
        links_of(notification, subscription)
        conforms("vnfpkgm-notification", notification)
    await asyncio.sleep(QUIET_SECONDS)
    assert another_package.received == []


async def test_nsd_and_pnfd_notifications(
    client: Client, shipped: dict[str, Path], subscribers: list[Subscriber]
) -> None:
    everything, failures, pnfds = subscribers
    await subscribe(client, "nsd", everything.url)
    failure_types = ["NsdOnboardingFailureNotification", "PnfdOnBoardingFailureNotification"]
    await subscribe(client, "nsd", failures.url, {"notificationTypes": failure_types})
    await subscribe(client, "nsd", pnfds.url, {"pnfdProvider": ["tests"]})

    failed = await onboard(client, shipped["5gc-sa"], "nsd")  # its VNFDs are not onboarded
    assert failed["nsdOnboardingState"] == "ERROR"
    await failures.wait_for(1)
    [failure] = failures.received
    assert failure["notificationType"] == "NsdOnboardingFailureNotification"
    assert failure["nsdInfoId"] == failed["id"]
    details = failure["onboardingFailureDetails"]
    assert details["status"] == 422 and "not onboarded" in details["detail"]
    assert [problem["code"] for problem in details["problems"]] == ["missing-vnfd"]
    assert failure["_links"]["nsdInfo"]["href"] == failed["_links"]["self"]["href"]
    conforms("nsd-notification", failure, "NsdOnBoardingFailureNotification")

    nsd = await onboard(client, PLAIN_NSD.encode(), "nsd", content_type="text/plain")
    assert nsd["nsdOnboardingState"] == "ONBOARDED"
    await everything.wait_for(2)  # the job's notify step comes after the stored state
    href = nsd["_links"]["self"]["href"]
    disabled = await client.patch(
        href, json={"nsdOperationalState": "DISABLED"}, headers={**NSDM, **MERGE}
    )
    assert disabled.status == 200
    assert (await client.delete(href, headers=NSDM)).status == 204
    await everything.wait_for(4)
    types = [n["notificationType"] for n in everything.received]
    assert types == [
        "NsdOnboardingFailureNotification",
        "NsdOnBoardingNotification",
        "NsdChangeNotification",
        "NsdDeletionNotification",
    ]
    onboarded, changed, deleted = everything.received[1:]
    assert {n["nsdInfoId"] for n in (onboarded, changed, deleted)} == {nsd["id"]}
    assert onboarded["nsdId"] == nsd["nsdId"] == deleted["nsdId"]
    assert changed["nsdOperationalState"] == "DISABLED"
    conforms("nsd-notification", onboarded)
    conforms("nsd-notification", changed)
    conforms("nsd-notification", deleted)

    pnfd = await _onboard_pnfd(client, PNFD)
    await pnfds.wait_for(1)
    assert (await client.delete(pnfd["_links"]["self"]["href"], headers=NSDM)).status == 204
    broken = await _onboard_pnfd(client, "tosca_definitions_version: tosca_simple_yaml_1_3\n")
    assert broken["pnfdOnboardingState"] == "ERROR"
    await pnfds.wait_for(2)
    assert [n["notificationType"] for n in pnfds.received] == [
        "PnfdOnBoardingNotification",
        "PnfdDeletionNotification",
    ]  # the broken one has no provider, so the filter does not match it
    for notification in pnfds.received:
        assert notification["pnfdInfoId"] == pnfd["id"]
        assert notification["pnfdId"] == pnfd["pnfdId"]
        assert notification["_links"]["pnfdInfo"]["href"] == pnfd["_links"]["self"]["href"]
        conforms("nsd-notification", notification)
    await failures.wait_for(2)
    pnfd_failure = failures.received[1]
    assert pnfd_failure["notificationType"] == "PnfdOnBoardingFailureNotification"
    assert pnfd_failure["pnfdInfoId"] == broken["id"]
    conforms("nsd-notification", pnfd_failure)


async def _onboard_pnfd(client: Client, text: str) -> dict[str, Any]:
    response = await client.post("/nsd/v2/pnf_descriptors", json={}, headers=NSDM)
    href = (await response.json())["_links"]["self"]["href"]
    upload = await client.put(
        f"{href}/pnfd_content", data=text.encode(), headers={**NSDM, "Content-Type": "text/plain"}
    )
    assert upload.status == 202, await upload.text()
    return await wait_state(client, href, "nsd")


async def test_another_projects_subscription_receives_nothing(
    serve_catalogue: ServeFactory, shipped: dict[str, Path], subscribers: list[Subscriber]
) -> None:
    client = await serve_catalogue(auth_enabled=True, auth_clients=CLIENTS)
    red, blue = await token(client, "red"), await token(client, "blue")
    mine, theirs, _ = subscribers
    await subscribe(client, "vnfpkgm", mine.url, headers=red)
    await subscribe(client, "vnfpkgm", theirs.url, headers=blue)
    package = await onboard_as(client, red, shipped["udr"])
    assert package["onboardingState"] == "ONBOARDED"
    await mine.wait_for(1)
    assert mine.received[0]["vnfPkgId"] == package["id"]
    await asyncio.sleep(QUIET_SECONDS)
    assert theirs.received == []
    reader = await token(client, "reader")  # vnfpkgm:read only
    refused = await client.post(
        "/vnfpkgm/v2/subscriptions", json={"callbackUri": theirs.url}, headers=reader
    )
    assert refused.status == 403


@pytest.mark.parametrize(
    ("api", "flt", "named"),
    [
        ("vnfpkgm", {"notificationTypes": ["VnfPackageOnboardingFailureNotification"]},
         "notificationTypes"),
        ("vnfpkgm", {"notificationTypes": [ONBOARDING], "vnfPkgId": ["x"]}, "vnfPkgId"),
        ("vnfpkgm", {"vnfProductsFromProviders": [{"vnfProducts": []}]}, "vnfProvider"),
        ("vnfpkgm", {"vnfdIds": ["x"]}, "vnfdIds"),
        ("nsd", {"notificationTypes": ["NsdOnboardingNotification"]}, "notificationTypes"),
        ("nsd", {"nsdOnboardingState": ["DONE"]}, "nsdOnboardingState"),
        ("nsd", {"notificationTypes": "NsdChangeNotification"}, "array"),
        ("nsd", {"notificationTypes": [{"a": 1}]}, "notificationTypes"),
    ],
)  # fmt: skip
async def test_a_bad_filter_is_422(
    client: Client, subscribers: list[Subscriber], api: str, flt: dict[str, Any], named: str
) -> None:
    root = "/vnfpkgm/v2" if api == "vnfpkgm" else "/nsd/v2"
    body = {"callbackUri": subscribers[0].url, "filter": flt}
    response = await client.post(f"{root}/subscriptions", json=body, headers=VERSIONS[api])
    assert response.status == 422, await response.text()
    assert response.content_type == "application/problem+json"
    problem = await response.json(content_type=None)
    assert named in problem["detail"]
    if etsi.available():
        etsi.jsonschema.Draft4Validator(etsi.problem_details()).validate(problem)
    assert subscribers[0].gets == 0  # refused before the callback was tried


async def test_a_failed_publish_fails_neither_the_request_nor_onboarding(
    client: Client,
    shipped: dict[str, Path],
    subscribers: list[Subscriber],
    redis: aioredis.Redis,
    keyspace: Keyspace,
    caplog: pytest.LogCaptureFixture,
) -> None:
    subscription = await subscribe(client, "vnfpkgm", subscribers[0].url)
    # A queue key holding the wrong type: every RPUSH into it fails in Redis.
    await redis.set(keyspace.queue(QUEUE, subscription["id"]), "not a list")
    with caplog.at_level(logging.WARNING, logger="nfvo.catalog"):
        package = await onboard(client, shipped["pcf"])
        assert package["onboardingState"] == "ONBOARDED"
        await _logged(caplog, "onboarded notification of VNF package", 1)  # after retries
        href = package["_links"]["self"]["href"]
        disabled = await client.patch(
            href, json={"operationalState": "DISABLED"}, headers={**PKGM, **MERGE}
        )
        assert disabled.status == 200, await disabled.text()
        shown = await (await client.get(href, headers=PKGM)).json()
        assert shown["operationalState"] == "DISABLED"
        assert (await client.delete(href, headers=PKGM)).status == 204
        await _logged(caplog, "notification of VNF package", 3)
    assert subscribers[0].received == []


async def _logged(caplog: pytest.LogCaptureFixture, text: str, count: int) -> None:
    for _ in range(400):  # the job's notify step retries before it logs
        if sum(text in record.getMessage() for record in caplog.records) >= count:
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"{count} log lines with {text!r} were expected")


async def test_subscriptions_are_listed_per_api(
    client: Client, subscribers: list[Subscriber]
) -> None:
    package_subscription = await subscribe(client, "vnfpkgm", subscribers[0].url)
    nsd_subscription = await subscribe(client, "nsd", subscribers[0].url)
    packages = await (await client.get("/vnfpkgm/v2/subscriptions", headers=PKGM)).json()
    nsds = await (await client.get("/nsd/v2/subscriptions", headers=NSDM)).json()
    assert [s["id"] for s in packages] == [package_subscription["id"]]
    assert [s["id"] for s in nsds] == [nsd_subscription["id"]]
    assert package_subscription["_links"]["self"]["href"].startswith("/vnfpkgm/v2/subscriptions/")
