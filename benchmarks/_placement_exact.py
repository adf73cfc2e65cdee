"""The exact model for the quality instances: fewest hosts, solved by CP-SAT (bench only).

Guests with a NUMA topology (one node in these instances) choose a host cell; pinned
CPUs, 1 GiB pages and VFs per physnet (required NUMA affinity) are counted per cell;
shared guests count host VCPU and RAM; host anti-affinity pairs share no host.
"""

from __future__ import annotations

from dataclasses import dataclass

from ortools.sat.python import cp_model

from benchmarks._placement_workloads import PHYSNETS
from nfvo.placement.demand import demand_for
from nfvo.placement.fit import static_failure
from nfvo.placement.model import PlacementRequest
from nfvo.vim.infrastructure import CapacityView


@dataclass
class Exact:
    status: str  # OPTIMAL, FEASIBLE, INFEASIBLE, UNKNOWN
    hosts_used: int | None


def _cell_capacity(view: CapacityView, h: int, c: int, physnet: str) -> int:
    host, state = view.hosts[h], view.states[h]
    cell_id = host.cells[c].cell_id
    return sum(
        state.vfs[n]
        for n, nic in enumerate(host.nics)
        if nic.physnet == physnet and nic.numa_cell == cell_id
    )


def solve(request: PlacementRequest, view: CapacityView, seconds: float) -> Exact:
    model = cp_model.CpModel()
    demands = [demand_for(v.requirement, PHYSNETS) for v in request.vnfcs]
    hosts = range(len(view.hosts))
    used = [model.new_bool_var(f"u{h}") for h in hosts]
    on_host: dict[tuple[int, int], list[cp_model.IntVar]] = {}
    per_cell: dict[tuple[int, int], list[tuple[int, cp_model.IntVar]]] = {}
    shared: dict[int, list[tuple[int, cp_model.IntVar]]] = {}
    for v, demand in enumerate(demands):
        choices = []
        for h in hosts:
            if static_failure(view.hosts[h], demand) is not None:
                continue
            cells = range(len(view.hosts[h].cells)) if demand.numa else [-1]
            for c in cells:
                x = model.new_bool_var(f"x{v}_{h}_{c}")
                choices.append(x)
                on_host.setdefault((v, h), []).append(x)
                model.add_implication(x, used[h])
                (
                    per_cell.setdefault((h, c), []) if demand.numa else shared.setdefault(h, [])
                ).append((v, x))
        model.add_exactly_one(choices)
    for (h, c), items in per_cell.items():
        state = view.states[h]
        model.add(sum(demands[v].pinned * x for v, x in items) <= state.pinned[c])
        model.add(sum(demands[v].memory_mb // 1024 * x for v, x in items) <= state.pages_1gb[c])
        for physnet in PHYSNETS.values():
            need = [(sum(1 for p in demands[v].ports if p.physnet == physnet), x) for v, x in items]
            if any(n for n, _ in need):
                model.add(sum(n * x for n, x in need) <= _cell_capacity(view, h, c, physnet))
    for h, items in shared.items():
        state = view.states[h]
        model.add(sum(demands[v].vcpus * x for v, x in items) <= state.vcpus)
        model.add(sum(demands[v].memory_mb * x for v, x in items) <= state.host_memory)
    index = {v.vnfc_id: i for i, v in enumerate(request.vnfcs)}
    for group in request.groups:
        for h in hosts:
            xs = [x for m in group.members for x in on_host.get((index[m], h), [])]
            if len(xs) > 1:
                model.add(sum(xs) <= 1)
    _break_symmetry(model, view, used)
    model.minimize(sum(used))
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = seconds
    solver.parameters.num_workers = 2
    status = solver.solve(model)
    name = solver.status_name(status)
    hosts_used = int(solver.objective_value) if name in ("OPTIMAL", "FEASIBLE") else None
    return Exact(name, hosts_used)


def _break_symmetry(
    model: cp_model.CpModel, view: CapacityView, used: list[cp_model.IntVar]
) -> None:
    """Identical untouched hosts are interchangeable: use them in order."""
    previous: dict[tuple[object, ...], int] = {}
    for h, host in enumerate(view.hosts):
        key = (host.profile(), view.states[h].key())
        if key in previous:
            model.add(used[previous[key]] >= used[h])
        previous[key] = h
