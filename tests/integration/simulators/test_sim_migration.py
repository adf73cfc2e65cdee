"""Cold migration and resize through the real openstacksdk, as Nova does them: the
server in VERIFY_RESIZE on another host, the migration recorded, Placement holding the
source for the migration and the destination for the server, confirm and revert, the
notifications, and the refusals (quota, same flavor, policy, no valid host)."""

from __future__ import annotations

from typing import Any

import openstack
import pytest

from simulators.openstack.simulator import Simulator
from tests.integration.simulators.conftest import (
    Http,
    Streams,
    boot,
    connect,
    in_thread,
    make_flavor,
    named,
    show,
)

PLACEMENT = {"OpenStack-API-Version": "placement 1.39"}


async def allocations(http: Http, consumer: str) -> dict[str, Any]:
    status, body, _ = await http.call("GET", f"/placement/allocations/{consumer}", None, PLACEMENT)
    assert status == 200, body
    return {rp: a["resources"] for rp, a in body["allocations"].items()}


async def _server_on(sim: Simulator, http: Http, host: str, flavor: str = "m1.small") -> str:
    status, body = await boot(
        http,
        "mover",
        named(sim, "flavors", flavor),
        network=named(sim, "networks", "mgmt"),
        host=host,
    )
    assert status == 202, body
    server_id: str = body["server"]["id"]
    assert (await show(http, server_id))["status"] == "ACTIVE"
    return server_id


async def test_resize_holds_both_hosts_until_confirmed(
    sim: Simulator, admin_http: Http, streams: Streams
) -> None:
    server_id = await _server_on(sim, admin_http, "compute-05")
    source = sim.cloud.hosts["compute-05"]
    generation = source.generation
    medium = named(sim, "flavors", "m1.medium")

    def resize() -> tuple[Any, Any]:
        conn = connect(sim.clouds_yaml_path)
        conn.compute.resize_server(server_id, medium)
        server = conn.compute.wait_for_server(
            conn.compute.get_server(server_id), status="VERIFY_RESIZE", wait=5, interval=0.05
        )
        return server, list(conn.compute.migrations(instance_uuid=server_id))

    server, migrations = await in_thread(resize)
    assert server.flavor.original_name == "m1.medium"
    assert server.compute_host != "compute-05"
    [migration] = migrations
    assert (migration.status, migration.migration_type) == ("finished", "resize")
    assert (migration.source_compute, migration.dest_compute) == ("compute-05", server.compute_host)
    dest = sim.cloud.hosts[server.compute_host]

    # Placement: the migration holds the source, the server the destination.
    assert await allocations(admin_http, migration.uuid) == {
        source.provider_id: {"VCPU": 1, "MEMORY_MB": 2048, "DISK_GB": 20}
    }
    assert await allocations(admin_http, server_id) == {
        dest.provider_id: {"VCPU": 2, "MEMORY_MB": 4096, "DISK_GB": 40}
    }
    assert source.generation > generation

    await in_thread(lambda: connect(sim.clouds_yaml_path).compute.confirm_server_resize(server_id))
    assert (await show(admin_http, server_id))["status"] == "ACTIVE"
    assert await allocations(admin_http, migration.uuid) == {}
    assert (source.vcpus_used, source.ram_used_mb) == (0, 0)
    done = await in_thread(
        lambda: next(connect(sim.clouds_yaml_path).compute.migrations(instance_uuid=server_id))
    )
    assert done.status == "confirmed"
    events = await streams.events(server_id)
    resize_events = [e for e in events if e.startswith("instance.resize")]
    assert resize_events == [
        "instance.resize_prep.start",
        "instance.resize_prep.end",
        "instance.resize.start",
        "instance.resize.end",
        "instance.resize_finish.start",
        "instance.resize_finish.end",
        "instance.resize_confirm.start",
        "instance.resize_confirm.end",
    ]


async def test_revert_goes_back_with_the_old_flavor(sim: Simulator, admin_http: Http) -> None:
    server_id = await _server_on(sim, admin_http, "compute-05")
    source = sim.cloud.hosts["compute-05"]
    before = await allocations(admin_http, server_id)
    status, body, _ = await admin_http.call(
        "POST",
        f"/compute/v2.1/servers/{server_id}/action",
        {"resize": {"flavorRef": named(sim, "flavors", "m1.medium")}},
    )
    assert status == 202, body
    assert (await show(admin_http, server_id))["status"] == "VERIFY_RESIZE"
    status, body, _ = await admin_http.call(
        "POST", f"/compute/v2.1/servers/{server_id}/action", {"revertResize": None}
    )
    assert status == 202, body
    server = await show(admin_http, server_id)
    assert (server["status"], server["OS-EXT-SRV-ATTR:host"]) == ("ACTIVE", "compute-05")
    assert server["flavor"]["original_name"] == "m1.small"
    assert await allocations(admin_http, server_id) == before
    assert source.vcpus_used == 1
    assert sum(h.vcpus_used for h in sim.cloud.hosts.values()) == 1
    _, migrations, _ = await admin_http.call(
        "GET", f"/compute/v2.1/os-migrations?instance_uuid={server_id}"
    )
    assert migrations["migrations"][0]["status"] == "reverted"


async def test_cold_migration_to_a_named_host_and_delete_while_unconfirmed(
    sim: Simulator, admin_http: Http
) -> None:
    server_id = await _server_on(sim, admin_http, "compute-05")
    status, body, _ = await admin_http.call(
        "POST",
        f"/compute/v2.1/servers/{server_id}/action",
        {"migrate": {"host": "compute-04"}},
        {"OpenStack-API-Version": "compute 2.56"},
    )
    assert status == 202, body
    server = await show(admin_http, server_id)
    assert (server["status"], server["OS-EXT-SRV-ATTR:host"]) == ("VERIFY_RESIZE", "compute-04")
    assert server["flavor"]["original_name"] == "m1.small"
    await admin_http.call("DELETE", f"/compute/v2.1/servers/{server_id}")
    for host in sim.cloud.hosts.values():  # both the source's and the destination's claims
        assert (host.vcpus_used, host.ram_used_mb, host.held) == (0, 0, {})


async def test_refusals(sim: Simulator, admin_http: Http, member_http: Http) -> None:
    server_id = await _server_on(sim, admin_http, "compute-05")
    action = f"/compute/v2.1/servers/{server_id}/action"
    small = named(sim, "flavors", "m1.small")
    status, body, _ = await admin_http.call("POST", action, {"resize": {"flavorRef": small}})
    assert (status, body["badRequest"]["message"]) == (
        400,
        "When resizing, instances must change flavor!",
    )
    tiny = await make_flavor(admin_http, "tiny-disk", 1, 2048, disk=1)
    status, body, _ = await admin_http.call("POST", action, {"resize": {"flavorRef": tiny}})
    assert status == 400
    assert "Unable to resize disk down" in body["badRequest"]["message"]
    status, body, _ = await admin_http.call("POST", action, {"confirmResize": None})
    assert status == 409
    assert "while it is in vm_state active" in body["conflictingRequest"]["message"]
    status, body, _ = await admin_http.call(
        "POST",
        action,
        {"migrate": {"host": "compute-05"}},
        {"OpenStack-API-Version": "compute 2.56"},
    )
    assert status == 400
    # Quota: the resize's extra cores are counted.
    project = sim.cloud.project_by_name("admin")
    assert project is not None
    status, body, _ = await admin_http.call(
        "PUT", f"/compute/v2.1/os-quota-sets/{project.id}", {"quota_set": {"cores": 1}}
    )
    assert status == 200, body
    medium = named(sim, "flavors", "m1.medium")
    status, body, _ = await admin_http.call("POST", action, {"resize": {"flavorRef": medium}})
    assert (status, body["forbidden"]["message"]) == (
        403,
        "Quota exceeded for cores: Requested 1, but already used 1 of 1 cores",
    )
    # A member may resize its own servers, never cold-migrate.
    status, body = await boot(member_http, "own", small, network=named(sim, "networks", "mgmt"))
    own = body["server"]["id"]
    status, body, _ = await member_http.call(
        "POST", f"/compute/v2.1/servers/{own}/action", {"migrate": None}
    )
    assert status == 403


async def test_no_valid_host_leaves_the_server_where_it_was(
    sim: Simulator, admin_http: Http, streams: Streams
) -> None:
    for host in ("compute-01", "compute-02", "compute-03", "compute-04"):
        status, _, _ = await admin_http.call(
            "PUT",
            f"/compute/v2.1/os-services/{sim.cloud.hosts[host].service.id}",
            {"status": "disabled", "disabled_reason": "maintenance"},
            {"OpenStack-API-Version": "compute 2.53"},
        )
        assert status == 200
    server_id = await _server_on(sim, admin_http, "compute-05")
    status, body, _ = await admin_http.call(
        "POST", f"/compute/v2.1/servers/{server_id}/action", {"migrate": None}
    )
    assert status == 202, body
    server = await show(admin_http, server_id)
    assert (server["status"], server["OS-EXT-SRV-ATTR:host"]) == ("ACTIVE", "compute-05")
    _, migrations, _ = await admin_http.call("GET", "/compute/v2.1/os-migrations")
    assert migrations["migrations"][0]["status"] == "error"
    assert "compute_task.migrate_server.error" in await streams.events(server_id)


async def test_the_sdk_sees_a_migration_to_an_unknown_host_refused(sim: Simulator) -> None:
    def work() -> None:
        conn = connect(sim.clouds_yaml_path)
        server = conn.compute.create_server(
            name="m",
            flavor_id=named(sim, "flavors", "m1.small"),
            image_id=named(sim, "images", "cirros"),
            networks="none",
        )
        with pytest.raises(openstack.exceptions.BadRequestException, match="could not be found"):
            conn.compute.migrate_server(server, host="compute-99")

    await in_thread(work)
