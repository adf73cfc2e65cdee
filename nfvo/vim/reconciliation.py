"""The graph reconciled with Placement: what Nova enforces wins over what we derived.

Two steps, each returning the caveats a decision carries:

- :func:`prefer_placement_capacity`, before any usage is applied: where Placement's
  ``reserved`` or ``allocation_ratio`` of VCPU, MEMORY_MB or DISK_GB differ from the
  site inventory, the host takes Placement's (Nova schedules with them). Reserved
  PCPUs have no inventory field: they count as pinned CPUs in use (second step).
- :func:`count_unattributed`, after the servers' usage: where Placement counts more
  VCPU, PCPU, MEMORY_MB or DISK_GB in use on a host than the usage we can attribute
  there (servers, held reservations), the excess is held by one more usage on the
  host, consumer ``placement:<host>``: shared vCPUs, memory and disk host-wide; pinned
  CPUs, which Placement does not place in a NUMA cell, from the cells with the most
  free pinned CPUs (the worst case for the next pinned guest).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping

from nfvo.vim.infrastructure import Host, InfrastructureGraph
from nfvo.vim.placement_api import PlacementSnapshot, ProviderInventory
from nfvo.vim.usage import CellClaim, Claim, Usage

LISTED = 5  # hosts named per caveat; the rest are counted
# Resource class -> (the Host field of its allocation ratio, of its reserved amount).
HOST_FIELDS = {
    "VCPU": ("cpu_ratio", "reserved_vcpus"),
    "MEMORY_MB": ("ram_ratio", "reserved_memory_mb"),
    "DISK_GB": ("disk_ratio", "reserved_disk_gb"),
}


def _hosts(names: list[str]) -> str:
    shown = ", ".join(names[:LISTED])
    return shown + (f" and {len(names) - LISTED} more" if len(names) > LISTED else "")


def prefer_placement_capacity(graph: InfrastructureGraph, snapshot: PlacementSnapshot) -> list[str]:
    """Hosts take Placement's reserved amounts and allocation ratios; a caveat per
    (resource class, field) that differed, naming the hosts."""
    differences: dict[tuple[str, str], list[str]] = {}
    missing: list[str] = []
    for name, host in list(graph.hosts.items()):
        provider = snapshot.providers.get(name)
        if provider is None:
            missing.append(name)
            continue
        changes: dict[str, float | int] = {}
        for resource, (ratio_field, reserved_field) in HOST_FIELDS.items():
            record = provider.inventories.get(resource)
            if record is None:
                continue
            pairs = ((ratio_field, record.allocation_ratio), (reserved_field, record.reserved))
            for field, wanted in pairs:
                ours = getattr(host, field)
                if ours != wanted:
                    changes[field] = type(ours)(wanted)
                    label = "allocation_ratio" if field == ratio_field else "reserved"
                    differences.setdefault((resource, label), []).append(
                        f"{name}: {wanted} not {ours}"
                    )
        if changes:
            graph.replace_host(dataclasses.replace(host, **changes))  # type: ignore[arg-type]
    caveats = [
        f"Placement's {label} of {resource} differs from the site inventory on "
        f"{len(hosts)} hosts ({_hosts(hosts)}): Placement's is used, as Nova enforces it"
        for (resource, label), hosts in sorted(differences.items())
    ]
    if missing:
        caveats.append(
            f"no Placement resource provider for {len(missing)} hosts ({_hosts(missing)}): "
            "their capacity is the site inventory's"
        )
    return caveats


def _pcpu_held(record: ProviderInventory | None, used: int) -> int:
    """Pinned CPUs Placement keeps from guests: used, plus reserved (the site inventory
    reserves none)."""
    return used + (record.reserved if record is not None else 0)


def _pinned_from_fullest_free(host: Host, free: list[int], count: int) -> tuple[CellClaim, ...]:
    """``count`` pinned CPUs from the cells with the most free, one cell after another."""
    claims: list[CellClaim] = []
    for index in sorted(range(len(free)), key=lambda i: free[i], reverse=True):
        taken = min(count, free[index])
        if taken > 0:
            claims.append(CellClaim(host.cells[index].cell_id, pinned_cpus=taken))
            count -= taken
    return tuple(claims)


def accounted_resources(usages: Iterable[Usage]) -> dict[str, dict[str, int]]:
    """Host -> Placement resource class -> amount ``usages`` explain."""
    totals: dict[str, dict[str, int]] = {}
    for usage in usages:
        host = totals.setdefault(usage.host, {})
        for name, amount in usage.claim.resources().items():
            host[name] = host.get(name, 0) + amount
    return totals


def count_unattributed(
    graph: InfrastructureGraph,
    snapshot: PlacementSnapshot,
    accounted: Mapping[str, Mapping[str, int]],
) -> list[str]:
    """Apply what Placement counts beyond ``accounted`` (host -> class -> amount) as
    one usage per host; the caveats say where and how much."""
    excess_by_host: list[str] = []
    cell_notes: list[str] = []
    for name, host in graph.hosts.items():
        provider = snapshot.providers.get(name)
        if provider is None:
            continue
        ours = accounted.get(name, {})
        excess = {
            resource: max(used - ours.get(resource, 0), 0)
            for resource, used in provider.usages.items()
        }
        excess["PCPU"] = max(
            _pcpu_held(provider.inventories.get("PCPU"), provider.usages.get("PCPU", 0))
            - ours.get("PCPU", 0),
            0,
        )
        if not any(excess.values()):
            continue
        cells = _pinned_from_fullest_free(host, graph.states[name].pinned, excess["PCPU"])
        claim = Claim(
            cells=cells,
            vcpus=excess.get("VCPU", 0),
            memory_mb=excess.get("MEMORY_MB", 0),
            disk_gb=excess.get("DISK_GB", 0),
        )
        graph.apply(Usage(host=name, consumer=f"placement:{name}", claim=claim))
        amounts = ", ".join(f"{amount} {rc}" for rc, amount in sorted(excess.items()) if amount)
        excess_by_host.append(f"{name} ({amounts})")
        if excess["PCPU"]:
            placed = sum(cell.pinned_cpus for cell in cells)
            where = ", ".join(f"{c.pinned_cpus} from cell {c.cell_id}" for c in cells) or "none"
            beyond = excess["PCPU"] - placed
            short = f"; {beyond} more than the cells have free" if beyond else ""
            cell_notes.append(f"{name}: {where}{short}")
    caveats = []
    if excess_by_host:
        caveats.append(
            "Placement counts usage the servers seen do not explain, held as unattributed: "
            + _hosts(excess_by_host)
        )
    if cell_notes:
        caveats.append(
            "unattributed pinned CPUs have no NUMA cell in Placement: taken from the cells "
            "with the most free pinned CPUs (" + _hosts(cell_notes) + ")"
        )
    return caveats
