import orjson
import pytest

from nfvo.sol.grant import (
    Grant,
    GrantInfo,
    GrantRequest,
    GrantVimAssets,
    PhysicalFunctionHint,
    PlacementHint,
    VimComputeResourceFlavour,
    ZoneInfo,
    placement_params,
)


def grant() -> Grant:
    hint = PlacementHint(
        host="compute-01",
        server_group_id="sg-1",
        numa_cells=[0],
        physical_functions=[
            PhysicalFunctionHint(cp_id="n3", physnet="sriov-n3", device="ens1f0", numa_cell=0)
        ],
    )
    return Grant.model_validate(
        {
            "id": "g1",
            "vnfInstanceId": "vnf-1",
            "vnfLcmOpOccId": "op-1",
            "zones": [ZoneInfo(id="z1", zone_id="az-1").to_wire()],
            "addResources": [
                GrantInfo(
                    resource_definition_id="upf-0", zone_id="z1", reservation_id="r1"
                ).to_wire()
            ],
            "vimAssets": GrantVimAssets(
                compute_resource_flavours=[
                    VimComputeResourceFlavour(
                        vnfd_virtual_compute_desc_id="upf", vim_flavour_id="f-1"
                    )
                ]
            ).to_wire(),
            "additionalParams": placement_params({"upf-0": hint}),
            "_links": {
                "self": {"href": "/grant/v1/grants/g1"},
                "vnfLcmOpOcc": {"href": "/vnflcm/v2/vnf_lcm_op_occs/op-1"},
                "vnfInstance": {"href": "/vnflcm/v2/vnf_instances/vnf-1"},
            },
        }
    )


def test_decision_travels_in_standard_fields_and_the_extension() -> None:
    g = Grant.from_json(grant().to_json())
    assert g == grant()
    assert g.zone_of("upf-0") == "az-1"
    assert g.flavour_for("upf") == "f-1"
    assert g.add_resources[0].reservation_id == "r1"
    hint = g.placement_hint("upf-0")
    assert hint is not None
    assert (hint.host, hint.numa_cells, hint.predicted) == ("compute-01", [0], True)
    assert hint.physical_functions[0].device == "ens1f0"
    wire = orjson.loads(g.to_json())
    assert wire["additionalParams"]["placement"]["upf-0"]["serverGroupId"] == "sg-1"
    assert wire["vimAssets"]["computeResourceFlavours"][0]["vnfdVirtualComputeDescId"] == "upf"


def test_absent_hints_and_zones_are_none() -> None:
    g = grant()
    assert g.placement_hint("amf-0") is None
    assert g.zone_of("amf-0") is None
    assert g.flavour_for("amf") is None


def test_malformed_extension_is_reported_with_its_path() -> None:
    g = grant().model_copy(
        update={"additional_params": {"placement": {"upf-0": {"numaCells": "x"}}}}
    )
    with pytest.raises(ValueError, match=r"additionalParams.placement.upf-0"):
        g.placement_hint("upf-0")


def test_grant_request_round_trip() -> None:
    body = {
        "vnfInstanceId": "vnf-1",
        "vnfLcmOpOccId": "op-1",
        "vnfdId": "vnfd-upf",
        "flavourId": "default",
        "operation": "INSTANTIATE",
        "isAutomaticInvocation": False,
        "addResources": [
            {"id": "upf-0", "type": "COMPUTE", "vduId": "upf", "resourceTemplateId": ["upf"]}
        ],
        "placementConstraints": [
            {
                "affinityOrAntiAffinity": "ANTI_AFFINITY",
                "scope": "NFVI_NODE",
                "resource": [{"idType": "GRANT", "resourceId": "upf-0"}],
            }
        ],
        "_links": {"vnfLcmOpOcc": {"href": "/o"}, "vnfInstance": {"href": "/v"}},
    }
    request = GrantRequest.model_validate(body)
    wire = orjson.loads(request.to_json())
    assert {key: wire[key] for key in body} == body
    assert GrantRequest.from_json(request.to_json()) == request
