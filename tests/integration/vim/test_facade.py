"""The facade against the simulated cloud through the real openstacksdk."""

from __future__ import annotations

import pytest

from descriptors.requirements import VnicType
from nfvo.vim.compute import FlavorSpec, ServerRequest
from nfvo.vim.errors import VimError, VimNotFound, VimRefused
from nfvo.vim.facade import Vim
from nfvo.vim.network import PortRequest
from nfvo.vim.tags import ResourceIdentity
from simulators.openstack.simulator import Simulator

VNF = "3f1c2a7e-8d4b-4c61-9e2f-5a7b0c9d1e2f"


def identity(resource: str, index: int = 0) -> ResourceIdentity:
    return ResourceIdentity(
        vnf_instance_id=VNF, resource_id=resource, index=index, operation_id="op-1"
    )


async def image_id(vim: Vim) -> str:
    return (await vim.storage.image_named("cirros")).id


async def test_microversion_is_negotiated(vim: Vim) -> None:
    assert (2, 74) <= await vim.compute.microversion() <= (2, 90)


async def test_flavor_find_or_create_never_duplicates(vim: Vim) -> None:
    spec = FlavorSpec(4, 8192, 20, {"hw:cpu_policy": "dedicated", "hw:mem_page_size": "1GB"})
    first = await vim.compute.ensure_flavor(spec)
    again = await vim.compute.ensure_flavor(spec)
    assert first == again
    assert first.name == spec.name and first.extra_specs == spec.extra_specs
    assert [f.name for f in await vim.compute.flavors()].count(spec.name) == 1


async def test_without_admin_a_missing_flavor_is_refused_with_what_to_create(
    member_vim: Vim,
) -> None:
    spec = FlavorSpec(3, 3000, 3, {"hw:cpu_policy": "dedicated"})
    with pytest.raises(VimRefused, match=f"an admin must create it .suggested name {spec.name}"):
        await member_vim.compute.ensure_flavor(spec)


async def test_without_admin_an_existing_matching_flavor_is_used(vim: Vim, member_vim: Vim) -> None:
    spec = FlavorSpec(2, 2048, 10, {"hw:cpu_policy": "dedicated"})
    made = await vim.compute.ensure_flavor(spec)
    assert (await member_vim.compute.ensure_flavor(spec)).id == made.id


async def test_port_and_server_are_made_once_and_land_active(vim: Vim, sim: Simulator) -> None:
    mgmt = await vim.network.network("mgmt")
    port = await vim.network.create_port(PortRequest(identity("amf_sbi"), mgmt.id))
    assert await vim.network.create_port(PortRequest(identity("amf_sbi"), mgmt.id)) == port
    assert port.fixed_ips and port.tags[0] == "nfvo"
    flavor = await vim.compute.ensure_flavor(FlavorSpec(2, 4096, 10))
    request = ServerRequest(
        identity=identity("amf"),
        image_id=await image_id(vim),
        flavor_id=flavor.id,
        port_ids=[port.id],
        zone="az-1",
        host="compute-01",
        user_data="#cloud-config\n",
    )
    server = await vim.compute.create_server(request)
    assert await vim.compute.create_server(request) == server  # found, not made again
    active = await vim.compute.wait_for_server(server.id, interval=0.01)
    assert (active.status, active.host, active.zone) == ("ACTIVE", "compute-01", "az-1")
    assert set(identity("amf").tags()) <= set(active.tags)
    found = await vim.compute.find_server(identity("amf"))
    assert found is not None and found.id == server.id
    assert await vim.compute.delete_server(server.id)
    await vim.compute.wait_for_server(server.id, "DELETED", interval=0.01)
    assert not await vim.compute.delete_server(server.id)
    assert await vim.network.delete_port(port.id)


async def test_sriov_ports_get_no_security_groups(vim: Vim, member_vim: Vim) -> None:
    n3 = await vim.network.network("n3-sriov")
    port = await vim.network.create_port(PortRequest(identity("upf_n3"), n3.id, VnicType.DIRECT))
    body = await vim.session.request("network", "GET", f"/ports/{port.id}", call="show")
    assert body["port"]["binding:vnic_type"] == "direct"
    assert body["port"]["port_security_enabled"] is False
    assert "binding:profile" not in body["port"] or not body["port"]["binding:profile"]
    # Not the owner, not admin: port security stays, but no security groups.
    other = await member_vim.network.create_port(
        PortRequest(identity("upf_n3", 1), n3.id, VnicType.DIRECT)
    )
    shown = await member_vim.session.request("network", "GET", f"/ports/{other.id}", call="show")
    assert shown["port"]["security_groups"] == []


async def test_a_server_that_cannot_be_placed_reports_novas_fault(vim: Vim) -> None:
    flavor = await vim.compute.ensure_flavor(FlavorSpec(512, 4096, 10))
    mgmt = await vim.network.network("mgmt")
    port = await vim.network.create_port(PortRequest(identity("big_sbi"), mgmt.id))
    request = ServerRequest(identity("big"), await image_id(vim), flavor.id, [port.id])
    server = await vim.compute.create_server(request)
    with pytest.raises(VimError, match="No valid host was found"):
        await vim.compute.wait_for_server(server.id, interval=0.01)


async def test_errors_name_the_vim_the_call_and_openstacks_message(vim: Vim) -> None:
    with pytest.raises(VimNotFound) as caught:
        await vim.compute.server("00000000-0000-0000-0000-000000000000")
    assert str(caught.value).startswith("VIM lab: show server failed (404")
    with pytest.raises(VimNotFound, match="no network named 'nope'"):
        await vim.network.network("nope")
    with pytest.raises(VimNotFound, match="VIM lab: find image failed: no active image named"):
        await vim.storage.image_named("cirros-but-not")


async def test_server_groups_by_name(vim: Vim) -> None:
    group = await vim.compute.ensure_server_group("nfvo-upf-anti", "anti-affinity")
    assert await vim.compute.ensure_server_group("nfvo-upf-anti", "anti-affinity") == group
