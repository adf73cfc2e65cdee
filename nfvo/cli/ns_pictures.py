"""Two pictures of a deployed NS: where every VNFC landed, and when each VNF was built.

``draw_landing``: one row per host (grouped by zone) with a chip per server, as the
cloud reports them. ``draw_timeline``: a Gantt bar per VNF from its change's START to
its end (the NS's notifications), the critical path drawn darker. matplotlib's Agg
backend, no display.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from matplotlib import colormaps
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import to_hex
from matplotlib.figure import Figure


def _colours(names: Sequence[str]) -> dict[str, str]:
    palette = colormaps["tab10"]
    return {name: to_hex(palette(i % 10)) for i, name in enumerate(sorted(set(names)))}


def draw_landing(rows: Sequence[Mapping[str, str]], path: Path, title: str) -> None:
    """``rows``: one per server with ``vnf``, ``server``, ``host``, ``zone``."""
    hosts = sorted({(r["zone"], r["host"]) for r in rows})
    colour = _colours([r["vnf"] for r in rows])
    figure = Figure(figsize=(9, 0.6 * len(hosts) + 1.2))
    ax = figure.add_subplot()
    for y, (zone, host) in enumerate(hosts):
        here = [r for r in rows if r["host"] == host]
        ax.text(-0.2, y, f"{zone}  {host}", ha="right", va="center", fontsize=8)
        for x, row in enumerate(here):
            ax.barh(y, 0.9, left=x, color=colour[row["vnf"]], edgecolor="#37474f")
            ax.text(x + 0.45, y, row["vnf"], ha="center", va="center", fontsize=7)
    ax.set_xlim(
        -0.1, max((sum(1 for r in rows if r["host"] == h) for _, h in hosts), default=1) + 0.5
    )
    ax.set_ylim(-0.7, len(hosts) - 0.3)
    ax.invert_yaxis()
    ax.axis("off")
    ax.set_title(title, fontsize=10)
    figure.tight_layout()
    FigureCanvasAgg(figure).print_figure(str(path), dpi=120)


def draw_timeline(
    spans: Mapping[str, tuple[float, float]], critical: Sequence[str], path: Path, title: str
) -> None:
    """``spans``: VNF -> (start, end) in seconds since the operation began."""
    order = sorted(spans, key=lambda name: spans[name][0])
    figure = Figure(figsize=(9, 0.35 * len(order) + 1.2))
    ax = figure.add_subplot()
    for y, name in enumerate(order):
        start, end = spans[name]
        on_path = name in critical
        ax.barh(y, max(end - start, 0.02), left=start, color="#c62828" if on_path else "#90a4ae")
        ax.text(-0.05, y, name, ha="right", va="center", fontsize=8)
    ax.set_yticks([])
    ax.invert_yaxis()
    ax.set_xlabel("seconds since the operation began (red: the critical path)")
    ax.set_title(title, fontsize=10)
    figure.tight_layout()
    FigureCanvasAgg(figure).print_figure(str(path), dpi=120)


def critical_path(
    spans: Mapping[str, tuple[float, float]], depends: Mapping[str, Sequence[str]]
) -> tuple[list[str], float]:
    """The chain of dependencies whose measured durations add up to the most: the
    lower bound of the operation's wall time. ``depends``: VNF -> its predecessors."""
    finish: dict[str, float] = {}
    via: dict[str, str | None] = {}

    def earliest(name: str) -> float:
        if name not in finish:
            before = [p for p in depends.get(name, ()) if p in spans]
            best = max(before, key=earliest, default=None)
            via[name] = best
            finish[name] = (earliest(best) if best else 0.0) + (spans[name][1] - spans[name][0])
        return finish[name]

    last = max(spans, key=earliest)
    chain: list[str] = []
    node: str | None = last
    while node is not None:
        chain.append(node)
        node = via[node]
    return list(reversed(chain)), finish[last]
