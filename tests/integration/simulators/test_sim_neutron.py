"""Neutron v2.0: networks, subnets, ports, bindings, port security, tags, groups."""

from __future__ import annotations

import asyncio

import aiohttp
import openstack.exceptions
import pytest

from simulators.openstack.config import Delay, SimConfig
from simulators.openstack.simulator import Simulator
from tests.integration.simulators.conftest import (
    LAB,
    Http,
    boot,
    connect,
    in_thread,
    make_port,
    named,
    show,
    token_for,
)


async def test_versions_and_extensions(sim: Simulator, member_http: Http) -> None:
    async with aiohttp.ClientSession() as http, http.get(f"{sim.url}/network/") as response:
        assert (await response.json())["versions"][0]["id"] == "v2.0"
    _, body, _ = await member_http.call("GET", "/network/v2.0/extensions")
    aliases = {e["alias"] for e in body["extensions"]}
    assert {"tag-creation", "standard-attr-tag", "binding", "port-security"} <= aliases


async def test_member_networks_and_provider_attributes(sim: Simulator) -> None:
    def work() -> tuple[object, object, object]:
        conn = connect(sim.clouds_yaml_path, "sim-member")
        network = conn.network.create_network(name="private")
        subnet = conn.network.create_subnet(
            network_id=network.id, cidr="10.9.0.0/24", ip_version=4, name="private-v4"
        )
        port = conn.network.create_port(network_id=network.id)
        return network, subnet, port

    network, subnet, port = await in_thread(work)
    assert network.provider_network_type is None  # type: ignore[attr-defined]
    assert subnet.allocation_pools == [  # type: ignore[attr-defined]
        {"start": "10.9.0.2", "end": "10.9.0.254"}
    ]
    assert port.fixed_ips[0]["ip_address"] == "10.9.0.2"  # type: ignore[attr-defined]

    def provider() -> None:
        connect(sim.clouds_yaml_path, "sim-member").network.create_network(
            name="p", provider_network_type="vlan", provider_physical_network="sriov-n3"
        )

    with pytest.raises(openstack.exceptions.ForbiddenException):
        await in_thread(provider)


async def test_admin_sees_provider_attributes(sim: Simulator) -> None:
    def work() -> tuple[object, object]:
        admin = connect(sim.clouds_yaml_path).network.find_network("n3-sriov")
        member = connect(sim.clouds_yaml_path, "sim-member").network.find_network("n3-sriov")
        return admin, member

    admin, member = await in_thread(work)
    assert admin.provider_physical_network == "sriov-n3"  # type: ignore[attr-defined]
    assert admin.provider_segmentation_id == 300  # type: ignore[attr-defined]
    assert member.provider_physical_network is None  # type: ignore[attr-defined]
    assert member.is_shared is True  # type: ignore[attr-defined]


async def test_fixed_ips_from_the_pool(sim: Simulator, member_http: Http) -> None:
    first = await make_port(member_http, sim, "mgmt")
    _, body, _ = await member_http.call("GET", f"/network/v2.0/ports/{first}")
    assert body["port"]["fixed_ips"][0]["ip_address"] == "192.0.2.10"
    status, body, _ = await member_http.call(
        "POST",
        "/network/v2.0/ports",
        {
            "port": {
                "network_id": named(sim, "networks", "mgmt"),
                "fixed_ips": [{"ip_address": "192.0.2.10"}],
            }
        },
    )
    assert status == 409
    assert body["NeutronError"]["type"] == "IpAddressAlreadyAllocated"


async def test_binding_attributes_are_admin_only(
    sim: Simulator, admin_http: Http, member_http: Http
) -> None:
    port_id = await make_port(member_http, sim, "n3-sriov", "direct")
    _, member_view, _ = await member_http.call("GET", f"/network/v2.0/ports/{port_id}")
    assert member_view["port"]["binding:vnic_type"] == "direct"
    assert "binding:host_id" not in member_view["port"]
    assert "binding:profile" not in member_view["port"]
    _, admin_view, _ = await admin_http.call("GET", f"/network/v2.0/ports/{port_id}")
    assert admin_view["port"]["binding:host_id"] == ""
    assert admin_view["port"]["binding:vif_type"] == "unbound"
    status, body, _ = await member_http.call(
        "PUT", f"/network/v2.0/ports/{port_id}", {"port": {"binding:host_id": "compute-01"}}
    )
    assert status == 403
    assert body["NeutronError"]["type"] == "PolicyNotAuthorized"


async def test_port_security_by_network_owner_or_admin(
    sim: Simulator, admin_http: Http, member_http: Http
) -> None:
    status, body, _ = await member_http.call(
        "POST",
        "/network/v2.0/ports",
        {
            "port": {
                "network_id": named(sim, "networks", "n3-sriov"),
                "port_security_enabled": False,
            }
        },
    )
    assert status == 403
    status, body, _ = await admin_http.call(
        "POST",
        "/network/v2.0/ports",
        {
            "port": {
                "network_id": named(sim, "networks", "n3-sriov"),
                "port_security_enabled": False,
            }
        },
    )
    assert status == 201
    assert body["port"]["security_groups"] == []
    status, body, _ = await admin_http.call(
        "POST",
        "/network/v2.0/ports",
        {
            "port": {
                "network_id": named(sim, "networks", "n3-sriov"),
                "port_security_enabled": False,
                "security_groups": [body["port"]["id"]],
            }
        },
    )
    assert status == 409
    _, network, _ = await member_http.call(
        "POST", "/network/v2.0/networks", {"network": {"name": "own"}}
    )
    await member_http.call(
        "POST",
        "/network/v2.0/subnets",
        {
            "subnet": {
                "network_id": network["network"]["id"],
                "cidr": "10.1.0.0/24",
                "ip_version": 4,
            }
        },
    )
    status, body, _ = await member_http.call(
        "POST",
        "/network/v2.0/ports",
        {"port": {"network_id": network["network"]["id"], "port_security_enabled": False}},
    )
    assert status == 201


async def test_invalid_vnic_type_and_unknown_filter(sim: Simulator, member_http: Http) -> None:
    status, body, _ = await member_http.call(
        "POST",
        "/network/v2.0/ports",
        {"port": {"network_id": named(sim, "networks", "mgmt"), "binding:vnic_type": "sparkly"}},
    )
    assert status == 400
    status, body, _ = await member_http.call("GET", "/network/v2.0/ports?colour=blue")
    assert status == 400
    assert "colour" in body["NeutronError"]["message"]


async def test_tags_at_creation_and_filters(sim: Simulator, member_http: Http) -> None:
    network = named(sim, "networks", "mgmt")
    for tags in (["ns-1", "vdu-a"], ["ns-1"], ["ns-2"]):
        status, _, _ = await member_http.call(
            "POST", "/network/v2.0/ports", {"port": {"network_id": network, "tags": tags}}
        )
        assert status == 201

    async def count(query: str) -> int:
        _, body, _ = await member_http.call("GET", f"/network/v2.0/ports?{query}")
        return len(body["ports"])

    assert await count("tags=ns-1") == 2
    assert await count("tags=ns-1,vdu-a") == 1
    assert await count("tags-any=ns-1,ns-2") == 3
    assert await count("not-tags=ns-1") == 1
    assert await count(f"network_id={network}&tags=ns-2") == 1


async def test_tag_api(sim: Simulator, member_http: Http) -> None:
    port_id = await make_port(member_http, sim, "mgmt")
    base = f"/network/v2.0/ports/{port_id}/tags"
    assert (await member_http.call("PUT", f"{base}/red"))[0] == 201
    assert (await member_http.call("PUT", base, {"tags": ["a", "b"]}))[1] == {"tags": ["a", "b"]}
    assert (await member_http.call("GET", f"{base}/a"))[0] == 204
    assert (await member_http.call("DELETE", f"{base}/a"))[0] == 204
    assert (await member_http.call("GET", f"{base}/a"))[0] == 404
    assert (await member_http.call("GET", base))[1] == {"tags": ["b"]}


async def test_security_groups(sim: Simulator) -> None:
    def work() -> tuple[list[str], object]:
        conn = connect(sim.clouds_yaml_path, "sim-member")
        group = conn.network.create_security_group(name="amf")
        rule = conn.network.create_security_group_rule(
            security_group_id=group.id,
            direction="ingress",
            protocol="tcp",
            port_range_min=38412,
            port_range_max=38412,
        )
        return [g.name for g in conn.network.security_groups()], rule

    names, rule = await in_thread(work)
    assert {"default", "amf"} <= set(names)
    assert rule.port_range_min == 38412  # type: ignore[attr-defined]


async def test_not_found_body(member_http: Http) -> None:
    status, body, _ = await member_http.call("GET", "/network/v2.0/ports/nope")
    assert status == 404
    assert body == {
        "NeutronError": {
            "type": "PortNotFound",
            "message": "Port nope could not be found.",
            "detail": "",
        }
    }


async def test_port_down_until_server_active() -> None:
    config = SimConfig(boot_time=Delay("fixed", 0.4), time_scale=1.0)
    async with Simulator(LAB, config=config) as sim:
        http = Http(sim, await token_for(sim))
        port_id = await make_port(http, sim, "mgmt")
        _, body = await boot(http, "slow", named(sim, "flavors", "m1.small"), ports=[port_id])
        server_id = body["server"]["id"]
        assert (await show(http, server_id))["status"] == "BUILD"
        _, port, _ = await http.call("GET", f"/network/v2.0/ports/{port_id}")
        assert port["port"]["status"] == "DOWN"
        assert port["port"]["binding:host_id"]
        assert port["port"]["device_id"] == server_id
        await asyncio.sleep(0.6)
        assert (await show(http, server_id))["status"] == "ACTIVE"
        _, port, _ = await http.call("GET", f"/network/v2.0/ports/{port_id}")
        assert port["port"]["status"] == "ACTIVE"
        await http.call("DELETE", f"/compute/v2.1/servers/{server_id}")


async def test_bulk_port_create_is_all_or_nothing(sim: Simulator, member_http: Http) -> None:
    mgmt = named(sim, "networks", "mgmt")
    status, body, _ = await member_http.call(
        "POST",
        "/network/v2.0/ports",
        {"ports": [{"network_id": mgmt, "name": "a"}, {"network_id": mgmt, "name": "b"}]},
    )
    assert status == 201 and [p["name"] for p in body["ports"]] == ["a", "b"]
    taken = body["ports"][0]["fixed_ips"][0]["ip_address"]
    before = len(sim.cloud.ports)
    status, body, _ = await member_http.call(
        "POST",
        "/network/v2.0/ports",
        {
            "ports": [
                {"network_id": mgmt, "name": "c"},
                {"network_id": mgmt, "fixed_ips": [{"ip_address": taken}]},
            ]
        },
    )
    assert status == 409
    assert len(sim.cloud.ports) == before


async def test_ports_follow_the_guest_power_state(sim: Simulator, admin_http: Http) -> None:
    port_id = await make_port(admin_http, sim, "mgmt")
    _, body = await boot(admin_http, "p", named(sim, "flavors", "m1.small"), ports=[port_id])
    server_id = body["server"]["id"]

    async def status() -> str:
        _, port, _ = await admin_http.call("GET", f"/network/v2.0/ports/{port_id}")
        value: str = port["port"]["status"]
        return value

    assert await status() == "ACTIVE"
    await admin_http.call("POST", f"/compute/v2.1/servers/{server_id}/action", {"os-stop": None})
    assert await status() == "DOWN"
    await admin_http.call("POST", f"/compute/v2.1/servers/{server_id}/action", {"os-start": None})
    assert await status() == "ACTIVE"
    await admin_http.call("POST", f"/_sim/servers/{server_id}/crash")
    assert await status() == "DOWN"
