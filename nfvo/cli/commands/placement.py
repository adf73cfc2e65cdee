"""``nfvo placement plan``: where an NS (or one VNF) would land, without creating anything.

A dry run like ``terraform plan``: packages and a site inventory in, a table (or JSON,
or a picture) out; an infeasible request prints the engine's explanation and exits 1.
The capacity view comes from :func:`offline_view` today; a registered VIM's live view
will be a second source with the same shape.
"""

from __future__ import annotations

import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import click

from descriptors.model import Nsd
from descriptors.stored import StoredDescriptor, StoredNsd, StoredVnfd, load_stored, stored_document
from nfvo.cli.commands.vim import with_registry
from nfvo.cli.context import CliContext, pass_cli
from nfvo.cli.errors import CliError
from nfvo.cli.output import OUTPUT, render
from nfvo.cli.package_check import check_package
from nfvo.placement.engine import Plan, plan
from nfvo.placement.live import LiveGraph, live_graph
from nfvo.placement.model import NetworkBinding, Objective, PlacementMode
from nfvo.placement.report import PlanReport, VnfcRow, plan_report, vf_summary
from nfvo.placement.requests import (
    BuiltRequest,
    RequestError,
    build_ns_request,
    build_vnf_request,
    parse_binding,
)
from nfvo.vim.infrastructure import CapacityView, build_graph
from nfvo.vim.inventory import InventoryError, SiteInventory, load_inventory
from nfvo.vim.registry import VimRegistry

PACKAGE_SUFFIXES = (".csar", ".zip")
# What the shipped core needs on the lab inventory: control-plane links on the shared
# management network, the user plane's SR-IOV ports on the N3 and N6 physnets.
CORE_NETWORKS = (
    "sbi_vl=net:mgmt",
    "n2_vl=net:mgmt",
    "n4_vl=net:mgmt",
    "n3_vl=sriov-n3",
    "n6_vl=sriov-n6",
)
MODES = {"host": PlacementMode.HOST, "zone": PlacementMode.ZONE_AND_SERVER_GROUP}


@dataclass(frozen=True)
class Planned:
    built: BuiltRequest
    view: CapacityView
    plan: Plan
    report: PlanReport


@click.group("placement")
def COMMAND() -> None:  # noqa: N802 - the name the root command looks for
    """EPA-aware placement: plan where VNFCs would run."""


def offline_view(inventory: SiteInventory) -> CapacityView:
    """Free capacity of an empty site described by its inventory."""
    return build_graph(inventory).capacity_view()


def site_bindings(texts: Sequence[str], inventory: SiteInventory) -> list[NetworkBinding]:
    """Parse ``NAME=physnet`` / ``NAME=net:NETWORK``; an existing network the inventory
    knows also carries its physnet, so SR-IOV ports can be bound through it."""
    physnets = {
        network["name"]: network.get("physical_network")
        for network in inventory.document.get("networks", [])
    }
    bindings = []
    for text in texts:
        binding = parse_binding(text)
        if binding.network_id is not None and binding.physnet is None:
            binding = binding.model_copy(update={"physnet": physnets.get(binding.network_id)})
        bindings.append(binding)
    return bindings


def _candidates(ns: Path | None, vnfs: Sequence[Path], packages_dir: Path | None) -> list[Path]:
    """VNF packages to look in: those given, a directory's, else the NSD's siblings."""
    paths = list(vnfs)
    folder = packages_dir or (ns.parent if ns is not None and not vnfs else None)
    if folder is not None:
        paths += [
            path
            for path in sorted(folder.iterdir())
            if path != ns and (path.is_dir() or path.suffix in PACKAGE_SUFFIXES)
        ]
    return paths


def _load(path: Path, workdir: Path) -> StoredDescriptor:
    """Check the package as ``nfvo package validate`` does (a source tree as built), then
    read it as onboarding stores it, so the request is built the one way the lifecycle
    builds it: from the stored descriptor."""
    checked = check_package(path, workdir)
    if checked.loaded is None:
        problems = "\n  ".join(str(problem) for problem in checked.errors)
        raise CliError(f"{path} is not a valid package:\n  {problems}")
    return load_stored(stored_document(checked.loaded))


def load_models(
    ns: Path | None, vnfs: Sequence[Path], packages_dir: Path | None, workdir: Path
) -> tuple[Nsd | None, list[StoredVnfd]]:
    """The NSD and every VNF package found. Without ``ns`` or ``vnfs``, an NSD archive in
    ``packages_dir`` is the one planned (there must be one at most)."""
    nsds: list[Nsd] = []
    if ns is not None:
        stored = _load(ns, workdir / "ns")
        if not isinstance(stored, StoredNsd):
            raise RequestError(f"{ns} is not an NSD archive")
        nsds.append(stored.nsd)
    models: list[StoredVnfd] = []
    for index, path in enumerate(_candidates(ns, vnfs, packages_dir)):
        stored = _load(path, workdir / f"package-{index}")
        if isinstance(stored, StoredVnfd):
            models.append(stored)
        elif path in vnfs:
            raise RequestError(f"{path} is not a VNF package")
        elif ns is None and not vnfs:
            nsds.append(stored.nsd)
    if len(nsds) > 1:
        names = ", ".join(nsd.name for nsd in nsds)
        raise RequestError(f"{packages_dir} holds several NSDs ({names}): choose one with --ns")
    return (nsds[0] if nsds else None), models


@dataclass(frozen=True)
class PlanInputs:
    ns: Path | None
    vnfs: tuple[Path, ...]
    packages_dir: Path | None
    inventory: Path
    networks: tuple[str, ...]
    level: str | None = None
    objective: Objective = Objective.PACK
    mode: PlacementMode = PlacementMode.HOST


def run_plan(inputs: PlanInputs, site: LiveGraph | None = None) -> Planned:
    """Load, build, place on the empty site, or on ``site`` (a live cloud's graph).
    Raises RequestError, InventoryError, or a CliError naming an invalid package."""
    inventory = load_inventory(inputs.inventory)
    bindings = site_bindings(inputs.networks, inventory)
    with tempfile.TemporaryDirectory(prefix="nfvo-plan-") as work:
        nsd, vnfs = load_models(inputs.ns, inputs.vnfs, inputs.packages_dir, Path(work))
    if nsd is not None:
        built = build_ns_request(
            nsd,
            vnfs,
            bindings,
            level=inputs.level,
            request_id=f"plan-{nsd.name}",
            mode=inputs.mode,
            objective=inputs.objective,
        )
    elif len(vnfs) == 1:
        built = build_vnf_request(
            vnfs[0], bindings, level=inputs.level, mode=inputs.mode, objective=inputs.objective
        )
    else:
        raise RequestError("give --ns PATH, or exactly one --vnf PATH")
    view = site.graph.capacity_view() if site else offline_view(inventory)
    result = plan(built.request, view)
    if site is not None and site.caveats:
        caveats = [*result.decision.caveats, *site.caveats]
        result = replace(result, decision=result.decision.model_copy(update={"caveats": caveats}))
    return Planned(built, view, result, plan_report(built, view, result))


def live_site(cli: CliContext, vim_name: str, inventory: Path) -> LiveGraph:
    """The graph of registered VIM ``vim_name`` ("default" for the default one): its
    servers' usage on the inventory's topology, less nothing held (a dry run)."""
    name = None if vim_name == "default" else vim_name
    topology = load_inventory(inventory)

    async def observe(registry: VimRegistry) -> LiveGraph:
        return await live_graph(topology, await registry.open_vim(name))

    return with_registry(cli, observe)


def render_text(report: PlanReport) -> str:
    """The VNFC table and the host summary, or the explanation when nothing fits."""
    if not report.feasible:
        return f"Cannot place {report.request_id}:\n  " + "\n  ".join(
            (report.explanation or "no explanation").split("; ")
        )
    vnfc_rows = [
        (
            row.vnfc_id,
            row.vnf,
            row.vdu_id,
            row.host or "(Nova picks)",
            row.zone,
            ",".join(map(str, row.numa_cells)) or "-",
            _ports(row),
            str(row.pinned_cpus or "-"),
            _pages(row),
            row.flavour,
        )
        for row in report.vnfcs
    ]
    headings = ("VNFC", "VNF", "VDU", "HOST", "ZONE", "NUMA", "VFS (PHYSNET: PF)", "PINNED")
    lines = _table((*headings, "HUGE PAGES", "FLAVOUR"), vnfc_rows)
    used = report.hosts_used
    lines += ["", f"{len(used)} of {len(report.hosts)} hosts used:"]
    host_rows = [
        (
            row.host,
            row.zone,
            str(len(row.vnfcs)),
            str(row.pinned_cpus),
            str(row.vcpus),
            str(row.memory_gb),
            str(row.pages_1gb),
            " ".join(f"{physnet} {vfs}" for physnet, vfs in sorted(row.vfs.items())) or "-",
        )
        for row in used
    ]
    headings = ("HOST", "ZONE", "VNFCS", "PINNED", "VCPUS", "MEMORY GB", "1G PAGES", "VFS")
    lines += _table(headings, host_rows)
    lines += [f"note: {caveat}" for caveat in report.caveats]
    return "\n".join(lines)


def _ports(row: VnfcRow) -> str:
    whole = {
        physnet: [f"{nic} (whole PF)" for nic in nics] for physnet, nics in row.whole_pfs.items()
    }
    merged = {k: [*row.vfs.get(k, []), *whole.get(k, [])] for k in {*row.vfs, *whole}}
    return vf_summary(merged) or "-"


def _pages(row: VnfcRow) -> str:
    sizes = [(row.pages_1gb, "1G"), (row.pages_2mb, "2M")]
    return " ".join(f"{count}x{size}" for count, size in sizes if count) or "-"


def _table(headings: tuple[str, ...], rows: Sequence[tuple[str, ...]]) -> list[str]:
    cells = [headings, *rows]
    widths = [max(len(line[i]) for line in cells) for i in range(len(headings))]
    return [
        "  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True)).rstrip()
        for line in cells
    ]


def write_picture(planned: Planned, path: Path, title: str) -> None:
    # Imported here: matplotlib takes a while to load and only pictures need it.
    from nfvo.cli.plan_picture import draw_plan

    path.parent.mkdir(parents=True, exist_ok=True)
    draw_plan(planned.view, planned.plan, planned.built, path, title)


def plan_core(
    packages_dir: Path,
    inventory: Path,
    level: str = "lab",
    networks: Sequence[str] = CORE_NETWORKS,
    picture: Path | None = None,
    site: LiveGraph | None = None,
) -> str:
    """Plan the NSD found in ``packages_dir`` with its VNF packages (what ``make demo``
    shows), on the empty site or on ``site``; returns the text ``nfvo placement plan``
    prints, explanation included."""
    inputs = PlanInputs(None, (), packages_dir, inventory, tuple(networks), level)
    planned = run_plan(inputs, site)
    if picture is not None and planned.report.feasible:
        write_picture(planned, picture, _title(planned, inventory, level))
    return render_text(planned.report)


def _title(planned: Planned, inventory: Path, level: str | None) -> str:
    report = planned.report
    return (
        f"{report.request_id} at level {level or 'default'} on {inventory.stem}: "
        f"{len(report.vnfcs)} VNFCs on {len(report.hosts_used)} of {len(report.hosts)} hosts"
    )


def plan_data(planned: Planned) -> dict[str, Any]:
    """The plan as data (``-o json`` and ``-o yaml``): the report, the request's groups
    and bindings, and the engine's decision."""
    request = planned.built.request
    return {
        **planned.report.to_json(),
        "groups": [group.model_dump(mode="json") for group in request.groups],
        "network_bindings": [b.model_dump(mode="json") for b in request.network_bindings],
        "decision": planned.plan.decision.model_dump(mode="json"),
    }


_PATH = click.Path(exists=True, path_type=Path)


@COMMAND.command("plan")
@click.option("--ns", type=_PATH, help="NSD archive or source directory to plan.")
@click.option("--vnf", "vnfs", type=_PATH, multiple=True, help="VNF package (repeatable).")
@click.option(
    "--packages-dir",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="Directory of packages to find the NSD's VNFs (and, alone, the NSD) in.",
)
@click.option("--level", help="NS (or, with one --vnf, VNF) instantiation level.")
@click.option(
    "--network",
    "networks",
    multiple=True,
    metavar="NAME=PHYSNET|NAME=net:NETWORK",
    help="Bind an NS virtual link (or a lone VNF's logical network); repeatable.",
)
@click.option(
    "--inventory",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    required=True,
    help="Site inventory (YAML) the plan is made on.",
)
@click.option(
    "--objective",
    type=click.Choice([o.value for o in Objective]),
    default="pack",
    show_default=True,
    help="pack: fewest hosts; spread: across hosts and zones.",
)
@click.option(
    "--mode",
    type=click.Choice(sorted(MODES)),
    default="host",
    show_default=True,
    help="host: name the hypervisor (admin); zone: zone and server group only.",
)
@OUTPUT
@click.option(
    "--picture",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Also draw the plan to PATH.png or PATH.svg.",
)
@click.option(
    "--vim",
    "vim_name",
    metavar="NAME",
    help="Plan against a registered VIM's live usage ('default' for the default VIM).",
)
@pass_cli
def plan_command(
    cli: CliContext,
    ns: Path | None,
    vnfs: tuple[Path, ...],
    packages_dir: Path | None,
    level: str | None,
    networks: tuple[str, ...],
    inventory: Path,
    objective: str,
    mode: str,
    output: str,
    picture: Path | None,
    vim_name: str | None,
) -> None:
    """Dry run: where each VNFC would run, or why it cannot; exit 1 when it cannot."""
    if picture is not None and picture.suffix.lower() not in (".png", ".svg"):
        raise click.UsageError(f"--picture {picture}: the name must end in .png or .svg")
    inputs = PlanInputs(
        ns, vnfs, packages_dir, inventory, networks, level, Objective(objective), MODES[mode]
    )
    try:
        site = live_site(cli, vim_name, inventory) if vim_name else None
        planned = run_plan(inputs, site)
    except (RequestError, InventoryError) as exc:  # what the flags asked cannot be planned
        raise click.UsageError(str(exc)) from exc
    if output == "table":
        click.echo(render_text(planned.report))
    else:
        render(plan_data(planned), (), output)
    if not planned.report.feasible:
        raise SystemExit(1)
    if picture is not None:
        write_picture(planned, picture, _title(planned, inventory, level))
        click.echo(f"picture: {picture}", err=output != "table")
