"""A grant request as a placement request: VNFCs, rules, running siblings, networks."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest

from descriptors.loader import load_package
from descriptors.stored import StoredVnfd
from descriptors.summary import SHIPPED
from nfvo.lcm.grant_requests import (
    GrantRefusal,
    GrantRequestError,
    GrantScope,
    SiblingRule,
    placement_request,
)
from nfvo.lcm.networks import LinkBinding
from nfvo.placement.model import AffinityKind, AffinityScope, PlacementMode
from nfvo.sol.grant import GrantRequest
from tests.integration.lcm.grants import anti_affinity, compute, grant_request

BOUND = {
    "virtual_link_n3": LinkBinding("virtual_link_n3", "n3-sriov", "sriov-n3"),
    "virtual_link_n6": LinkBinding("virtual_link_n6", "n6-sriov", "sriov-n6"),
}


@pytest.fixture(scope="module")
def upf() -> StoredVnfd:
    with tempfile.TemporaryDirectory() as work:
        loaded = load_package(SHIPPED / "upf", Path(work) / "upf")
    assert loaded.vnfd is not None
    return StoredVnfd(vnfd=loaded.vnfd, requirements=loaded.requirements)


def request(**fields: object) -> GrantRequest:
    return GrantRequest.model_validate(grant_request(compute("upf-0", "upf"), **fields))


def test_vnfcs_rules_and_networks(upf: StoredVnfd) -> None:
    asked = GrantRequest.model_validate(
        grant_request(
            compute("upf-0", "upf"),
            compute("upf-1", "upf"),
            constraints=[anti_affinity("upf-0", "upf-1", servers=("server-a",))],
        )
    )
    scope = GrantScope(bindings=BOUND, zones=("az-2",))
    built = placement_request(
        "g", asked, upf, scope, {"server-a": "compute-02"}, PlacementMode.HOST
    )
    assert [v.vnfc_id for v in built.vnfcs] == ["upf-0", "upf-1"]
    assert all(
        v.zones == ["az-2"] and v.vnf_instance_id == asked.vnf_instance_id for v in built.vnfcs
    )
    (group,) = built.groups
    assert group.members == ["upf-0", "upf-1"] and group.placed_hosts == ["compute-02"]
    assert {b.logical_network: b.physnet for b in built.network_bindings} == {
        "virtual_link_n3": "sriov-n3",
        "virtual_link_n6": "sriov-n6",
    }


def test_the_ns_rules_reach_running_vnfcs_of_other_instances(upf: StoredVnfd) -> None:
    rule = SiblingRule(
        "upf_anti", AffinityKind.ANTI_AFFINITY, AffinityScope.NFVI_NODE, ("compute-01",)
    )
    built = placement_request(
        "g", request(), upf, GrantScope(bindings=BOUND, rules=(rule,)), {}, PlacementMode.HOST
    )
    (group,) = built.groups
    assert group.group_id == "upf_anti" and group.placed_hosts == ["compute-01"]


def test_refusals_and_malformed_requests_name_what_is_wrong(upf: StoredVnfd) -> None:
    with pytest.raises(GrantRefusal, match="virtual_link_n3 carries SR-IOV ports but is bound"):
        placement_request("g", request(), upf, GrantScope(), {}, PlacementMode.HOST)
    zone_group = dict(anti_affinity("upf-0"), scope="ZONE_GROUP")
    with pytest.raises(GrantRefusal, match=r"placementConstraints\[0\].*ZONE_GROUP"):
        placement_request(
            "g",
            request(constraints=[zone_group]),
            upf,
            GrantScope(bindings=BOUND),
            {},
            PlacementMode.HOST,
        )
    wrong = anti_affinity("upf-0", "upf-9")
    with pytest.raises(GrantRequestError, match="GRANT resources that are no COMPUTE"):
        placement_request(
            "g",
            request(constraints=[wrong]),
            upf,
            GrantScope(bindings=BOUND),
            {},
            PlacementMode.HOST,
        )
    with pytest.raises(GrantRequestError, match="flavourId 'big' is not a flavour"):
        placement_request(
            "g", request(flavourId="big"), upf, GrantScope(bindings=BOUND), {}, PlacementMode.HOST
        )
