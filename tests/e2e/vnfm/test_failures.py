"""Operations that fail: a boot failure, retry and rollback; a rejected grant; a day-1
template naming what nobody defines; a second operation while one runs."""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp

from tests.e2e.vnfm.conftest import Stack, ext_links
from tests.e2e.vnfm.test_instantiate_terminate import DAY1, leftovers, networks


async def instantiate_nrf(stack: Stack, instance_id: str, **extra: Any) -> str:
    nets = await networks(stack)
    body = {
        "flavourId": "default",
        "extVirtualLinks": ext_links({"virtual_link_sbi": "mgmt"}, nets),
        "additionalParams": DAY1,
        **extra,
    }
    return await stack.task(instance_id, "instantiate", body)


async def fail_next_boot(stack: Stack) -> None:
    async with (
        aiohttp.ClientSession() as http,
        http.post(f"{stack.sim.url}/_sim/faults/creates", json={"count": 1}) as response,
    ):
        assert response.status == 200


async def test_a_failed_boot_is_failed_temp_then_retry_completes_with_one_server(
    stack: Stack,
) -> None:
    instance = await stack.create("nrf")
    await fail_next_boot(stack)
    location = await instantiate_nrf(stack, instance["id"])
    failed = await stack.wait(location)
    assert failed["operationState"] == "FAILED_TEMP", failed
    assert "vnfc nrf-0" in failed["error"]["detail"]
    assert "retry" in failed["_links"] and "rollback" in failed["_links"]
    status, _, _ = await stack.lcm("POST", f"{location.removeprefix('/vnflcm/v2')}/retry")
    assert status == 202
    done = await stack.wait(location)
    assert done["operationState"] == "COMPLETED", done
    [server] = (await leftovers(stack, instance["id"]))["servers"]
    assert server["status"] == "ACTIVE"
    _, shown, _ = await stack.lcm("GET", f"/vnf_instances/{instance['id']}")
    [vnfc] = shown["instantiatedVnfInfo"]["vnfcResourceInfo"]
    assert vnfc["computeResource"]["resourceId"] == server["id"]


async def test_rollback_removes_what_the_instantiation_made(stack: Stack) -> None:
    instance = await stack.create("nrf")
    await fail_next_boot(stack)
    location = await instantiate_nrf(stack, instance["id"])
    assert (await stack.wait(location))["operationState"] == "FAILED_TEMP"
    assert (await leftovers(stack, instance["id"]))["ports"]
    status, _, _ = await stack.lcm("POST", f"{location.removeprefix('/vnflcm/v2')}/rollback")
    assert status == 202
    rolled = await stack.wait(location)
    assert rolled["operationState"] == "ROLLED_BACK", rolled
    assert await leftovers(stack, instance["id"]) == {"servers": [], "ports": []}
    _, shown, _ = await stack.lcm("GET", f"/vnf_instances/{instance['id']}")
    assert shown["instantiationState"] == "NOT_INSTANTIATED"


async def test_a_rejected_grant_rolls_back_with_the_nfvo_reason(stack: Stack) -> None:
    instance = await stack.create("nrf")
    stack.grants.reject = "quota of project red exhausted"
    location = await instantiate_nrf(stack, instance["id"])
    rejected = await stack.wait(location)
    assert rejected["operationState"] == "ROLLED_BACK", rejected
    assert "quota of project red exhausted" in rejected["error"]["detail"]
    assert await leftovers(stack, instance["id"]) == {"servers": [], "ports": []}
    stack.grants.reject = None
    # The instance is free again: the next instantiation goes through.
    assert (await stack.wait(await instantiate_nrf(stack, instance["id"])))[
        "operationState"
    ] == "COMPLETED"


async def test_an_undefined_day1_variable_is_422_before_anything_exists(stack: Stack) -> None:
    instance = await stack.create("nrf")
    nets = await networks(stack)
    status, problem, _ = await stack.lcm(
        "POST",
        f"/vnf_instances/{instance['id']}/instantiate",
        json={
            "flavourId": "default",
            "extVirtualLinks": ext_links({"virtual_link_sbi": "mgmt"}, nets),
            "additionalParams": {"mcc": "001"},
        },
    )
    assert status == 422, problem
    assert "VDU nrf" in problem["detail"] and "mnc" in problem["detail"]
    assert stack.grants.requests == []
    _, occurrences, _ = await stack.lcm("GET", "/vnf_lcm_op_occs")
    assert occurrences == []


async def test_one_operation_at_a_time(stack: Stack) -> None:
    instance = await stack.create("nrf")
    stack.grants.asynchronous = True  # holds the first in STARTING for a poll interval
    location = await instantiate_nrf(stack, instance["id"])
    status, problem, _ = await stack.lcm(
        "POST", f"/vnf_instances/{instance['id']}/terminate", json={"terminationType": "FORCEFUL"}
    )
    assert status == 409
    status, problem, _ = await stack.lcm(
        "POST", f"/vnf_instances/{instance['id']}/instantiate",
        json={"flavourId": "default", "additionalParams": DAY1,
              "extVirtualLinks": ext_links({"virtual_link_sbi": "mgmt"}, await networks(stack))},
    )  # fmt: skip
    assert status == 409
    assert location.rsplit("/", 1)[1] in problem["detail"]
    status, problem, _ = await stack.lcm("DELETE", f"/vnf_instances/{instance['id']}")
    assert status == 409
    assert (await stack.wait(location))["operationState"] == "COMPLETED"
    status, problem, _ = await stack.lcm("DELETE", f"/vnf_instances/{instance['id']}")
    assert status == 409 and "INSTANTIATED" in problem["detail"]


async def test_cancel_while_waiting_for_the_grant_rolls_back(stack: Stack) -> None:
    instance = await stack.create("nrf")
    stack.grants.asynchronous = True  # the occurrence stays STARTING for a poll interval
    location = await instantiate_nrf(stack, instance["id"])
    path = location.removeprefix("/vnflcm/v2")
    status, problem, _ = await stack.lcm("POST", f"{path}/cancel", json={"cancelMode": "FORCEFUL"})
    assert status == 202, problem
    cancelled = await stack.wait(location)
    assert cancelled["operationState"] == "ROLLED_BACK", cancelled
    status, problem, _ = await stack.lcm("POST", f"{path}/retry")
    assert status == 409 and "ROLLED_BACK" in problem["detail"]
    await asyncio.sleep(1.5)  # a cancelled job writes nothing more
    assert await leftovers(stack, instance["id"]) == {"servers": [], "ports": []}
    stack.grants.asynchronous = False
    again = await stack.wait(await instantiate_nrf(stack, instance["id"]))
    assert again["operationState"] == "COMPLETED", again
