"""The EPA-aware placement engine: a request and a capacity view in, a plan out.

All or nothing: either every VNFC gets a host (or, without admin rights, a zone and a
server group) with the NUMA cells and PFs we expect Nova to choose, or the answer is an
explanation of the first VNFC that fits nowhere. The engine never changes the view it
is given; :class:`Plan.usages` is what a reservation layer commits afterwards.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

from nfvo.placement.demand import Demand, DemandError, demand_for
from nfvo.placement.explain import explain
from nfvo.placement.model import (
    AffinityGroup,
    AffinityKind,
    AffinityScope,
    Objective,
    PhysicalFunction,
    PlacementDecision,
    PlacementExplanation,
    PlacementMode,
    PlacementRequest,
    VnfcPlacement,
)
from nfvo.placement.search import Search, Unit
from nfvo.vim.infrastructure import CapacityView
from nfvo.vim.tags import safe_name_part
from nfvo.vim.usage import Usage

DEFAULT_REPAIR_BUDGET = 200
SortKey = Callable[[Unit], tuple[object, ...]]


@dataclass(frozen=True)
class Plan:
    """The decision and, when feasible, the usage each placement takes."""

    decision: PlacementDecision
    usages: tuple[Usage, ...] = ()


def place(request: PlacementRequest, view: CapacityView) -> PlacementDecision:
    return plan(request, view).decision


def plan(
    request: PlacementRequest, view: CapacityView, repair_budget: int = DEFAULT_REPAIR_BUDGET
) -> Plan:
    """Place every VNFC of ``request`` on ``view`` (left unchanged), or explain why not."""
    age = max(time.time() - view.built_at, 0.0)
    refusal = _refusal(request)
    if refusal is not None:
        return _refused(request, refusal, age)
    try:
        demands = _demands(request)
    except DemandError as exc:
        return _refused(request, PlacementExplanation(needs=str(exc)), age)
    position = {vnfc.vnfc_id: i for i, vnfc in enumerate(request.vnfcs)}
    member_index = {g.group_id: [position[m] for m in g.members] for g in request.groups}
    first_failure: tuple[Search, int] | None = None
    attempts = _attempts(request)
    for attempt in attempts:  # grows while iterating: zone retries are appended
        units = _units(request, demands, view.zones, position, attempt)
        units.sort(key=attempt.order())
        search = Search(_copy(view), units, member_index, repair_budget)
        failed = search.run()
        if failed is None:
            return _feasible(request, search, age, attempt.caveats)
        first_failure = first_failure or (search, failed)
        if attempt is attempts[0]:
            attempts += _zone_retries(search, failed, attempt)
    assert first_failure is not None  # there is always at least one attempt
    search, failed = first_failure
    return _refused(request, _explain_unit(request, search, failed), age)


@dataclass(frozen=True)
class Attempt:
    """One way to run the search; later ones give up a preference, never a rule."""

    order: Callable[[], SortKey]
    spread: bool
    dissolve_soft: bool = False
    caveats: tuple[str, ...] = ()
    pins: tuple[tuple[str, str], ...] = ()  # (zone-affinity group id, zone) to try


def _attempts(request: PlacementRequest) -> list[Attempt]:
    spread = request.objective == Objective.SPREAD
    by_size = partial(_by_size, by_size_only=spread)
    attempts = [Attempt(by_size, spread), Attempt(_by_memory, spread)]
    if any(g.best_effort and g.kind == AffinityKind.AFFINITY for g in request.groups):
        caveat = "best-effort host affinity could not be kept"
        attempts.append(Attempt(by_size, spread, dissolve_soft=True, caveats=(caveat,)))
    if spread:
        # Spreading fragments NUMA cells; packing may still fit what spreading cannot.
        caveat = "could not spread: packed instead"
        attempts.append(Attempt(_by_size, False, caveats=(caveat,)))
    return attempts


def _zone_retries(search: Search, failed: int, attempt: Attempt) -> list[Attempt]:
    """Greedy commits a zone-affinity group to its first member's zone; when a later
    member finds no room there, try the group in each other zone it may use."""
    unit = search.units[failed]
    for group in unit.groups:
        if group.kind is AffinityKind.AFFINITY and group.scope is AffinityScope.ZONE:
            tried = search.zones_of(group, unit)
            return [
                Attempt(attempt.order, attempt.spread, pins=((group.group_id, zone),))
                for zone in unit.zones
                if zone not in tried
            ]
    return []


def _copy(view: CapacityView) -> CapacityView:
    return CapacityView(
        hosts=view.hosts,
        states=[state.copy() for state in view.states],
        zones=view.zones,
        built_at=view.built_at,
    )


def _refusal(request: PlacementRequest) -> PlacementExplanation | None:
    unsupported = [g for g in request.groups if not g.scope.supported]
    if unsupported:
        group = unsupported[0]
        return PlacementExplanation(
            needs=f"group {group.group_id} asks for {group.kind} with scope {group.scope}; "
            "only nfvi_node and zone scopes can be placed on OpenStack",
        )
    # Only groups sharing members can contradict: index the hard affinity groups by member.
    together_of: dict[str, list[AffinityGroup]] = {}
    for group in request.groups:
        if group.kind is AffinityKind.AFFINITY and not group.best_effort:
            for member in group.members:
                together_of.setdefault(member, []).append(group)
    for anti in request.groups:
        if anti.kind is not AffinityKind.ANTI_AFFINITY or anti.best_effort:
            continue
        candidates = {g.group_id: g for m in anti.members for g in together_of.get(m, [])}
        for together in candidates.values():
            both = set(anti.members) & set(together.members)
            # One host is in one zone, so host affinity also contradicts zone anti-affinity.
            nested = together.scope is AffinityScope.NFVI_NODE and anti.scope is AffinityScope.ZONE
            if (together.scope is anti.scope or nested) and len(both) > 1:
                return PlacementExplanation(
                    needs=f"groups {together.group_id} (affinity, {together.scope}) and "
                    f"{anti.group_id} (anti-affinity, {anti.scope}) both hold {sorted(both)}",
                )
    return None


def _demands(request: PlacementRequest) -> list[Demand]:
    physnets = {b.logical_network: b.physnet for b in request.network_bindings if b.physnet}
    cache: dict[int, Demand] = {}
    demands: list[Demand] = []
    for vnfc in request.vnfcs:
        key = id(vnfc.requirement)  # VNFCs of one VDU usually share the object
        if key not in cache:
            cache[key] = demand_for(vnfc.requirement, physnets)
        demands.append(cache[key])
    return demands


def _zones(request: PlacementRequest, members: list[int], base: tuple[str, ...]) -> tuple[str, ...]:
    """``base`` (the view's zones the request allows) narrowed by each member's zones."""
    restricted = [request.vnfcs[m].zones for m in members if request.vnfcs[m].zones is not None]
    if not restricted:
        return base
    return tuple(zone for zone in base if all(zone in (z or []) for z in restricted))


def _units(
    request: PlacementRequest,
    demands: list[Demand],
    zones: list[str],
    position: dict[str, int],
    attempt: Attempt,
) -> list[Unit]:
    """One unit per VNFC, except host-affinity groups whose members go together."""
    parent = list(range(len(request.vnfcs)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for group in request.groups:
        together = group.kind is AffinityKind.AFFINITY and group.scope is AffinityScope.NFVI_NODE
        if together and not (attempt.dissolve_soft and group.best_effort):
            first = position[group.members[0]]
            for member in group.members[1:]:
                parent[root(position[member])] = root(first)
    members: dict[int, list[int]] = {}
    for i in range(len(request.vnfcs)):
        members.setdefault(root(i), []).append(i)
    groups_of: dict[int, list[AffinityGroup]] = {}
    for group in request.groups:
        for vnfc_id in group.members:
            groups_of.setdefault(position[vnfc_id], []).append(group)
    allowed = request.allowed_zones
    base = tuple(zone for zone in zones if allowed is None or zone in allowed)
    units: list[Unit] = []
    pins = dict(attempt.pins)
    for indexes in members.values():
        groups = tuple({g.group_id: g for i in indexes for g in groups_of.get(i, [])}.values())
        unit_zones = _zones(request, indexes, base)
        for group in groups:
            if group.group_id in pins:
                unit_zones = tuple(z for z in unit_zones if z == pins[group.group_id])
        units.append(
            Unit(
                members=indexes,
                demands=tuple(demands[i] for i in indexes),
                zones=unit_zones,
                groups=groups,
                spread=attempt.spread,
            )
        )
    return units


def _by_size(by_size_only: bool = False) -> SortKey:
    first_seen: dict[object, int] = {}

    def key(unit: Unit) -> tuple[object, ...]:
        size = tuple(-sum(values) for values in zip(*(d.size for d in unit.demands), strict=True))
        first = first_seen.setdefault(unit.key, len(first_seen))
        # Grouped units first packs better (they open the hosts the rest fill); spreading
        # them first fragments the cells bigger units need, so spread goes by size.
        return (size, not unit.groups, first) if by_size_only else (not unit.groups, size, first)

    return key


def _by_memory() -> SortKey:
    first_seen: dict[object, int] = {}

    def key(unit: Unit) -> tuple[object, ...]:
        memory = -sum(d.memory_mb for d in unit.demands)
        return (not unit.groups, memory, first_seen.setdefault(unit.key, len(first_seen)))

    return key


def _server_groups(request: PlacementRequest) -> dict[str, str]:
    """VNFC id -> the name of its host-scope group's server group (Nova takes one)."""
    names: dict[str, str] = {}
    for group in request.groups:
        if group.scope is AffinityScope.NFVI_NODE:
            name = safe_name_part(f"nfvo-{group.group_id}-{request.request_id}", 60)
            for vnfc_id in group.members:
                names.setdefault(vnfc_id, name)
    return names


def _feasible(
    request: PlacementRequest, search: Search, age: float, caveats: tuple[str, ...]
) -> Plan:
    view = search.view
    placements: list[VnfcPlacement] = []
    usages: list[Usage] = []
    by_host = request.mode == PlacementMode.HOST
    server_groups = _server_groups(request)
    for index, vnfc in enumerate(request.vnfcs):
        host = view.hosts[search.host_of[index]]
        claim = search.claims[index]
        placements.append(
            VnfcPlacement(
                vnfc_id=vnfc.vnfc_id,
                host=host.name if by_host else None,
                zone=host.zone,
                server_group=server_groups.get(vnfc.vnfc_id),
                numa_cells=claim.numa_cells,
                physical_functions=[
                    PhysicalFunction(
                        cp_id=p.port, physnet=p.physnet, device=p.device, numa_cell=p.numa_cell
                    )
                    for p in claim.ports
                ],
            )
        )
        usages.append(Usage(host.name, f"{request.request_id}/{vnfc.vnfc_id}", claim))
    notes = list(caveats)
    if not by_host:
        notes.append(
            "no admin rights: Nova picks the host within the zone and server group; "
            "NUMA cells and PFs are predictions on the host we expect"
        )
    decision = PlacementDecision(
        request_id=request.request_id,
        placements=placements,
        graph_age_seconds=age,
        caveats=notes,
    )
    return Plan(decision, tuple(usages))


def _refused(request: PlacementRequest, explanation: PlacementExplanation, age: float) -> Plan:
    return Plan(
        PlacementDecision(
            request_id=request.request_id, explanation=explanation, graph_age_seconds=age
        )
    )


def _explain_unit(request: PlacementRequest, search: Search, position: int) -> PlacementExplanation:
    unit = search.units[position]
    view = search.view
    excluded = search.excluded_hosts(unit, strict=False)
    zones = set(search.zone_order(unit, strict=False))

    def rule(index: int) -> str | None:
        host = view.hosts[index]
        if host.zone not in unit.zones:
            return f"an allowed zone ({', '.join(unit.zones) or 'none'})"
        if host.zone not in zones:
            names = ", ".join(g.group_id for g in unit.groups if g.scope is AffinityScope.ZONE)
            return f"a zone allowed by group {names} ({', '.join(sorted(zones)) or 'none left'})"
        if index in excluded:
            together = [
                g
                for g in unit.groups
                if g.kind is AffinityKind.AFFINITY
                and g.placed_hosts
                and host.name not in g.placed_hosts
            ]
            if together:
                hosts = ", ".join(sorted({h for g in together for h in g.placed_hosts}))
                return f"the host of group {together[0].group_id}'s running members ({hosts})"
            anti = [g.group_id for g in unit.groups if g.kind is AffinityKind.ANTI_AFFINITY]
            return f"distance from anti-affinity group {', '.join(anti)}"
        return None

    member = unit.members[0]
    vnfc_id = request.vnfcs[member].vnfc_id
    explanation = explain(vnfc_id, unit.demands[0], view.hosts, view.states, rule)
    if len(unit.members) > 1:
        others = ", ".join(request.vnfcs[m].vnfc_id for m in unit.members[1:])
        explanation = explanation.model_copy(
            update={"needs": f"{explanation.needs}, on one host with {others} (affinity)"}
        )
    return explanation
