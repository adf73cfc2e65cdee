"""The shipped UPF (SR-IOV on N3/N6, 1 GB pages, pinned CPUs, anti-affinity) at its
``site`` level: two VNFCs where the grant put them, then nothing left after terminate."""

from __future__ import annotations

from tests.e2e.vnfm.conftest import Stack, ext_links
from tests.e2e.vnfm.test_instantiate_terminate import DAY1, leftovers, networks, user_data

UPF_CPS = {
    "virtual_link_sbi": "mgmt",
    "virtual_link_n4": "mgmt",
    "virtual_link_n3": "n3-sriov",
    "virtual_link_n6": "n6-sriov",
}


async def test_upf_lands_where_granted_with_sriov_and_leaves_nothing(stack: Stack) -> None:
    nets = await networks(stack)
    instance = await stack.create("upf")
    location = await stack.task(
        instance["id"],
        "instantiate",
        {
            "flavourId": "default",
            "instantiationLevelId": "site",
            "extVirtualLinks": ext_links(UPF_CPS, nets),
            "additionalParams": DAY1,
        },
    )
    occurrence = await stack.wait(location)
    assert occurrence["operationState"] == "COMPLETED", occurrence
    request = stack.grants.requests[0]
    assert sorted(r["id"] for r in request["addResources"]) == ["upf-0", "upf-1"]
    assert request["placementConstraints"][0]["affinityOrAntiAffinity"] == "ANTI_AFFINITY"
    grant = next(iter(stack.grants.grants.values()))
    hints = grant["additionalParams"]["placement"]
    _, shown, _ = await stack.lcm("GET", f"/vnf_instances/{instance['id']}")
    vnfcs = shown["instantiatedVnfInfo"]["vnfcResourceInfo"]
    assert sorted(v["id"] for v in vnfcs) == ["upf-0", "upf-1"]
    hosts = set()
    for vnfc in vnfcs:
        server = await stack.vim.compute.server(vnfc["computeResource"]["resourceId"])
        assert server.status == "ACTIVE"
        assert server.host == hints[vnfc["id"]]["host"]
        assert vnfc["zoneId"] == server.zone
        assert vnfc["reservationId"]
        hosts.add(server.host)
        raw = await stack.vim.compute.request("GET", f"/servers/{server.id}", "t")
        specs = raw["server"]["flavor"]["extra_specs"]
        assert specs["hw:cpu_policy"] == "dedicated"
        assert specs["hw:mem_page_size"] == "1GB"
        for cp in vnfc["vnfcCpInfo"]:
            port = (await stack.vim.network.request("GET", f"/ports/{cp['vnfLinkPortId']}", "t"))[
                "port"
            ]
            if cp["cpdId"] in ("upf_n3", "upf_n6"):
                assert port["binding:vnic_type"] == "direct"
                assert (
                    port.get("security_groups") in ([], None) or not port["port_security_enabled"]
                )
                # Nova filled the profile with the VF it claimed (we set none).
                physnet = "sriov-n3" if cp["cpdId"] == "upf_n3" else "sriov-n6"
                assert port["binding:profile"]["physical_network"] == physnet
        rendered = await user_data(stack, server.id)
        n3 = next(ip["addr"] for ip in server.addresses["n3-sriov"])
        assert f'n3: "{n3}"' in rendered
    assert len(hosts) == 2  # anti-affinity
    group = next(iter(hints.values()))["serverGroupId"]
    groups = (await stack.vim.compute.request("GET", "/os-server-groups", "t"))["server_groups"]
    assert [g["policies"] if "policies" in g else g["policy"] for g in groups if g["name"] == group]

    location = await stack.task(
        instance["id"],
        "terminate",
        {"terminationType": "GRACEFUL", "gracefulTerminationTimeout": 5},
    )
    occurrence = await stack.wait(location)
    assert occurrence["operationState"] == "COMPLETED", occurrence
    assert await leftovers(stack, instance["id"]) == {"servers": [], "ports": []}
    groups = (await stack.vim.compute.request("GET", "/os-server-groups", "t"))["server_groups"]
    assert not [g for g in groups if g["name"] == group]
