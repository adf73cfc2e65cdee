"""/nslcm/v2 as an OSS/BSS sees it: documents valid against ETSI's NS LCM OpenAPI,
filters and selectors, refusals naming what is wrong, notifications of the whole life
of an NS, and ``continue`` past a failed VNF."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest

from tests.integration.catalog import etsi
from tests.integration.lcm.fivegc import NSD_ID, FiveGc
from tests.integration.sol.subscribers import Subscriber

pytestmark = pytest.mark.timeout(600)
INSTANTIATE = {"nsFlavourId": "default"}


def valid(path: str, method: str, status: int, body: Any) -> None:
    if etsi.available():
        etsi.validate("nslcm", path, method, status, body)


def valid_notification(body: dict[str, Any]) -> None:
    if etsi.available():
        if body["notificationType"] == "NsChangeNotification":
            # ETSI's document requires "lcmOpOccStatusImpactingNsCompon" (truncated) and
            # types the status with the operation names' enumeration: check it apart.
            status = body["lcmOpOccStatusImpactingNsComponent"]
            assert status in ("START", "COMPLETED", "PARTIALLY_COMPLETED", "FAILED", "ROLLED_BACK")
            name = body["lcmOpNameImpactingNsComponent"]
            body = {
                **body,
                "lcmOpOccStatusImpactingNsCompon": status,
                "lcmOpOccStatusImpactingNsComponent": name,
            }
        etsi.validate_definition("nslcm-notification", body["notificationType"], body)


async def test_an_ns_from_creation_to_deletion_as_an_oss_sees_it(core: FiveGc) -> None:
    subscriber = await Subscriber().start()
    try:
        await core.call("POST", "/nslcm/v2/subscriptions", {"callbackUri": subscriber.url}, 201)
        ns = await core.create_ns("edge-core")
        valid("/ns_instances", "POST", 201, ns)
        assert ns["nsState"] == "NOT_INSTANTIATED" and ns["_links"]["instantiate"]
        listed = await (
            await core.call(
                "GET", "/nslcm/v2/ns_instances?filter=(eq,nsInstanceName,edge-core)", status=200
            )
        ).json()
        valid("/ns_instances", "GET", 200, listed)
        assert [n["id"] for n in listed] == [ns["id"]]
        none = await (
            await core.call(
                "GET", "/nslcm/v2/ns_instances?filter=(eq,nsInstanceName,other)", status=200
            )
        ).json()
        assert none == []

        location = await core.task(ns["id"], "instantiate", INSTANTIATE)
        done = await core.settle(location, within=300)
        assert done["operationState"] == "COMPLETED"
        shown = await core.ns(ns["id"])
        valid("/ns_instances/{nsInstanceId}", "GET", 200, shown)
        assert {"terminate", "scale", "heal", "update"} <= set(shown["_links"])
        assert {v["nsVirtualLinkDescId"] for v in shown["virtualLinkInfo"]} == {
            "sbi_vl",
            "n2_vl",
            "n3_vl",
            "n4_vl",
            "n6_vl",
        }
        assert {s["sapdId"] for s in shown["sapInfo"]} == {"n2_sap", "n3_sap", "n6_sap"}
        changes = done["resourceChanges"]
        assert len(changes["affectedVnfs"]) == 9
        assert {v["changeType"] for v in changes["affectedVnfs"]} == {"INSTANTIATE"}
        occurrences = await (await core.call("GET", "/nslcm/v2/ns_lcm_op_occs", status=200)).json()
        assert [o["id"] for o in occurrences] == [done["id"]]

        response = await core.call("DELETE", f"/nslcm/v2/ns_instances/{ns['id']}")
        assert response.status == 409 and "terminate it first" in (await response.json())["detail"]
        await core.settle(await core.task(ns["id"], "terminate", {}), within=300)
        await core.call("DELETE", f"/nslcm/v2/ns_instances/{ns['id']}", status=204)
        await core.call("GET", f"/nslcm/v2/ns_instances/{ns['id']}", status=404)

        # creation, START and RESULT of both operations, START and COMPLETED of each VNF's
        # instantiation and termination, deletion
        await subscriber.wait_for(1 + 2 + 2 + 18 + 18 + 1, seconds=30)
        kinds = [n["notificationType"] for n in subscriber.received]
        assert kinds[0] == "NsIdentifierCreationNotification"
        assert kinds[-1] == "NsIdentifierDeletionNotification"
        assert kinds.count("NsChangeNotification") == 36
        changes = [
            n for n in subscriber.received if n["notificationType"] == "NsChangeNotification"
        ]
        assert Counter(n["lcmOpOccStatusImpactingNsComponent"] for n in changes) == {
            "START": 18,
            "COMPLETED": 18,
        }
        results = [n for n in subscriber.received if n.get("notificationStatus") == "RESULT"]
        assert [r["operationState"] for r in results] == ["COMPLETED", "COMPLETED"]
        for notification in subscriber.received:
            valid_notification(notification)
    finally:
        await subscriber.stop()


async def test_refusals_name_what_is_wrong(core: FiveGc) -> None:
    response = await core.call(
        "POST",
        "/nslcm/v2/ns_instances",
        {"nsdId": "nope", "nsName": "x", "nsDescription": "x"},
        422,
    )
    assert "nsdId nope" in (await response.json())["detail"]
    ns = await core.create_ns()
    response = await core.call(
        "POST", f"/nslcm/v2/ns_instances/{ns['id']}/instantiate", {"nsFlavourId": "huge"}, 422
    )
    assert "nsFlavourId 'huge' is not a flavour" in (await response.json())["detail"]
    bound = {"nsFlavourId": "default", "additionalParamsForNs": {"networkBindings": {"n7_vl": "x"}}}
    response = await core.call("POST", f"/nslcm/v2/ns_instances/{ns['id']}/instantiate", bound, 422)
    assert "n7_vl" in (await response.json())["detail"]
    zones = {
        "nsFlavourId": "default",
        "locationConstraints": [
            {"vnfProfileId": "ufp", "locationConstraints": {"countryCode": "FR"}}
        ],
    }
    response = await core.call("POST", f"/nslcm/v2/ns_instances/{ns['id']}/instantiate", zones, 422)
    assert "locationConstraints[0].vnfProfileId 'ufp'" in (await response.json())["detail"]
    response = await core.call("POST", f"/nslcm/v2/ns_instances/{ns['id']}/terminate", {}, 409)
    response = await core.call("GET", "/nslcm/v2/ns_lcm_op_occs/unknown", status=404)
    valid("/ns_lcm_op_occs/{nsLcmOpOccId}", "GET", 404, await response.json())
    assert NSD_ID  # the NSD onboarded by the fixture is the one used above


async def test_continue_skips_the_failed_vnf(core: FiveGc) -> None:
    core.vnfm.fail["INSTANTIATE"] = "this one never works"
    ns = await core.create_ns()
    location = await core.task(ns["id"], "instantiate", INSTANTIATE)
    failed = await core.settle(location)
    assert failed["operationState"] == "FAILED_TEMP"
    await core.call("POST", f"{location}/continue", status=202)
    done = await core.settle(location, within=300)
    assert done["operationState"] == "COMPLETED", done.get("error")
    states = [v["instantiationState"] for v in (await core.ns(ns["id"]))["vnfInstance"]]
    assert states.count("NOT_INSTANTIATED") <= 1 and len(states) == 9
