"""Plain-text and tabular views of a loaded package, for the CLI and ``make demo``.

:func:`describe` says what a 5G-core package asks of the cloud: for a VNF, each VDU
with its compute and data-plane needs and the logical networks it attaches to; for an
NSD, its VNF profiles, virtual links and the order the VNFs must come up in.
"""

from __future__ import annotations

from pathlib import Path
from typing import TypedDict

from descriptors.loader import LoadedPackage, load_package
from descriptors.model import Nsd, Vnfd
from descriptors.package_security import DEFAULT_POLICY, SignaturePolicy
from descriptors.problems import Severity
from descriptors.requirements import CpuPolicy, VduRequirement

SHIPPED = Path(__file__).resolve().parent / "packages"


class PackageRow(TypedDict):
    """One line of ``nfvo package validate``."""

    name: str
    kind: str
    version: str
    size: str
    status: str
    signature: str


def package_row(loaded: LoadedPackage) -> PackageRow:
    """Name, kind, version, VDUs or VNF profiles, and status of a package that loaded."""
    warnings = sum(1 for p in loaded.warnings if p.severity is Severity.WARNING)
    signature = loaded.files.security.describe()
    status = f"valid ({warnings} warning{'s' if warnings != 1 else ''})" if warnings else "valid"
    if loaded.vnfd is not None:
        vdus = sum(len(f.vdus) for f in loaded.vnfd.flavours)
        return PackageRow(
            name=loaded.vnfd.product_name,
            kind="vnf",
            version=loaded.vnfd.software_version,
            size=f"{vdus} VDU{'s' if vdus != 1 else ''}",
            status=status,
            signature=signature,
        )
    if loaded.nsd is not None:
        profiles = sum(len(f.vnf_profiles) for f in loaded.nsd.flavours)
        return PackageRow(
            name=loaded.nsd.name,
            kind="nsd",
            version=loaded.nsd.version,
            size=f"{profiles} VNF profile{'s' if profiles != 1 else ''}",
            status=status,
            signature=signature,
        )
    return PackageRow(
        name=loaded.files.root.name,
        kind=loaded.files.kind.value,
        version="",
        size="",
        status=status,
        signature=signature,
    )


def describe(loaded: LoadedPackage) -> str:
    """A few lines an operator reads to see what the package needs."""
    if loaded.vnfd is not None:
        return describe_vnfd(loaded.vnfd, loaded.requirements)
    if loaded.nsd is not None:
        return describe_nsd(loaded.nsd)
    return f"{loaded.files.root.name}: no descriptor"


def describe_vnfd(vnfd: Vnfd, requirements: dict[str, dict[str, VduRequirement]]) -> str:
    lines = [f"VNF {vnfd.product_name} {vnfd.software_version} ({vnfd.provider})"]
    for flavour in vnfd.flavours:
        lines.append(f"  flavour {flavour.flavour_id}:")
        for vdu_id, need in requirements.get(flavour.flavour_id, {}).items():
            lines.append(f"    VDU {vdu_id}: {_compute(need)}")
            for iface in need.interfaces:
                lines.append(
                    f"      {iface.cp_id}: {iface.vnic_type.value} on "
                    f"{iface.logical_network or '(unbound)'}"
                )
        links = [vl.vl_id for vl in flavour.virtual_links] + [cp.cp_id for cp in flavour.ext_cps]
        lines.append(f"    logical networks: {', '.join(links) or 'none'}")
        for rule in flavour.placement_rules:
            lines.append(f"    {rule.kind.value} per {rule.scope}: {', '.join(rule.targets)}")
    return "\n".join(lines)


def _compute(need: VduRequirement) -> str:
    parts = [f"{need.vcpus} vCPU", f"{need.memory_mb // 1024} GiB", f"{need.disk_gb} GB disk"]
    if need.cpu_policy is not CpuPolicy.SHARED:
        parts.append(f"{need.cpu_policy.value} CPUs")
        parts.append(f"emulator threads {need.emulator_threads.value}")
    if need.page_size is not None:
        parts.append(f"{need.page_size.value} pages")
    if need.numa_nodes is not None:
        parts.append(f"{need.numa_nodes} NUMA node{'s' if need.numa_nodes != 1 else ''}")
    if need.dpdk:
        parts.append("DPDK")
    return ", ".join(parts)


def describe_nsd(nsd: Nsd) -> str:
    lines = [f"NS {nsd.name} {nsd.version} ({nsd.designer})"]
    for flavour in nsd.flavours:
        lines.append(f"  flavour {flavour.flavour_id}:")
        for profile in flavour.vnf_profiles:
            links = ", ".join(sorted(set(profile.virtual_links.values())))
            lines.append(
                f"    VNF {profile.profile_id} ({profile.product_name}): "
                f"{profile.min_instances}-{profile.max_instances} instances on {links}"
            )
        for vl in flavour.virtual_links:
            lines.append(f"    virtual link {vl.vl_id}: {vl.description}")
        order = ", ".join(f"{d.depends_on} before {d.vnf}" for d in flavour.dependencies)
        lines.append(f"    order: {order or 'any'}")
        for level in flavour.instantiation_levels:
            counts = ", ".join(f"{k}={v}" for k, v in sorted(level.vnf_instances.items()))
            lines.append(f"    level {level.level_id}: {counts}")
    return "\n".join(lines)


def describe_core(
    workdir: Path, source: Path = SHIPPED, signatures: SignaturePolicy = DEFAULT_POLICY
) -> str:
    """The shipped 5G core, the NSD first: what ``make demo`` prints."""
    loaded = [
        load_package(tree, workdir / tree.name, signatures=signatures)
        for tree in sorted(source.iterdir())
    ]
    loaded.sort(key=lambda package: package.nsd is None)
    return "\n\n".join(describe(package) for package in loaded)
