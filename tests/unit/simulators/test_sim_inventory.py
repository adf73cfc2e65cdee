"""The site inventory: validation, defaults, generated hosts."""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from simulators.openstack.inventory import (
    INVENTORY_DIR,
    InventoryError,
    load_inventory,
    parse_inventory,
)


def lab() -> dict[str, Any]:
    document: dict[str, Any] = yaml.safe_load((INVENTORY_DIR / "lab.yaml").read_text())
    return document


def test_lab_inventory_with_defaults() -> None:
    inventory = load_inventory(INVENTORY_DIR / "lab.yaml")
    hosts = {h.name: h for h in inventory.hosts}
    assert len(hosts) == 5
    assert hosts["compute-01"].numa_cells[0].dedicated_cores == 12
    assert hosts["compute-03"].numa_cells[0].threads_per_core == 1
    assert hosts["compute-04"].ovs_dpdk is True
    assert hosts["compute-05"].cpu_allocation_ratio == 4.0
    assert inventory.zones == {"az-1": "RegionOne", "az-2": "RegionOne"}


def test_region_inventory_generates_hosts() -> None:
    inventory = load_inventory(INVENTORY_DIR / "region.yaml")
    assert len(inventory.hosts) == 303
    generated = [h for h in inventory.hosts if h.name.startswith("compute-")]
    assert {h.zone for h in generated} == {"az-1", "az-2", "az-3"}
    assert len(generated[0].nics) == 4
    assert generated[0].numa_cells[1].socket == 1
    assert len(load_inventory(INVENTORY_DIR / "region.yaml", generate_hosts=1000).hosts) == 1003


def test_schema_errors_name_the_place() -> None:
    document = lab()
    document["hosts"][0]["numa_cells"] = [{"id": 0, "cores": 0, "memory_mb": 1}]
    with pytest.raises(InventoryError, match="hosts/0"):
        parse_inventory(document)


def test_unknown_zone_is_refused() -> None:
    document = lab()
    document["hosts"][0]["zone"] = "az-9"
    with pytest.raises(InventoryError, match="az-9"):
        parse_inventory(document)


def test_nic_on_missing_cell_is_refused() -> None:
    document = lab()
    document["hosts"][0]["nics"][0]["numa_cell"] = 7
    with pytest.raises(InventoryError, match="NUMA cell"):
        parse_inventory(document)


def test_huge_pages_beyond_memory_are_refused() -> None:
    document = lab()
    document["host_defaults"]["numa_cells"][0]["hugepages"] = {"1GB": 500}
    with pytest.raises(InventoryError, match="huge pages"):
        parse_inventory(document)


def test_duplicate_host_names_are_refused() -> None:
    document = lab()
    document["hosts"].append(dict(document["hosts"][0]))
    with pytest.raises(InventoryError, match="unique"):
        parse_inventory(document)
