"""Rules among VNFCs and whole requests: groups, zones, modes, objectives, all or nothing."""

import pytest

from nfvo.placement.engine import _attempts, place, plan
from nfvo.placement.model import (
    AffinityGroup,
    AffinityKind,
    AffinityScope,
    Objective,
    PlacementMode,
)
from nfvo.vim.infrastructure import CapacityView
from tests.unit.placement.builders import (
    cell,
    constraints,
    graph,
    host,
    hosts_of,
    request,
    sriov,
    vdu,
    view,
)


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


def test_zone_affinity_moves_the_group_to_a_zone_with_room() -> None:
    # Pack opens az-1 first; only az-2 holds all three members.
    hosts = view(host("a", "az-1"), host("b", "az-2"), host("c", "az-2"))
    big = vdu(vcpus=6, cpu_policy="dedicated")
    rules = [group("affinity", "zone", "vdu-0", "vdu-1", "vdu-2", "vdu-3")]
    decision = place(request(big, count=4, groups=rules), hosts)
    assert {p.zone for p in decision.placements} == {"az-2"}


def test_anti_affinity_keeps_away_from_the_hosts_of_running_siblings() -> None:
    rule = group("anti_affinity", "nfvi_node", "vdu-0").model_copy(update={"placed_hosts": ["a"]})
    two = view(host("a"), host("b"))
    assert hosts_of(place(request(vdu(), groups=[rule]), two)) == {"vdu-0": "b"}
    refused = place(request(vdu(), groups=[rule]), view(host("a")))
    assert constraints(refused) == {"distance from anti-affinity group anti_affinity-nfvi_node": 1}


def test_affinity_goes_to_the_host_of_running_siblings() -> None:
    rule = group("affinity", "nfvi_node", "vdu-0").model_copy(update={"placed_hosts": ["b"]})
    three = view(host("a"), host("b"), host("c"))
    assert hosts_of(place(request(vdu(), groups=[rule]), three)) == {"vdu-0": "b"}
    big = request(vdu(vcpus=13), groups=[rule])
    assert constraints(place(big, three)) == {
        "the host of group affinity-nfvi_node's running members (b)": 2,
        "vCPUs": 1,
    }


def test_zone_anti_affinity_counts_the_zones_of_running_siblings() -> None:
    rule = group("anti_affinity", "zone", "vdu-0").model_copy(update={"placed_hosts": ["a"]})
    two = view(host("a", "az-1"), host("b", "az-2"), host("c", "az-1"))
    assert hosts_of(place(request(vdu(), groups=[rule]), two)) == {"vdu-0": "b"}
