"""A fitting and a failing case for every constraint, with the explanation it gives."""

import pytest

from descriptors.requirements import InterfaceRequirement, NumaNodeSplit
from nfvo.placement.engine import place, plan
from nfvo.placement.fit import OVS_DPDK_CONSTRAINT
from tests.unit.placement.builders import (
    cell,
    constraints,
    graph,
    host,
    hosts_of,
    nic,
    request,
    sriov,
    vdu,
    view,
)

HT = ["HW_CPU_HYPERTHREADING"]


def test_pinned_cpus_fit_in_one_cell() -> None:
    decision = place(request(vdu(vcpus=6, cpu_policy="dedicated")), view(host("h1")))
    assert decision.placements[0].numa_cells == [0]
    assert decision.placements[0].predicted


def test_pinned_cpus_short_everywhere() -> None:
    decision = place(request(vdu(vcpus=13, cpu_policy="dedicated")), view(host("h1")))
    assert constraints(decision) == {"pinned CPUs": 1}
    assert decision.explanation is not None
    assert "needs 13 pinned CPUs" in decision.explanation.needs
    assert decision.explanation.nearest_miss == "h1 is closest: one pinned CPU short"


def test_pinned_cpus_split_across_cells_is_not_one_cell() -> None:
    decision = place(request(vdu(vcpus=7, cpu_policy="dedicated")), view(host("h1")))
    assert constraints(decision) == {"room for it in one NUMA cell": 1}


def test_thread_policy_isolate_refuses_hyperthreaded_hosts() -> None:
    req = request(vdu(vcpus=2, cpu_policy="dedicated", thread_policy="isolate"))
    assert hosts_of(place(req, view(host("ht", traits=HT), host("plain")))) == {"vdu-0": "plain"}
    decision = place(req, view(host("ht", traits=HT)))
    assert constraints(decision) == {"hyper-threading off (thread policy isolate)": 1}


def test_thread_policy_require_needs_hyperthreading() -> None:
    req = request(vdu(vcpus=2, cpu_policy="dedicated", thread_policy="require"))
    assert hosts_of(place(req, view(host("plain"), host("ht", traits=HT)))) == {"vdu-0": "ht"}
    assert constraints(place(req, view(host("plain")))) == {
        "hyper-threading (thread policy require)": 1
    }


def test_mixed_pins_the_mask_and_shares_the_rest() -> None:
    req = request(vdu(vcpus=4, cpu_policy="mixed", dedicated_cpus=[0, 1]))
    result = plan(req, view(host("h1", numa_cells=[cell(0, cores=4, dedicated=2)])))
    claim = result.usages[0].claim
    assert (claim.cells[0].pinned_cpus, claim.cells[0].shared_vcpus) == (2, 2)
    wide = request(vdu(vcpus=4, cpu_policy="mixed", dedicated_cpus=[0, 1, 2]))
    decision = place(wide, view(host("h1", numa_cells=[cell(0, cores=4, dedicated=2)])))
    assert constraints(decision) == {"pinned CPUs": 1}


def test_emulator_threads_isolate_take_one_more_pinned_cpu() -> None:
    base = {"vcpus": 6, "cpu_policy": "dedicated"}
    assert place(request(vdu(**base)), view(host("h1"))).feasible
    decision = place(request(vdu(**base, emulator_threads="isolate")), view(host("h1")))
    assert decision.explanation is not None
    assert "7 pinned CPUs" in decision.explanation.needs
    assert constraints(decision) == {"room for it in one NUMA cell": 1}


@pytest.mark.parametrize(("size", "field"), [("1GB", "pages_1gb"), ("2MB", "pages_2mb")])
def test_huge_pages_from_the_guest_cell(size: str, field: str) -> None:
    per_page = 1024 if size == "1GB" else 2
    cells = [cell(0, **{field: 4096 // per_page}), cell(1)]
    req = request(vdu(memory_mb=4096, cpu_policy="dedicated", page_size=size))
    result = plan(req, view(host("h1", numa_cells=cells)))
    assert result.decision.placements[0].numa_cells == [0]
    assert getattr(result.usages[0].claim.cells[0], field) == 4096 // per_page
    bigger = request(vdu(memory_mb=8192, cpu_policy="dedicated", page_size=size))
    label = "1 GiB pages" if size == "1GB" else "2 MiB pages"
    assert constraints(place(bigger, view(host("h1", numa_cells=cells)))) == {label: 1}


def test_huge_pages_and_pinned_cpus_must_share_a_cell() -> None:
    cells = [cell(0, dedicated=6), cell(1, dedicated=0, pages_1gb=8)]
    req = request(vdu(vcpus=2, memory_mb=4096, cpu_policy="dedicated", page_size="1GB"))
    assert constraints(place(req, view(host("h1", numa_cells=cells)))) == {
        "room for it in one NUMA cell": 1
    }


def test_numa_nodes_split_evenly_over_distinct_cells() -> None:
    req = request(vdu(vcpus=12, cpu_policy="dedicated", numa_nodes=2))
    decision = place(req, view(host("h1")))
    assert decision.placements[0].numa_cells == [0, 1]
    one_cell = host("h2", numa_cells=[cell(0, cores=16, dedicated=16)])
    assert constraints(place(req, view(one_cell))) == {"2 NUMA cells": 1}


def test_numa_split_places_each_node_by_its_own_size() -> None:
    split = [
        NumaNodeSplit(vcpus=[0, 1, 2, 3], memory_mb=1024),
        NumaNodeSplit(vcpus=[4], memory_mb=1024),
    ]
    req = request(
        vdu(vcpus=5, memory_mb=2048, cpu_policy="dedicated", numa_nodes=2, numa_split=split)
    )
    cells = [cell(0, dedicated=1), cell(1, dedicated=4)]
    result = plan(req, view(host("h1", numa_cells=cells)))
    assert result.decision.placements[0].numa_cells == [1, 0]
    assert [c.pinned_cpus for c in result.usages[0].claim.cells] == [4, 1]


def test_sriov_vf_in_the_guest_cell() -> None:
    nics = [nic("p0", "sriov-n3", cell_id=1)]
    req = request(vdu(cpu_policy="dedicated", interfaces=sriov("n3")))
    decision = place(req, view(host("h1", nics=nics)))
    placement = decision.placements[0]
    assert placement.numa_cells == [1]
    assert placement.physical_functions[0].device == "p0"
    assert placement.physical_functions[0].numa_cell == 1


def test_sriov_vf_in_another_cell_only_when_policy_relaxes() -> None:
    cells = [cell(0), cell(1, dedicated=0)]
    nics = [nic("p0", "sriov-n3", cell_id=1)]
    strict = request(vdu(cpu_policy="dedicated", interfaces=sriov("n3")))
    assert constraints(place(strict, view(host("h1", numa_cells=cells, nics=nics)))) == {
        "room for it in one NUMA cell": 1
    }
    relaxed = request(
        vdu(
            cpu_policy="dedicated",
            interfaces=sriov("n3"),
            extra={"hw:pci_numa_affinity_policy": "preferred"},
        )
    )
    decision = place(relaxed, view(host("h1", numa_cells=cells, nics=nics)))
    assert decision.placements[0].numa_cells == [0]
    assert decision.placements[0].physical_functions[0].numa_cell == 1


def test_sriov_needs_a_nic_on_the_physnet_and_a_free_vf() -> None:
    req = request(vdu(cpu_policy="dedicated", interfaces=sriov("n3", "n6")))
    decision = place(req, view(host("a", nics=[nic("p0", "sriov-n3")]), host("b")))
    assert constraints(decision) == {"a NIC on sriov-n3": 1, "a NIC on sriov-n6": 1}
    two = [
        InterfaceRequirement(cp_id=f"cp{i}", vnic_type="direct", logical_network="n3")
        for i in range(2)
    ]
    full = host("c", nics=[nic("p0", "sriov-n3", vfs=1)])
    decision = place(request(vdu(cpu_policy="dedicated", interfaces=two)), view(full))
    assert constraints(decision) == {"a VF on sriov-n3": 1}
    assert decision.explanation is not None
    assert decision.explanation.nearest_miss == "c is closest: one VF short"


def test_direct_physical_needs_a_pf_with_no_vf_in_use() -> None:
    nics = [nic("p0", "sriov-n3"), nic("p1", "sriov-n3")]
    pf = vdu("pf", cpu_policy="dedicated", interfaces=sriov("n3", vnic_type="direct-physical"))
    vf = vdu("vf", cpu_policy="dedicated", interfaces=sriov("n3"))
    decision = place(request(pf, vf), view(host("h1", nics=nics)))
    devices = {p.vnfc_id: p.physical_functions[0].device for p in decision.placements}
    assert devices["pf-0"] != devices["vf-0"]
    one = host("h1", nics=[nic("p0", "sriov-n3")])
    assert constraints(place(request(vf, pf), view(one))) == {"a free PF on sriov-n3": 1}


def test_ovs_dpdk_hosts_need_huge_pages_for_normal_ports() -> None:
    mgmt = [InterfaceRequirement(cp_id="mgmt")]
    plain = request(vdu(interfaces=mgmt))
    decision = place(plain, view(host("dpdk", ovs_dpdk=True)))
    assert constraints(decision) == {OVS_DPDK_CONSTRAINT: 1}
    paged = request(vdu(memory_mb=2048, page_size="1GB", interfaces=mgmt))
    cells = [cell(0, pages_1gb=4), cell(1)]
    assert place(paged, view(host("dpdk", ovs_dpdk=True, numa_cells=cells))).feasible
    assert hosts_of(place(plain, view(host("dpdk", ovs_dpdk=True), host("k")))) == {"vdu-0": "k"}


def test_virtio_forwarder_needs_a_capable_nic() -> None:
    ports = [InterfaceRequirement(cp_id="vf", vnic_type="virtio-forwarder", logical_network="n3")]
    req = request(vdu(interfaces=ports))
    assert constraints(place(req, view(host("h1")))) == {"a virtio-forwarder NIC": 1}
    smart = host("h2", nics=[nic("agilio", None, virtio_forwarder=True)])
    assert hosts_of(place(req, view(host("h1"), smart))) == {"vdu-0": "h2"}


def test_shared_guests_use_host_vcpus_with_the_allocation_ratio() -> None:
    # Two cells x 2 shared cores x ratio 4 = 16 VCPU.
    ratios = {"cpu": 4.0, "ram": 1.0}
    assert place(request(vdu(vcpus=16)), view(host("h1", allocation_ratios=ratios))).feasible
    decision = place(request(vdu(vcpus=17)), view(host("h1", allocation_ratios=ratios)))
    assert constraints(decision) == {"vCPUs": 1}
    assert place(request(vdu(vcpus=1)), view(host("h1"))).placements[0].numa_cells == []


def test_shared_guests_memory_counts_reserved_memory() -> None:
    cells = [cell(0, memory_mb=8192)]
    assert place(
        request(vdu(memory_mb=6144)),
        view(host("h", numa_cells=cells, reserved_host_memory_mb=2048)),
    ).feasible
    decision = place(
        request(vdu(memory_mb=6145)),
        view(host("h", numa_cells=cells, reserved_host_memory_mb=2048)),
    )
    assert constraints(decision) == {"memory": 1}


def test_disk() -> None:
    assert place(request(vdu(disk_gb=500)), view(host("h1"))).feasible
    assert constraints(place(request(vdu(disk_gb=501)), view(host("h1")))) == {"disk": 1}


def test_thread_policy_is_ignored_for_shared_guests() -> None:
    req = request(vdu(thread_policy="isolate"))
    assert place(req, view(host("ht", traits=HT))).feasible


def test_cells_follow_the_site_strategy_spread_by_default() -> None:
    req = request(vdu(vcpus=2, cpu_policy="dedicated"), count=2)
    spread = place(req, view(host("a")))
    assert [p.numa_cells for p in spread.placements] == [[0], [1]]
    packed = place(req, graph(host("a"), pack_numa_cells=True).capacity_view())
    assert [p.numa_cells for p in packed.placements] == [[0], [0]]


def test_guests_without_sriov_ports_prefer_cells_without_vfs() -> None:
    decision = place(
        request(vdu(vcpus=2, cpu_policy="dedicated")), view(host("a", nics=[nic("p0", "sriov-n3")]))
    )
    assert decision.placements[0].numa_cells == [1]


def test_numa_split_that_no_cell_pair_holds() -> None:
    split = [
        NumaNodeSplit(vcpus=[0, 1, 2, 3], memory_mb=1024),
        NumaNodeSplit(vcpus=[4], memory_mb=1024),
    ]
    req = request(vdu(vcpus=5, memory_mb=2048, cpu_policy="dedicated", numa_split=split))
    cells = [cell(0, dedicated=3), cell(1, dedicated=3)]
    assert constraints(place(req, view(host("h1", numa_cells=cells)))) == {
        "room for it in 2 NUMA cells": 1
    }


@pytest.mark.parametrize(
    ("pages", "claimed"), [({"pages_1gb": 2}, "pages_1gb"), ({"pages_2mb": 1024}, "pages_2mb")]
)
def test_large_pages_take_the_largest_size_available(pages: dict[str, int], claimed: str) -> None:
    req = request(vdu(memory_mb=2048, cpu_policy="dedicated", page_size="large"))
    result = plan(req, view(host("h1", numa_cells=[cell(0, **pages)])))
    assert getattr(result.usages[0].claim.cells[0], claimed) > 0
    assert constraints(place(req, view(host("h1", numa_cells=[cell(0)])))) == {"huge pages": 1}


def test_any_page_size_falls_back_to_small_pages() -> None:
    req = request(vdu(memory_mb=2048, cpu_policy="dedicated", page_size="any"))
    result = plan(req, view(host("h1", numa_cells=[cell(0)])))
    assert result.usages[0].claim.cells[0].memory_mb == 2048


def test_macvtap_ports_take_a_vf_too() -> None:
    req = request(vdu(cpu_policy="dedicated", interfaces=sriov("n3", vnic_type="macvtap")))
    decision = place(req, view(host("h1", nics=[nic("p0", "sriov-n3", vfs=1)])))
    assert decision.placements[0].physical_functions[0].device == "p0"
    assert constraints(
        place(
            request(
                vdu(cpu_policy="dedicated", interfaces=sriov("n3", vnic_type="macvtap")), count=2
            ),
            view(host("h1", nics=[nic("p0", "sriov-n3", vfs=1)])),
        )
    ) == {"a VF on sriov-n3": 1}
