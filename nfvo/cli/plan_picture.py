"""The picture of a placement plan: hosts grouped by zone, NUMA cells filled by VNFCs.

Each host is a box; each of its NUMA cells a sub-box with bars for pinned CPUs and
huge pages (1 GiB, or 2 MiB where a cell has only those), one row of VF squares per
physical function (on its physnet), and chips for the VNFCs pinned there. Guests
without a NUMA topology float over the whole host, so they are drawn under the cells
with the host's shared vCPU and memory bars. One colour per VNF type; grey is
capacity already in use before the plan.

Drawn with matplotlib's Agg backend (no display, no network) in data units of one
inch, so text sizes stay readable however many hosts there are; ``.png`` or ``.svg``
is chosen by the file name.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from matplotlib import colormaps
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import to_hex
from matplotlib.figure import Figure
from matplotlib.patches import FancyBboxPatch, Patch, Rectangle

from nfvo.placement.engine import Plan
from nfvo.placement.report import claims_by_vnfc
from nfvo.placement.requests import BuiltRequest
from nfvo.vim.infrastructure import CapacityView, Host
from nfvo.vim.usage import Claim, HostState

CELL_W = 3.4
PAD = 0.18
BAR_H = 0.2
LINE = 0.27
CHIP_W, CHIP_H = 0.74, 0.24
NIC_ROW = 0.34
EDGE, FAINT, USED = "#37474f", "#eceff1", "#b0bec5"
ZONE_FILL = "#f5f7fa"
FONT = "DejaVu Sans"
LABEL_W = 0.5  # the zone's label, left of its hosts
MAX_LINE_W = 26.0  # inches of hosts before a zone wraps onto another line
MAX_HOSTS = 16  # larger sites draw only the hosts the plan uses


Line = list[tuple[Host, HostState]]


@dataclass(frozen=True)
class ChipRows:
    """Rows of VNFC chips every cell and every host keeps room for (the most needed)."""

    cell: int
    floating: int


@dataclass(frozen=True)
class Guest:
    vnfc_id: str
    colour: str
    claim: Claim


def _palette(types: Sequence[str]) -> dict[str, str]:
    colours = colormaps["tab10" if len(types) <= 10 else "tab20"]
    return {kind: to_hex(colours(i % colours.N)) for i, kind in enumerate(types)}


def _text(ax: Axes, x: float, y: float, text: str, size: float = 7.0, **kw: object) -> None:
    ax.text(x, y, text, fontsize=size, family=FONT, va="center", **kw)  # type: ignore[arg-type]


def _bar(
    ax: Axes,
    x: float,
    y: float,
    width: float,
    total: int,
    before: int,
    parts: list[tuple[int, str]],
) -> None:
    """A capacity bar: grey for what was in use, one coloured segment per guest."""
    ax.add_patch(Rectangle((x, y), width, BAR_H, facecolor=FAINT, edgecolor=EDGE, lw=0.5))
    if total <= 0:
        return
    left = x
    for amount, colour in [(before, USED), *parts]:
        if amount <= 0:
            continue
        step = width * amount / total
        ax.add_patch(Rectangle((left, y), step, BAR_H, facecolor=colour, edgecolor="white", lw=0.4))
        if step > 0.22:  # the amount inside the segment, where it fits
            _text(ax, left + step / 2, y + BAR_H / 2, str(amount), 6, ha="center", color="white")
        left += step


def _labelled_bar(
    ax: Axes,
    x: float,
    y: float,
    label: str,
    total: int,
    before: int,
    parts: list[tuple[int, str]],
    unit: str = "",
) -> float:
    used = before + sum(amount for amount, _ in parts)
    _text(ax, x, y + 0.08, label, 6.5, color=EDGE)
    _text(ax, x + CELL_W - 2 * PAD, y + 0.08, f"{used}/{total}{unit}", 6.5, ha="right", color=EDGE)
    _bar(ax, x, y + 0.17, CELL_W - 2 * PAD, total, before, parts)
    return y + LINE + BAR_H


def _chips(ax: Axes, x: float, y: float, guests: list[Guest], per_row: int) -> float:
    for index, guest in enumerate(guests):
        row, col = divmod(index, per_row)
        cx, cy = x + col * (CHIP_W + 0.06), y + row * (CHIP_H + 0.06)
        ax.add_patch(
            FancyBboxPatch(
                (cx, cy),
                CHIP_W,
                CHIP_H,
                boxstyle="round,pad=0,rounding_size=0.05",
                facecolor=guest.colour,
                edgecolor="none",
            )
        )
        _text(
            ax,
            cx + CHIP_W / 2,
            cy + CHIP_H / 2,
            guest.vnfc_id,
            6.5,
            ha="center",
            color="white",
            weight="bold",
        )
    rows = -(-len(guests) // per_row) if guests else 0
    return y + rows * (CHIP_H + 0.06)


def _cell_height(host: Host, chips: ChipRows) -> float:
    nics = max(
        (sum(1 for n in host.nics if n.numa_cell == c.cell_id) for c in host.cells), default=0
    )
    return 0.35 + 2 * (LINE + BAR_H) + nics * NIC_ROW + chips.cell * (CHIP_H + 0.06) + PAD


def _draw_cell(
    ax: Axes,
    host: Host,
    state: HostState,
    index: int,
    at: tuple[float, float, ChipRows],
    guests: list[Guest],
) -> None:
    x, y, chip_rows = at
    cell = host.cells[index]
    height = _cell_height(host, chip_rows)
    ax.add_patch(Rectangle((x, y), CELL_W, height, facecolor="white", edgecolor=EDGE, lw=0.8))
    _text(ax, x + PAD, y + 0.2, f"NUMA cell {cell.cell_id}", 7.5, weight="bold", color=EDGE)
    inner, top = x + PAD, y + 0.35
    mine = [(g, [c for c in g.claim.cells if c.cell_id == cell.cell_id]) for g in guests]
    mine = [(g, cs) for g, cs in mine if cs]
    pinned = [(sum(c.pinned_cpus for c in cs), g.colour) for g, cs in mine]
    top = _labelled_bar(
        ax, inner, top, "pinned CPUs", cell.pcpus, cell.pcpus - state.pinned[index], pinned
    )
    if cell.pages_1gb or not cell.pages_2mb:
        pages = [(sum(c.pages_1gb for c in cs), g.colour) for g, cs in mine]
        before = cell.pages_1gb - state.pages_1gb[index]
        top = _labelled_bar(ax, inner, top, "1 GiB pages", cell.pages_1gb, before, pages)
    else:  # a cell with only 2 MiB pages shows those instead
        pages = [(sum(c.pages_2mb for c in cs), g.colour) for g, cs in mine]
        before = cell.pages_2mb - state.pages_2mb[index]
        top = _labelled_bar(ax, inner, top, "2 MiB pages", cell.pages_2mb, before, pages)
    for n, nic in enumerate(host.nics):
        if nic.numa_cell == cell.cell_id:
            _draw_nic(ax, host, state, n, inner, top, guests)
            top += NIC_ROW
    chips = [g for g, cs in mine]
    _chips(ax, inner, top + 0.04, chips, per_row=4)


def _draw_nic(
    ax: Axes, host: Host, state: HostState, n: int, x: float, y: float, guests: list[Guest]
) -> None:
    """One PF: its name and physnet, then one square per VF (coloured when taken)."""
    nic = host.nics[n]
    _text(ax, x, y + 0.12, f"{nic.name} {nic.physnet or ''}", 6.2, color=EDGE)
    colours = [USED] * (nic.vfs - state.vfs[n])
    colours += [g.colour for g in guests for p in g.claim.ports if p.device == nic.device]
    start, room = x + 1.15, CELL_W - 2 * PAD - 1.15 - 0.55  # between the name and the count
    size = min(0.11, room / max(nic.vfs, 1) - 0.02)
    for v in range(nic.vfs):
        colour = colours[v] if v < len(colours) else FAINT
        ax.add_patch(
            Rectangle(
                (start + v * (size + 0.02), y + 0.06),
                size,
                size,
                facecolor=colour,
                edgecolor=EDGE,
                lw=0.3,
            )
        )
    _text(
        ax,
        x + CELL_W - 2 * PAD,
        y + 0.12,
        f"{min(len(colours), nic.vfs)}/{nic.vfs} VF",
        6.2,
        ha="right",
        color=EDGE,
    )


def _host_size(host: Host, chips: ChipRows) -> tuple[float, float]:
    width = max(len(host.cells), 1) * (CELL_W + PAD) + PAD
    floating = 0.3 + 2 * (LINE + BAR_H) + chips.floating * (CHIP_H + 0.06)
    return width, 0.55 + _cell_height(host, chips) + PAD + floating + PAD


def _draw_host(
    ax: Axes, host: Host, state: HostState, at: tuple[float, float, ChipRows], guests: list[Guest]
) -> None:
    x, y, chips = at
    width, height = _host_size(host, chips)
    used = bool(guests)
    ax.add_patch(
        FancyBboxPatch(
            (x, y),
            width,
            height,
            boxstyle="round,pad=0,rounding_size=0.08",
            facecolor="#ffffff" if used else "#fafafa",
            edgecolor=EDGE,
            lw=1.4 if used else 0.7,
        )
    )
    notes = [f"{len(guests)} VNFC{'s' if len(guests) != 1 else ''}" if guests else "empty"]
    if host.ovs_dpdk:
        notes.append("OVS-DPDK")
    if not host.hyperthreading:
        notes.append("no HT")
    _text(ax, x + PAD, y + 0.28, host.name, 9.5, weight="bold", color="#263238")
    _text(ax, x + width - PAD, y + 0.28, " · ".join(notes), 7, ha="right", color=EDGE)
    top = y + 0.55
    for index in range(len(host.cells)):
        at = (x + PAD + index * (CELL_W + PAD), top, chips)
        _draw_cell(ax, host, state, index, at, guests)
    top += _cell_height(host, chips) + PAD
    floating = [g for g in guests if not g.claim.cells]
    _draw_floating(ax, host, state, x + PAD, top, width - 2 * PAD, guests, floating)


def _draw_floating(
    ax: Axes,
    host: Host,
    state: HostState,
    x: float,
    y: float,
    width: float,
    guests: list[Guest],
    floating: list[Guest],
) -> None:
    """Host-wide: shared vCPUs and memory (every guest's share), chips of floating guests."""
    total = host.empty_state()
    _text(ax, x, y + 0.1, "host-wide (guests without NUMA topology)", 7, color=EDGE, style="italic")
    top = y + 0.25
    vcpus = [(g.claim.vcpus + sum(c.shared_vcpus for c in g.claim.cells), g.colour) for g in guests]
    memory = [
        (g.claim.memory_mb + sum(c.memory_mb for c in g.claim.cells), g.colour) for g in guests
    ]
    for label, capacity, free, parts, unit in (
        ("shared vCPUs", total.vcpus, state.vcpus, vcpus, ""),
        (
            "memory (small pages)",
            total.host_memory // 1024,
            state.host_memory // 1024,
            [(m // 1024, c) for m, c in memory],
            " GiB",
        ),
    ):
        used = capacity - free + sum(a for a, _ in parts)
        _text(ax, x, top + 0.08, label, 6.5, color=EDGE)
        _text(ax, x + width, top + 0.08, f"{used}/{capacity}{unit}", 6.5, ha="right", color=EDGE)
        _bar(ax, x, top + 0.17, width, capacity, capacity - free, parts)
        top += LINE + BAR_H
    _chips(ax, x, top + 0.04, floating, _per_row(host))


def _per_row(host: Host) -> int:
    """Floating chips per row: as many as fit across the host."""
    width = max(len(host.cells), 1) * (CELL_W + PAD) - PAD
    return max(int((width + 0.06) // (CHIP_W + 0.06)), 1)


def _chip_rows(hosts: Sequence[Host], on_host: dict[str, list[Guest]]) -> ChipRows:
    cell, floating = 1, 1
    for host in hosts:
        guests = on_host.get(host.name, [])
        for numa in host.cells:
            pinned = sum(1 for g in guests if numa.cell_id in g.claim.numa_cells)
            cell = max(cell, -(-pinned // 4))
        loose = sum(1 for g in guests if not g.claim.cells)
        floating = max(floating, -(-loose // _per_row(host)))
    return ChipRows(cell, floating)


def _guests(plan: Plan, built: BuiltRequest, colour: dict[str, str]) -> dict[str, list[Guest]]:
    usages = claims_by_vnfc(plan)
    on_host: dict[str, list[Guest]] = {}
    for vnfc in built.vnfcs:
        usage = usages.get(vnfc.vnfc_id)
        if usage is not None:
            guest = Guest(vnfc.vnfc_id, colour[vnfc.vnf], usage.claim)
            on_host.setdefault(usage.host, []).append(guest)
    return on_host


def host_lines(view: CapacityView, on_host: dict[str, list[Guest]], chips: ChipRows) -> list[Line]:
    """Hosts per zone, wrapped into lines of at most MAX_LINE_W inches; on a large site
    only the hosts the plan uses (a thousand empty boxes say nothing)."""
    large = len(view.hosts) > MAX_HOSTS
    lines: list[Line] = []
    for zone in view.zones:
        line: Line = []
        width = LABEL_W
        for host, state in zip(view.hosts, view.states, strict=True):
            if host.zone != zone or (large and host.name not in on_host):
                continue
            host_w = _host_size(host, chips)[0] + PAD
            if line and width + host_w > MAX_LINE_W:
                lines.append(line)
                line, width = [], LABEL_W
            line.append((host, state))
            width += host_w
        if line:
            lines.append(line)
    return lines


def _draw_zone_band(ax: Axes, zone: str, top: float, width: float, height: float) -> None:
    band = Rectangle((PAD / 2, top), width - PAD, height, facecolor=ZONE_FILL, edgecolor="#cfd8dc")
    ax.add_patch(band)
    label = f"zone {zone}"
    _text(ax, PAD + 0.12, top + height / 2, label, 9, rotation=90, ha="center", color="#546e7a")


def draw_plan(view: CapacityView, plan: Plan, built: BuiltRequest, path: Path, title: str) -> None:
    """Write the picture of a feasible ``plan`` on ``view`` to ``path`` (.png or .svg)."""
    types = list(dict.fromkeys(v.vnf for v in built.vnfcs))
    colour = _palette(types)
    on_host = _guests(plan, built, colour)
    chips = _chip_rows(view.hosts, on_host)
    lines = host_lines(view, on_host, chips)
    widths = [LABEL_W + sum(_host_size(h, chips)[0] + PAD for h, _ in line) for line in lines]
    heights = [max(_host_size(h, chips)[1] for h, _ in line) + 2 * PAD for line in lines]
    fig_w = max([*widths, 12.0]) + PAD
    fig_h = sum(heights) + PAD * (len(lines) - 1) + 0.8
    # A bare Figure on the Agg canvas: no pyplot, no global state, no display needed.
    fig = Figure(figsize=(fig_w, fig_h))
    FigureCanvasAgg(fig)
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set_xlim(0, fig_w)
    ax.set_ylim(fig_h, 0)  # y grows downwards, like reading
    ax.axis("off")
    unused = len(view.hosts) - len(on_host)
    if len(view.hosts) > MAX_HOSTS and unused:
        title += f" ({unused} unused hosts not drawn)"
    _text(ax, PAD, 0.3, title, 11, weight="bold", color="#263238")
    top = 0.6
    for line, height in zip(lines, heights, strict=True):
        _draw_zone_band(ax, line[0][0].zone, top, fig_w, height)
        x = LABEL_W
        for host, state in line:
            _draw_host(ax, host, state, (x, top + PAD, chips), on_host.get(host.name, []))
            x += _host_size(host, chips)[0] + PAD
        top += height + PAD
    handles = [Patch(facecolor=colour[t], label=t) for t in types]
    handles.append(Patch(facecolor=USED, label="in use before"))
    ax.legend(
        handles=handles,
        loc="upper right",
        ncol=len(handles),
        frameon=False,
        fontsize=8.5,
        bbox_to_anchor=(1.0, 1.0 - 0.08 / fig_h),
    )
    # No timestamps or versions in the file: the same plan draws the same bytes.
    metadata = {"Software": None} if path.suffix.lower() == ".png" else {"Date": None}
    fig.savefig(path, dpi=100, metadata=metadata)
