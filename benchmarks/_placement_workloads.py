"""Workloads for benchmarks/placement.py: generated clouds, 5G-core VNFC profiles, random
small instances, a Nova-like filter-and-weigh baseline and the exact CP-SAT model.

The exact model covers what the quality instances use (single-node NUMA guests with
pinned CPUs, 1 GiB pages and SR-IOV VFs with required NUMA affinity, shared guests on
host VCPU/RAM, host anti-affinity), so engine and optimum answer the same question.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from typing import Any

from descriptors.requirements import InterfaceRequirement, VduRequirement
from nfvo.placement.demand import Demand, demand_for
from nfvo.placement.fit import fit
from nfvo.placement.model import (
    AffinityGroup,
    NetworkBinding,
    PlacementRequest,
    VnfcRequest,
)
from nfvo.vim.infrastructure import CapacityView

PHYSNETS = {"n3": "sriov-n3", "n6": "sriov-n6"}
BINDINGS = [NetworkBinding(logical_network=k, physnet=v) for k, v in PHYSNETS.items()]
ZONES = ["az-1", "az-2", "az-3"]


def _ports(*networks: str) -> list[InterfaceRequirement]:
    ports = [InterfaceRequirement(cp_id="mgmt")]
    ports += [
        InterfaceRequirement(cp_id=net, vnic_type="direct", logical_network=net) for net in networks
    ]
    return ports


def _vdu(vdu_id: str, vcpus: int, memory_gb: int, **fields: Any) -> VduRequirement:
    return VduRequirement(vdu_id=vdu_id, vcpus=vcpus, memory_mb=memory_gb * 1024, **fields)


# 5G-core profiles and their share of the scale workload.
PROFILES: list[tuple[VduRequirement, int]] = [
    (
        _vdu(
            "upf",
            8,
            8,
            cpu_policy="dedicated",
            emulator_threads="isolate",
            page_size="1GB",
            interfaces=_ports("n3", "n6"),
        ),
        12,
    ),
    (
        _vdu(
            "upf-big",
            16,
            16,
            cpu_policy="dedicated",
            numa_nodes=2,
            page_size="1GB",
            interfaces=_ports("n3", "n6"),
        ),
        2,
    ),
    (
        _vdu(
            "smf",
            4,
            8,
            cpu_policy="mixed",
            dedicated_cpus=[0, 1],
            page_size="1GB",
            interfaces=_ports(),
        ),
        12,
    ),
    (_vdu("amf", 4, 8, interfaces=_ports(), disk_gb=20), 15),
    (_vdu("nrf", 2, 4, interfaces=_ports(), disk_gb=10), 10),
    (_vdu("udm", 2, 4, interfaces=_ports(), disk_gb=10), 10),
    (_vdu("udr", 4, 16, interfaces=_ports(), disk_gb=100), 10),
    (_vdu("pcf", 2, 4, interfaces=_ports(), disk_gb=10), 10),
    (_vdu("ausf", 2, 2, interfaces=_ports(), disk_gb=10), 10),
    (_vdu("nssf", 1, 2, interfaces=_ports(), disk_gb=10), 5),
]


def _cell(cell_id: int, cores: int, dedicated: int, memory_gb: int, pages: int) -> dict[str, Any]:
    cell: dict[str, Any] = {
        "id": cell_id,
        "cores": cores,
        "threads_per_core": 2,
        "memory_mb": memory_gb * 1024,
        "dedicated_cores": dedicated,
    }
    if pages:
        cell["hugepages"] = {"1GB": pages}
    return cell


def _nics(vfs: int) -> list[dict[str, Any]]:
    return [
        {"name": f"ens{cell + 1}f{port}", "physnet": physnet, "numa_cell": cell, "vfs": vfs}
        for cell in (0, 1)
        for port, physnet in enumerate(("sriov-n3", "sriov-n6"))
    ]


def host_template(kind: str) -> dict[str, Any]:
    """Data-plane hosts (SR-IOV, pages, mostly dedicated) or control-plane hosts."""
    if kind == "dataplane":
        cells = [_cell(i, 16, 12, 192, 128) for i in (0, 1)]
        return {"numa_cells": cells, "nics": _nics(16), "disk_gb": 1000}
    cells = [_cell(i, 16, 4, 192, 32) for i in (0, 1)]
    return {"numa_cells": cells, "disk_gb": 2000}


def cloud_document(hosts: int, dataplane_share: float = 0.5) -> dict[str, Any]:
    """A site inventory of ``hosts`` hosts over three zones."""
    cut = int(hosts * dataplane_share)
    return {
        "version": 1,
        "name": f"bench-{hosts}",
        "regions": [{"name": "RegionOne"}],
        "zones": [{"name": zone, "region": "RegionOne"} for zone in ZONES],
        "host_defaults": {
            "reserved_host_memory_mb": 8192,
            "allocation_ratios": {"cpu": 4.0, "ram": 1.0, "disk": 1.0},
            "traits": ["HW_CPU_HYPERTHREADING"],
        },
        "hosts": [
            {
                "name": f"compute-{i:04d}",
                "zone": ZONES[i % len(ZONES)],
                **host_template("dataplane" if i < cut else "control"),
            }
            for i in range(hosts)
        ],
    }


def scale_request(count: int, seed: int = 7) -> PlacementRequest:
    """``count`` VNFCs drawn from the profiles; UPFs in anti-affinity pairs."""
    rng = random.Random(seed)
    requirements = [p for p, _ in PROFILES]
    chosen = rng.choices(requirements, weights=[w for _, w in PROFILES], k=count)
    vnfcs = [
        VnfcRequest(vnfc_id=f"{r.vdu_id}-{i}", vdu_id=r.vdu_id, requirement=r)
        for i, r in enumerate(chosen)
    ]
    upfs = [v.vnfc_id for v in vnfcs if v.vdu_id == "upf"]
    groups = [
        AffinityGroup(
            group_id=f"upf-pair-{i}",
            kind="anti_affinity",
            scope="nfvi_node",
            members=upfs[i : i + 2],
        )
        for i in range(0, len(upfs) - 1, 2)
    ]
    return PlacementRequest(
        request_id="scale", vnfcs=vnfcs, groups=groups, network_bindings=BINDINGS
    )


# -- small random instances ---------------------------------------------------------------
SMALL_PROFILES = [
    _vdu(
        "upf",
        6,
        8,
        cpu_policy="dedicated",
        emulator_threads="isolate",
        page_size="1GB",
        interfaces=_ports("n3", "n6"),
    ),
    _vdu("upf-s", 4, 4, cpu_policy="dedicated", page_size="1GB", interfaces=_ports("n3")),
    _vdu("smf", 4, 6, cpu_policy="dedicated", page_size="1GB", interfaces=_ports()),
    _vdu("cp-l", 8, 24, interfaces=_ports()),
    _vdu("cp-m", 4, 16, interfaces=_ports()),
    _vdu("cp-s", 2, 8, interfaces=_ports()),
]


SMALL_HOST = {"pinned": 16, "pages_gb": 20, "vcpus": 8, "memory_gb": 32}


def small_cloud(hosts: int) -> dict[str, Any]:
    """Identical-looking hosts (2 cells: 4 dedicated + 2 shared cores x 2 threads, 10 GiB
    of 1 GiB pages + 16 GiB small pages each) whose NICs differ: 4 or 2 VFs per PF."""
    rows = [
        {
            "name": f"h{i:02d}",
            "zone": "az-1",
            "numa_cells": [_cell(c, 6, 4, 26, 10) for c in (0, 1)],
            "nics": _nics(4) if i % 2 == 0 else _nics(2),
            "disk_gb": 500,
            "reserved_host_memory_mb": 0,
            "allocation_ratios": {"cpu": 1.0},
        }
        for i in range(hosts)
    ]
    return {
        "version": 1,
        "regions": [{"name": "r"}],
        "zones": [{"name": "az-1", "region": "r"}],
        "hosts": rows,
    }


def small_instance(rng: random.Random, target: float) -> tuple[dict[str, Any], PlacementRequest]:
    """20 to 60 random VNFCs and the fewest hosts (at most 20) that keep the busiest
    resource (pinned CPUs, pages, VCPU, RAM) at or under ``target``."""
    count = rng.randint(20, 60)
    chosen = [rng.choice(SMALL_PROFILES) for _ in range(count)]
    totals = {"pinned": 0.0, "pages_gb": 0.0, "vcpus": 0.0, "memory_gb": 0.0}
    for requirement in chosen:
        demand = demand_for(requirement, PHYSNETS)
        totals["pinned"] += demand.pinned
        if demand.huge_pages:
            totals["pages_gb"] += demand.memory_mb / 1024
        elif not demand.numa:
            totals["vcpus"] += demand.vcpus
            totals["memory_gb"] += demand.memory_mb / 1024
    hosts = max(math.ceil(totals[k] / (SMALL_HOST[k] * target)) for k in totals)
    hosts = min(max(hosts, 2), 20)
    vnfcs = [
        VnfcRequest(vnfc_id=f"v{i}", vdu_id=r.vdu_id, requirement=r) for i, r in enumerate(chosen)
    ]
    upfs = [v.vnfc_id for v in vnfcs if v.vdu_id == "upf"]
    groups = [
        AffinityGroup(
            group_id=f"aa{i}", kind="anti_affinity", scope="nfvi_node", members=upfs[i : i + 2]
        )
        for i in range(0, len(upfs) - 1, 2)
    ]
    request = PlacementRequest(
        request_id="q", vnfcs=vnfcs, groups=groups, network_bindings=BINDINGS
    )
    return small_cloud(hosts), request


@dataclass
class Outcome:
    feasible: bool
    hosts_used: int


def nova_like(request: PlacementRequest, view: CapacityView) -> Outcome:
    """One server at a time in request order: filter with the same fit, then weigh by
    free RAM and free vCPUs/pinned CPUs (Nova's default spread weighers)."""
    demands = [demand_for(v.requirement, PHYSNETS) for v in request.vnfcs]
    anti = {m: g for g in request.groups for m in g.members}
    host_of: dict[str, int] = {}
    for vnfc, demand in zip(request.vnfcs, demands, strict=True):
        group = anti.get(vnfc.vnfc_id)
        taken = {host_of[m] for m in group.members if m in host_of} if group else set()
        best = _weigh(view, demand, taken)
        if best is None:
            return Outcome(False, len(set(host_of.values())))
        index, claim = best
        view.states[index].take(view.hosts[index], claim)
        host_of[vnfc.vnfc_id] = index
    return Outcome(True, len(set(host_of.values())))


def _weigh(view: CapacityView, demand: Demand, taken: set[int]) -> tuple[int, Any] | None:
    best: tuple[float, int, Any] | None = None
    for index, host in enumerate(view.hosts):
        if index in taken:
            continue
        state = view.states[index]
        claim = fit(host, state, demand)
        if claim is None:
            continue
        weight = state.host_memory / 65536 + sum(state.pinned) / 16 + state.vcpus / 64
        if best is None or weight > best[0]:
            best = (weight, index, claim)
    return None if best is None else (best[1], best[2])
