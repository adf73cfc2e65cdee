"""Nova versioned notifications on the Redis streams, each checked against the schema."""

from __future__ import annotations

from simulators.openstack.config import SimConfig
from simulators.openstack.simulator import Simulator
from tests.integration.simulators.conftest import (
    LAB,
    Http,
    Streams,
    boot,
    make_flavor,
    named,
    token_for,
)


async def test_create_and_delete_notifications(
    sim: Simulator, admin_http: Http, streams: Streams
) -> None:
    _, body = await boot(
        admin_http, "amf", named(sim, "flavors", "m1.small"), network=named(sim, "networks", "mgmt")
    )
    server_id = body["server"]["id"]
    await admin_http.call("DELETE", f"/compute/v2.1/servers/{server_id}")
    assert await streams.events(server_id) == [
        "instance.create.start",
        "instance.update",
        "instance.create.end",
        "instance.update",
        "instance.delete.start",
        "instance.delete.end",
    ]
    notes = [
        n for n in await streams.nova() if n["payload"]["nova_object.data"].get("uuid") == server_id
    ]
    create_end = notes[2]
    assert create_end["publisher_id"].startswith("nova-compute:compute-")
    assert create_end["priority"] == "INFO"
    assert create_end["payload"]["nova_object.name"] == "InstanceCreatePayload"
    data = create_end["payload"]["nova_object.data"]
    assert data["state"] == "active" and data["power_state"] == "running"
    assert data["flavor"]["nova_object.name"] == "FlavorPayload"
    assert data["ip_addresses"][0]["nova_object.data"]["label"] == "mgmt"
    update = notes[1]["payload"]
    assert update["nova_object.name"] == "InstanceUpdatePayload"
    state = update["nova_object.data"]["state_update"]["nova_object.data"]
    assert (state["old_state"], state["state"]) == ("building", "active")
    assert notes[5]["payload"]["nova_object.name"] == "InstanceActionPayload"


async def test_no_valid_host_goes_to_the_error_stream(
    sim: Simulator, admin_http: Http, streams: Streams
) -> None:
    flavor = await make_flavor(admin_http, "huge", 1, 900_000)
    _, body = await boot(admin_http, "x", flavor)
    server_id = body["server"]["id"]
    errors = await streams.nova("error")
    assert [e["event_type"] for e in errors] == ["compute_task.build_instances.error"]
    reason = errors[0]["payload"]["nova_object.data"]["reason"]["nova_object.data"]
    assert reason["exception"] == "NoValidHost"
    events = await streams.events(server_id)
    assert "instance.create.start" not in events
    assert "instance.update" in events


async def test_without_redis_nothing_is_published() -> None:
    async with Simulator(LAB, config=SimConfig(time_scale=0.0)) as sim:
        http = Http(sim, await token_for(sim))
        status, _ = await boot(http, "x", named(sim, "flavors", "m1.small"))
        assert status == 202
        assert sim.lifecycle.publisher.recent
