"""The 5G core deployed end to end on the simulated lab through the NS lifecycle API,
its VNFs driven over SOL003 on a third-party VNFM that asks our Grant API."""

from __future__ import annotations

from typing import Any

import pytest

from nfvo.store.events import EventStream, read_all
from nfvo.vim.facade import Vim
from tests.integration.lcm.fivegc import FiveGc

pytestmark = pytest.mark.timeout(600)


async def servers(vim: Vim) -> list[dict[str, Any]]:
    body = await vim.compute.request("GET", "/servers/detail", "list", params={"all_tenants": "1"})
    return list(body.get("servers", []))


async def test_the_5g_core_instantiates_with_only_a_flavour_and_terminates_to_nothing(
    core: FiveGc,
) -> None:
    vim = await core.nfvo.runtime.platform.vims.open_vim("lab")
    networks_before = {
        n["id"] for n in (await vim.network.request("GET", "/networks", "list"))["networks"]
    }
    ns = await core.create_ns()
    location = await core.task(ns["id"], "instantiate", {"nsFlavourId": "default"})
    done = await core.settle(location, within=300)
    assert done["operationState"] == "COMPLETED", done.get("error")
    instance = await core.ns(ns["id"])
    assert instance["nsState"] == "INSTANTIATED"
    # The NFVO followed the VNF operations through the VNFM's notifications.
    (subscription,) = core.vnfm.subscriptions.values()
    assert subscription["callbackUri"].endswith("/callbacks/v1/vnflcm/mini")
    notified = await read_all(core.nfvo.runtime.redis, core.nfvo.runtime.keyspace, EventStream.LCM)
    assert any(e.type == "vnf.lcm.notified" for e in notified)
    assert len(instance["vnfInstance"]) == 9
    assert {v["vnfProfileId"] for v in instance["vnfInstance"]} == {
        "nrf",
        "amf",
        "smf",
        "upf",
        "ausf",
        "udm",
        "udr",
        "pcf",
        "nssf",
    }
    running = await servers(vim)
    assert len(running) == 9 and all(s["status"] == "ACTIVE" for s in running)
    grants = await core.nfvo.runtime.granting.records.where("state", "GRANTED")
    granted = {
        (g.vnf_instance_id, r): hint["host"]
        for g in grants
        for r, hint in g.grant["additionalParams"]["placement"].items()
    }
    assert len(granted) == 9
    for server in running:
        assert server["OS-EXT-SRV-ATTR:host"] in set(granted.values())
    upf = next(v for v in instance["vnfInstance"] if v["vnfProfileId"] == "upf")
    ports = (await vim.network.request("GET", "/ports", "list"))["ports"]
    upf_ports = [p for p in ports if any(t == f"nfvo-vnf:{upf['id']}" for t in p.get("tags", []))]
    vnics = {p["binding:vnic_type"] for p in upf_ports}
    assert vnics == {"normal", "direct"}
    sriov_networks = {p["network_id"] for p in upf_ports if p["binding:vnic_type"] == "direct"}
    named = {
        n["id"]: n["name"]
        for n in (await vim.network.request("GET", "/networks", "list"))["networks"]
    }
    assert {named[n] for n in sriov_networks} == {"n3-sriov", "n6-sriov"}

    location = await core.task(ns["id"], "terminate", {})
    done = await core.settle(location, within=300)
    assert done["operationState"] == "COMPLETED", done.get("error")
    assert (await core.ns(ns["id"]))["nsState"] == "NOT_INSTANTIATED"
    assert await servers(vim) == []
    ports = (await vim.network.request("GET", "/ports", "list"))["ports"]
    assert [p for p in ports if any(t.startswith("nfvo") for t in p.get("tags", []))] == []
    networks_after = {
        n["id"] for n in (await vim.network.request("GET", "/networks", "list"))["networks"]
    }
    assert networks_after == networks_before
    reservations = core.nfvo.runtime.sites.reservations("lab")
    assert {r.state.value for r in await reservations.active()} <= {"COMMITTED"}
    await core.call("DELETE", f"/nslcm/v2/ns_instances/{ns['id']}", status=204)
