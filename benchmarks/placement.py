"""Placement: scale, quality against the exact optimum, and a Nova-like baseline.

- scale: 10,000 VNFCs of mixed 5G-core profiles onto a generated 1,000-host cloud (the
  graph built beforehand, not timed); wall time and peak traced memory of one plan.
- quality: random instances (up to 20 hosts, 60 VNFCs) at 70 %, 85 % and 95 % target
  utilisation, solved by the engine and by CP-SAT (time-bounded); hosts used against
  the optimum and how often the engine finds a placement the exact model proves exists.
- baseline: the same instances (and a tenth of the scale workload) through a
  Nova-like filter-and-weigh first fit with spread weighers.

Usage: python benchmarks/placement.py [--instances N] [--seconds S]
"""

from __future__ import annotations

import argparse
import gc
import random
import resource
import statistics
import sys
import time
import tracemalloc
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks._placement_exact import solve
from benchmarks._placement_workloads import (
    cloud_document,
    nova_like,
    scale_request,
    small_instance,
)
from benchmarks.report import Bound, report
from nfvo.placement.engine import plan
from nfvo.placement.model import Objective
from nfvo.vim.infrastructure import CapacityView, build_graph
from nfvo.vim.inventory import SiteInventory, validate_inventory

LEVELS = (0.70, 0.85, 0.95)


def _site(document: dict[str, Any]) -> Any:
    validate_inventory(document, "generated")
    return build_graph(SiteInventory(document))


def _hosts_used(result: Any) -> int:
    return len({usage.host for usage in result.usages})


def scale(hosts: int = 1000, vnfcs: int = 10_000) -> dict[str, Any]:
    document = cloud_document(hosts)
    started = time.perf_counter()
    graph = _site(document)
    build_seconds = time.perf_counter() - started
    request = scale_request(vnfcs)
    gc.collect()
    started = time.perf_counter()
    result = plan(request, graph.capacity_view())
    seconds = time.perf_counter() - started
    spread = request.model_copy(update={"objective": Objective.SPREAD})
    started = time.perf_counter()
    spread_result = plan(spread, graph.capacity_view())
    spread_seconds = time.perf_counter() - started
    tracemalloc.start()
    plan(request, graph.capacity_view())
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    small_graph = _site(cloud_document(hosts // 10))
    small = scale_request(vnfcs // 10)
    engine_small = plan(small, small_graph.capacity_view())
    started = time.perf_counter()
    baseline = nova_like(small, small_graph.capacity_view())
    baseline_seconds = time.perf_counter() - started
    started = time.perf_counter()
    plan(small, small_graph.capacity_view())
    engine_small_seconds = time.perf_counter() - started
    return {
        "scale_feasible": result.decision.feasible,
        "scale_seconds": round(seconds, 3),
        "scale_peak_mib": round(peak / 2**20, 1),
        "scale_hosts_used": _hosts_used(result),
        "scale_spread_seconds": round(spread_seconds, 3),
        "scale_spread_hosts_used": _hosts_used(spread_result),
        "graph_build_seconds": round(build_seconds, 3),
        "graph_nodes": graph.graph.number_of_nodes(),
        "process_maxrss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "tenth_engine_hosts_used": _hosts_used(engine_small),
        "tenth_engine_feasible": engine_small.decision.feasible,
        "tenth_engine_seconds": round(engine_small_seconds, 3),
        "tenth_nova_like_hosts_used": baseline.hosts_used,
        "tenth_nova_like_feasible": baseline.feasible,
        "tenth_nova_like_seconds": round(baseline_seconds, 3),
    }


def _copy(view: CapacityView) -> CapacityView:
    return CapacityView(view.hosts, [s.copy() for s in view.states], view.zones, view.built_at)


def quality(level: float, instances: int, seconds: float, seed: int) -> dict[str, Any]:
    rng = random.Random(seed)
    ratios: list[float] = []
    nova_ratios: list[float] = []
    counts = {
        "exact_feasible": 0,
        "exact_optimal": 0,
        "exact_infeasible": 0,
        "engine_found": 0,
        "nova_found": 0,
    }
    engine_time = 0.0
    for _ in range(instances):
        document, request = small_instance(rng, level)
        view = _site(document).capacity_view()
        started = time.perf_counter()
        result = plan(request, _copy(view))
        engine_time += time.perf_counter() - started
        baseline = nova_like(request, _copy(view))
        exact = solve(request, _copy(view), seconds)
        if exact.status not in ("OPTIMAL", "FEASIBLE"):
            counts["exact_infeasible"] += exact.status == "INFEASIBLE"
            continue
        counts["exact_feasible"] += 1
        counts["engine_found"] += result.decision.feasible
        counts["nova_found"] += baseline.feasible
        if exact.status == "OPTIMAL" and exact.hosts_used:
            counts["exact_optimal"] += 1
            if result.decision.feasible:
                ratios.append(_hosts_used(result) / exact.hosts_used)
            if baseline.feasible:
                nova_ratios.append(baseline.hosts_used / exact.hosts_used)
    tag = f"u{round(level * 100)}"
    feasible = max(counts["exact_feasible"], 1)
    return {
        f"{tag}_instances": instances,
        f"{tag}_exact_feasible": counts["exact_feasible"],
        f"{tag}_exact_optimal": counts["exact_optimal"],
        f"{tag}_exact_infeasible": counts["exact_infeasible"],
        f"{tag}_found_rate": round(counts["engine_found"] / feasible, 3),
        f"{tag}_hosts_over_optimum": round(statistics.fmean(ratios) - 1, 4) if ratios else 0.0,
        f"{tag}_nova_like_found_rate": round(counts["nova_found"] / feasible, 3),
        f"{tag}_nova_like_hosts_over_optimum": (
            round(statistics.fmean(nova_ratios) - 1, 4) if nova_ratios else 0.0
        ),
        f"{tag}_engine_mean_ms": round(engine_time / instances * 1000, 2),
    }


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--instances", type=int, default=100, help="per utilisation level")
    parser.add_argument("--seconds", type=float, default=5.0, help="CP-SAT limit per instance")
    args = parser.parse_args()
    figures: dict[str, Any] = scale()
    for offset, level in enumerate(LEVELS):
        figures.update(quality(level, args.instances, args.seconds, seed=100 + offset))
    goals: dict[str, Bound] = {
        "scale_seconds": {"max": 1.0},
        "scale_peak_mib": {"max": 150},
        "u70_hosts_over_optimum": {"max": 0.05},
        "u85_hosts_over_optimum": {"max": 0.05},
        "u95_hosts_over_optimum": {"max": 0.05},
        "u70_found_rate": {"min": 0.98},
        "u85_found_rate": {"min": 0.98},
    }
    report("placement", figures, goals)  # "met" says it; a miss is not a crash
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
