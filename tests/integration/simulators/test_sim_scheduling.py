"""Each scheduling rule: a server that fits, one that fails with the filter's reason,
and the /_sim placement view agreeing with the rule."""

from __future__ import annotations

from typing import Any

from simulators.openstack.config import SimConfig
from simulators.openstack.inventory import INVENTORY_DIR
from simulators.openstack.simulator import Simulator
from tests.integration.simulators.conftest import (
    Http,
    boot,
    make_flavor,
    make_port,
    named,
    show,
    sim_view,
    token_for,
)

NO_VALID_HOST = "No valid host was found."


async def placed(http: Http, name: str, flavor: str, **kwargs: Any) -> dict[str, Any]:
    status, body = await boot(http, name, flavor, **kwargs)
    assert status == 202, body
    server = await show(http, body["server"]["id"])
    assert server["status"] == "ACTIVE", server.get("fault")
    view: dict[str, Any] = await sim_view(http, f"/servers/{server['id']}/placement")
    return view


async def refused(http: Http, name: str, flavor: str, **kwargs: Any) -> str:
    status, body = await boot(http, name, flavor, **kwargs)
    assert status == 202, body
    server = await show(http, body["server"]["id"])
    assert server["status"] == "ERROR"
    assert server["fault"]["message"] == NO_VALID_HOST
    assert server["fault"]["code"] == 500
    view = await sim_view(http, f"/servers/{server['id']}/placement")
    reason: str = view["scheduling_failure"]
    failures = await sim_view(http, "/scheduler/failures")
    assert failures["failures"][-1]["reason"] == reason
    return reason


def cpus_of_cell(sim: Simulator, host: str, cell: int) -> set[int]:
    return set(sim.cloud.hosts[host].cells[cell].dedicated_cpus)


async def test_compute_filter_skips_disabled_hosts(sim: Simulator, admin_http: Http) -> None:
    service_id = sim.cloud.hosts["compute-05"].service.id
    await admin_http.call(
        "PUT",
        f"/compute/v2.1/os-services/{service_id}",
        {"status": "disabled", "disabled_reason": "maintenance"},
        {"OpenStack-API-Version": "compute 2.53"},
    )
    flavor = named(sim, "flavors", "m1.small")
    reason = await refused(admin_http, "x", flavor, host="compute-05")
    assert reason.startswith("ComputeFilter")
    view = await placed(admin_http, "y", flavor, host="compute-01")
    assert view["host"] == "compute-01"


async def test_availability_zone_filter(sim: Simulator, admin_http: Http) -> None:
    flavor = named(sim, "flavors", "m1.small")
    for index in range(4):
        view = await placed(admin_http, f"z{index}", flavor, availability_zone="az-2")
        assert sim.cloud.hosts[view["host"]].spec.zone == "az-2"
    reason = await refused(admin_http, "x", flavor, availability_zone="az-2", host="compute-01")
    assert reason.startswith("AvailabilityZoneFilter")


async def test_ram_disk_and_vcpu_with_allocation_ratios(sim: Simulator, admin_http: Http) -> None:
    # compute-05: 2 cells x 4 shared cores x 2 threads = 16 VCPU x ratio 4.0 = 64
    fits = await make_flavor(admin_http, "cpu64", 64, 1024)
    too_many = await make_flavor(admin_http, "cpu65", 65, 1024)
    big_ram = await make_flavor(admin_http, "ram", 1, 200_000)
    big_disk = await make_flavor(admin_http, "disk", 1, 1024, disk=900)
    assert "VCPU" in await refused(admin_http, "a", too_many, host="compute-05")
    view = await placed(admin_http, "b", fits, host="compute-05")
    assert view["resources"]["VCPU"] == 64
    assert "VCPU" in await refused(
        admin_http, "c", named(sim, "flavors", "m1.small"), host="compute-05"
    )
    assert "MEMORY_MB" in await refused(admin_http, "d", big_ram)
    assert "DISK_GB" in await refused(admin_http, "e", big_disk)


async def test_dedicated_pins_within_one_cell(sim: Simulator, admin_http: Http) -> None:
    pinned = await make_flavor(admin_http, "pin4", 4, 4096, {"hw:cpu_policy": "dedicated"})
    view = await placed(admin_http, "p", pinned, host="compute-01")
    assert view["resources"] == {"VCPU": 0, "PCPU": 4, "MEMORY_MB": 4096, "DISK_GB": 1}
    (cell,) = view["numa_cells"]
    assert len(cell["pinned_cpus"]) == 4
    assert set(cell["pinned_cpus"]) <= cpus_of_cell(sim, "compute-01", cell["host_cell"])
    assert sorted(cell["pinning"]) == ["0", "1", "2", "3"]


async def test_pinned_guest_larger_than_a_cell(sim: Simulator, admin_http: Http) -> None:
    # a cell of compute-01 has 12 dedicated cores x 2 threads = 24 PCPU
    one_node = await make_flavor(admin_http, "pin30", 30, 8192, {"hw:cpu_policy": "dedicated"})
    two_nodes = await make_flavor(
        admin_http, "pin30x2", 30, 8192, {"hw:cpu_policy": "dedicated", "hw:numa_nodes": "2"}
    )
    reason = await refused(admin_http, "a", one_node, host="compute-01")
    assert reason.startswith("NUMATopologyFilter")
    assert "30 pinned vCPUs, 24 free dedicated CPUs" in reason
    view = await placed(admin_http, "b", two_nodes, host="compute-01")
    cells = view["numa_cells"]
    assert [len(c["pinned_cpus"]) for c in cells] == [15, 15]
    assert {c["host_cell"] for c in cells} == {0, 1}
    for cell in cells:
        assert set(cell["pinned_cpus"]) <= cpus_of_cell(sim, "compute-01", cell["host_cell"])


async def test_thread_policy_isolate(sim: Simulator, admin_http: Http) -> None:
    isolate = await make_flavor(
        admin_http,
        "iso",
        2,
        2048,
        {"hw:cpu_policy": "dedicated", "hw:cpu_thread_policy": "isolate"},
    )
    reason = await refused(admin_http, "a", isolate, host="compute-01")
    assert "HW_CPU_HYPERTHREADING" in reason
    view = await placed(admin_http, "b", isolate, host="compute-03")
    host = sim.cloud.hosts["compute-03"]
    pinned = view["numa_cells"][0]["pinned_cpus"]
    assert len({host.cells[0].siblings[cpu] for cpu in pinned}) == 2


async def test_thread_policy_require(sim: Simulator, admin_http: Http) -> None:
    require = await make_flavor(
        admin_http,
        "req",
        2,
        2048,
        {"hw:cpu_policy": "dedicated", "hw:cpu_thread_policy": "require"},
    )
    reason = await refused(admin_http, "a", require, host="compute-03")
    assert "lacks required trait" in reason
    view = await placed(admin_http, "b", require, host="compute-01")
    host = sim.cloud.hosts["compute-01"]
    cell = view["numa_cells"][0]
    pinned = cell["pinned_cpus"]
    assert len({host.cells[cell["host_cell"]].siblings[cpu] for cpu in pinned}) == 1


async def test_mixed_policy_with_dedicated_mask(sim: Simulator, admin_http: Http) -> None:
    mixed = await make_flavor(
        admin_http, "mixed", 4, 4096, {"hw:cpu_policy": "mixed", "hw:cpu_dedicated_mask": "^0-1"}
    )
    view = await placed(admin_http, "m", mixed, host="compute-01")
    assert view["resources"]["VCPU"] == 2 and view["resources"]["PCPU"] == 2
    assert sorted(view["numa_cells"][0]["pinning"]) == ["2", "3"]
    bad = await make_flavor(admin_http, "badmask", 4, 4096, {"hw:cpu_policy": "mixed"})
    status, body = await boot(admin_http, "x", bad)
    assert status == 400 and "hw:cpu_dedicated_mask" in body["badRequest"]["message"]


async def test_emulator_threads_isolate_takes_one_more_pcpu(
    sim: Simulator, admin_http: Http
) -> None:
    flavor = await make_flavor(
        admin_http,
        "emu",
        2,
        2048,
        {"hw:cpu_policy": "dedicated", "hw:emulator_threads_policy": "isolate"},
    )
    view = await placed(admin_http, "e", flavor, host="compute-03")
    assert view["resources"]["PCPU"] == 3
    emulator = view["emulator_threads"]["cpu"]
    assert emulator not in view["numa_cells"][0]["pinned_cpus"]
    assert emulator in cpus_of_cell(sim, "compute-03", 0)
    assert sim.cloud.hosts["compute-03"].pcpus_used == 3


async def test_huge_pages_from_the_same_cell(sim: Simulator, admin_http: Http) -> None:
    one_gb = await make_flavor(
        admin_http, "hp1g", 2, 4096, {"hw:cpu_policy": "dedicated", "hw:mem_page_size": "1GB"}
    )
    two_mb = await make_flavor(admin_http, "hp2m", 2, 4096, {"hw:mem_page_size": "2MB"})
    view = await placed(admin_http, "h", one_gb, host="compute-01")
    cell = view["numa_cells"][0]
    assert cell["page_size"] == "1GB"
    host_view = await sim_view(admin_http, "/hosts/compute-01")
    assert host_view["host"]["numa_cells"][cell["host_cell"]]["free_pages"]["1GB"] == 28
    assert set(cell["pinned_cpus"]) <= cpus_of_cell(sim, "compute-01", cell["host_cell"])
    reason = await refused(admin_http, "x", two_mb, host="compute-01")
    assert "not enough free 2MB pages" in reason


async def test_numa_nodes_split_explicitly(sim: Simulator, admin_http: Http) -> None:
    flavor = await make_flavor(
        admin_http,
        "split",
        4,
        4096,
        {
            "hw:numa_nodes": "2",
            "hw:numa_cpus.0": "0",
            "hw:numa_cpus.1": "1-3",
            "hw:numa_mem.0": "1024",
            "hw:numa_mem.1": "3072",
            "hw:mem_page_size": "large",
        },
    )
    view = await placed(admin_http, "s", flavor, host="compute-01")
    cells = {c["guest_cell"]: c for c in view["numa_cells"]}
    assert cells[0]["vcpus"] == [0] and cells[1]["vcpus"] == [1, 2, 3]
    assert (cells[0]["memory_mb"], cells[1]["memory_mb"]) == (1024, 3072)
    assert cells[0]["host_cell"] != cells[1]["host_cell"]
    bad = await make_flavor(admin_http, "badsplit", 3, 4096, {"hw:numa_nodes": "2"})
    status, _ = await boot(admin_http, "x", bad)
    assert status == 400
    three = await make_flavor(admin_http, "three", 3, 3072, {"hw:numa_nodes": "3"})
    assert "NUMA nodes" in await refused(admin_http, "y", three, host="compute-01")


async def test_sriov_vf_on_the_guest_cell(sim: Simulator, admin_http: Http) -> None:
    flavor = await make_flavor(
        admin_http, "dp", 2, 2048, {"hw:cpu_policy": "dedicated", "hw:mem_page_size": "1GB"}
    )
    port = await make_port(admin_http, sim, "n3-sriov", "direct")
    view = await placed(admin_http, "u", flavor, ports=[port], host="compute-02")
    (device,) = view["pci_devices"]
    assert device["physnet"] == "sriov-n3" and device["type"] == "type-VF"
    assert device["pf"] == "ens1f0" and device["vf_index"] == 0
    assert device["numa_cell"] == view["numa_cells"][0]["host_cell"] == 0
    _, body, _ = await admin_http.call("GET", f"/network/v2.0/ports/{port}")
    bound = body["port"]
    assert bound["binding:host_id"] == "compute-02"
    assert bound["binding:vif_type"] == "hw_veb"
    assert bound["binding:profile"]["physical_network"] == "sriov-n3"
    assert bound["status"] == "ACTIVE"
    other = await make_port(admin_http, sim, "n3-sriov", "direct")
    reason = await refused(admin_http, "x", flavor, ports=[other], host="compute-05")
    assert "no VF on physnet sriov-n3" in reason


async def test_pci_numa_affinity_policies(sim: Simulator, admin_http: Http) -> None:
    # fill cell 0 of compute-02 (12 dedicated cores x 2 threads), where its NICs are; a
    # guest without PCI devices would go to the VF-less cell 1 first, as in Nova, so the
    # filler takes a VF too
    filler = await make_flavor(admin_http, "fill", 24, 2048, {"hw:cpu_policy": "dedicated"})
    filler_port = await make_port(admin_http, sim, "n3-sriov", "direct")
    view = await placed(admin_http, "fill", filler, ports=[filler_port], host="compute-02")
    assert view["numa_cells"][0]["host_cell"] == 0
    legacy = await make_flavor(admin_http, "legacy", 2, 2048, {"hw:cpu_policy": "dedicated"})
    preferred = await make_flavor(
        admin_http,
        "preferred",
        2,
        2048,
        {"hw:cpu_policy": "dedicated", "hw:pci_numa_affinity_policy": "preferred"},
    )
    port = await make_port(admin_http, sim, "n6-sriov", "direct")
    reason = await refused(admin_http, "x", legacy, ports=[port], host="compute-02")
    assert "NUMA cell(s) [1]" in reason and "legacy" in reason
    port = await make_port(admin_http, sim, "n6-sriov", "direct")
    view = await placed(admin_http, "y", preferred, ports=[port], host="compute-02")
    assert view["numa_cells"][0]["host_cell"] == 1
    assert view["pci_devices"][0]["numa_cell"] == 0


async def test_direct_physical_takes_a_whole_pf(sim: Simulator, admin_http: Http) -> None:
    flavor = named(sim, "flavors", "m1.small")
    vf_port = await make_port(admin_http, sim, "n6-sriov", "direct")
    await placed(admin_http, "vf", flavor, ports=[vf_port], host="compute-02")
    pf_port = await make_port(admin_http, sim, "n6-sriov", "direct-physical")
    reason = await refused(admin_http, "pf", flavor, ports=[pf_port], host="compute-02")
    assert "no free PF on physnet sriov-n6" in reason
    pf_port = await make_port(admin_http, sim, "n6-sriov", "direct-physical")
    view = await placed(admin_http, "pf2", flavor, ports=[pf_port], host="compute-03")
    (device,) = view["pci_devices"]
    assert device["type"] == "type-PF" and device["vf_index"] is None
    assert device["pf"] == "ens1f1"
    vf_again = await make_port(admin_http, sim, "n6-sriov", "direct")
    reason = await refused(admin_http, "vf2", flavor, ports=[vf_again], host="compute-03")
    assert "no VF on physnet sriov-n6" in reason


async def test_vhost_user_without_huge_pages_boots_with_port_down(
    sim: Simulator, admin_http: Http
) -> None:
    plain = named(sim, "flavors", "m1.small")
    huge = await make_flavor(admin_http, "huge", 1, 2048, {"hw:mem_page_size": "large"})
    trap = await make_port(admin_http, sim, "mgmt")
    view = await placed(admin_http, "trap", plain, ports=[trap], host="compute-04")
    assert view["host"] == "compute-04"
    _, body, _ = await admin_http.call("GET", f"/network/v2.0/ports/{trap}")
    assert body["port"]["binding:vif_type"] == "vhostuser"
    assert body["port"]["status"] == "DOWN"
    good = await make_port(admin_http, sim, "mgmt")
    await placed(admin_http, "good", huge, ports=[good], host="compute-04")
    _, body, _ = await admin_http.call("GET", f"/network/v2.0/ports/{good}")
    assert body["port"]["binding:vif_type"] == "vhostuser"
    assert body["port"]["status"] == "ACTIVE"
    ovs = await make_port(admin_http, sim, "mgmt")
    await placed(admin_http, "ovs", plain, ports=[ovs], host="compute-05")
    _, body, _ = await admin_http.call("GET", f"/network/v2.0/ports/{ovs}")
    assert (body["port"]["binding:vif_type"], body["port"]["status"]) == ("ovs", "ACTIVE")


async def test_virtio_forwarder_needs_a_capable_nic(sim: Simulator, admin_http: Http) -> None:
    port = await make_port(admin_http, sim, "mgmt", "virtio-forwarder")
    reason = await refused(admin_http, "x", named(sim, "flavors", "m1.small"), ports=[port])
    assert "virtio-forwarder" in reason


async def test_anti_affinity_refuses_a_forced_shared_host(sim: Simulator, admin_http: Http) -> None:
    _, body, _ = await admin_http.call(
        "POST",
        "/compute/v2.1/os-server-groups",
        {"server_group": {"name": "g", "policy": "anti-affinity"}},
        {"OpenStack-API-Version": "compute 2.64"},
    )
    group = {"group": body["server_group"]["id"]}
    flavor = named(sim, "flavors", "m1.small")
    await placed(admin_http, "a", flavor, host="compute-01", hints=group)
    reason = await refused(admin_http, "b", flavor, host="compute-01", hints=group)
    assert "anti-affinity" in reason


async def test_delete_frees_exactly_what_was_taken(sim: Simulator, admin_http: Http) -> None:
    before = (await sim_view(admin_http, "/hosts/compute-01"))["host"]
    flavor = await make_flavor(
        admin_http,
        "all",
        4,
        4096,
        {
            "hw:cpu_policy": "dedicated",
            "hw:mem_page_size": "1GB",
            "hw:emulator_threads_policy": "isolate",
        },
    )
    port = await make_port(admin_http, sim, "n3-sriov", "direct")
    status, body = await boot(admin_http, "d", flavor, ports=[port], host="compute-01")
    server_id = body["server"]["id"]
    during = (await sim_view(admin_http, "/hosts/compute-01"))["host"]
    assert during != before
    status, _, _ = await admin_http.call("DELETE", f"/compute/v2.1/servers/{server_id}")
    assert status == 204
    after = (await sim_view(admin_http, "/hosts/compute-01"))["host"]
    assert after == before


async def test_soft_policies_only_weigh(sim: Simulator, admin_http: Http) -> None:
    groups = {}
    for policy in ("soft-anti-affinity", "soft-affinity"):
        _, body, _ = await admin_http.call(
            "POST",
            "/compute/v2.1/os-server-groups",
            {"server_group": {"name": policy, "policy": policy}},
            {"OpenStack-API-Version": "compute 2.64"},
        )
        groups[policy] = {"group": body["server_group"]["id"]}
    flavor = named(sim, "flavors", "m1.small")
    spread = {
        (
            await placed(
                admin_http,
                f"s{i}",
                flavor,
                availability_zone="az-2",
                hints=groups["soft-anti-affinity"],
            )
        )["host"]
        for i in range(3)
    }
    assert len(spread) == 3
    packed = {
        (await placed(admin_http, f"p{i}", flavor, hints=groups["soft-affinity"]))["host"]
        for i in range(3)
    }
    assert len(packed) == 1
    first = await placed(
        admin_http, "f", flavor, host="compute-01", hints=groups["soft-anti-affinity"]
    )
    again = await placed(
        admin_http, "g", flavor, host="compute-01", hints=groups["soft-anti-affinity"]
    )
    assert first["host"] == again["host"] == "compute-01"


async def test_virtio_forwarder_on_a_capable_host() -> None:
    async with Simulator(
        INVENTORY_DIR / "region.yaml", config=SimConfig(time_scale=0), generate_hosts=3
    ) as region:
        http = Http(region, await token_for(region))
        port = await make_port(http, region, "mgmt", "virtio-forwarder")
        view = await placed(http, "vf", named(region, "flavors", "m1.small"), ports=[port])
        assert view["host"] == "edge-01"
        _, body, _ = await http.call("GET", f"/network/v2.0/ports/{port}")
        assert body["port"]["binding:vif_type"] == "vhostuser"
