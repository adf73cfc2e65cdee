"""The Nova flavour a VDU needs: sizes and the extra specs that ask Nova for its
pinning, NUMA layout and page size.

Shared by placement (the grant's ``vimAssets.computeResourceFlavours``) and the VNF
manager (which finds or creates the flavour when the grant names none), so both derive
the same content and so the same content-hashed name.
"""

from __future__ import annotations

from descriptors.requirements import CpuPolicy, EmulatorThreadsPolicy, VduRequirement
from nfvo.vim.compute import FlavorSpec


def cpu_ranges(cpus: list[int]) -> str:
    """Nova's CPU set syntax: ``[0, 1, 2, 5]`` -> ``0-2,5``."""
    ranges: list[str] = []
    ordered = sorted(set(cpus))
    start = previous = ordered[0]
    for cpu in [*ordered[1:], None]:
        if cpu is not None and cpu == previous + 1:
            previous = cpu
            continue
        ranges.append(str(start) if start == previous else f"{start}-{previous}")
        if cpu is not None:
            start = previous = cpu
    return ",".join(ranges)


def extra_specs(requirement: VduRequirement) -> dict[str, str]:
    """The extra specs that ask Nova for what the engine fitted (ours win over ``extra``)."""
    specs = dict(requirement.extra)
    if requirement.cpu_policy is not CpuPolicy.SHARED:
        specs["hw:cpu_policy"] = requirement.cpu_policy.value
        if requirement.thread_policy is not None:
            specs["hw:cpu_thread_policy"] = requirement.thread_policy.value
        if requirement.emulator_threads is EmulatorThreadsPolicy.ISOLATE:
            specs["hw:emulator_threads_policy"] = "isolate"
    if requirement.cpu_policy is CpuPolicy.MIXED:
        specs["hw:cpu_dedicated_mask"] = cpu_ranges(requirement.dedicated_cpus)
    nodes = requirement.numa_nodes or (len(requirement.numa_split) or None)
    if nodes is not None:
        specs["hw:numa_nodes"] = str(nodes)
    for index, node in enumerate(requirement.numa_split):
        specs[f"hw:numa_cpus.{index}"] = cpu_ranges(node.vcpus)
        specs[f"hw:numa_mem.{index}"] = str(node.memory_mb)
    if requirement.page_size is not None:
        specs["hw:mem_page_size"] = requirement.page_size.value
    return specs


def flavour_spec(requirement: VduRequirement) -> FlavorSpec:
    """The flavour for a VDU; its name is a hash of its content (``FlavorSpec.name``)."""
    return FlavorSpec(
        vcpus=requirement.vcpus,
        ram_mb=requirement.memory_mb,
        disk_gb=requirement.disk_gb,
        extra_specs=extra_specs(requirement),
    )
