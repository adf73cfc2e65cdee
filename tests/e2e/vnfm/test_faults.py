"""A flaky cloud: 10 % of compute and network calls answer 5xx or drop the connection
(after the effect, for some), and one boot fails. Operations complete, or end
FAILED_TEMP with the cause and complete on retry; never a second server or port."""

from __future__ import annotations

from typing import Any

import aiohttp

from tests.e2e.vnfm.conftest import Stack, ext_links
from tests.e2e.vnfm.test_failures import fail_next_boot
from tests.e2e.vnfm.test_instantiate_terminate import DAY1, leftovers, networks
from tests.e2e.vnfm.test_upf import UPF_CPS

FLAKY = {"error_rate": 0.1, "drop_rate": 0.1, "latency_ms": 5}


async def flaky(stack: Stack, on: bool) -> None:
    async with aiohttp.ClientSession() as http:
        for service in ("compute", "network"):
            url = f"{stack.sim.url}/_sim/faults/services/{service}"
            async with http.request("PUT" if on else "DELETE", url, json=FLAKY) as response:
                assert response.status == 200


async def complete(stack: Stack, location: str) -> dict[str, Any]:
    """Wait; retry a FAILED_TEMP (whose error must say why) until it completes."""
    for _ in range(4):
        occurrence = await stack.wait(location, within=120)
        if occurrence["operationState"] != "FAILED_TEMP":
            break
        assert occurrence["error"]["detail"], occurrence
        status, _, _ = await stack.lcm("POST", f"{location.removeprefix('/vnflcm/v2')}/retry")
        assert status == 202
    assert occurrence["operationState"] == "COMPLETED", occurrence
    return occurrence


async def test_a_flaky_cloud_never_gets_a_duplicate(stack: Stack) -> None:
    nets = await networks(stack)
    instance = await stack.create("upf")
    await flaky(stack, on=True)
    await fail_next_boot(stack)
    body = {"flavourId": "default", "instantiationLevelId": "site",
            "extVirtualLinks": ext_links(UPF_CPS, nets), "additionalParams": DAY1}  # fmt: skip
    await complete(stack, await stack.task(instance["id"], "instantiate", body))
    await flaky(stack, on=False)
    left = await leftovers(stack, instance["id"])
    assert len(left["servers"]) == 2 and len(left["ports"]) == 8
    assert len({s["name"] for s in left["servers"]}) == 2
    assert {s["status"] for s in left["servers"]} == {"ACTIVE"}
    await flaky(stack, on=True)
    terminate = {"terminationType": "FORCEFUL"}
    await complete(stack, await stack.task(instance["id"], "terminate", terminate))
    await flaky(stack, on=False)
    assert await leftovers(stack, instance["id"]) == {"servers": [], "ports": []}
