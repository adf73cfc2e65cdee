"""Bulk seeding, and (deep) long create/delete churn on a large generated cloud."""

from __future__ import annotations

import random
from typing import Any

import pytest

from simulators.openstack.config import SimConfig
from simulators.openstack.inventory import INVENTORY_DIR
from simulators.openstack.simulator import Simulator
from tests.integration.simulators.conftest import (
    Http,
    boot,
    make_port,
    named,
    show,
    sim_view,
    token_for,
)


async def test_bulk_servers_are_listed_and_placed(sim: Simulator, admin_http: Http) -> None:
    status, body, _ = await admin_http.call(
        "POST",
        "/_sim/bulk/servers",
        {
            "count": 40,
            "flavor": "m1.small",
            "project": "admin",
            "network": "mgmt",
            "return_ids": True,
        },
    )
    assert status == 201 and body["created"] == 40
    _, listed, _ = await admin_http.call("GET", "/compute/v2.1/servers?limit=25")
    assert len(listed["servers"]) == 25 and "servers_links" in listed
    marker = listed["servers"][-1]["id"]
    _, rest, _ = await admin_http.call("GET", f"/compute/v2.1/servers?limit=25&marker={marker}")
    assert len(rest["servers"]) == 15 and "servers_links" not in rest
    view = await sim_view(admin_http, f"/servers/{body['ids'][0]}/placement")
    assert view["resources"]["VCPU"] == 1
    server = await show(admin_http, body["ids"][0])
    assert server["status"] == "ACTIVE" and "mgmt" in server["addresses"]


def _usage(sim: Simulator) -> dict[str, Any]:
    return {
        name: (
            h.vcpus_used,
            h.pcpus_used,
            h.ram_used_mb,
            h.disk_used_gb,
            [sorted(c.free_dedicated) for c in h.cells],
            [dict(c.pages_free) for c in h.cells],
            [sorted(n.used_vfs) for n in h.nics],
            len(h.servers),
        )
        for name, h in sim.cloud.hosts.items()
    }


@pytest.mark.deep
async def test_churn_gives_back_everything() -> None:
    config = SimConfig(time_scale=0.0, seed=3)
    async with Simulator(INVENTORY_DIR / "region.yaml", config=config, generate_hosts=200) as sim:
        http = Http(sim, await token_for(sim))
        before = _usage(sim)
        rng = random.Random(5)
        flavors = [
            named(sim, "flavors", n)
            for n in ("m1.small", "m1.medium", "cp.pinned.4", "up.pinned.8")
        ]
        alive: list[str] = []
        for index in range(600):
            if alive and rng.random() < 0.4:
                server_id = alive.pop(rng.randrange(len(alive)))
                await http.call("DELETE", f"/compute/v2.1/servers/{server_id}")
                continue
            ports = [await make_port(http, sim, "n3-sriov", "direct")] if rng.random() < 0.5 else []
            _, body = await boot(http, f"c{index}", rng.choice(flavors), ports=ports)
            server_id = body["server"]["id"]
            assert (await show(http, server_id))["status"] == "ACTIVE"
            alive.append(server_id)
        for server_id in alive:
            await http.call("DELETE", f"/compute/v2.1/servers/{server_id}")
        assert _usage(sim) == before
