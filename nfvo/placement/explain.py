"""Why a VNFC fits nowhere, in words an operator can act on.

For the VNFC that could not be placed: what it needs (one sentence), how many hosts
fail on each constraint (a host counts under every constraint it fails), and the
nearest miss: the host with the smallest relative shortfall and what it lacks.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from descriptors.requirements import PageSize
from nfvo.placement.demand import Demand
from nfvo.placement.fit import fit, static_failure
from nfvo.placement.model import ConstraintFailure, PlacementExplanation
from nfvo.vim.infrastructure import Host
from nfvo.vim.usage import HostState

NUMA_ALIGNMENT = "room for it in {cells}"


@dataclass(frozen=True)
class Gap:
    constraint: str
    short: float  # how much is missing
    need: float  # how much is needed: short / need ranks the nearest miss
    unit: str = ""

    def describe(self) -> str:
        if self.need == 0:
            return self.constraint
        if float(self.short).is_integer():
            amount = "one" if self.short == 1 else str(int(self.short))
            # Units ending in a capital (CPU, VF, PF) are countable and take a plural.
            unit = self.unit if self.short == 1 or self.unit[-1:].islower() else self.unit + "s"
        else:
            amount, unit = f"{self.short:.1f}", self.unit
        return f"{amount} {unit} short"


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


def describe_needs(vnfc_id: str, demand: Demand) -> str:
    """e.g. 'upf-2 needs 9 pinned CPUs, 4 GiB of 1 GiB pages and VFs on sriov-n3 in one
    NUMA cell'."""
    parts: list[str] = []
    if demand.pinned:
        parts.append(_plural(demand.pinned, "pinned CPU"))
    shared = sum(node.shared for node in demand.nodes) if demand.numa else demand.vcpus
    if shared:
        parts.append(_plural(shared, "vCPU"))
    if demand.huge_pages:
        size = {PageSize.SIZE_2MB: "2 MiB pages", PageSize.SIZE_1GB: "1 GiB pages"}.get(
            demand.page_size or PageSize.LARGE, "huge pages"
        )
        parts.append(f"{demand.memory_mb / 1024:g} GiB of {size}")
    else:
        parts.append(f"{demand.memory_mb / 1024:g} GiB of memory")
    vfs = sorted({port.physnet for port in demand.ports if not port.whole_pf})
    pfs = sorted({port.physnet for port in demand.ports if port.whole_pf})
    if vfs:
        parts.append("VFs on " + " and ".join(vfs))
    if pfs:
        parts.append("whole PFs on " + " and ".join(pfs))
    if demand.disk_gb:
        parts.append(f"{demand.disk_gb} GB of disk")
    text = ", ".join(parts[:-1]) + (" and " if len(parts) > 1 else "") + parts[-1]
    if demand.numa:
        count = len(demand.nodes)
        text += " in one NUMA cell" if count == 1 else f" in {count} NUMA cells"
    return f"{vnfc_id} needs {text}"


def _page_gaps(state: HostState, demand: Demand) -> list[Gap]:
    memory = demand.memory_mb
    if demand.page_size is PageSize.SIZE_1GB:
        free = sum(state.pages_1gb) * 1024
        label = "1 GiB pages"
    elif demand.page_size is PageSize.SIZE_2MB:
        free = sum(state.pages_2mb) * 2
        label = "2 MiB pages"
    else:
        free = sum(state.pages_1gb) * 1024 + sum(state.pages_2mb) * 2
        label = "huge pages"
    if free >= memory:
        return []
    return [Gap(label, (memory - free) / 1024, memory / 1024, f"GiB of {label}")]


def _port_gaps(host: Host, state: HostState, demand: Demand) -> list[Gap]:
    gaps: list[Gap] = []
    for physnet in sorted({port.physnet for port in demand.ports}):
        wanted_vfs = sum(1 for p in demand.ports if p.physnet == physnet and not p.whole_pf)
        wanted_pfs = sum(1 for p in demand.ports if p.physnet == physnet and p.whole_pf)
        nics = [i for i, nic in enumerate(host.nics) if nic.physnet == physnet]
        free_vfs = sum(state.vfs[i] for i in nics)
        free_pfs = sum(1 for i in nics if state.whole_pf[i])
        if wanted_vfs > free_vfs:
            gaps.append(Gap(f"a VF on {physnet}", wanted_vfs - free_vfs, wanted_vfs, "VF"))
        if wanted_pfs > free_pfs:
            gaps.append(Gap(f"a free PF on {physnet}", wanted_pfs - free_pfs, wanted_pfs, "PF"))
    return gaps


def capacity_gaps(host: Host, state: HostState, demand: Demand) -> list[Gap]:
    """Host-wide shortfalls; empty when only the NUMA alignment is missing."""
    gaps: list[Gap] = []
    if demand.numa:
        if demand.pinned > sum(state.pinned):
            missing = demand.pinned - sum(state.pinned)
            gaps.append(Gap("pinned CPUs", missing, demand.pinned, "pinned CPU"))
        shared = sum(node.shared for node in demand.nodes)
        if shared > min(sum(state.shared), state.vcpus):
            free = min(sum(state.shared), state.vcpus)
            gaps.append(Gap("shared vCPUs", shared - free, shared, "vCPU"))
        if demand.huge_pages:
            gaps += _page_gaps(state, demand)
        elif demand.memory_mb > min(sum(state.memory), state.host_memory):
            free = min(sum(state.memory), state.host_memory)
            short = (demand.memory_mb - free) / 1024
            gaps.append(Gap("memory", short, demand.memory_mb / 1024, "GiB of memory"))
    else:
        if demand.vcpus > state.vcpus:
            gaps.append(Gap("vCPUs", demand.vcpus - state.vcpus, demand.vcpus, "vCPU"))
        if demand.memory_mb > state.host_memory:
            short = (demand.memory_mb - state.host_memory) / 1024
            gaps.append(Gap("memory", short, demand.memory_mb / 1024, "GiB of memory"))
    gaps += _port_gaps(host, state, demand)
    if demand.disk_gb > state.disk:
        gaps.append(Gap("disk", demand.disk_gb - state.disk, demand.disk_gb, "GB of disk"))
    return gaps


def diagnose(host: Host, state: HostState, demand: Demand) -> list[Gap]:
    """Every reason ``host`` cannot take the guest now (empty if it can)."""
    reason = static_failure(host, demand)
    if reason is not None:
        return [Gap(reason, 1, 0)]
    gaps = capacity_gaps(host, state, demand)
    if not gaps and fit(host, state, demand) is None:
        cells = "one NUMA cell" if len(demand.nodes) == 1 else f"{len(demand.nodes)} NUMA cells"
        gaps.append(Gap(NUMA_ALIGNMENT.format(cells=cells), 1, 0))
    return gaps


def explain(
    vnfc_id: str,
    demand: Demand,
    hosts: Sequence[Host],
    states: Sequence[HostState],
    excluded: Callable[[int], str | None],
) -> PlacementExplanation:
    """The explanation for ``vnfc_id``; ``excluded(i)`` names a rule (zone, group) that
    keeps host ``i`` out before its capacity is even considered."""
    counts: Counter[str] = Counter()
    nearest: tuple[float, str] | None = None
    for index, host in enumerate(hosts):
        rule = excluded(index)
        gaps = [Gap(rule, 1, 0)] if rule else diagnose(host, states[index], demand)
        for gap in gaps:
            counts[gap.constraint] += 1
        if rule or not gaps or any(gap.need == 0 for gap in gaps):
            continue  # rules and host properties are not "near": capacity cannot fix them
        score = sum(gap.short / gap.need for gap in gaps)
        text = f"{host.name} is closest: " + ", ".join(gap.describe() for gap in gaps)
        if nearest is None or score < nearest[0]:
            nearest = (score, text)
    failures = [
        ConstraintFailure(constraint=name, hosts=count) for name, count in counts.most_common()
    ]
    return PlacementExplanation(
        vnfc_id=vnfc_id,
        needs=describe_needs(vnfc_id, demand),
        failures=failures,
        nearest_miss=nearest[1] if nearest else None,
    )
