"""Glance, Placement, Cinder and the metadata service."""

from __future__ import annotations

import base64
import hashlib
from typing import Any

import openstack.exceptions
import pytest

from simulators.openstack.config import SimConfig
from simulators.openstack.inventory import parse_inventory
from simulators.openstack.simulator import Simulator
from tests.integration.simulators.conftest import (
    Http,
    boot,
    connect,
    in_thread,
    make_flavor,
    make_port,
    named,
    show,
    sim_view,
    token_for,
)


async def test_glance_upload_computes_hashes(sim: Simulator) -> None:
    content = b"qcow2-bytes" * 1000

    def work() -> tuple[Any, bytes, list[str]]:
        conn = connect(sim.clouds_yaml_path, "sim-member")
        image = conn.image.create_image(
            name="upf-image",
            data=content,
            disk_format="qcow2",
            container_format="bare",
            allow_duplicates=True,
            vnfd_id="upf-1.0",
        )
        image = conn.image.get_image(image.id)
        data = conn.image.download_image(image).content
        names = [i.name for i in conn.image.images()]
        return image, data, names

    image, data, names = await in_thread(work)
    assert image.status == "active"
    assert image.size == len(content)
    assert image.checksum == hashlib.md5(content, usedforsecurity=False).hexdigest()
    assert image.hash_algo == "sha512"
    assert image.hash_value == hashlib.sha512(content).hexdigest()
    assert image.properties["vnfd_id"] == "upf-1.0"
    assert data == content
    assert {"cirros", "upf-image"} <= set(names)


async def test_glance_errors(member_http: Http) -> None:
    status, _, _ = await member_http.call("GET", "/image/v2/images/nope")
    assert status == 404
    status, _, _ = await member_http.call(
        "POST", "/image/v2/images", {"name": "x", "visibility": "public"}
    )
    assert status == 403


async def test_placement_is_consistent_with_servers(sim: Simulator, admin_http: Http) -> None:
    flavor = await make_flavor(admin_http, "pin", 2, 2048, {"hw:cpu_policy": "dedicated"})
    _, body = await boot(admin_http, "p", flavor, host="compute-01")
    server_id = body["server"]["id"]

    def work() -> tuple[Any, ...]:
        conn = connect(sim.clouds_yaml_path)
        provider = next(conn.placement.resource_providers(name="compute-01"))
        inventories = {
            i.resource_class: i for i in conn.placement.resource_provider_inventories(provider)
        }
        traits = conn.placement.get_resource_provider(provider.id)
        return provider, inventories, traits

    provider, inventories, _ = await in_thread(work)
    assert inventories["PCPU"].total == 48
    assert inventories["VCPU"].allocation_ratio == 4.0
    _, usages, _ = await admin_http.call(
        "GET", f"/placement/resource_providers/{provider.id}/usages"
    )
    assert usages["usages"]["PCPU"] == 2 and usages["usages"]["MEMORY_MB"] == 2048
    _, allocations, _ = await admin_http.call("GET", f"/placement/allocations/{server_id}")
    assert allocations["allocations"][provider.id]["resources"] == {
        "PCPU": 2,
        "MEMORY_MB": 2048,
        "DISK_GB": 1,
    }
    _, traits, _ = await admin_http.call(
        "GET", f"/placement/resource_providers/{provider.id}/traits"
    )
    assert "HW_CPU_HYPERTHREADING" in traits["traits"]
    await admin_http.call("DELETE", f"/compute/v2.1/servers/{server_id}")
    _, usages, _ = await admin_http.call(
        "GET", f"/placement/resource_providers/{provider.id}/usages"
    )
    assert usages["usages"]["PCPU"] == 0


async def test_placement_is_admin_only(member_http: Http) -> None:
    status, body, _ = await member_http.call("GET", "/placement/resource_providers")
    assert status == 403
    assert body["errors"][0]["status"] == 403


async def test_pci_in_placement_reports_vfs_as_children(sim: Simulator) -> None:
    document = _lab_document()
    document["placement"] = {"pci_in_placement": True}
    async with Simulator(parse_inventory(document), config=SimConfig(time_scale=0)) as pci_sim:
        http = Http(pci_sim, await token_for(pci_sim))
        port = await make_port(http, pci_sim, "n3-sriov", "direct")
        _, body = await boot(
            http, "v", named(pci_sim, "flavors", "m1.small"), ports=[port], host="compute-02"
        )
        server_id = body["server"]["id"]
        root = pci_sim.cloud.hosts["compute-02"].provider_id
        _, tree, _ = await http.call(
            "GET",
            f"/placement/resource_providers?in_tree={root}",
            headers={"OpenStack-API-Version": "placement 1.14"},  # in_tree and the parents
        )
        children = [p for p in tree["resource_providers"] if p["parent_provider_uuid"] == root]
        assert len(children) == 2
        _, allocations, _ = await http.call("GET", f"/placement/allocations/{server_id}")
        vf_allocations = [
            a["resources"] for rp, a in allocations["allocations"].items() if rp != root
        ]
        assert vf_allocations == [{"CUSTOM_PCI_8086_154C": 1}]


def _lab_document() -> dict[str, Any]:
    import yaml

    from tests.integration.simulators.conftest import LAB

    document: dict[str, Any] = yaml.safe_load(LAB.read_text())
    return document


async def test_cinder_volume_attach_through_nova(sim: Simulator) -> None:
    def work() -> tuple[str, str, list[str]]:
        conn = connect(sim.clouds_yaml_path, "sim-member")
        volume = conn.block_storage.create_volume(size=10, name="udr-data")
        volume = conn.block_storage.wait_for_status(volume, "available", wait=5, interval=0.05)
        server = conn.compute.create_server(
            name="udr",
            flavor_id=named(sim, "flavors", "m1.small"),
            image_id=named(sim, "images", "cirros"),
            networks="none",
        )
        conn.compute.create_volume_attachment(server, volume_id=volume.id)
        attached = conn.block_storage.get_volume(volume.id).status
        ids = [a.volume_id for a in conn.compute.volume_attachments(server)]
        return volume.status, attached, ids

    before, attached, ids = await in_thread(work)
    assert (before, attached) == ("available", "in-use")
    assert len(ids) == 1


async def test_cinder_refuses_deleting_an_attached_volume(
    sim: Simulator, member_http: Http
) -> None:
    project = sim.cloud.project_by_name("tenant-a")
    assert project is not None
    base = f"/volume/v3/{project.id}/volumes"
    _, body, _ = await member_http.call("POST", base, {"volume": {"size": 1}})
    volume_id = body["volume"]["id"]
    _, server = await boot(member_http, "s", named(sim, "flavors", "m1.small"))
    server_id = server["server"]["id"]
    status, _, _ = await member_http.call(
        "POST",
        f"/compute/v2.1/servers/{server_id}/os-volume_attachments",
        {"volumeAttachment": {"volumeId": volume_id}},
    )
    assert status == 200
    status, body, _ = await member_http.call("DELETE", f"{base}/{volume_id}")
    assert status == 400 and "badRequest" in body
    status, _, _ = await member_http.call("GET", f"{base}/nope")
    assert status == 404


async def test_metadata_service(sim: Simulator, member_http: Http) -> None:
    user_data = b"#cloud-config\nruncmd: [echo nrf]\n"
    _, body = await boot(
        member_http,
        "nrf-0",
        named(sim, "flavors", "m1.small"),
        network=named(sim, "networks", "mgmt"),
        metadata={"role": "nrf"},
        user_data=base64.b64encode(user_data).decode(),
    )
    server_id = body["server"]["id"]
    base = f"/_sim/metadata/{server_id}/openstack/latest"
    meta = await sim_view(member_http, f"/metadata/{server_id}/openstack/latest/meta_data.json")
    assert meta["uuid"] == server_id and meta["meta"] == {"role": "nrf"}
    status, text, _ = await member_http.call("GET", f"{base}/user_data")
    assert status == 200 and text == user_data.decode()
    network = await sim_view(
        member_http, f"/metadata/{server_id}/openstack/latest/network_data.json"
    )
    assert network["networks"][0]["ip_address"].startswith("192.0.2.")
    assert network["links"][0]["type"] == "ovs"
    server = await show(member_http, server_id)
    assert server["addresses"]["mgmt"][0]["addr"] == network["networks"][0]["ip_address"]


async def test_invalid_user_data_is_400(sim: Simulator, member_http: Http) -> None:
    status, _ = await boot(
        member_http, "x", named(sim, "flavors", "m1.small"), user_data="not base64!"
    )
    assert status == 400


async def test_sdk_error_for_bad_flavor(sim: Simulator) -> None:
    def work() -> None:
        connect(sim.clouds_yaml_path).compute.create_server(
            name="x", flavor_id="missing", image_id=named(sim, "images", "cirros"), networks="none"
        )

    with pytest.raises(openstack.exceptions.BadRequestException):
        await in_thread(work)


async def test_nics_keep_the_order_asked(sim: Simulator, admin_http: Http) -> None:
    direct = await make_port(admin_http, sim, "n3-sriov", "direct")
    status, body, _ = await admin_http.call(
        "POST",
        "/compute/v2.1/servers",
        {
            "server": {
                "name": "upf",
                "flavorRef": named(sim, "flavors", "m1.small"),
                "imageRef": named(sim, "images", "cirros"),
                "host": "compute-01",
                "networks": [
                    {"uuid": named(sim, "networks", "mgmt")},
                    {"port": direct},
                    {"uuid": named(sim, "networks", "n6-sriov")},
                ],
            }
        },
        {"OpenStack-API-Version": "compute 2.74"},
    )
    assert status == 202, body
    server_id = body["server"]["id"]
    links = (
        await sim_view(admin_http, f"/metadata/{server_id}/openstack/latest/network_data.json")
    )["links"]
    assert [link["type"] for link in links] == ["ovs", "hw_veb", "ovs"]
    assert links[1]["vif_id"] == direct
