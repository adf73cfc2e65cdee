"""Day 2 on the simulated OpenStack: scale out and in, operate stop and start, heal after
a guest crash (rebuilt in place) and after its host went down (recreated elsewhere,
keeping its ports' addresses)."""

from __future__ import annotations

from typing import Any

import aiohttp

from tests.e2e.vnfm.conftest import Stack, ext_links
from tests.e2e.vnfm.test_failures import instantiate_nrf
from tests.e2e.vnfm.test_instantiate_terminate import DAY1, leftovers, networks
from tests.e2e.vnfm.test_upf import UPF_CPS


async def sim(stack: Stack, path: str) -> None:
    async with aiohttp.ClientSession() as http, http.post(f"{stack.sim.url}/_sim{path}") as r:
        assert r.status in (200, 204), await r.text()


async def vnfcs(stack: Stack, instance_id: str) -> dict[str, dict[str, Any]]:
    _, shown, _ = await stack.lcm("GET", f"/vnf_instances/{instance_id}")
    return {v["id"]: v for v in shown["instantiatedVnfInfo"]["vnfcResourceInfo"]}


async def completed(
    stack: Stack, instance_id: str, task: str, body: dict[str, Any]
) -> dict[str, Any]:
    occurrence = await stack.wait(await stack.task(instance_id, task, body))
    assert occurrence["operationState"] == "COMPLETED", occurrence
    return occurrence


async def test_upf_scales_out_and_in_within_its_aspect(stack: Stack) -> None:
    instance = await stack.create("upf")
    body = {"flavourId": "default", "extVirtualLinks": ext_links(UPF_CPS, await networks(stack)),
            "additionalParams": DAY1}  # fmt: skip
    await completed(stack, instance["id"], "instantiate", body)
    out = await completed(
        stack, instance["id"], "scale", {"type": "SCALE_OUT", "aspectId": "upf_scale"}
    )
    assert [c["id"] for c in out["resourceChanges"]["affectedVnfcs"]] == ["upf-1"]
    found = await vnfcs(stack, instance["id"])
    assert sorted(found) == ["upf-0", "upf-1"]
    hosts = {(await stack.vim.compute.server(v["computeResource"]["resourceId"])).host
             for v in found.values()}  # fmt: skip
    assert len(hosts) == 2
    _, shown, _ = await stack.lcm("GET", f"/vnf_instances/{instance['id']}")
    assert shown["instantiatedVnfInfo"]["scaleStatus"] == [
        {"aspectId": "upf_scale", "scaleLevel": 1}
    ]
    status, problem, _ = await stack.lcm(
        "POST", f"/vnf_instances/{instance['id']}/scale",
        json={"type": "SCALE_OUT", "aspectId": "upf_scale", "numberOfSteps": 3},
    )  # fmt: skip
    assert status == 422 and "outside 0..3" in problem["detail"]
    inward = await completed(
        stack, instance["id"], "scale", {"type": "SCALE_IN", "aspectId": "upf_scale"}
    )
    assert inward["resourceChanges"]["affectedVnfcs"][0]["changeType"] == "REMOVED"
    assert sorted(await vnfcs(stack, instance["id"])) == ["upf-0"]
    left = await leftovers(stack, instance["id"])
    assert len(left["servers"]) == 1 and len(left["ports"]) == 4


async def test_operate_stops_and_starts_and_heal_recovers(stack: Stack) -> None:
    instance = await stack.create("nrf")
    assert (await stack.wait(await instantiate_nrf(stack, instance["id"])))[
        "operationState"
    ] == "COMPLETED"
    [vnfc] = (await vnfcs(stack, instance["id"])).values()
    server_id = vnfc["computeResource"]["resourceId"]
    stop = {"changeStateTo": "STOPPED", "stopType": "GRACEFUL", "gracefulStopTimeout": 5}
    await completed(stack, instance["id"], "operate", stop)
    assert (await stack.vim.compute.server(server_id)).status == "SHUTOFF"
    _, shown, _ = await stack.lcm("GET", f"/vnf_instances/{instance['id']}")
    assert shown["instantiatedVnfInfo"]["vnfState"] == "STOPPED"
    await completed(stack, instance["id"], "operate", {"changeStateTo": "STARTED"})
    assert (await stack.vim.compute.server(server_id)).status == "ACTIVE"

    # The guest crashes: the server is in ERROR, so heal recreates it.
    await sim(stack, f"/servers/{server_id}/crash")
    await completed(stack, instance["id"], "heal", {"vnfcInstanceId": ["nrf-0"]})
    [healed] = (await vnfcs(stack, instance["id"])).values()
    assert (
        await stack.vim.compute.server(healed["computeResource"]["resourceId"])
    ).status == "ACTIVE"

    # Its host goes down: recreated on another host the new grant names, same address.
    server = await stack.vim.compute.server(healed["computeResource"]["resourceId"])
    address = server.addresses["mgmt"][0]["addr"]
    await sim(stack, f"/hosts/{server.host}/down")
    stack.grants.placer.graph.unavailable.add(str(server.host))  # what the NFVO's live graph knows
    await completed(stack, instance["id"], "heal", {})
    [moved] = (await vnfcs(stack, instance["id"])).values()
    again = await stack.vim.compute.server(moved["computeResource"]["resourceId"])
    assert again.status == "ACTIVE" and again.host != server.host
    assert again.addresses["mgmt"][0]["addr"] == address
    assert len((await leftovers(stack, instance["id"]))["servers"]) == 1
