"""A plan in rows: one per VNFC (where it lands and what it takes) and one per host
(what is used of it after the plan), for the CLI's table, JSON and picture, and later
for the API's dry run.

The numbers come from the engine's claims, so what is shown is what a reservation
would take, not a recomputation from the descriptors.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from nfvo.placement.engine import Plan
from nfvo.placement.flavours import flavour_spec
from nfvo.placement.requests import BuiltRequest
from nfvo.vim.infrastructure import CapacityView, Host
from nfvo.vim.usage import Claim, HostState, Usage

GIB = 1024


@dataclass(frozen=True)
class VnfcRow:
    vnfc_id: str
    vnf: str
    vdu_id: str
    host: str | None
    zone: str
    numa_cells: list[int]
    vfs: dict[str, list[str]]  # physnet -> the PFs (NIC names) its VFs come from
    whole_pfs: dict[str, list[str]]  # physnet -> PFs passed through whole
    pinned_cpus: int
    shared_vcpus: int
    memory_mb: int  # small pages
    pages_1gb: int
    pages_2mb: int
    flavour: str
    server_group: str | None = None


@dataclass(frozen=True)
class Used:
    used: int
    total: int

    def __str__(self) -> str:
        return f"{self.used}/{self.total}"

    @property
    def share(self) -> float:
        return self.used / self.total if self.total else 0.0


@dataclass(frozen=True)
class HostRow:
    host: str
    zone: str
    vnfcs: list[str]
    pinned_cpus: Used
    vcpus: Used
    memory_gb: Used
    pages_1gb: Used
    vfs: dict[str, Used] = field(default_factory=dict)  # physnet -> VFs


@dataclass(frozen=True)
class PlanReport:
    request_id: str
    feasible: bool
    vnfcs: list[VnfcRow]
    hosts: list[HostRow]  # every host of the view, in its order
    explanation: str | None = None
    caveats: list[str] = field(default_factory=list)

    @property
    def hosts_used(self) -> list[HostRow]:
        return [row for row in self.hosts if row.vnfcs]

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["hosts_used"] = [row.host for row in self.hosts_used]
        return data


def claims_by_vnfc(plan: Plan) -> dict[str, Usage]:
    """The plan's usages keyed by VNFC id (consumers are ``request_id/vnfc_id``)."""
    return {usage.consumer.rsplit("/", 1)[-1]: usage for usage in plan.usages}


def nic_name(host: Host, device: str) -> str:
    return next((nic.name for nic in host.nics if nic.device == device), device)


def plan_report(built: BuiltRequest, view: CapacityView, plan: Plan) -> PlanReport:
    """Rows for ``plan`` of ``built`` on ``view`` (the view before the plan)."""
    decision = plan.decision
    usages = claims_by_vnfc(plan)
    hosts = {host.name: host for host in view.hosts}
    rows: list[VnfcRow] = []
    for vnfc in built.request.vnfcs:
        placement = decision.placement(vnfc.vnfc_id)
        usage = usages.get(vnfc.vnfc_id)
        if placement is None or usage is None:
            continue
        rows.append(
            _vnfc_row(
                built.vnf_of(vnfc.vnfc_id),
                vnfc.vnfc_id,
                vnfc.vdu_id,
                hosts[usage.host],
                usage.claim,
                flavour_spec(vnfc.requirement).name,
                placement.host,
                placement.server_group,
            )
        )
    return PlanReport(
        request_id=built.request.request_id,
        feasible=decision.feasible,
        vnfcs=rows,
        hosts=_host_rows(view, plan.usages),
        explanation=str(decision.explanation) if decision.explanation else None,
        caveats=list(decision.caveats),
    )


def _vnfc_row(
    vnf: str,
    vnfc_id: str,
    vdu_id: str,
    host: Host,
    claim: Claim,
    flavour: str,
    named_host: str | None,
    server_group: str | None,
) -> VnfcRow:
    vfs: dict[str, list[str]] = {}
    whole: dict[str, list[str]] = {}
    for port in claim.ports:
        target = whole if port.whole_pf else vfs
        target.setdefault(port.physnet, []).append(nic_name(host, port.device))
    return VnfcRow(
        vnfc_id=vnfc_id,
        vnf=vnf,
        vdu_id=vdu_id,
        host=named_host,
        zone=host.zone,
        numa_cells=claim.numa_cells,
        vfs=vfs,
        whole_pfs=whole,
        pinned_cpus=sum(cell.pinned_cpus for cell in claim.cells),
        shared_vcpus=claim.vcpus + sum(cell.shared_vcpus for cell in claim.cells),
        memory_mb=claim.memory_mb + sum(cell.memory_mb for cell in claim.cells),
        pages_1gb=sum(cell.pages_1gb for cell in claim.cells),
        pages_2mb=sum(cell.pages_2mb for cell in claim.cells),
        flavour=flavour,
        server_group=server_group,
    )


def _host_rows(view: CapacityView, usages: tuple[Usage, ...]) -> list[HostRow]:
    on_host: dict[str, list[Usage]] = {}
    for usage in usages:
        on_host.setdefault(usage.host, []).append(usage)
    rows: list[HostRow] = []
    for host, state in zip(view.hosts, view.states, strict=True):
        after = state.copy()
        for usage in on_host.get(host.name, []):
            after.take(host, usage.claim)
        rows.append(_host_row(host, after, on_host.get(host.name, [])))
    return rows


def _host_row(host: Host, free: HostState, usages: list[Usage]) -> HostRow:
    """Used = capacity - free, so usage already on the host (a live view) counts too."""
    total = host.empty_state()
    vfs: dict[str, Used] = {}
    for index, nic in enumerate(host.nics):
        if nic.physnet:
            known = vfs.get(nic.physnet, Used(0, 0))
            used = nic.vfs - free.vfs[index]
            vfs[nic.physnet] = Used(known.used + used, known.total + nic.vfs)
    return HostRow(
        host=host.name,
        zone=host.zone,
        vnfcs=[usage.consumer.rsplit("/", 1)[-1] for usage in usages],
        pinned_cpus=_used(total.pinned, free.pinned),
        vcpus=Used(total.vcpus - free.vcpus, total.vcpus),
        memory_gb=Used((total.host_memory - free.host_memory) // GIB, total.host_memory // GIB),
        pages_1gb=_used(total.pages_1gb, free.pages_1gb),
        vfs=vfs,
    )


def _used(total: list[int], free: list[int]) -> Used:
    return Used(sum(total) - sum(free), sum(total))


def vf_summary(vfs: Mapping[str, list[str]]) -> str:
    """``sriov-n3: ens1f0; sriov-n6: ens1f1`` (one NIC per VF taken)."""
    return "; ".join(f"{physnet}: {', '.join(nics)}" for physnet, nics in sorted(vfs.items()))
