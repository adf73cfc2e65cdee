"""Flaky clouds: 5xx answers and connections dropped after the effect. Every resource
still exists exactly once."""

from __future__ import annotations

import logging

import aiohttp
import pytest

from nfvo.vim.compute import FlavorSpec, ServerRequest
from nfvo.vim.facade import Vim
from nfvo.vim.network import PortRequest
from nfvo.vim.tags import ResourceIdentity
from simulators.openstack.simulator import Simulator

VNF = "9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d"


async def set_faults(sim: Simulator, service: str, **rates: float) -> None:
    async with (
        aiohttp.ClientSession() as http,
        http.put(f"{sim.url}/_sim/faults/services/{service}", json=rates) as response,
    ):
        assert response.status in (200, 204), await response.text()


async def test_flaky_cloud_still_gives_each_resource_once(
    vim: Vim, sim: Simulator, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="nfvo.vim.session")
    image_id = (await vim.storage.image_named("cirros")).id
    flavor = await vim.compute.ensure_flavor(FlavorSpec(1, 1024, 5))
    mgmt = await vim.network.network("mgmt")
    for service in ("compute", "network"):
        await set_faults(sim, service, error_rate=0.1, drop_rate=0.2)

    servers = []
    for index in range(8):
        port = await vim.network.create_port(
            PortRequest(ResourceIdentity(VNF, "vdu_cp", index), mgmt.id)
        )
        server = await vim.compute.create_server(
            ServerRequest(ResourceIdentity(VNF, "vdu", index), image_id, flavor.id, [port.id])
        )
        servers.append(server.id)

    for service in ("compute", "network"):
        await set_faults(sim, service, error_rate=0.0, drop_rate=0.0)
    ports = await vim.session.request(
        "network", "GET", "/ports", call="list", params={"tags": f"nfvo-vnf:{VNF}"}
    )
    listed = await vim.compute.request(
        "GET", "/servers/detail", "list", params={"tags": f"nfvo-vnf:{VNF}"}
    )
    assert len(ports["ports"]) == 8
    assert sorted(s["id"] for s in listed["servers"]) == sorted(servers)
    assert len({s["name"] for s in listed["servers"]}) == 8
    retries = [r.getMessage() for r in caplog.records if r.getMessage().startswith("retrying")]
    assert retries, "the faults never fired: the test proved nothing"
