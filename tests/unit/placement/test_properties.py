"""Properties of every feasible plan on random sites and requests."""

from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from descriptors.requirements import InterfaceRequirement, ThreadPolicy, VduRequirement
from nfvo.placement.demand import demand_for
from nfvo.placement.engine import plan
from nfvo.placement.model import AffinityGroup, PlacementRequest, VnfcRequest
from nfvo.vim.infrastructure import InfrastructureGraph
from tests.unit.placement.builders import BINDINGS, cell, graph, host, nic

PHYSNETS = {"n3": "sriov-n3", "n6": "sriov-n6"}


@st.composite
def hosts(draw: st.DrawFn, index: int) -> dict[str, Any]:
    cells = []
    for cell_id in range(draw(st.integers(1, 3))):
        cores = draw(st.integers(2, 8))
        pages_1gb = draw(st.integers(0, 6))
        cells.append(
            cell(
                cell_id,
                cores=cores,
                threads=draw(st.integers(1, 2)),
                dedicated=draw(st.integers(0, cores)),
                memory_mb=draw(st.integers(8, 16)) * 1024,
                pages_1gb=pages_1gb,
                pages_2mb=draw(st.sampled_from([0, 512])),
            )
        )
    nics = [
        nic(
            f"p{n}",
            draw(st.sampled_from(["sriov-n3", "sriov-n6"])),
            draw(st.integers(0, len(cells) - 1)),
            vfs=draw(st.integers(0, 3)),
        )
        for n in range(draw(st.integers(0, 3)))
    ]
    return host(
        f"h{index}",
        draw(st.sampled_from(["az-1", "az-2"])),
        numa_cells=cells,
        nics=nics,
        traits=draw(st.sampled_from([[], ["HW_CPU_HYPERTHREADING"]])),
        ovs_dpdk=draw(st.sampled_from([False, False, False, True])),
        allocation_ratios={"cpu": draw(st.sampled_from([1.0, 2.0, 4.0]))},
        disk_gb=draw(st.integers(20, 200)),
    )


@st.composite
def requirements(draw: st.DrawFn, name: str) -> VduRequirement:
    vcpus = draw(st.integers(1, 6))
    policy = draw(
        st.sampled_from(["shared", "dedicated", "mixed"] if vcpus > 1 else ["shared", "dedicated"])
    )
    dedicated = (
        sorted(draw(st.sets(st.integers(0, vcpus - 1), min_size=1, max_size=vcpus - 1)))
        if policy == "mixed"
        else []
    )
    interfaces = [
        InterfaceRequirement(cp_id=f"cp{i}", vnic_type=vnic, logical_network=net)
        for i, (vnic, net) in enumerate(
            draw(
                st.lists(
                    st.tuples(
                        st.sampled_from(["normal", "direct", "direct-physical"]),
                        st.sampled_from(["n3", "n6"]),
                    ),
                    max_size=2,
                )
            )
        )
    ]
    return VduRequirement(
        vdu_id=name,
        vcpus=vcpus,
        memory_mb=draw(st.sampled_from([1024, 2048, 3072])),
        disk_gb=draw(st.integers(0, 20)),
        cpu_policy=policy,
        dedicated_cpus=dedicated,
        thread_policy=draw(st.sampled_from([None, *ThreadPolicy])),
        emulator_threads=draw(st.sampled_from(["share", "isolate"])),
        numa_nodes=draw(st.sampled_from([None, 1, 2] if vcpus > 1 else [None, 1])),
        page_size=draw(st.sampled_from([None, "small", "1GB", "2MB", "large"])),
        interfaces=interfaces,
        extra=draw(st.sampled_from([{}, {"hw:pci_numa_affinity_policy": "preferred"}])),
    )


@st.composite
def scenarios(draw: st.DrawFn) -> tuple[InfrastructureGraph, PlacementRequest]:
    site = graph(
        *[draw(hosts(i)) for i in range(draw(st.integers(1, 6)))],
        pack_numa_cells=draw(st.booleans()),
    )
    vdus = [draw(requirements(f"v{i}")) for i in range(draw(st.integers(1, 3)))]
    vnfcs = [
        VnfcRequest(vnfc_id=f"c{i}", vdu_id=r.vdu_id, requirement=r)
        for i, r in enumerate(draw(st.lists(st.sampled_from(vdus), min_size=1, max_size=8)))
    ]
    ids = [v.vnfc_id for v in vnfcs]
    groups = []
    if len(ids) >= 2:
        kind = draw(st.sampled_from(["affinity", "anti_affinity"]))
        scope = draw(st.sampled_from(["nfvi_node", "zone"]))
        members = draw(st.lists(st.sampled_from(ids), min_size=2, max_size=3, unique=True))
        groups.append(AffinityGroup(group_id="g", kind=kind, scope=scope, members=members))
    request = PlacementRequest(
        request_id="p",
        vnfcs=vnfcs,
        groups=groups,
        network_bindings=BINDINGS,
        objective=draw(st.sampled_from(["pack", "spread"])),
    )
    return site, request


def _check_capacity(site: InfrastructureGraph) -> None:
    for name, state in site.states.items():
        numbers = [
            *state.pinned,
            *state.shared,
            *state.memory,
            *state.pages_1gb,
            *state.pages_2mb,
            *state.vfs,
        ]
        assert min(numbers, default=0) >= 0, name
        assert state.vcpus >= 0 and state.host_memory >= 0 and state.disk >= 0, name


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenarios())
def test_feasible_plans_respect_capacity_groups_and_numa(
    scenario: tuple[InfrastructureGraph, PlacementRequest],
) -> None:
    check_plan(scenario)


@pytest.mark.deep
@settings(max_examples=5000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenarios())
def test_feasible_plans_respect_capacity_groups_and_numa_deep(
    scenario: tuple[InfrastructureGraph, PlacementRequest],
) -> None:
    check_plan(scenario)


def check_plan(scenario: tuple[InfrastructureGraph, PlacementRequest]) -> None:
    site, request = scenario
    result = plan(request, site.capacity_view())
    event("feasible" if result.decision.feasible else "refused")
    if not result.decision.feasible:
        assert result.decision.explanation is not None and result.decision.explanation.needs
        return
    for usage in result.usages:
        site.apply(usage)
    _check_capacity(site)
    host_of = {u.consumer.split("/")[1]: u.host for u in result.usages}
    for vnfc, usage in zip(request.vnfcs, result.usages, strict=True):
        host = site.hosts[usage.host]
        demand = demand_for(vnfc.requirement, PHYSNETS)
        cells = usage.claim.numa_cells
        if demand.numa:
            assert len(cells) == len(demand.nodes) == len(set(cells))
            for port in usage.claim.ports:
                assert demand.pci_relaxed or port.numa_cell in cells
        else:
            assert cells == []
        if demand.thread_policy is ThreadPolicy.ISOLATE and demand.numa and demand.pinned:
            assert not host.hyperthreading
        if host.ovs_dpdk and demand.normal_ports:
            assert demand.huge_pages
        whole = [p.device for p in usage.claim.ports if p.whole_pf]
        assert len(whole) == len(set(whole))
    for group in request.groups:
        placed = [host_of[m] for m in group.members]
        where = placed if group.scope == "nfvi_node" else [site.hosts[h].zone for h in placed]
        if group.kind == "affinity":
            assert len(set(where)) == 1
        else:
            assert len(set(where)) == len(where)
    # No PF is passed through whole while one of its VFs is in use.
    for name in site.hosts:
        devices = [p for u in result.usages if u.host == name for p in u.claim.ports]
        for device in {p.device for p in devices if p.whole_pf}:
            assert [p for p in devices if p.device == device] == [
                next(p for p in devices if p.device == device)
            ]
