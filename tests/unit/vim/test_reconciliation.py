"""Placement's word over the graph: ratios and reservations, and unattributed usage."""

from __future__ import annotations

from nfvo.vim.infrastructure import build_graph
from nfvo.vim.inventory import load_inventory
from nfvo.vim.placement_api import PlacementSnapshot, ProviderInventory, ResourceProvider
from nfvo.vim.reconciliation import (
    accounted_resources,
    count_unattributed,
    prefer_placement_capacity,
)
from nfvo.vim.usage import CellClaim, Claim, Usage
from simulators.openstack.inventory import INVENTORY_DIR

LAB = INVENTORY_DIR / "lab.yaml"


def snapshot(**providers: ResourceProvider) -> PlacementSnapshot:
    return PlacementSnapshot(providers, read_at=0.0)


def provider(
    name: str, usages: dict[str, int], **inventories: ProviderInventory
) -> ResourceProvider:
    return ResourceProvider(f"uuid-{name}", name, inventories, usages)


def test_a_claim_counts_as_placement_does() -> None:
    claim = Claim(
        cells=(
            CellClaim(0, pinned_cpus=4, shared_vcpus=2, pages_1gb=4),
            CellClaim(1, memory_mb=512),
        ),
        vcpus=1,
        memory_mb=256,
        disk_gb=20,
    )
    assert claim.resources() == {"VCPU": 3, "PCPU": 4, "MEMORY_MB": 4864, "DISK_GB": 20}


def test_usage_the_servers_explain_is_not_counted_twice() -> None:
    graph = build_graph(load_inventory(LAB))
    server = Usage(
        "compute-01", "server:a", Claim(cells=(CellClaim(1, pinned_cpus=4),), disk_gb=10)
    )
    graph.apply(server)
    usages = {"PCPU": 6, "DISK_GB": 10, "VCPU": 0}
    caveats = count_unattributed(
        graph,
        snapshot(**{"compute-01": provider("compute-01", usages)}),
        accounted_resources([server]),
    )
    # Cell 1 had 4 taken by the server, so cell 0 has the most free.
    assert graph.usages["placement:compute-01"].claim.cells == (CellClaim(0, pinned_cpus=2),)
    assert graph.usages["placement:compute-01"].claim.disk_gb == 0
    assert "compute-01 (2 PCPU)" in caveats[0]


def test_reserved_pcpus_and_more_than_the_cells_hold() -> None:
    graph = build_graph(load_inventory(LAB))
    pcpu = ProviderInventory(total=48, reserved=8)
    caveats = count_unattributed(
        graph, snapshot(**{"compute-02": provider("compute-02", {"PCPU": 44}, PCPU=pcpu)}), {}
    )
    assert graph.states["compute-02"].pinned == [0, 0]
    assert "24 from cell 0, 24 from cell 1; 4 more than the cells have free" in caveats[1]


def test_placement_capacity_replaces_the_inventory_s() -> None:
    graph = build_graph(load_inventory(LAB))
    graph.apply(Usage("compute-03", "server:b", Claim(vcpus=4, disk_gb=100)))
    inventories = {
        "VCPU": ProviderInventory(total=4, reserved=1, allocation_ratio=8.0),
        "DISK_GB": ProviderInventory(total=800, reserved=50, allocation_ratio=1.0),
    }
    found = snapshot(**{"compute-03": provider("compute-03", {}, **inventories)})
    caveats = prefer_placement_capacity(graph, found)
    state = graph.states["compute-03"]
    assert state.vcpus == (4 - 1) * 8 - 4  # the server's usage applied again
    assert state.disk == 800 - 50 - 100
    assert any("reserved of VCPU" in c and "compute-03: 1 not 0" in c for c in caveats)
    assert caveats[-1].startswith("no Placement resource provider for 4 hosts (compute-01")
