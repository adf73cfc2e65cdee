"""Instantiate and terminate on the simulated OpenStack, through /vnflcm/v2 only."""

from __future__ import annotations

from typing import Any

import aiohttp

from tests.e2e.vnfm.conftest import Stack, ext_links

DAY1 = {"nrf_address": "192.0.2.9", "mcc": "001", "mnc": "01", "sst": 1, "sd": "000001"}


async def networks(stack: Stack) -> dict[str, str]:
    return {
        name: (await stack.vim.network.network(name)).id
        for name in ("mgmt", "n3-sriov", "n6-sriov")
    }


async def user_data(stack: Stack, server_id: str) -> str:
    url = f"{stack.sim.url}/_sim/metadata/{server_id}/openstack/latest/user_data"
    async with aiohttp.ClientSession() as http, http.get(url) as response:
        assert response.status == 200
        return await response.text()


async def leftovers(stack: Stack, instance_id: str) -> dict[str, list[Any]]:
    tags = f"nfvo,nfvo-vnf:{instance_id}"
    servers = await stack.vim.compute.request("GET", "/servers/detail", "t", params={"tags": tags})
    ports = await stack.vim.network.request("GET", "/ports", "t", params={"tags": tags})
    return {"servers": servers["servers"], "ports": ports["ports"]}


async def test_nrf_instantiates_with_day1_and_terminates_leaving_nothing(stack: Stack) -> None:
    nets = await networks(stack)
    instance = await stack.create("nrf", vnfInstanceName="nrf-1")
    assert instance["instantiationState"] == "NOT_INSTANTIATED"
    location = await stack.task(
        instance["id"],
        "instantiate",
        {
            "flavourId": "default",
            "extVirtualLinks": ext_links({"virtual_link_sbi": "mgmt"}, nets),
            "additionalParams": DAY1,
        },
    )
    occurrence = await stack.wait(location)
    assert occurrence["operationState"] == "COMPLETED", occurrence
    status, shown, _ = await stack.lcm("GET", f"/vnf_instances/{instance['id']}")
    assert status == 200
    info = shown["instantiatedVnfInfo"]
    assert shown["instantiationState"] == "INSTANTIATED"
    [vnfc] = info["vnfcResourceInfo"]
    server = await stack.vim.compute.server(vnfc["computeResource"]["resourceId"])
    assert server.status == "ACTIVE"
    [port_address] = [ip for ip in server.addresses["mgmt"]]
    rendered = await user_data(stack, server.id)
    assert f'nrf_uri: "http://{port_address["addr"]}:8000"' in rendered  # itself
    assert f'sbi: "{port_address["addr"]}"' in rendered
    grant = stack.grants.requests[0]
    assert [r["id"] for r in grant["addResources"]] == ["nrf-0"]

    location = await stack.task(instance["id"], "terminate", {"terminationType": "FORCEFUL"})
    occurrence = await stack.wait(location)
    assert occurrence["operationState"] == "COMPLETED", occurrence
    assert await leftovers(stack, instance["id"]) == {"servers": [], "ports": []}
    status, shown, _ = await stack.lcm("GET", f"/vnf_instances/{instance['id']}")
    assert shown["instantiationState"] == "NOT_INSTANTIATED"
    status, _, _ = await stack.lcm("DELETE", f"/vnf_instances/{instance['id']}")
    assert status == 204
