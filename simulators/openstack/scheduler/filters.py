"""The filter scheduler: Nova's filters in Nova's order, then a RAM-spreading weigher.

A request no host survives fails with "No valid host was found."; the reason (which
filter removed the last hosts, and why for each) is returned for the log and /_sim.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from simulators.openstack.hosts import HostState
from simulators.openstack.scheduler.claims import Claim
from simulators.openstack.scheduler.numa import NumaFit, fit_numa
from simulators.openstack.scheduler.pci import fit_pci
from simulators.openstack.scheduler.request import RequestSpec


@dataclass(frozen=True)
class GroupContext:
    policy: str
    max_server_per_host: int
    member_hosts: dict[str, int]


@dataclass
class SchedulingContext:
    spec: RequestSpec
    service_down_time: float
    group: GroupContext | None = None
    now: float = field(default_factory=time.monotonic)
    fits: dict[str, NumaFit] = field(default_factory=dict)
    pci: dict[str, list[object]] = field(default_factory=dict)


@dataclass(frozen=True)
class NoValidHost:
    reason: str
    filter_results: list[str]


Filter = Callable[[HostState, SchedulingContext], str | None]


def compute_filter(host: HostState, ctx: SchedulingContext) -> str | None:
    if host.service.disabled:
        return "compute service disabled"
    if not host.service_up(ctx.now, ctx.service_down_time):
        return "compute service is down"
    return None


def availability_zone_filter(host: HostState, ctx: SchedulingContext) -> str | None:
    zone = ctx.spec.zone
    return None if zone is None or host.spec.zone == zone else f"not in zone {zone}"


def resources_filter(host: HostState, ctx: SchedulingContext) -> str | None:
    """Placement's allocation candidates: VCPU, PCPU, MEMORY_MB, DISK_GB with ratios,
    less what servers and other consumers hold."""
    spec, outside = ctx.spec, host.outside_used
    free_vcpus = host.vcpu_capacity() - host.vcpus_used - outside.get("VCPU", 0)
    if spec.shared_vcpus > free_vcpus:
        return f"VCPU: {spec.shared_vcpus} wanted, {free_vcpus} free"
    free_pcpus = host.dedicated_cpu_count - host.pcpus_used - outside.get("PCPU", 0)
    if spec.pcpus > free_pcpus:
        return f"PCPU: {spec.pcpus} wanted, {free_pcpus} free"
    free_ram = host.free_ram_mb() - outside.get("MEMORY_MB", 0)
    if spec.ram_mb > free_ram:
        return f"MEMORY_MB: {spec.ram_mb} wanted, {free_ram} free"
    free_disk = host.disk_capacity_gb() - host.disk_used_gb - outside.get("DISK_GB", 0)
    if spec.disk_gb > free_disk:
        return f"DISK_GB: {spec.disk_gb} wanted, {free_disk} free"
    return None


def traits_filter(host: HostState, ctx: SchedulingContext) -> str | None:
    traits = set(host.spec.traits)
    missing = ctx.spec.required_traits - traits
    if missing:
        return f"lacks required trait(s) {sorted(missing)}"
    forbidden = ctx.spec.forbidden_traits & traits
    if forbidden:
        return f"has forbidden trait(s) {sorted(forbidden)}"
    return None


def group_filter(host: HostState, ctx: SchedulingContext) -> str | None:
    group = ctx.group
    if group is None or not group.member_hosts:
        return None
    if group.policy == "affinity" and host.name not in group.member_hosts:
        return "server group affinity: not the group's host"
    full = group.member_hosts.get(host.name, 0) >= group.max_server_per_host
    if group.policy == "anti-affinity" and full:
        return "server group anti-affinity: host already holds a member"
    return None


def numa_pci_filter(host: HostState, ctx: SchedulingContext) -> str | None:
    spec = ctx.spec
    if spec.cells is None and not spec.pci and not spec.virtio_forwarder:
        return None  # nothing NUMA- or PCI-bound to place
    if spec.virtio_forwarder and not any(n.spec.virtio_forwarder for n in host.nics):
        return "no NIC supports virtio-forwarder"
    found: dict[str, list[object]] = {}

    def pci_check(cells: list[int] | None) -> str | None:
        if not spec.pci:
            return None
        result = fit_pci(host, spec.pci, cells, spec.pci_policy)
        if isinstance(result, str):
            return result
        found["pci"] = list(result)
        return None

    fit = fit_numa(host, spec, pci_check)
    if isinstance(fit, str):
        return fit
    ctx.fits[host.name] = fit
    ctx.pci[host.name] = found.get("pci", [])
    return None


FILTERS: list[tuple[str, Filter]] = [
    ("ComputeFilter", compute_filter),
    ("AvailabilityZoneFilter", availability_zone_filter),
    ("ServerGroupAffinityFilter/ServerGroupAntiAffinityFilter", group_filter),
    ("PlacementAllocationCandidates", resources_filter),
    ("TraitsFilter (hw:cpu_thread_policy)", traits_filter),
    ("NUMATopologyFilter+PciPassthroughFilter", numa_pci_filter),
]


def select_host(hosts: list[HostState], ctx: SchedulingContext) -> Claim | NoValidHost:
    spec = ctx.spec
    if spec.ignore_hosts:
        hosts = [h for h in hosts if h.name not in spec.ignore_hosts]
    if spec.forced_host is not None:
        hosts = [h for h in hosts if h.name == spec.forced_host]
        if not hosts:
            return NoValidHost(f"requested host {spec.forced_host} does not exist", [])
    results: list[str] = []
    reasons: dict[str, str] = {}
    for name, check in FILTERS:
        start = len(hosts)
        survivors = []
        for host in hosts:
            why = check(host, ctx)
            if why is None:
                survivors.append(host)
            else:
                reasons[host.name] = f"{name}: {why}"
        hosts = survivors
        results.append(f"{name}: (start: {start}, end: {len(hosts)})")
        if not hosts:
            detail = "; ".join(f"{h}: {r}" for h, r in sorted(reasons.items())[:20])
            return NoValidHost(f"{name} returned 0 hosts. {detail}", results)
    return claim_on(_weigh(hosts, ctx), ctx)


def _weigh(hosts: list[HostState], ctx: SchedulingContext) -> HostState:
    group = ctx.group

    def weight(host: HostState) -> tuple[float, float]:
        members = group.member_hosts.get(host.name, 0) if group else 0
        affinity = 0.0
        if group and group.policy == "soft-affinity":
            affinity = members
        elif group and group.policy == "soft-anti-affinity":
            affinity = -members
        return (affinity, host.free_ram_mb())

    return max(hosts, key=weight)


def claim_on(host: HostState, ctx: SchedulingContext) -> Claim:
    spec = ctx.spec
    fit = ctx.fits.get(host.name) or NumaFit([], None)
    return Claim(
        host=host.name,
        vcpus=spec.shared_vcpus,
        pcpus=spec.pcpus,
        ram_mb=spec.ram_mb,
        disk_gb=spec.disk_gb,
        cells=fit.cells,
        emulator_cpu=fit.emulator_cpu,
        pci=list(ctx.pci.get(host.name, [])),  # type: ignore[arg-type]
    )
