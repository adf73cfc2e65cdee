"""The OpenStack side of a grant: flavours whose extra specs make Nova place each VNFC
as decided, and a decision turned into the Grant's own fields.

One flavour per distinct virtual compute descriptor (the VDU), named from its content
with :func:`nfvo.vim.tags.content_name`, so the VNFM's find-or-create by name never
makes a second one. ``vimFlavourId`` is that name unless the caller already knows the
VIM's id for it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from descriptors.requirements import (
    CpuPolicy,
    EmulatorThreadsPolicy,
    InterfaceRequirement,
    NumaNodeSplit,
    PageSize,
    ThreadPolicy,
    VduRequirement,
)
from nfvo.placement.model import PlacementDecision, PlacementRequest
from nfvo.sol.grant import (
    GrantInfo,
    GrantVimAssets,
    PhysicalFunctionHint,
    PlacementHint,
    VimComputeResourceFlavour,
    ZoneInfo,
    placement_params,
)
from nfvo.vim.compute import FlavorSpec
from nfvo.vim.flavor_specs import cpu_ranges, extra_specs, flavour_spec
from nfvo.vim.tags import safe_name_part

__all__ = ["cpu_ranges", "extra_specs", "flavour_spec"]  # their home is nfvo.vim.flavor_specs


def parse_cpu_ranges(text: str) -> list[int]:
    """Nova's CPU set syntax (``0-3,^2,5``) as a sorted list."""
    included: set[int] = set()
    excluded: set[int] = set()
    for part in filter(None, (piece.strip() for piece in text.split(","))):
        target = excluded if part.startswith("^") else included
        first, _, last = part.lstrip("^").partition("-")
        target.update(range(int(first), int(last or first) + 1))
    return sorted(included - excluded)


def requirement_from_flavor(
    vdu_id: str,
    spec: FlavorSpec,
    interfaces: Sequence[InterfaceRequirement] = (),
) -> VduRequirement:
    """What a running server takes, read back from its flavor: the inverse of
    :func:`extra_specs`, so usage derived from a cloud's servers uses the same fitting
    rules as our own decisions. Raises ValueError for extra specs Nova would refuse."""
    specs = dict(spec.extra_specs)
    policy = CpuPolicy(specs.pop("hw:cpu_policy", "shared"))
    nodes = int(specs.pop("hw:numa_nodes")) if "hw:numa_nodes" in specs else None
    split = []
    for index in range(nodes or 0):
        cpus, memory = (
            specs.pop(f"hw:numa_cpus.{index}", None),
            specs.pop(f"hw:numa_mem.{index}", None),
        )
        if cpus is not None and memory is not None:
            split.append(NumaNodeSplit(vcpus=parse_cpu_ranges(cpus), memory_mb=int(memory)))
    thread = specs.pop("hw:cpu_thread_policy", None)
    emulator = specs.pop("hw:emulator_threads_policy", "share")
    page = specs.pop("hw:mem_page_size", None)
    mask = specs.pop("hw:cpu_dedicated_mask", None)
    dedicated = []
    if mask is not None:
        # Nova also accepts the mask as "^shared": those are excluded from all vCPUs.
        listed = parse_cpu_ranges(mask.lstrip("^"))
        dedicated = (
            listed if not mask.startswith("^") else sorted(set(range(spec.vcpus)) - set(listed))
        )
    return VduRequirement(
        vdu_id=vdu_id,
        vcpus=spec.vcpus,
        memory_mb=spec.ram_mb,
        disk_gb=spec.disk_gb,
        cpu_policy=policy,
        dedicated_cpus=dedicated,
        thread_policy=ThreadPolicy(thread) if thread else None,
        emulator_threads=EmulatorThreadsPolicy(emulator),
        numa_nodes=nodes,
        numa_split=split,
        page_size=PageSize(page) if page else None,
        interfaces=list(interfaces),
        extra={k: v for k, v in specs.items() if k.startswith("hw:")},
    )


def flavours_for(request: PlacementRequest) -> dict[str, FlavorSpec]:
    """One flavour per virtual compute descriptor (``vdu_id``) of the request.

    Raises ValueError when two VNFCs of one VDU carry different requirements.
    """
    flavours: dict[str, FlavorSpec] = {}
    for vnfc in request.vnfcs:
        spec = flavour_spec(vnfc.requirement)
        known = flavours.setdefault(vnfc.vdu_id, spec)
        if known != spec:
            raise ValueError(f"VDU {vnfc.vdu_id} has VNFCs with different requirements")
    return flavours


@dataclass(frozen=True)
class GrantPlacement:
    """The Grant fields a placement decision fills (SOL003 9.5.2.3)."""

    zones: list[ZoneInfo]
    add_resources: list[GrantInfo]
    vim_assets: GrantVimAssets
    additional_params: dict[str, Any]


def zone_info_id(zone: str) -> str:
    return f"zone-{safe_name_part(zone)}"


def grant_placement(
    request: PlacementRequest,
    decision: PlacementDecision,
    vim_connection_id: str | None = None,
    flavour_ids: Mapping[str, str] | None = None,
) -> GrantPlacement:
    """The grant's zones, GrantInfo, flavours and placement hints for ``decision``.

    ``flavour_ids`` maps flavour names to VIM ids where they are already known.
    Raises ValueError for a decision without placements.
    """
    if not decision.feasible:
        raise ValueError(f"decision {decision.request_id} has no placements to grant")
    zones = sorted({p.zone for p in decision.placements})
    infos = [
        GrantInfo(
            resource_definition_id=p.vnfc_id,
            reservation_id=p.reservation_id,
            vim_connection_id=vim_connection_id,
            zone_id=zone_info_id(p.zone),
        )
        for p in decision.placements
    ]
    flavours = [
        VimComputeResourceFlavour(
            vim_connection_id=vim_connection_id,
            vnfd_virtual_compute_desc_id=vdu_id,
            vim_flavour_id=(flavour_ids or {}).get(spec.name, spec.name),
        )
        for vdu_id, spec in flavours_for(request).items()
    ]
    hints = {
        p.vnfc_id: PlacementHint(
            host=p.host,
            server_group_id=p.server_group,
            numa_cells=p.numa_cells,
            physical_functions=[
                PhysicalFunctionHint(
                    cp_id=f.cp_id, physnet=f.physnet, device=f.device, numa_cell=f.numa_cell
                )
                for f in p.physical_functions
            ],
            predicted=p.predicted,
        )
        for p in decision.placements
    }
    return GrantPlacement(
        zones=[
            ZoneInfo(id=zone_info_id(z), zone_id=z, vim_connection_id=vim_connection_id)
            for z in zones
        ],
        add_resources=infos,
        vim_assets=GrantVimAssets(compute_resource_flavours=flavours),
        additional_params=placement_params(hints),
    )
