"""A fitting and a failing case for every constraint, with the explanation it gives."""

from typing import Any

import pytest

from descriptors.requirements import InterfaceRequirement, NumaNodeSplit
from nfvo.placement.engine import _attempts, place, plan
from nfvo.placement.fit import OVS_DPDK_CONSTRAINT
from nfvo.placement.model import (
    AffinityGroup,
    AffinityKind,
    AffinityScope,
    Objective,
    PlacementDecision,
    PlacementMode,
)
from nfvo.vim.infrastructure import CapacityView
from tests.unit.placement.builders import cell, graph, host, nic, request, sriov, vdu, view

HT = ["HW_CPU_HYPERTHREADING"]


def constraints(decision: PlacementDecision) -> dict[str, int]:
    assert decision.explanation is not None, "expected a refusal"
    assert not decision.placements
    return {f.constraint: f.hosts for f in decision.explanation.failures}


def hosts_of(decision: PlacementDecision) -> dict[str, Any]:
    assert decision.feasible, str(decision.explanation)
    return {p.vnfc_id: p.host for p in decision.placements}


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


def test_zone_restrictions_per_request_and_per_vnfc() -> None:
    two = view(host("a", "az-1"), host("b", "az-2"))
    assert hosts_of(place(request(vdu(), allowed_zones=["az-2"]), two)) == {"vdu-0": "b"}
    req = request(vdu(vcpus=13), allowed_zones=["az-2"])
    assert constraints(place(req, two)) == {"an allowed zone (az-2)": 1, "vCPUs": 1}
    per_vnfc = request(vdu())
    vnfc = per_vnfc.vnfcs[0].model_copy(update={"zones": ["az-1"]})
    assert hosts_of(place(per_vnfc.model_copy(update={"vnfcs": [vnfc]}), two)) == {"vdu-0": "a"}


def group(kind: str, scope: str, *members: str, best_effort: bool = False) -> AffinityGroup:
    return AffinityGroup(
        group_id=f"{kind}-{scope}",
        kind=AffinityKind(kind),
        scope=AffinityScope(scope),
        members=list(members),
        best_effort=best_effort,
    )


def test_host_anti_affinity() -> None:
    req = request(vdu(), count=2, groups=[group("anti_affinity", "nfvi_node", "vdu-0", "vdu-1")])
    placed = hosts_of(place(req, view(host("a"), host("b"))))
    assert placed["vdu-0"] != placed["vdu-1"]
    decision = place(req, view(host("a")))
    assert constraints(decision) == {"distance from anti-affinity group anti_affinity-nfvi_node": 1}


def test_soft_anti_affinity_falls_back_to_one_host() -> None:
    rules = [group("anti_affinity", "nfvi_node", "vdu-0", "vdu-1", best_effort=True)]
    assert place(request(vdu(), count=2, groups=rules), view(host("a"))).feasible


def test_host_affinity_keeps_members_together() -> None:
    big = vdu(vcpus=4, cpu_policy="dedicated")
    rules = [group("affinity", "nfvi_node", "vdu-0", "vdu-1")]
    placed = hosts_of(
        place(request(big, count=2, groups=rules, objective="spread"), view(host("a"), host("b")))
    )
    assert placed["vdu-0"] == placed["vdu-1"]
    small = [cell(0, dedicated=4)]
    decision = place(request(big, count=2, groups=rules), view(host("a", numa_cells=small)))
    assert decision.explanation is not None
    assert "on one host with vdu-1 (affinity)" in decision.explanation.needs


def test_zone_affinity_and_anti_affinity() -> None:
    four = view(host("a", "az-1"), host("b", "az-2"), host("c", "az-1"), host("d", "az-2"))
    big = vdu(vcpus=6, cpu_policy="dedicated", numa_nodes=1)
    together = request(big, count=3, groups=[group("affinity", "zone", "vdu-0", "vdu-1", "vdu-2")])
    zones = {p.zone for p in place(together, four).placements}
    assert len(zones) == 1
    apart = request(vdu(), count=2, groups=[group("anti_affinity", "zone", "vdu-0", "vdu-1")])
    assert {p.zone for p in place(apart, four).placements} == {"az-1", "az-2"}
    one_zone = view(host("a", "az-1"), host("c", "az-1"))
    decision = place(apart, one_zone)
    assert decision.explanation is not None
    assert constraints(decision) == {"a zone allowed by group anti_affinity-zone (az-2)": 2}


@pytest.mark.parametrize("scope", ["zone_group", "nfvi_pop", "network_link_and_node"])
def test_unsupported_scopes_are_refused(scope: str) -> None:
    req = request(vdu(), count=2, groups=[group("anti_affinity", scope, "vdu-0", "vdu-1")])
    decision = place(req, view(host("a")))
    assert decision.explanation is not None
    assert f"scope {scope}" in decision.explanation.needs


def test_host_affinity_contradicts_zone_anti_affinity() -> None:
    rules = [
        group("affinity", "nfvi_node", "vdu-0", "vdu-1"),
        group("anti_affinity", "zone", "vdu-0", "vdu-1"),
    ]
    decision = place(request(vdu(), count=2, groups=rules), view(host("a"), host("b", "az-2")))
    assert decision.explanation is not None and "both hold" in decision.explanation.needs


def test_contradicting_groups_are_refused() -> None:
    rules = [
        group("affinity", "nfvi_node", "vdu-0", "vdu-1"),
        group("anti_affinity", "nfvi_node", "vdu-0", "vdu-1"),
    ]
    decision = place(request(vdu(), count=2, groups=rules), view(host("a"), host("b")))
    assert decision.explanation is not None and "both hold" in decision.explanation.needs


def test_unbound_sriov_network_is_explained() -> None:
    decision = place(request(vdu(interfaces=sriov("n9"))), view(host("a")))
    assert decision.explanation is not None
    assert "'n9' bound to a physnet" in decision.explanation.needs


def test_zone_and_server_group_mode_leaves_the_host_to_nova() -> None:
    rules = [group("anti_affinity", "nfvi_node", "vdu-0", "vdu-1")]
    req = request(vdu(), count=2, groups=rules, mode=PlacementMode.ZONE_AND_SERVER_GROUP)
    decision = place(req, view(host("a"), host("b")))
    assert all(p.host is None and p.predicted for p in decision.placements)
    groups = {p.server_group for p in decision.placements}
    assert len(groups) == 1 and groups.pop().startswith("nfvo-anti-affinity-nfvi-node-req")
    assert decision.caveats


def test_pack_uses_fewest_hosts_and_spread_uses_many() -> None:
    hosts = [host(f"h{i}", "az-1" if i % 2 else "az-2") for i in range(4)]
    packed = place(request(vdu(vcpus=1), count=4), view(*hosts))
    assert len(set(hosts_of(packed).values())) == 1
    spread = place(request(vdu(vcpus=1), count=4, objective=Objective.SPREAD), view(*hosts))
    assert len(set(hosts_of(spread).values())) == 4
    assert {p.zone for p in spread.placements} == {"az-1", "az-2"}


def test_all_or_nothing_and_the_view_is_left_alone() -> None:
    capacity: CapacityView = view(host("a"))
    before = [state.key() for state in capacity.states]
    decision = place(request(vdu(vcpus=6, cpu_policy="dedicated"), count=3), capacity)
    assert not decision.feasible and not decision.placements
    assert [state.key() for state in capacity.states] == before
    assert decision.graph_age_seconds is not None and decision.graph_age_seconds >= 0


def test_plan_usages_commit_to_the_graph() -> None:
    infrastructure = graph(host("a"))
    req = request(vdu(vcpus=6, cpu_policy="dedicated"), count=2)
    result = plan(req, infrastructure.capacity_view())
    for usage in result.usages:
        infrastructure.apply(usage)
    assert infrastructure.states["a"].pinned == [0, 0]
    assert not place(req, infrastructure.capacity_view()).feasible


def test_repair_moves_a_placed_vnfc_to_make_room() -> None:
    one_cell = [cell(0, dedicated=6)]
    hosts = view(host("a", "az-1", numa_cells=one_cell), host("b", "az-2", numa_cells=one_cell))
    big = vdu("big", vcpus=4, cpu_policy="dedicated")
    pinned_to_az1 = request(big, vdu("small", vcpus=3, cpu_policy="dedicated"))
    small = pinned_to_az1.vnfcs[1].model_copy(update={"zones": ["az-1"]})
    req = pinned_to_az1.model_copy(update={"vnfcs": [pinned_to_az1.vnfcs[0], small]})
    assert not plan(req, hosts, repair_budget=0).decision.feasible
    assert hosts_of(plan(req, hosts).decision) == {"big-0": "b", "small-0": "a"}


def test_a_thousand_identical_hosts_fill_in_order() -> None:
    capacity = view(*[host(f"h{i:04d}", "az-1" if i % 2 else "az-2") for i in range(1000)])
    decision = place(request(vdu(vcpus=6, cpu_policy="dedicated"), count=500), capacity)
    assert len(set(hosts_of(decision).values())) == 250


def test_anti_affinity_members_spread_over_zones_and_pack_within() -> None:
    hosts = view(host("a1", "az-1"), host("a2", "az-1"), host("b1", "az-2"), host("b2", "az-2"))
    upf = vdu("upf", vcpus=2, cpu_policy="dedicated")
    rules = [group("anti_affinity", "nfvi_node", *[f"upf-{i}" for i in range(4)])]
    decision = place(request(upf, count=4, groups=rules), hosts)
    placed = hosts_of(decision)
    assert len(set(placed.values())) == 4
    zones = [p.zone for p in decision.placements]
    assert zones.count("az-1") == zones.count("az-2") == 2


def test_thread_policy_is_ignored_for_shared_guests() -> None:
    req = request(vdu(thread_policy="isolate"))
    assert place(req, view(host("ht", traits=HT))).feasible


def test_spread_gives_way_to_pack_rather_than_fail() -> None:
    one_cell = [cell(0, cores=4, dedicated=2, memory_mb=8192)]
    hosts = view(host("a", numa_cells=one_cell), host("b", numa_cells=one_cell))
    pinned = vdu("p", vcpus=1, memory_mb=4096, cpu_policy="dedicated")
    large = vdu("r", vcpus=1, memory_mb=7168)
    decision = place(
        request(
            pinned, pinned.model_copy(update={"vdu_id": "q"}), large, objective=Objective.SPREAD
        ),
        hosts,
    )
    placed = hosts_of(decision)
    assert placed["p-0"] == placed["q-0"] != placed["r-0"]
    last = _attempts(request(large, objective=Objective.SPREAD))[-1]
    assert not last.spread and last.caveats == ("could not spread: packed instead",)


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


def test_zone_affinity_moves_the_group_to_a_zone_with_room() -> None:
    # Pack opens az-1 first; only az-2 holds all three members.
    hosts = view(host("a", "az-1"), host("b", "az-2"), host("c", "az-2"))
    big = vdu(vcpus=6, cpu_policy="dedicated")
    rules = [group("affinity", "zone", "vdu-0", "vdu-1", "vdu-2", "vdu-3")]
    decision = place(request(big, count=4, groups=rules), hosts)
    assert {p.zone for p in decision.placements} == {"az-2"}


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
