"""The site inventory: a YAML file in the site-inventory schema, expanded into hosts.

``host_defaults`` merge shallowly under every host; ``generate_hosts`` makes synthetic
hosts from a template (round-robin over its zones) for large clouds.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import yaml

SCHEMA_DIR = Path(__file__).resolve().parents[2] / "docs" / "schemas"
SCHEMA_FILE = SCHEMA_DIR / "site-inventory.v1.schema.json"
INVENTORY_DIR = Path(__file__).resolve().parent / "inventories"


class InventoryError(ValueError):
    """An inventory that is not valid against the schema or not coherent."""


@dataclass(frozen=True)
class NumaCellSpec:
    id: int
    cores: int
    threads_per_core: int
    memory_mb: int
    hugepages_2mb: int
    hugepages_1gb: int
    dedicated_cores: int
    socket: int


@dataclass(frozen=True)
class NicSpec:
    name: str
    pci_address: str
    physnet: str | None
    numa_cell: int
    vfs: int
    virtio_forwarder: bool


@dataclass(frozen=True)
class HostSpec:
    name: str
    zone: str
    aggregates: tuple[str, ...]
    disk_gb: int
    numa_cells: tuple[NumaCellSpec, ...]
    reserved_host_memory_mb: int
    nics: tuple[NicSpec, ...]
    ovs_dpdk: bool
    cpu_allocation_ratio: float
    ram_allocation_ratio: float
    disk_allocation_ratio: float
    traits: tuple[str, ...]


@dataclass(frozen=True)
class Inventory:
    name: str
    regions: tuple[str, ...]
    zones: dict[str, str]
    aggregates: dict[str, dict[str, str]]
    hosts: tuple[HostSpec, ...]
    networks: tuple[dict[str, Any], ...] = ()
    flavors: tuple[dict[str, Any], ...] = ()
    images: tuple[dict[str, Any], ...] = ()
    projects: tuple[dict[str, Any], ...] = ()
    pci_in_placement: bool = False
    quotas: dict[str, Any] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)


@cache
def _validator() -> jsonschema.protocols.Validator:
    schema = json.loads(SCHEMA_FILE.read_text())
    return jsonschema.Draft202012Validator(schema)


def validate(document: Any) -> None:
    """Raise InventoryError listing every place the document breaks the schema."""
    errors = sorted(_validator().iter_errors(document), key=lambda e: list(e.absolute_path))
    if errors:
        lines = [f"{'/'.join(map(str, e.absolute_path)) or '<root>'}: {e.message}" for e in errors]
        raise InventoryError("site inventory is invalid:\n" + "\n".join(lines[:20]))


def load_inventory(path: Path | str, generate_hosts: int | None = None) -> Inventory:
    """Read, validate and expand an inventory file; ``generate_hosts`` sets the count."""
    try:
        document = yaml.safe_load(Path(path).read_text())
    except (OSError, yaml.YAMLError) as exc:
        raise InventoryError(f"cannot read inventory {path}: {exc}") from exc
    return parse_inventory(document, generate_hosts)


def parse_inventory(document: Any, generate_hosts: int | None = None) -> Inventory:
    validate(document)
    zones = {z["name"]: z["region"] for z in document["zones"]}
    regions = tuple(r["name"] for r in document["regions"])
    for zone, region in zones.items():
        if region not in regions:
            raise InventoryError(f"zone {zone} names unknown region {region}")
    defaults = document.get("host_defaults", {})
    raw_hosts = [{**defaults, **h} for h in document["hosts"]]
    raw_hosts += _generated(document, defaults, generate_hosts)
    hosts = tuple(_host(raw, zones) for raw in raw_hosts)
    names = [h.name for h in hosts]
    if len(set(names)) != len(names):
        raise InventoryError("host names must be unique")
    return Inventory(
        name=document.get("name", "sim"),
        regions=regions,
        zones=zones,
        aggregates={a["name"]: dict(a.get("metadata", {})) for a in document.get("aggregates", [])},
        hosts=hosts,
        networks=tuple(document.get("networks", [])),
        flavors=tuple(document.get("flavors", [])),
        images=tuple(document.get("images", [])),
        projects=tuple(document.get("projects", [])),
        pci_in_placement=bool(document.get("placement", {}).get("pci_in_placement", False)),
        quotas=_quotas(document),
    )


def _quotas(document: dict[str, Any]) -> dict[str, Any]:
    quotas: dict[str, Any] = document.get("quotas", {})
    projects = {p["name"] for p in document.get("projects", [])} | {"admin"}
    for name in quotas.get("projects", {}):
        if name not in projects:
            raise InventoryError(f"quotas/projects/{name}: no such project in the inventory")
    return quotas


def _generated(
    document: dict[str, Any], defaults: dict[str, Any], count: int | None
) -> list[dict[str, Any]]:
    spec = document.get("generate_hosts", {})
    total = spec.get("count", 0) if count is None else count
    template = {**defaults, **spec.get("template", {})}
    zones = spec.get("zones") or list(z["name"] for z in document["zones"])
    name_format = spec.get("name_format", "gen-{index:05d}")
    return [
        {**template, "name": name_format.format(index=i), "zone": zones[i % len(zones)]}
        for i in range(total)
    ]


def _host(raw: dict[str, Any], zones: dict[str, str]) -> HostSpec:
    name = raw["name"]
    if raw.get("zone") not in zones:
        raise InventoryError(f"host {name} names unknown zone {raw.get('zone')}")
    cells = tuple(
        _cell(c) for c in raw.get("numa_cells", [{"id": 0, "cores": 8, "memory_mb": 32768}])
    )
    ratios = raw.get("allocation_ratios", {})
    nics = tuple(
        NicSpec(
            name=n["name"],
            pci_address=n.get("pci_address", f"0000:{0x3B + i:02x}:00.0"),
            physnet=n.get("physnet"),
            numa_cell=n["numa_cell"],
            vfs=n.get("vfs", 0),
            virtio_forwarder=n.get("virtio_forwarder", False),
        )
        for i, n in enumerate(raw.get("nics", []))
    )
    cell_ids = {c.id for c in cells}
    for nic in nics:
        if nic.numa_cell not in cell_ids:
            raise InventoryError(f"host {name}: NIC {nic.name} is on unknown NUMA cell")
    return HostSpec(
        name=name,
        zone=raw["zone"],
        aggregates=tuple(raw.get("aggregates", [])),
        disk_gb=raw.get("disk_gb", 500),
        numa_cells=cells,
        reserved_host_memory_mb=raw.get("reserved_host_memory_mb", 512),
        nics=nics,
        ovs_dpdk=raw.get("ovs_dpdk", False),
        cpu_allocation_ratio=float(ratios.get("cpu", 16.0)),
        ram_allocation_ratio=float(ratios.get("ram", 1.5)),
        disk_allocation_ratio=float(ratios.get("disk", 1.0)),
        traits=tuple(raw.get("traits", [])),
    )


def _cell(raw: dict[str, Any]) -> NumaCellSpec:
    pages = raw.get("hugepages", {})
    cell = NumaCellSpec(
        id=raw["id"],
        cores=raw["cores"],
        threads_per_core=raw.get("threads_per_core", 1),
        memory_mb=raw["memory_mb"],
        hugepages_2mb=pages.get("2MB", 0),
        hugepages_1gb=pages.get("1GB", 0),
        dedicated_cores=raw.get("dedicated_cores", 0),
        socket=raw.get("socket", raw["id"]),
    )
    if cell.dedicated_cores > cell.cores:
        raise InventoryError(f"NUMA cell {cell.id}: more dedicated cores than cores")
    if cell.hugepages_2mb * 2 + cell.hugepages_1gb * 1024 > cell.memory_mb:
        raise InventoryError(f"NUMA cell {cell.id}: huge pages exceed its memory")
    return cell
