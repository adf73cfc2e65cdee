"""Nova v2.1: microversions, flavors, servers, actions, groups, hypervisors, services."""

from __future__ import annotations

import aiohttp
import openstack.exceptions
import pytest

from simulators.openstack.simulator import Simulator
from tests.integration.simulators.conftest import (
    LATEST,
    Http,
    Streams,
    boot,
    connect,
    in_thread,
    named,
    show,
)


async def test_version_document_has_min_and_max(sim: Simulator) -> None:
    async with aiohttp.ClientSession() as http, http.get(f"{sim.url}/compute/v2.1/") as response:
        version = (await response.json())["version"]
    assert (version["min_version"], version["version"]) == ("2.1", "2.96")


async def test_microversion_negotiation(admin_http: Http) -> None:
    _, _, headers = await admin_http.call("GET", "/compute/v2.1/flavors")
    assert headers["OpenStack-API-Version"] == "compute 2.1"
    _, _, headers = await admin_http.call(
        "GET", "/compute/v2.1/flavors", headers={"X-OpenStack-Nova-API-Version": "2.60"}
    )
    assert headers["X-OpenStack-Nova-API-Version"] == "2.60"
    _, _, headers = await admin_http.call("GET", "/compute/v2.1/flavors", headers=LATEST)
    assert headers["OpenStack-API-Version"] == "compute 2.96"
    assert "OpenStack-API-Version" in headers["Vary"]


async def test_unsupported_microversion_is_406(admin_http: Http) -> None:
    status, body, _ = await admin_http.call(
        "GET", "/compute/v2.1/servers", headers={"OpenStack-API-Version": "compute 2.200"}
    )
    assert status == 406
    assert body["computeFault"]["message"] == (
        "Version 2.200 is not supported by the API. Minimum is 2.1 and maximum is 2.96."
    )
    status, _, _ = await admin_http.call(
        "GET", "/compute/v2.1/servers", headers={"OpenStack-API-Version": "compute two"}
    )
    assert status == 400


async def test_not_found_has_nova_body(admin_http: Http) -> None:
    status, body, _ = await admin_http.call("GET", "/compute/v2.1/servers/nope")
    assert status == 404
    assert body == {"itemNotFound": {"code": 404, "message": "Instance nope could not be found."}}


async def test_flavors_with_extra_specs_through_sdk(sim: Simulator) -> None:
    def work() -> tuple[dict[str, str], dict[str, str]]:
        conn = connect(sim.clouds_yaml_path)
        flavor = conn.compute.create_flavor(name="pinned", vcpus=4, ram=4096, disk=10)
        conn.compute.create_flavor_extra_specs(flavor, {"hw:cpu_policy": "dedicated"})
        specs = conn.compute.fetch_flavor_extra_specs(flavor).extra_specs
        shown = conn.compute.get_flavor(flavor.id).extra_specs
        return specs, shown

    specs, shown = await in_thread(work)
    assert specs == {"hw:cpu_policy": "dedicated"}
    assert shown == {"hw:cpu_policy": "dedicated"}


async def test_member_cannot_create_flavors(member_http: Http) -> None:
    status, body, _ = await member_http.call(
        "POST", "/compute/v2.1/flavors", {"flavor": {"name": "x", "vcpus": 1, "ram": 1}}
    )
    assert status == 403
    assert body["forbidden"]["code"] == 403


async def test_server_create_show_list_delete_with_sdk(sim: Simulator) -> None:
    def work() -> tuple[object, ...]:
        conn = connect(sim.clouds_yaml_path)
        network = conn.network.find_network("mgmt")
        server = conn.compute.create_server(
            name="amf-0",
            flavor_id=named(sim, "flavors", "m1.small"),
            image_id=named(sim, "images", "cirros"),
            networks=[{"uuid": network.id}],
            metadata={"vnf": "amf"},
            tags=["ns-1", "vdu-amf"],
        )
        server = conn.compute.wait_for_server(server, wait=10, interval=0.05)
        listed = [s.name for s in conn.compute.servers(tags="ns-1")]
        by_regex = [s.name for s in conn.compute.servers(name="^amf-[0-9]$")]
        ignored = [s.name for s in conn.compute.servers(no_such_filter="x")]
        conn.compute.delete_server(server)
        conn.compute.wait_for_delete(server, wait=10, interval=0.05)
        return server, listed, by_regex, ignored

    server, listed, by_regex, ignored = await in_thread(work)
    assert server.status == "ACTIVE"  # type: ignore[attr-defined]
    assert server.flavor.original_name == "m1.small"  # type: ignore[attr-defined]
    assert server.tags == ["ns-1", "vdu-amf"]  # type: ignore[attr-defined]
    assert server.metadata == {"vnf": "amf"}  # type: ignore[attr-defined]
    assert "mgmt" in server.addresses  # type: ignore[attr-defined]
    assert listed == by_regex == ignored == ["amf-0"]
    assert not sim.cloud.servers


async def test_show_fields_follow_microversion_and_role(
    sim: Simulator, admin_http: Http, member_http: Http
) -> None:
    flavor = named(sim, "flavors", "m1.small")
    status, body = await boot(member_http, "vm", flavor, network=named(sim, "networks", "mgmt"))
    assert status == 202
    server_id = body["server"]["id"]
    old = await show(member_http, server_id, "2.1")
    assert "host_status" not in old and "tags" not in old
    assert old["flavor"]["id"] == flavor
    member_view = await show(member_http, server_id)
    assert "host_status" not in member_view
    assert "OS-EXT-SRV-ATTR:host" not in member_view
    assert member_view["flavor"]["extra_specs"] == {}
    admin_view = await show(admin_http, server_id)
    assert admin_view["host_status"] == "UP"
    assert admin_view["OS-EXT-SRV-ATTR:host"]


async def test_tags_at_create_are_validated(sim: Simulator, admin_http: Http) -> None:
    flavor = named(sim, "flavors", "m1.small")
    status, _ = await boot(admin_http, "t", flavor, tags=[f"t{i}" for i in range(51)])
    assert status == 400
    status, _ = await boot(admin_http, "t", flavor, tags=["a/b"])
    assert status == 400
    status, _ = await boot(admin_http, "t", flavor, tags=["x" * 61])
    assert status == 400
    status, _ = await boot(admin_http, "t", flavor, tags=["ok"], version="2.51")
    assert status == 400
    status, _ = await boot(admin_http, "t", flavor, tags=["ok"])
    assert status == 202


async def test_list_filters(sim: Simulator, admin_http: Http, member_http: Http) -> None:
    flavor = named(sim, "flavors", "m1.small")
    await boot(admin_http, "upf-1", flavor, tags=["a", "b"])
    await boot(admin_http, "upf-2", flavor, tags=["b"])
    await boot(member_http, "smf-1", flavor)

    async def names(http: Http, query: str) -> list[str]:
        _, body, _ = await http.call("GET", f"/compute/v2.1/servers?{query}", headers=LATEST)
        return sorted(s["name"] for s in body["servers"])

    assert await names(admin_http, "tags=a,b") == ["upf-1"]
    assert await names(admin_http, "tags-any=a,b") == ["upf-1", "upf-2"]
    assert await names(admin_http, "name=upf-.") == ["upf-1", "upf-2"]
    assert await names(admin_http, "all_tenants=1") == ["smf-1", "upf-1", "upf-2"]
    assert await names(member_http, "all_tenants=1") == ["smf-1"]
    assert await names(admin_http, "changes-since=2999-01-01T00:00:00Z") == []
    assert await names(admin_http, "limit=1&sort_key=bogus") in (["upf-1"], ["upf-2"])
    _, body, _ = await admin_http.call("GET", "/compute/v2.1/servers?limit=1", headers=LATEST)
    assert "servers_links" in body


async def test_forced_host_is_admin_only_and_checked(
    sim: Simulator, member_http: Http, admin_http: Http
) -> None:
    flavor = named(sim, "flavors", "m1.small")
    status, body = await boot(member_http, "x", flavor, host="compute-01")
    assert status == 403
    status, body = await boot(admin_http, "x", flavor, host="compute-99")
    assert status == 400
    assert "compute-99" in body["badRequest"]["message"]
    status, body = await boot(admin_http, "x", flavor, host="compute-01", version="2.73")
    assert status == 400
    status, body = await boot(admin_http, "x", flavor, host="compute-03")
    server = await show(admin_http, body["server"]["id"])
    assert server["OS-EXT-SRV-ATTR:host"] == "compute-03"


async def test_actions_and_instance_actions(sim: Simulator, streams: Streams) -> None:
    def work() -> tuple[list[str], list[str]]:
        conn = connect(sim.clouds_yaml_path)
        server = conn.compute.create_server(
            name="vm",
            flavor_id=named(sim, "flavors", "m1.small"),
            image_id=named(sim, "images", "cirros"),
            networks="none",
        )
        states = []
        conn.compute.stop_server(server)
        states.append(conn.compute.get_server(server.id).status)
        conn.compute.start_server(server)
        states.append(conn.compute.get_server(server.id).status)
        conn.compute.reboot_server(server, "SOFT")
        states.append(conn.compute.get_server(server.id).status)
        conn.compute.rebuild_server(server, image=named(sim, "images", "cirros"))
        states.append(conn.compute.get_server(server.id).status)
        actions = [a.action for a in conn.compute.server_actions(server)]
        return states, actions

    states, actions = await in_thread(work)
    assert states == ["SHUTOFF", "ACTIVE", "ACTIVE", "ACTIVE"]
    assert actions == ["rebuild", "reboot", "start", "stop", "create"]
    events = await streams.events()
    for event in (
        "instance.power_off.start",
        "instance.power_off.end",
        "instance.power_on.end",
        "instance.reboot.start",
        "instance.reboot.end",
        "instance.rebuild.end",
    ):
        assert event in events


async def test_stop_of_stopped_server_is_409(sim: Simulator, admin_http: Http) -> None:
    _, body = await boot(admin_http, "vm", named(sim, "flavors", "m1.small"))
    server_id = body["server"]["id"]
    path = f"/compute/v2.1/servers/{server_id}/action"
    assert (await admin_http.call("POST", path, {"os-stop": None}))[0] == 202
    status, body, _ = await admin_http.call("POST", path, {"os-stop": None})
    assert status == 409
    assert "conflictingRequest" in body


async def test_server_groups_policy_and_rules(sim: Simulator) -> None:
    def work() -> tuple[object, list[str]]:
        conn = connect(sim.clouds_yaml_path)
        group = conn.compute.create_server_group(
            name="upf", policy="anti-affinity", rules={"max_server_per_host": 1}
        )
        hosts = []
        for index in range(3):
            server = conn.compute.create_server(
                name=f"upf-{index}",
                flavor_id=named(sim, "flavors", "m1.small"),
                image_id=named(sim, "images", "cirros"),
                networks="none",
                scheduler_hints={"group": group.id},
            )
            hosts.append(conn.compute.get_server(server.id).hypervisor_hostname)
        return conn.compute.get_server_group(group.id), hosts

    group, hosts = await in_thread(work)
    assert group.policy == "anti-affinity"  # type: ignore[attr-defined]
    assert group.rules == {"max_server_per_host": 1}  # type: ignore[attr-defined]
    assert len(group.member_ids) == 3  # type: ignore[attr-defined]
    assert len(set(hosts)) == 3


async def test_affinity_group_stays_on_one_host(sim: Simulator, admin_http: Http) -> None:
    _, body, _ = await admin_http.call(
        "POST",
        "/compute/v2.1/os-server-groups",
        {"server_group": {"name": "g", "policy": "affinity"}},
        LATEST,
    )
    group_id = body["server_group"]["id"]
    flavor = named(sim, "flavors", "m1.small")
    hosts = set()
    for index in range(3):
        _, created = await boot(admin_http, f"a{index}", flavor, hints={"group": group_id})
        hosts.add((await show(admin_http, created["server"]["id"]))["OS-EXT-SRV-ATTR:host"])
    assert len(hosts) == 1


async def test_hypervisors_drop_capacity_at_2_88(admin_http: Http, member_http: Http) -> None:
    _, old, _ = await admin_http.call(
        "GET",
        "/compute/v2.1/os-hypervisors/detail",
        headers={"OpenStack-API-Version": "compute 2.87"},
    )
    assert "vcpus" in old["hypervisors"][0] and "memory_mb" in old["hypervisors"][0]
    _, new, _ = await admin_http.call("GET", "/compute/v2.1/os-hypervisors/detail", headers=LATEST)
    first = new["hypervisors"][0]
    assert "vcpus" not in first and "memory_mb" not in first and "running_vms" not in first
    assert first["state"] == "up" and first["status"] == "enabled"
    status, _, _ = await member_http.call("GET", "/compute/v2.1/os-hypervisors")
    assert status == 403


async def test_availability_zones(sim: Simulator, member_http: Http) -> None:
    def work() -> list[str]:
        conn = connect(sim.clouds_yaml_path, "sim-member")
        return sorted(z.name for z in conn.compute.availability_zones())

    assert await in_thread(work) == ["az-1", "az-2"]
    status, _, _ = await member_http.call("GET", "/compute/v2.1/os-availability-zone/detail")
    assert status == 403


async def test_forced_down_by_service_id(sim: Simulator, streams: Streams) -> None:
    def work() -> tuple[bool, str]:
        conn = connect(sim.clouds_yaml_path)
        service = next(s for s in conn.compute.services() if s.host == "compute-05")
        conn.compute.update_service_forced_down(service, "compute-05", "nova-compute", True)
        again = next(s for s in conn.compute.services() if s.host == "compute-05")
        return again.is_forced_down, again.state

    forced, state = await in_thread(work)
    assert forced is True and state == "down"
    updates = [n for n in await streams.nova() if n["event_type"] == "service.update"]
    assert updates[-1]["payload"]["nova_object.data"]["forced_down"] is True
    assert updates[-1]["payload"]["nova_object.name"] == "ServiceStatusPayload"


async def test_member_sees_only_its_servers(
    sim: Simulator, admin_http: Http, member_http: Http
) -> None:
    _, body = await boot(admin_http, "admin-vm", named(sim, "flavors", "m1.small"))
    status, _, _ = await member_http.call("GET", f"/compute/v2.1/servers/{body['server']['id']}")
    assert status == 404


async def test_sdk_raises_not_found(sim: Simulator) -> None:
    def work() -> None:
        connect(sim.clouds_yaml_path).compute.get_server("missing")

    with pytest.raises(openstack.exceptions.NotFoundException):
        await in_thread(work)


async def test_changes_since_lists_deleted_servers(sim: Simulator, admin_http: Http) -> None:
    _, body = await boot(admin_http, "gone", named(sim, "flavors", "m1.small"))
    server_id = body["server"]["id"]
    await admin_http.call("DELETE", f"/compute/v2.1/servers/{server_id}")
    _, listed, _ = await admin_http.call("GET", "/compute/v2.1/servers/detail")
    assert listed["servers"] == []
    _, listed, _ = await admin_http.call(
        "GET", "/compute/v2.1/servers/detail?changes-since=2000-01-01T00:00:00Z"
    )
    assert [(s["id"], s["status"]) for s in listed["servers"]] == [(server_id, "DELETED")]
    status, _, _ = await admin_http.call("GET", f"/compute/v2.1/servers/{server_id}")
    assert status == 404


async def test_ip_filter_and_keypairs(sim: Simulator) -> None:
    def work() -> tuple[list[str], str, int]:
        conn = connect(sim.clouds_yaml_path, "sim-member")
        keypair = conn.compute.create_keypair(name="ops")
        server = conn.compute.create_server(
            name="k",
            flavor_id=named(sim, "flavors", "m1.small"),
            image_id=named(sim, "images", "cirros"),
            networks=[{"uuid": named(sim, "networks", "mgmt")}],
            key_name="ops",
        )
        address = conn.compute.get_server(server.id).addresses["mgmt"][0]["addr"]
        found = [s.name for s in conn.compute.servers(ip=address.replace(".", r"\.") + "$")]
        try:
            conn.compute.create_server(
                name="bad",
                flavor_id=named(sim, "flavors", "m1.small"),
                image_id=named(sim, "images", "cirros"),
                networks="none",
                key_name="nope",
            )
        except openstack.exceptions.BadRequestException as exc:
            return found, keypair.fingerprint, exc.status_code
        return found, keypair.fingerprint, 0

    found, fingerprint, status = await in_thread(work)
    assert found == ["k"]
    assert fingerprint.count(":") == 15
    assert status == 400


async def test_sdk_cloud_layer_create_wait_delete_and_limits(sim: Simulator) -> None:
    def work() -> tuple[str, str, int, object]:
        conn = connect(sim.clouds_yaml_path, "sim-member")
        server = conn.create_server(
            "cl",
            image="cirros",
            flavor="m1.small",
            network="mgmt",
            wait=True,
            timeout=10,
            auto_ip=False,
        )
        used = conn.get_compute_limits().total_cores_used
        conn.delete_server("cl", wait=True, timeout=10)
        return server.status, server.private_v4, used, conn.get_server("cl")

    status, address, used, gone = await in_thread(work)
    assert (status, used, gone) == ("ACTIVE", 1, None)
    assert address.startswith("192.0.2.")
