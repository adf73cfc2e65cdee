"""On tiny sites the engine finds a placement whenever exhaustive search does.

The exhaustive side tries every host assignment and every fill order per host, with
the engine's own fit; the deep run is allowed to find the known gap (cell choice).
"""

import itertools

import pytest
from hypothesis import HealthCheck, given, settings

from nfvo.placement.demand import Demand, demand_for
from nfvo.placement.engine import plan
from nfvo.placement.fit import fit
from nfvo.placement.model import PlacementRequest
from nfvo.vim.infrastructure import InfrastructureGraph
from tests.unit.placement.test_properties import PHYSNETS, scenarios

MAX_ASSIGNMENTS = 2000


def _rules_hold(site: InfrastructureGraph, request: PlacementRequest, hosts: list[str]) -> bool:
    index = {v.vnfc_id: i for i, v in enumerate(request.vnfcs)}
    for group in request.groups:
        chosen = [hosts[index[m]] for m in group.members]
        where = chosen if group.scope == "nfvi_node" else [site.hosts[h].zone for h in chosen]
        if len(set(where)) != (1 if group.kind == "affinity" else len(where)):
            return False
    return True


def _host_takes(site: InfrastructureGraph, name: str, demands: list[Demand]) -> bool:
    host = site.hosts[name]
    for order in itertools.permutations(demands):
        state = site.states[name].copy()
        for demand in order:
            claim = fit(host, state, demand)
            if claim is None:
                break
            state.take(host, claim)
        else:
            return True
    return False


def exhaustive(site: InfrastructureGraph, request: PlacementRequest) -> bool | None:
    """Whether some assignment fits (each host filled in some order); None if too big."""
    names = list(site.hosts)
    demands = [demand_for(v.requirement, PHYSNETS) for v in request.vnfcs]
    if len(names) ** len(demands) > MAX_ASSIGNMENTS:
        return None
    for assignment in itertools.product(names, repeat=len(demands)):
        hosts = list(assignment)
        if not _rules_hold(site, request, hosts):
            continue
        if all(
            _host_takes(site, name, [d for d, h in zip(demands, hosts, strict=True) if h == name])
            for name in set(hosts)
        ):
            return True
    return False


def check(scenario: tuple[InfrastructureGraph, PlacementRequest]) -> None:
    site, request = scenario
    possible = exhaustive(site, request)
    if possible is None:
        return
    found = plan(request, site.capacity_view()).decision.feasible
    assert found == possible


@settings(
    max_examples=150, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck)
)
@given(scenarios())
def test_engine_is_complete_on_tiny_sites(
    scenario: tuple[InfrastructureGraph, PlacementRequest],
) -> None:
    check(scenario)


@pytest.mark.deep
@pytest.mark.xfail(
    reason="cells are taken first fit in the order Nova tries them, as Nova does; "
    "rare NUMA guests fit only with another cell choice",
    strict=False,
)
@settings(max_examples=3000, deadline=None, suppress_health_check=list(HealthCheck))
@given(scenarios())
def test_engine_is_complete_on_tiny_sites_deep(
    scenario: tuple[InfrastructureGraph, PlacementRequest],
) -> None:
    check(scenario)
