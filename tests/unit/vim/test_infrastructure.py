import time
from pathlib import Path

import yaml

from nfvo.vim.infrastructure import build_graph, host_from_inventory
from nfvo.vim.inventory import SiteInventory, load_inventory
from nfvo.vim.usage import CellClaim, Claim, PortClaim, Usage

REPO = Path(__file__).resolve().parents[3]
LAB = REPO / "simulators/openstack/inventories/lab.yaml"


def test_lab_hosts_cells_and_nics() -> None:
    graph = build_graph(load_inventory(LAB))
    assert sorted(graph.hosts) == [f"compute-0{i}" for i in range(1, 6)]
    host = graph.hosts["compute-01"]
    assert host.hyperthreading and host.zone == "az-1" and "agg-sriov" in host.aggregates
    cell = host.cells[0]
    # 12 dedicated cores x 2 threads pinned; 4 shared cores x 2 threads; pages set aside.
    assert (cell.pcpus, cell.shared_cpus, cell.pages_1gb) == (24, 8, 32)
    assert cell.memory_mb == 98304 - 32 * 1024
    assert host.cpu_ratio == 4.0 and host.reserved_memory_mb == 4096
    assert graph.hosts["compute-04"].ovs_dpdk
    assert not graph.hosts["compute-03"].hyperthreading
    assert graph.hosts_on_physnet("sriov-n6") == ["compute-01", "compute-02", "compute-03"]
    assert graph.hosts_on_physnet("nowhere") == []


def test_empty_state_applies_ratios_and_reservations() -> None:
    state = build_graph(load_inventory(LAB)).states["compute-05"]
    assert state.pinned == [24, 24]
    assert state.vcpus == int(2 * 8 * 4.0)
    assert state.host_memory == 2 * (98304 - 32 * 1024) - 4096
    assert state.disk == 800


def test_generated_hosts_take_the_template_and_zones_round_robin() -> None:
    document = yaml.safe_load(LAB.read_text())
    document["generate_hosts"] = {
        "count": 5,
        "zones": ["az-1", "az-2"],
        "template": {"numa_cells": [{"id": 0, "cores": 4, "memory_mb": 8192}]},
    }
    graph = build_graph(SiteInventory(document))
    assert len(graph.hosts) == 10
    assert [graph.hosts[f"gen-{i:05d}"].zone for i in range(3)] == ["az-1", "az-2", "az-1"]
    assert graph.hosts["gen-00000"].disk_gb == 800  # host_defaults still apply


def test_usage_is_applied_once_and_removed_exactly() -> None:
    graph = build_graph(load_inventory(LAB))
    before = graph.states["compute-01"].key()
    usage = Usage(
        host="compute-01",
        consumer="vnfc-1",
        claim=Claim(
            cells=(CellClaim(0, pinned_cpus=9, pages_1gb=4), CellClaim(1, shared_vcpus=2)),
            disk_gb=10,
            ports=(PortClaim("n3", "0000:3b:00.0", "sriov-n3", 0),),
        ),
    )
    graph.apply(usage)
    graph.apply(usage)  # idempotent per consumer
    state = graph.states["compute-01"]
    assert state.pinned == [15, 24] and state.pages_1gb == [28, 32]
    assert state.shared[1] == 32 - 2 and state.vfs[0] == 7 and not state.whole_pf[0]
    assert graph.remove("vnfc-1") == usage
    assert graph.states["compute-01"].key() == before
    assert graph.remove("vnfc-1") is None


def test_whole_pf_takes_every_vf_and_gives_them_back() -> None:
    graph = build_graph(load_inventory(LAB))
    claim = Claim(ports=(PortClaim("n3", "0000:3b:00.0", "sriov-n3", 0, whole_pf=True),))
    graph.apply(Usage("compute-01", "x", claim))
    state = graph.states["compute-01"]
    assert state.vfs[0] == 0 and not state.whole_pf[0]
    graph.remove("x")
    assert graph.states["compute-01"].vfs[0] == 8 and graph.states["compute-01"].whole_pf[0]


def test_capacity_view_is_a_private_copy_with_its_age() -> None:
    graph = build_graph(load_inventory(LAB))
    view = graph.capacity_view()
    view.states[0].pinned[0] = 0
    assert graph.states["compute-01"].pinned[0] == 24
    assert view.built_at == graph.built_at
    assert 0 <= graph.age_seconds() < 5
    assert graph.age_seconds(now=graph.built_at + 7) == 7
    assert graph.built_at <= time.time()


def test_graph_links_zone_host_cell_nic_physnet() -> None:
    graph = build_graph(load_inventory(LAB)).graph
    assert graph.has_edge(("zone", "az-1"), ("host", "compute-01"))
    assert graph.has_edge(("host", "compute-01"), ("cell", "compute-01", 1))
    assert graph.has_edge(("cell", "compute-01", 1), ("nic", "compute-01", "ens2f0"))
    assert graph.has_edge(("nic", "compute-01", "ens2f0"), ("physnet", "sriov-n3"))
    assert graph.has_edge(("aggregate", "agg-sriov"), ("host", "compute-02"))


def test_host_without_optional_fields() -> None:
    host = host_from_inventory(
        {"name": "h", "zone": "z", "numa_cells": [{"id": 0, "cores": 2, "memory_mb": 1024}]}
    )
    assert host.cells[0].pcpus == 0 and host.cells[0].shared_cpus == 2
    assert host.nics == () and not host.ovs_dpdk and host.cpu_ratio == 1.0


def test_releasing_a_vf_does_not_free_a_pf_taken_whole_elsewhere() -> None:
    document = yaml.safe_load(LAB.read_text())
    document["hosts"][0]["nics"][0]["vfs"] = 0  # a PF without VFs, only passed through whole
    graph = build_graph(SiteInventory(document))
    whole = Claim(ports=(PortClaim("a", "0000:3b:00.0", "sriov-n3", 0, whole_pf=True),))
    vf = Claim(ports=(PortClaim("b", "0000:3b:00.1", "sriov-n6", 0),))
    graph.apply(Usage("compute-01", "whole", whole))
    graph.apply(Usage("compute-01", "vf", vf))
    graph.remove("vf")
    state = graph.states["compute-01"]
    assert not state.whole_pf[0] and state.whole_pf[1]
