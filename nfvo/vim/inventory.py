"""The site inventory: what a cloud is made of that OpenStack does not publish.

The same file format feeds the OpenStack simulator and, here, the infrastructure
graph (NUMA cells, huge pages, NICs and their physnets, OVS-DPDK). The two share no
code, so both validate against ``docs/schemas/site-inventory.v1.schema.json``.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import orjson
import yaml

SCHEMA_PATH = (
    Path(__file__).resolve().parents[2] / "docs" / "schemas" / "site-inventory.v1.schema.json"
)


class InventoryError(ValueError):
    """An inventory file that cannot be used; the message names the file and the place."""


@cache
def _validator() -> jsonschema.Draft202012Validator:
    schema = orjson.loads(SCHEMA_PATH.read_bytes())
    return jsonschema.Draft202012Validator(schema)


def validate_inventory(document: Any, source: str = "inventory") -> None:
    """Raise InventoryError listing every schema violation with its location."""
    errors = sorted(_validator().iter_errors(document), key=lambda e: list(e.absolute_path))
    if errors:
        lines = [
            f"{source}: {'/'.join(str(p) for p in e.absolute_path) or '(top)'}: {e.message}"
            for e in errors[:20]
        ]
        raise InventoryError("\n".join(lines))


@dataclass(frozen=True)
class SiteInventory:
    document: dict[str, Any]

    @property
    def hosts(self) -> list[dict[str, Any]]:
        """Every host with ``host_defaults`` merged in (shallow, the host's keys win)."""
        defaults = self.document.get("host_defaults", {})
        return [{**defaults, **host} for host in self.document["hosts"]]

    @property
    def zones(self) -> list[str]:
        return [zone["name"] for zone in self.document["zones"]]

    def vfs_per_physnet(self) -> dict[str, int]:
        totals: Counter[str] = Counter()
        for host in self.hosts:
            for nic in host.get("nics", []):
                if "physnet" in nic:
                    totals[nic["physnet"]] += nic.get("vfs", 0)
        return dict(totals)

    def summary(self) -> dict[str, Any]:
        hosts = self.hosts
        threads = sum(
            cell["cores"] * cell.get("threads_per_core", 1)
            for host in hosts
            for cell in host.get("numa_cells", [])
        )
        return {
            "name": self.document.get("name", ""),
            "zones": self.zones,
            "hosts": len(hosts),
            "generated_hosts": self.document.get("generate_hosts", {}).get("count", 0),
            "cpu_threads": threads,
            "ovs_dpdk_hosts": sum(1 for host in hosts if host.get("ovs_dpdk")),
            "vfs_per_physnet": self.vfs_per_physnet(),
            "networks": [network["name"] for network in self.document.get("networks", [])],
        }


def load_inventory(path: Path) -> SiteInventory:
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise InventoryError(f"{path}: {exc.strerror}") from exc
    except yaml.YAMLError as exc:
        raise InventoryError(f"{path}: not valid YAML: {exc}") from exc
    validate_inventory(document, str(path))
    return SiteInventory(document)
