"""The greedy search with a bounded repair: one planning attempt over a capacity view.

Units (one VNFC, or the members of a hard host-affinity group, which go to one host
together) are placed largest first; identical units are adjacent, so they form a batch
that reuses one cursor per zone over the hosts opened so far (capacity only shrinks
while greedy runs, so a host that refused a unit refuses its twins) and one fit answer
per class of untouched hosts. Pack fills opened hosts first (first fit decreasing);
spread takes untouched hosts first, then the least loaded. Members of anti-affinity
groups are spread over zones and packed within them. When a unit fits nowhere, repair
tries moving one placed unit away to make room (a bounded number of tries).
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass, field

from nfvo.placement.classes import FitMemo, HostClasses, Profiles
from nfvo.placement.demand import Demand
from nfvo.placement.fit import fit
from nfvo.placement.model import AffinityGroup, AffinityKind, AffinityScope
from nfvo.vim.infrastructure import CapacityView
from nfvo.vim.usage import Claim, HostState


@dataclass
class Unit:
    members: list[int]  # VNFC indexes in the request
    demands: tuple[Demand, ...]
    zones: tuple[str, ...]  # allowed zones, in view order
    groups: tuple[AffinityGroup, ...]  # every supported group of any member
    spread: bool
    key: Hashable = field(init=False)

    def __post_init__(self) -> None:
        # Fit answers depend on the demands only; groups and zones filter hosts, and a
        # cursor is per zone, so twins in different groups share one batch.
        self.key = self.demands


def fit_all(view: CapacityView, index: int, demands: Sequence[Demand]) -> list[Claim] | None:
    """Claims for all ``demands`` on host ``index`` together, or None."""
    host, state = view.hosts[index], view.states[index]
    if len(demands) == 1:
        claim = fit(host, state, demands[0])
        return None if claim is None else [claim]
    trial: HostState = state.copy()
    claims: list[Claim] = []
    for demand in demands:
        claim = fit(host, trial, demand)
        if claim is None:
            return None
        trial.take(host, claim)
        claims.append(claim)
    return claims


class Search:
    """One attempt: mutates ``view``; read ``host_of``/``claims`` afterwards."""

    def __init__(
        self,
        view: CapacityView,
        units: list[Unit],
        member_index: dict[str, list[int]],
        repair_budget: int,
    ) -> None:
        self.view = view
        self.units = units
        self.member_index = member_index  # group id -> VNFC indexes
        self.repair_budget = repair_budget
        self.host_of: dict[int, int] = {}
        self.claims: dict[int, Claim] = {}
        self.unit_host: dict[int, int] = {}  # unit position -> host
        self.on_host: dict[int, list[int]] = {}  # host -> unit positions
        self.memo = FitMemo()
        self.profiles = Profiles()
        self.cursor: dict[tuple[Hashable, str], int] = {}
        self.index_of = {host.name: index for index, host in enumerate(view.hosts)}
        self.opened: dict[str, list[int]] = {zone: [] for zone in view.zones}
        self.zone_load: dict[str, int] = dict.fromkeys(view.zones, 0)
        fresh: dict[str, list[int]] = {zone: [] for zone in view.zones}
        for index, host in enumerate(view.hosts):
            used = state_used(host_empty_key(view, index), view.states[index])
            (self.opened if used else fresh).setdefault(host.zone, []).append(index)
        self.fresh = {
            zone: HostClasses(view.hosts, view.states, members, self.profiles)
            for zone, members in fresh.items()
        }

    # -- the greedy pass ---------------------------------------------------------------
    def run(self) -> int | None:
        """Place every unit; the position of the first that cannot be placed, or None."""
        for position in range(len(self.units)):
            if not self.place(position) and not self.repair(position):
                return position
        return None

    def place(self, position: int, strict: bool = True) -> bool:
        unit = self.units[position]
        for zone in self.zone_order(unit, strict):
            found = self.in_zone(unit, zone, self.excluded_hosts(unit, strict))
            if found is not None:
                self.commit(position, *found)
                return True
        if strict and any(g.best_effort for g in unit.groups):
            return self.place(position, strict=False)
        return False

    def in_zone(self, unit: Unit, zone: str, excluded: set[int]) -> tuple[int, list[Claim]] | None:
        if unit.spread:
            return self.from_fresh(unit, zone, excluded) or self.least_loaded(unit, zone, excluded)
        return self.from_opened(unit, zone, excluded) or self.from_fresh(unit, zone, excluded)

    def from_opened(
        self, unit: Unit, zone: str, excluded: set[int]
    ) -> tuple[int, list[Claim]] | None:
        hosts = self.opened.get(zone, [])
        start = self.cursor.get((unit.key, zone), 0)
        prefix = True  # every host before this one refused the unit for capacity
        for offset in range(start, len(hosts)):
            index = hosts[offset]
            if index in excluded:
                prefix = False
                continue
            claims = fit_all(self.view, index, unit.demands)
            if claims is not None:
                return index, claims
            if prefix:
                self.cursor[(unit.key, zone)] = offset + 1
        return None

    def from_fresh(
        self, unit: Unit, zone: str, excluded: set[int]
    ) -> tuple[int, list[Claim]] | None:
        classes = self.fresh.get(zone)
        if classes is None:
            return None
        for signature, first in classes:
            # A rule may keep the first host of a class out (placed siblings); a twin
            # (same profile, same state) takes its fit answer.
            representative: int | None = first
            if first in excluded:
                twins = classes.members(signature)
                representative = next((i for i in twins if i not in excluded), None)
            if representative is None:
                continue
            known, claims = self.memo.get(unit.demands, signature)
            if not known:
                claims = fit_all(self.view, representative, unit.demands)
                self.memo.put(unit.demands, signature, claims)
            if claims is not None:
                classes.take(signature, representative)
                self.opened[zone].append(representative)
                return representative, claims
        return None

    def least_loaded(
        self, unit: Unit, zone: str, excluded: set[int]
    ) -> tuple[int, list[Claim]] | None:
        hosts = sorted(self.opened.get(zone, []), key=lambda i: len(self.on_host.get(i, ())))
        for index in hosts:
            if index not in excluded:
                claims = fit_all(self.view, index, unit.demands)
                if claims is not None:
                    return index, claims
        return None

    # -- rules -------------------------------------------------------------------------
    def zone_order(self, unit: Unit, strict: bool) -> list[str]:
        zones = list(unit.zones)
        for group in unit.groups:
            if group.scope is not AffinityScope.ZONE or (group.best_effort and not strict):
                continue
            used = self.zones_of(group, unit)
            if group.kind is AffinityKind.AFFINITY and used:
                zones = [zone for zone in zones if zone in used]
            elif group.kind is AffinityKind.ANTI_AFFINITY:
                zones = [zone for zone in zones if zone not in used]
        if unit.spread or any(g.kind is AffinityKind.ANTI_AFFINITY for g in unit.groups):
            # Anti-affinity members go to the zone holding fewest of their group.
            members = self.anti_members_per_zone(unit)
            zones.sort(key=lambda zone: (members.get(zone, 0), self.zone_load[zone]))
        return zones

    def zones_of(self, group: AffinityGroup, unit: Unit) -> set[str]:
        placed = {self.view.hosts[i].zone for i in self.placed(group)}
        return placed | {
            self.view.hosts[self.host_of[m]].zone
            for m in self.group_members(group)
            if m in self.host_of and m not in unit.members
        }

    def placed(self, group: AffinityGroup) -> set[int]:
        """The hosts of the group's members outside the request that are in the view."""
        return {self.index_of[h] for h in group.placed_hosts if h in self.index_of}

    def anti_members_per_zone(self, unit: Unit) -> dict[str, int]:
        counts: dict[str, int] = {}
        for group in unit.groups:
            if group.kind is AffinityKind.ANTI_AFFINITY:
                for zone in self.zones_of(group, unit):
                    counts[zone] = counts.get(zone, 0) + 1
        return counts

    def excluded_hosts(self, unit: Unit, strict: bool) -> set[int]:
        """Hosts holding a member of one of the unit's host anti-affinity groups, and
        every host but the one holding the placed members of a host-affinity group."""
        excluded: set[int] = set()
        for group in unit.groups:
            if group.scope is not AffinityScope.NFVI_NODE or (group.best_effort and not strict):
                continue
            if group.kind is AffinityKind.ANTI_AFFINITY:
                excluded.update(self.placed(group))
                excluded.update(
                    self.host_of[m]
                    for m in self.group_members(group)
                    if m in self.host_of and m not in unit.members
                )
            elif group.placed_hosts:
                excluded.update(set(range(len(self.view.hosts))) - self.placed(group))
        return excluded

    def group_members(self, group: AffinityGroup) -> list[int]:
        return self.member_index[group.group_id]

    # -- changes -----------------------------------------------------------------------
    def commit(self, position: int, index: int, claims: list[Claim]) -> None:
        unit = self.units[position]
        host = self.view.hosts[index]
        for member, claim in zip(unit.members, claims, strict=True):
            self.view.states[index].take(host, claim)
            self.host_of[member] = index
            self.claims[member] = claim
        self.unit_host[position] = index
        self.on_host.setdefault(index, []).append(position)
        self.zone_load[host.zone] += len(unit.members)

    def undo(self, position: int) -> list[Claim]:
        unit = self.units[position]
        index = self.unit_host.pop(position)
        host = self.view.hosts[index]
        claims = [self.claims.pop(member) for member in unit.members]
        for member, claim in zip(unit.members, claims, strict=True):
            self.view.states[index].give(host, claim)
            del self.host_of[member]
        self.on_host[index].remove(position)
        self.zone_load[host.zone] -= len(unit.members)
        return claims

    # -- repair ------------------------------------------------------------------------
    def repair(self, position: int) -> bool:
        """Move one placed unit elsewhere so ``position`` fits where it was."""
        unit = self.units[position]
        for zone in self.zone_order(unit, strict=True):
            excluded = self.excluded_hosts(unit, strict=True)
            for index in list(self.opened.get(zone, [])):
                if index in excluded:
                    continue
                for other in list(self.on_host.get(index, [])):
                    if self.repair_budget <= 0:
                        return False
                    self.repair_budget -= 1
                    if self.units[other].groups and unit.groups:
                        continue  # moving grouped units could break their rules
                    if self.try_swap(position, other, index):
                        return True
        return False

    def try_swap(self, position: int, other: int, index: int) -> bool:
        saved = self.undo(other)
        claims = fit_all(self.view, index, self.units[position].demands)
        if claims is not None:
            self.commit(position, index, claims)
            self.cursor.clear()  # capacity grew: cursors may have skipped a host
            if self.place(other):
                return True
            self.undo(position)
        self.commit(other, index, saved)
        return False


def host_empty_key(view: CapacityView, index: int) -> tuple[object, ...]:
    return view.hosts[index].empty_state().key()


def state_used(empty_key: tuple[object, ...], state: HostState) -> bool:
    return state.key() != empty_key
