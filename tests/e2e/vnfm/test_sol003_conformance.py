"""What the VNF manager answers and notifies, validated against ETSI's SOL003 OpenAPI
(skipped without the shared folder), with a real subscriber receiving the
notifications of an instantiation and a termination."""

from __future__ import annotations

from pathlib import Path

from tests.e2e.vnfm.conftest import Stack
from tests.e2e.vnfm.etsi_sol003 import validate, validate_notification
from tests.e2e.vnfm.test_failures import instantiate_nrf
from tests.integration.sol.subscribers import Subscriber


async def test_responses_and_notifications_follow_sol003(stack: Stack, shared_dir: Path) -> None:
    subscriber = await Subscriber().start()
    try:
        status, subscription, _ = await stack.lcm(
            "POST", "/subscriptions",
            json={"callbackUri": subscriber.url,
                  "filter": {"operationTypes": ["INSTANTIATE", "TERMINATE"]}},
        )  # fmt: skip
        assert status == 201, subscription
        # (The shared subscription routes do not store SOL003's ``verbosity`` yet, which
        # LccnSubscription requires: the subscription itself is not validated here.)
        instance = await stack.create("nrf", vnfInstanceName="conformant", metadata={"a": 1})
        validate(shared_dir, "/vnf_instances", "POST", 201, instance)
        location = await instantiate_nrf(stack, instance["id"])
        occurrence = await stack.wait(location)
        assert occurrence["operationState"] == "COMPLETED"
        status, body, _ = await stack.lcm("GET", location.removeprefix("/vnflcm/v2"))
        validate(shared_dir, "/vnf_lcm_op_occs/{vnfLcmOpOccId}", "GET", 200, body)
        assert body["resourceChanges"]["affectedVnfcs"][0]["changeType"] == "ADDED"
        status, body, _ = await stack.lcm("GET", f"/vnf_instances/{instance['id']}")
        validate(shared_dir, "/vnf_instances/{vnfInstanceId}", "GET", 200, body)
        for path in ("/vnf_instances", "/vnf_lcm_op_occs"):
            status, listed, _ = await stack.lcm("GET", f"{path}?all_fields")
            validate(shared_dir, path, "GET", 200, listed)
        status, problem, _ = await stack.lcm("GET", "/vnf_instances/nope")
        validate(shared_dir, "/vnf_instances/{vnfInstanceId}", "GET", 404, problem)
        await subscriber.wait_for(4)  # created, then STARTING, PROCESSING, COMPLETED
        created, *changes = subscriber.received
        validate_notification(shared_dir, "VnfIdentifierCreationNotification", created)
        states = [n["operationState"] for n in changes]
        assert states == ["STARTING", "PROCESSING", "COMPLETED"], states
        assert [n["notificationStatus"] for n in changes] == ["START", "START", "RESULT"]
        for notification in changes:
            validate_notification(shared_dir, "VnfLcmOperationOccurrenceNotification", notification)
        assert subscriber.received[-1]["affectedVnfcs"][0]["id"] == "nrf-0"
        location = await stack.task(instance["id"], "terminate", {"terminationType": "FORCEFUL"})
        assert (await stack.wait(location))["operationState"] == "COMPLETED"
        await subscriber.wait_for(7)
        assert subscriber.received[-1]["affectedVnfcs"][0]["changeType"] == "REMOVED"
    finally:
        await subscriber.stop()
