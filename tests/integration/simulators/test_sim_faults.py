"""Injected faults, host failures as they really happen, and what each one publishes."""

from __future__ import annotations

import asyncio
import time

import aiohttp
import pytest

from simulators.openstack.config import Delay, SimConfig
from simulators.openstack.simulator import Simulator
from tests.integration.simulators.conftest import (
    LAB,
    LATEST,
    Http,
    Streams,
    boot,
    make_port,
    named,
    show,
    token_for,
)

MAX_RETRIES = "Exceeded maximum number of retries."


async def test_fail_next_creates(sim: Simulator, admin_http: Http, streams: Streams) -> None:
    await admin_http.call("POST", "/_sim/faults/creates", {"count": 2})
    flavor = named(sim, "flavors", "m1.small")
    statuses = []
    for index in range(3):
        _, body = await boot(admin_http, f"vm{index}", flavor)
        server = await show(admin_http, body["server"]["id"])
        statuses.append(server["status"])
        if server["status"] == "ERROR":
            assert server["fault"]["message"].startswith(MAX_RETRIES)
    assert statuses == ["ERROR", "ERROR", "ACTIVE"]
    errors = [e["event_type"] for e in await streams.nova("error")]
    assert errors == ["instance.create.error", "instance.create.error"]
    assert sim.cloud.hosts[server["OS-EXT-SRV-ATTR:host"]].servers == {server["id"]}


async def test_crash_and_stop_a_server(sim: Simulator, admin_http: Http, streams: Streams) -> None:
    flavor = named(sim, "flavors", "m1.small")
    _, crashed = await boot(admin_http, "c", flavor)
    _, stopped = await boot(admin_http, "s", flavor)
    crashed_id, stopped_id = crashed["server"]["id"], stopped["server"]["id"]
    assert (await admin_http.call("POST", f"/_sim/servers/{crashed_id}/crash"))[0] == 204
    assert (await admin_http.call("POST", f"/_sim/servers/{stopped_id}/stop"))[0] == 204
    assert (await show(admin_http, crashed_id))["status"] == "ERROR"
    assert (await show(admin_http, stopped_id))["status"] == "SHUTOFF"
    crash_events = await streams.events(crashed_id)
    assert crash_events[-1] == "instance.update"
    assert crash_events.count("instance.update") == 2
    assert (await streams.events(stopped_id))[-3:] == [
        "instance.power_off.start",
        "instance.update",
        "instance.power_off.end",
    ]


def _slow(redis_url: str, stream_prefix: str, service_down_time: float) -> Simulator:
    config = SimConfig(
        time_scale=0.01,
        service_down_time=service_down_time,
        host_monitor_delay=15,
        redis_url=redis_url,
        stream_prefix=stream_prefix,
    )
    return Simulator(LAB, config=config)


@pytest.fixture
async def slow_sim(redis_url: str, stream_prefix: str) -> Simulator:
    simulator = _slow(redis_url, stream_prefix, 30)
    await simulator.start()
    yield simulator  # type: ignore[misc]
    await simulator.stop()


@pytest.fixture
async def wide_sim(redis_url: str, stream_prefix: str) -> Simulator:
    """The monitor's report and the service reading down far enough apart (0.15 s and
    0.6 s) that a loaded machine cannot run the steps between them late."""
    simulator = _slow(redis_url, stream_prefix, 60)
    await simulator.start()
    yield simulator  # type: ignore[misc]
    await simulator.stop()


async def test_host_down_the_way_it_really_happens(wide_sim: Simulator, streams: Streams) -> None:
    sim = wide_sim  # service_down_time 0.6 s, host monitor 0.15 s
    http = Http(sim, await token_for(sim))
    _, body = await boot(http, "vm", named(sim, "flavors", "m1.small"), host="compute-05")
    server_id = body["server"]["id"]
    await asyncio.sleep(0.1)
    assert (await show(http, server_id))["status"] == "ACTIVE"
    before = len(await streams.events(server_id))
    await http.call("POST", "/_sim/hosts/compute-05/down")
    server = await show(http, server_id)
    assert (server["status"], server["host_status"]) == ("ACTIVE", "UP")
    await asyncio.sleep(0.2)
    hosts = await streams.hosts()
    assert [h["notification"]["payload"]["event"] for h in hosts] == ["STOPPED"]
    assert hosts[0]["notification"]["hostname"] == "compute-05"
    assert hosts[0]["notification"]["payload"]["cluster_status"] == "OFFLINE"
    assert (await show(http, server_id))["host_status"] == "UP"
    await asyncio.sleep(0.5)
    server = await show(http, server_id)
    assert (server["status"], server["host_status"]) == ("ACTIVE", "UNKNOWN")
    _, services, _ = await http.call("GET", "/compute/v2.1/os-services?host=compute-05")
    assert services["services"][0]["state"] == "down"
    assert len(await streams.events(server_id)) == before
    assert not [n for n in await streams.nova() if n["event_type"] == "service.update"]
    _, body = await boot(http, "x", named(sim, "flavors", "m1.small"), host="compute-05")
    assert (await show(http, body["server"]["id"]))["status"] == "ERROR"
    service_id = sim.cloud.hosts["compute-05"].service.id
    await http.call(
        "PUT",
        f"/compute/v2.1/os-services/{service_id}",
        {"forced_down": True},
        {"OpenStack-API-Version": "compute 2.53"},
    )
    assert (await show(http, server_id))["host_status"] == "DOWN"
    await http.call(
        "PUT",
        f"/compute/v2.1/os-services/{service_id}",
        {"forced_down": False, "status": "disabled"},
        {"OpenStack-API-Version": "compute 2.53"},
    )
    await http.call("POST", "/_sim/hosts/compute-05/up")
    assert (await show(http, server_id))["host_status"] == "MAINTENANCE"
    await http.call(
        "PUT",
        f"/compute/v2.1/os-services/{service_id}",
        {"status": "enabled"},
        {"OpenStack-API-Version": "compute 2.53"},
    )
    assert (await show(http, server_id))["host_status"] == "UP"
    events = [h["notification"]["payload"]["event"] for h in await streams.hosts()]
    assert events == ["STOPPED", "STARTED"]


async def test_host_back_before_the_monitor_notices(slow_sim: Simulator, streams: Streams) -> None:
    http = Http(slow_sim, await token_for(slow_sim))
    await http.call("POST", "/_sim/hosts/compute-01/down")
    await http.call("POST", "/_sim/hosts/compute-01/up")
    await asyncio.sleep(0.3)
    assert await streams.hosts() == []


async def test_service_error_rate_and_latency(sim: Simulator, admin_http: Http) -> None:
    await admin_http.call("PUT", "/_sim/faults/services/compute", {"error_rate": 1.0})
    status, body, _ = await admin_http.call("GET", "/compute/v2.1/servers")
    assert status == 500 and body["computeFault"]["code"] == 500
    assert (await admin_http.call("GET", "/network/v2.0/ports"))[0] == 200
    await admin_http.call("PUT", "/_sim/faults/services/network", {"latency_ms": 150})
    started = time.monotonic()
    assert (await admin_http.call("GET", "/network/v2.0/ports"))[0] == 200
    assert time.monotonic() - started >= 0.15
    await admin_http.call("DELETE", "/_sim/faults/services/compute")
    assert (await admin_http.call("GET", "/compute/v2.1/servers"))[0] == 200


async def test_dropped_connection_after_the_effect(sim: Simulator, admin_http: Http) -> None:
    await admin_http.call("PUT", "/_sim/faults/services/compute", {"drop_rate": 1.0})
    with pytest.raises(aiohttp.ClientError):
        await boot(admin_http, "lost-answer", named(sim, "flavors", "m1.small"))
    await admin_http.call("DELETE", "/_sim/faults/services/compute")
    _, body, _ = await admin_http.call("GET", "/compute/v2.1/servers?name=lost-answer")
    assert len(body["servers"]) == 1


async def test_build_on_a_dying_host_waits_for_it(redis_url: str, stream_prefix: str) -> None:
    config = SimConfig(
        boot_time=Delay("fixed", 0.2), redis_url=redis_url, stream_prefix=stream_prefix
    )
    async with Simulator(LAB, config=config) as sim:
        http = Http(sim, await token_for(sim))
        _, body = await boot(http, "vm", named(sim, "flavors", "m1.small"), host="compute-05")
        server_id = body["server"]["id"]
        await http.call("POST", "/_sim/hosts/compute-05/down")
        await asyncio.sleep(0.3)
        assert (await show(http, server_id))["status"] == "BUILD"
        await http.call("POST", "/_sim/hosts/compute-05/up")
        assert (await show(http, server_id))["status"] == "ACTIVE"


async def test_evacuate_after_the_service_reads_down(slow_sim: Simulator, streams: Streams) -> None:
    sim = slow_sim
    http = Http(sim, await token_for(sim))
    member = Http(sim, await token_for(sim, "operator-a", "operator-a-secret"))
    port = await make_port(http, sim, "mgmt")
    _, body = await boot(
        http, "vm", named(sim, "flavors", "m1.small"), ports=[port], host="compute-05"
    )
    server_id = body["server"]["id"]
    await asyncio.sleep(0.1)
    action = f"/compute/v2.1/servers/{server_id}/action"
    await http.call("POST", "/_sim/hosts/compute-05/down")
    status, body, _ = await http.call("POST", action, {"evacuate": {}}, LATEST)
    assert status == 400
    assert body["badRequest"]["message"] == "Compute service of compute-05 is still in use."
    await asyncio.sleep(0.35)
    status, _, _ = await member.call("POST", action, {"evacuate": {}}, LATEST)
    assert status in (403, 404)
    status, _, _ = await http.call(
        "POST", action, {"evacuate": {}}, {"OpenStack-API-Version": "compute 2.94"}
    )
    assert status == 200
    assert (await show(http, server_id))["status"] == "REBUILD"
    await asyncio.sleep(0.1)
    server = await show(http, server_id)
    assert server["status"] == "ACTIVE"
    assert server["OS-EXT-SRV-ATTR:host"] != "compute-05"
    assert server["host_status"] == "UP"
    assert not sim.cloud.hosts["compute-05"].servers
    assert sim.cloud.hosts["compute-05"].vcpus_used == 0
    _, port_view, _ = await http.call("GET", f"/network/v2.0/ports/{port}")
    assert port_view["port"]["binding:host_id"] == server["OS-EXT-SRV-ATTR:host"]
    assert port_view["port"]["status"] == "ACTIVE"
    assert "instance.evacuate" in await streams.events(server_id)
    _, actions, _ = await http.call("GET", f"/compute/v2.1/servers/{server_id}/os-instance-actions")
    assert actions["instanceActions"][0]["action"] == "evacuate"


async def test_evacuate_at_2_95_leaves_the_server_stopped(slow_sim: Simulator) -> None:
    http = Http(slow_sim, await token_for(slow_sim))
    _, body = await boot(http, "vm", named(slow_sim, "flavors", "m1.small"), host="compute-05")
    server_id = body["server"]["id"]
    await asyncio.sleep(0.1)
    service_id = slow_sim.cloud.hosts["compute-05"].service.id
    await http.call("POST", "/_sim/hosts/compute-05/down")
    await http.call("PUT", f"/compute/v2.1/os-services/{service_id}", {"forced_down": True}, LATEST)
    status, _, _ = await http.call(
        "POST",
        f"/compute/v2.1/servers/{server_id}/action",
        {"evacuate": {"host": "compute-03"}},
        LATEST,
    )
    assert status == 200
    await asyncio.sleep(0.1)
    server = await show(http, server_id)
    assert (server["status"], server["OS-EXT-SRV-ATTR:host"]) == ("SHUTOFF", "compute-03")


async def test_a_5xx_answer_has_no_effect(
    sim: Simulator, admin_http: Http, streams: Streams
) -> None:
    await admin_http.call("PUT", "/_sim/faults/services/compute", {"error_rate": 1.0})
    status, _ = await boot(admin_http, "never", named(sim, "flavors", "m1.small"))
    assert status == 500
    await admin_http.call("DELETE", "/_sim/faults/services/compute")
    assert not sim.cloud.servers
    assert await streams.events() == []
