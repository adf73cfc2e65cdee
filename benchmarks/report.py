"""The one line every benchmark ends with, as DESIGN.md defines it.

``{"benchmark": NAME, "figures": {...}, "goals": {...}, "met": true|false}``: every goal
names the figure it bounds (``{"p99_ms": {"max": 20}}``), and ``met`` is true only when
every goal holds.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from typing import IO, Any

import orjson

Bound = Mapping[str, float]


def goal_met(value: float, bound: Bound) -> bool:
    unknown = set(bound) - {"max", "min"}
    if unknown:
        raise ValueError(f"a goal bounds with 'max' and/or 'min', not {sorted(unknown)}")
    return value <= bound.get("max", value) and value >= bound.get("min", value)


def summarise(name: str, figures: Mapping[str, Any], goals: Mapping[str, Bound]) -> dict[str, Any]:
    missing = sorted(set(goals) - set(figures))
    if missing:
        raise ValueError(f"goals name figures that were not measured: {missing}")
    met = all(goal_met(float(figures[key]), bound) for key, bound in goals.items())
    return {"benchmark": name, "figures": dict(figures), "goals": dict(goals), "met": met}


def report(
    name: str, figures: Mapping[str, Any], goals: Mapping[str, Bound], out: IO[str] | None = None
) -> bool:
    """Print the benchmark's one JSON line and return whether every goal was met."""
    line = summarise(name, figures, goals)
    print(orjson.dumps(line).decode(), file=out or sys.stdout, flush=True)
    return bool(line["met"])
