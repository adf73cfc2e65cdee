import pytest
from pydantic import ValidationError

from descriptors.requirements import VduRequirement
from nfvo.placement.model import (
    AffinityGroup,
    AffinityKind,
    AffinityScope,
    ConstraintFailure,
    NetworkBinding,
    PlacementDecision,
    PlacementExplanation,
    PlacementMode,
    PlacementRequest,
    VnfcPlacement,
    VnfcRequest,
)

SMALL = VduRequirement(vdu_id="amf", vcpus=2, memory_mb=4096)


def request(**changes: object) -> PlacementRequest:
    base: dict[str, object] = {
        "request_id": "r1",
        "vnfcs": [
            VnfcRequest(vnfc_id="amf-0", vdu_id="amf", requirement=SMALL),
            VnfcRequest(vnfc_id="amf-1", vdu_id="amf", requirement=SMALL),
        ],
        "groups": [
            AffinityGroup(
                group_id="amf-anti",
                kind=AffinityKind.ANTI_AFFINITY,
                scope=AffinityScope.ZONE,
                members=["amf-0", "amf-1"],
            )
        ],
        "network_bindings": [NetworkBinding(logical_network="n3", physnet="sriov-n3")],
        "mode": PlacementMode.ZONE_AND_SERVER_GROUP,
    }
    return PlacementRequest.model_validate({**base, **changes})


def test_request_round_trip() -> None:
    original = request()
    assert PlacementRequest.model_validate_json(original.model_dump_json()) == original
    assert original.binding("n3") == NetworkBinding(logical_network="n3", physnet="sriov-n3")
    assert original.binding("n6") is None


def test_only_two_scopes_are_supported() -> None:
    assert {s for s in AffinityScope if s.supported} == {
        AffinityScope.NFVI_NODE,
        AffinityScope.ZONE,
    }


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"vnfcs": [VnfcRequest(vnfc_id="a", vdu_id="a", requirement=SMALL)] * 2}, "unique"),
        (
            {
                "groups": [
                    AffinityGroup(
                        group_id="g",
                        kind=AffinityKind.AFFINITY,
                        scope=AffinityScope.NFVI_NODE,
                        members=["nope"],
                    )
                ]
            },
            "unknown VNFCs",
        ),
        ({"network_bindings": [{"logical_network": "n3"}]}, "bind it to a physnet"),
        (
            {"network_bindings": [{"logical_network": "n3", "physnet": "a"}] * 2},
            "bound once",
        ),
    ],
)
def test_bad_requests_are_refused(changes: dict[str, object], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        request(**changes)


def test_decision_is_all_or_nothing() -> None:
    placed = PlacementDecision(
        request_id="r1",
        placements=[VnfcPlacement(vnfc_id="amf-0", zone="az-1", server_group="amf-anti")],
    )
    assert placed.feasible
    assert placed.placement("amf-0") is not None
    assert PlacementDecision.model_validate_json(placed.model_dump_json()) == placed
    explanation = PlacementExplanation(
        vnfc_id="upf-2",
        needs="UPF-2 needs 9 pinned CPUs",
        failures=[ConstraintFailure(constraint="a VF on sriov-n3", hosts=37)],
        nearest_miss="compute-12 is closest: one VF short",
    )
    refused = PlacementDecision(request_id="r1", explanation=explanation)
    assert not refused.feasible
    assert "37 hosts lack a VF on sriov-n3" in str(explanation)
    with pytest.raises(ValidationError, match="all or nothing"):
        PlacementDecision(request_id="r1", placements=placed.placements, explanation=explanation)
    with pytest.raises(ValidationError, match="needs an explanation"):
        PlacementDecision(request_id="r1")
