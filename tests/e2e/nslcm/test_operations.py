"""NS operations on the 5G core beyond the happy path: a VNF that fails and is retried,
rolled back or failed; a cancel; scale out and in with anti-affinity; heal; a capacity
shortage refused with the nearest miss; the notifications an OSS subscribed to."""

from __future__ import annotations

import asyncio
from collections import Counter
from typing import Any

import pytest

from nfvo.placement.reservations import ReservationState
from tests.e2e.nslcm.test_5gc import servers
from tests.integration.catalog import etsi
from tests.integration.lcm.fivegc import FiveGc
from tests.integration.sol.subscribers import Subscriber

pytestmark = pytest.mark.timeout(600)
INSTANTIATE = {"nsFlavourId": "default"}


async def instantiated(core: FiveGc) -> dict[str, Any]:
    ns = await core.create_ns()
    done = await core.settle(await core.task(ns["id"], "instantiate", INSTANTIATE), within=300)
    assert done["operationState"] == "COMPLETED", done.get("error")
    return await core.ns(ns["id"])


async def hosts_of(core: FiveGc, ns_id: str, profile: str) -> list[str]:
    """The hosts of the servers of the NS's VNFs of ``profile``, as the cloud says."""
    vim = await core.nfvo.runtime.platform.vims.open_vim("lab")
    instance = await core.ns(ns_id)
    ids = {v["id"] for v in instance["vnfInstance"] if v["vnfProfileId"] == profile}
    return [
        s["OS-EXT-SRV-ATTR:host"]
        for s in await servers(vim)
        if any(t.removeprefix("nfvo-vnf:") in ids for t in s.get("tags", []))
    ]


async def held(core: FiveGc) -> list[Any]:
    return await core.nfvo.runtime.sites.reservations("lab").active((ReservationState.HELD,))


async def test_a_failed_vnf_leaves_the_ns_failed_temp_and_a_retry_completes_it(
    core: FiveGc,
) -> None:
    core.vnfm.fail["INSTANTIATE"] = "the VNF's boot script broke"
    ns = await core.create_ns()
    location = await core.task(ns["id"], "instantiate", INSTANTIATE)
    failed = await core.settle(location)
    assert failed["operationState"] == "FAILED_TEMP"
    detail = failed["error"]["detail"]
    assert "step instantiate" in detail and "the VNF's boot script broke" in detail
    assert "VNFM mini" in detail  # names the VNF and its VNFM
    if etsi.available():
        # ETSI's document types operationParams as the operation's name (a defect).
        shown = {k: v for k, v in failed.items() if k != "operationParams"}
        etsi.validate("nslcm", "/ns_lcm_op_occs/{nsLcmOpOccId}", "GET", 200, shown)
    # A second operation on the NS while this one is unresolved: 409 naming it.
    response = await core.call(
        "POST", f"/nslcm/v2/ns_instances/{ns['id']}/instantiate", INSTANTIATE
    )
    assert response.status == 409
    assert failed["id"] in (await response.json())["detail"]
    await core.call("POST", f"{location}/retry", status=202)
    done = await core.settle(location)
    assert done["operationState"] == "COMPLETED", done.get("error")
    assert len((await core.ns(ns["id"]))["vnfInstance"]) == 9
    assert await held(core) == []  # every grant of it settled


async def test_a_rollback_undoes_everything_and_fail_lists_what_is_left(core: FiveGc) -> None:
    vim = await core.nfvo.runtime.platform.vims.open_vim("lab")
    core.vnfm.fail["INSTANTIATE"] = "broken image"
    ns = await core.create_ns()
    location = await core.task(ns["id"], "instantiate", INSTANTIATE)
    assert (await core.settle(location))["operationState"] == "FAILED_TEMP"
    await core.call("POST", f"{location}/rollback", status=202)
    rolled = await core.settle(location)
    assert rolled["operationState"] == "ROLLED_BACK", rolled.get("error")
    assert await servers(vim) == []
    assert (await core.ns(ns["id"]))["nsState"] == "NOT_INSTANTIATED"
    assert await held(core) == []

    core.vnfm.fail["INSTANTIATE"] = "broken again"
    location = await core.task(ns["id"], "instantiate", INSTANTIATE)
    assert (await core.settle(location))["operationState"] == "FAILED_TEMP"
    response = await core.call("POST", f"{location}/fail", status=200)
    failed = await response.json()
    assert failed["operationState"] == "FAILED"
    left = failed["resourceChanges"]
    assert left["affectedVnfs"] and all(v["changeResult"] == "FAILED" for v in left["affectedVnfs"])
    assert await held(core) == []  # the failed VNF operation's reservation is released


async def test_cancel_leaves_the_operation_failed_temp(core: FiveGc) -> None:
    ns = await core.create_ns()
    location = await core.task(ns["id"], "instantiate", INSTANTIATE)
    await core.call("POST", f"{location}/cancel", {"cancelMode": "GRACEFUL"}, 202)
    cancelled = await core.occurrence(location)
    assert cancelled["operationState"] == "FAILED_TEMP"
    assert cancelled["cancelMode"] == "GRACEFUL"
    await core.call("POST", f"{location}/cancel", {"cancelMode": "FORCEFUL"}, 409)

    async def retried() -> dict[str, Any]:
        while True:
            response = await core.call("POST", f"{location}/retry")
            if response.status == 202:
                return await core.settle(location, within=300)
            assert response.status == 409  # the cancelled job's running steps still end

    async with asyncio.timeout(120):
        done = await retried()
    assert done["operationState"] == "COMPLETED", done.get("error")


async def test_scale_the_upf_out_and_in_with_anti_affinity(core: FiveGc) -> None:
    ns = await instantiated(core)
    body = {
        "scaleType": "SCALE_NS",
        "scaleNsData": {
            "scaleNsByStepsData": {
                "scalingDirection": "SCALE_OUT",
                "aspectId": "user_plane",
                "numberOfSteps": 1,
            }
        },
    }
    done = await core.settle(await core.task(ns["id"], "scale", body))
    assert done["operationState"] == "COMPLETED", done.get("error")
    upfs = await hosts_of(core, ns["id"], "upf")
    assert len(upfs) == 2 and len(set(upfs)) == 2  # the two UPFs on different hosts
    instance = await core.ns(ns["id"])
    assert instance["nsScaleStatus"] == [{"nsScalingAspectId": "user_plane", "nsScaleLevelId": "1"}]
    body["scaleNsData"]["scaleNsByStepsData"]["scalingDirection"] = "SCALE_IN"
    done = await core.settle(await core.task(ns["id"], "scale", body))
    assert done["operationState"] == "COMPLETED", done.get("error")
    assert len(await hosts_of(core, ns["id"], "upf")) == 1
    assert Counter(v["vnfProfileId"] for v in (await core.ns(ns["id"]))["vnfInstance"])["upf"] == 1


async def test_scale_a_vnf_by_its_aspect_and_heal_it(core: FiveGc) -> None:
    ns = await instantiated(core)
    upf = next(v for v in ns["vnfInstance"] if v["vnfProfileId"] == "upf")
    body = {
        "scaleType": "SCALE_VNF",
        "scaleVnfData": [
            {
                "vnfInstanceId": upf["id"],
                "scaleVnfType": "SCALE_OUT",
                "scaleByStepData": {"aspectId": "upf_scale"},
            }
        ],
    }
    done = await core.settle(await core.task(ns["id"], "scale", body))
    assert done["operationState"] == "COMPLETED", done.get("error")
    hosts = await hosts_of(core, ns["id"], "upf")
    assert len(hosts) == 2 and len(set(hosts)) == 2  # the VNFD's anti-affinity, kept
    heal = {"healVnfData": [{"vnfInstanceId": upf["id"], "cause": "a test"}]}
    done = await core.settle(await core.task(ns["id"], "heal", heal))
    assert done["operationState"] == "COMPLETED", done.get("error")
    assert ("POST", f"/vnflcm/v2/vnf_instances/{upf['id']}/heal") in core.vnfm.calls


async def test_a_capacity_shortage_is_refused_with_the_nearest_miss(core: FiveGc) -> None:
    subscriber = await Subscriber().start()
    try:
        await core.call(
            "POST",
            "/nslcm/v2/subscriptions",
            {
                "callbackUri": subscriber.url,
                "filter": {"notificationTypes": ["NsLcmCapacityShortageNotification"]},
            },
            201,
        )
        ns = await instantiated(core)
        # Four UPFs kept apart, and only three hosts with SR-IOV NICs: the fourth fits nowhere.
        body = {
            "scaleType": "SCALE_NS",
            "scaleNsData": {
                "scaleNsByStepsData": {
                    "scalingDirection": "SCALE_OUT",
                    "aspectId": "user_plane",
                    "numberOfSteps": 2,
                }
            },
        }
        location = await core.task(ns["id"], "scale", body)
        failed = await core.settle(location)
        assert failed["operationState"] == "FAILED_TEMP"
        assert "no room for the VNFCs" in failed["error"]["detail"]
        assert "distance from anti-affinity group" in failed["error"]["detail"]
        await subscriber.wait_for(1, seconds=20)
        shortage = subscriber.received[0]
        assert shortage["notificationType"] == "NsLcmCapacityShortageNotification"
        assert shortage["affectedOpOccs"][0]["affectedOpOccId"] == failed["id"]
        if etsi.available():
            etsi.validate_definition(
                "nslcm-notification", "NsLcmCapacityShortageNotification", shortage
            )
        await core.call("POST", f"{location}/rollback", status=202)
        assert (await core.settle(location))["operationState"] == "ROLLED_BACK"
        assert await held(core) == []
        assert (
            Counter(v["vnfProfileId"] for v in (await core.ns(ns["id"]))["vnfInstance"])["upf"] == 1
        )
    finally:
        await subscriber.stop()


async def test_update_adds_and_removes_a_vnf_operates_it_and_moves_a_sap(core: FiveGc) -> None:
    vim = await core.nfvo.runtime.platform.vims.open_vim("lab")
    ns = await instantiated(core)
    amf = next(v for v in ns["vnfInstance"] if v["vnfProfileId"] == "amf")
    add = {
        "updateType": "INSTANTIATE_VNF",
        "instantiateVnfData": [
            {"vnfdId": amf["vnfdId"], "vnfFlavourId": "default", "vnfProfileId": "amf"}
        ],
    }
    done = await core.settle(await core.task(ns["id"], "update", add))
    assert done["operationState"] == "COMPLETED", done.get("error")
    amfs = [v for v in (await core.ns(ns["id"]))["vnfInstance"] if v["vnfProfileId"] == "amf"]
    assert len(amfs) == 2 and len(await servers(vim)) == 10
    stop = {
        "updateType": "OPERATE_VNF",
        "operateVnfData": [
            {"vnfInstanceId": amf["id"], "changeStateTo": "STOPPED", "stopType": "GRACEFUL"}
        ],
    }
    done = await core.settle(await core.task(ns["id"], "update", stop))
    assert done["operationState"] == "COMPLETED", done.get("error")
    states = {s["status"] for s in await servers(vim)}
    assert states == {"ACTIVE", "SHUTOFF"}
    remove = {"updateType": "REMOVE_VNF", "removeVnfInstanceId": [amf["id"]]}
    done = await core.settle(await core.task(ns["id"], "update", remove))
    assert done["operationState"] == "COMPLETED", done.get("error")
    left = (await core.ns(ns["id"]))["vnfInstance"]
    assert amf["id"] not in {v["id"] for v in left} and len(left) == 9
    assert len(await servers(vim)) == 9
    for body in (
        {"updateType": "REMOVE_SAP", "removeSapId": ["n2_sap"]},
        {
            "updateType": "ADD_SAP",
            "addSap": [
                {"sapdId": "n2_sap", "sapName": "gNB side", "description": "N2 for the gNBs"}
            ],
        },
    ):
        done = await core.settle(await core.task(ns["id"], "update", body))
        assert done["operationState"] == "COMPLETED", done.get("error")
    saps = {s["sapdId"]: s for s in (await core.ns(ns["id"]))["sapInfo"]}
    assert saps["n2_sap"]["sapName"] == "gNB side"
    refused = await core.call(
        "POST", f"/nslcm/v2/ns_instances/{ns['id']}/update", {"updateType": "ADD_PNF"}, 422
    )
    assert "ADD_PNF is not supported" in (await refused.json())["detail"]
