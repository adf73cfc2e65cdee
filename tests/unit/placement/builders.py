"""Small site inventories for placement tests, validated against the schema."""

from __future__ import annotations

from typing import Any

from descriptors.requirements import InterfaceRequirement, VduRequirement
from nfvo.placement.model import NetworkBinding, PlacementDecision, PlacementRequest, VnfcRequest
from nfvo.vim.infrastructure import CapacityView, InfrastructureGraph, build_graph
from nfvo.vim.inventory import SiteInventory, validate_inventory

BINDINGS = [
    NetworkBinding(logical_network="n3", physnet="sriov-n3"),
    NetworkBinding(logical_network="n6", physnet="sriov-n6"),
]


def cell(
    cell_id: int = 0,
    *,
    cores: int = 8,
    threads: int = 1,
    memory_mb: int = 65536,
    dedicated: int = 6,
    pages_1gb: int = 0,
    pages_2mb: int = 0,
) -> dict[str, Any]:
    pages = {}
    if pages_1gb:
        pages["1GB"] = pages_1gb
    if pages_2mb:
        pages["2MB"] = pages_2mb
    raw: dict[str, Any] = {
        "id": cell_id,
        "cores": cores,
        "threads_per_core": threads,
        "memory_mb": memory_mb,
        "dedicated_cores": dedicated,
    }
    if pages:
        raw["hugepages"] = pages
    return raw


def nic(
    name: str, physnet: str | None, cell_id: int = 0, vfs: int = 4, **extra: Any
) -> dict[str, Any]:
    raw: dict[str, Any] = {"name": name, "numa_cell": cell_id, "vfs": vfs, **extra}
    if physnet:
        raw["physnet"] = physnet
    return raw


def host(name: str, zone: str = "az-1", **fields: Any) -> dict[str, Any]:
    raw: dict[str, Any] = {"name": name, "zone": zone, "disk_gb": 500}
    raw.setdefault("numa_cells", [cell(0), cell(1)])
    raw.update(fields)
    return raw


def graph(
    *hosts: dict[str, Any], zones: tuple[str, ...] = ("az-1", "az-2"), pack_numa_cells: bool = False
) -> InfrastructureGraph:
    document = {
        "version": 1,
        "regions": [{"name": "r"}],
        "zones": [{"name": zone, "region": "r"} for zone in zones],
        "hosts": list(hosts),
    }
    validate_inventory(document, "test")
    return build_graph(SiteInventory(document), pack_numa_cells=pack_numa_cells)


def view(*hosts: dict[str, Any], zones: tuple[str, ...] = ("az-1", "az-2")) -> CapacityView:
    return graph(*hosts, zones=zones).capacity_view()


def vdu(
    vdu_id: str = "vdu", vcpus: int = 2, memory_mb: int = 2048, **fields: Any
) -> VduRequirement:
    return VduRequirement(vdu_id=vdu_id, vcpus=vcpus, memory_mb=memory_mb, **fields)


def sriov(*networks: str, vnic_type: str = "direct") -> list[InterfaceRequirement]:
    return [
        InterfaceRequirement(cp_id=f"cp-{net}", vnic_type=vnic_type, logical_network=net)
        for net in networks
    ]


def request(*requirements: VduRequirement, count: int = 1, **fields: Any) -> PlacementRequest:
    vnfcs = [
        VnfcRequest(vnfc_id=f"{r.vdu_id}-{i}", vdu_id=r.vdu_id, requirement=r)
        for r in requirements
        for i in range(count)
    ]
    fields.setdefault("network_bindings", BINDINGS)
    return PlacementRequest(request_id="req", vnfcs=vnfcs, **fields)


def constraints(decision: PlacementDecision) -> dict[str, int]:
    assert decision.explanation is not None, "expected a refusal"
    assert not decision.placements
    return {f.constraint: f.hosts for f in decision.explanation.failures}


def hosts_of(decision: PlacementDecision) -> dict[str, Any]:
    assert decision.feasible, str(decision.explanation)
    return {p.vnfc_id: p.host for p in decision.placements}
