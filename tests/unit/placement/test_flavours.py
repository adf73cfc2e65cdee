import pytest

from descriptors.requirements import NumaNodeSplit, VduRequirement
from nfvo.placement.engine import place
from nfvo.placement.flavours import (
    cpu_ranges,
    extra_specs,
    flavour_spec,
    flavours_for,
    grant_placement,
    parse_cpu_ranges,
    requirement_from_flavor,
)
from nfvo.placement.model import AffinityGroup, PlacementMode
from nfvo.sol.grant import Grant
from nfvo.vim.compute import FlavorSpec
from nfvo.vim.tags import content_name
from tests.unit.placement.builders import cell, host, nic, request, sriov, vdu, view


@pytest.mark.parametrize(
    ("cpus", "text"),
    [([0], "0"), ([0, 1], "0-1"), ([2, 3], "2-3"), ([0, 1, 2, 5, 7, 8], "0-2,5,7-8")],
)
def test_cpu_ranges(cpus: list[int], text: str) -> None:
    assert cpu_ranges(cpus) == text


def test_shared_guest_has_no_extra_specs() -> None:
    assert extra_specs(vdu()) == {}


def test_dedicated_guest_specs() -> None:
    specs = extra_specs(
        vdu(
            vcpus=8,
            cpu_policy="dedicated",
            thread_policy="isolate",
            emulator_threads="isolate",
            page_size="1GB",
            numa_nodes=1,
            extra={"hw:pci_numa_affinity_policy": "preferred", "hw:cpu_policy": "shared"},
        )
    )
    assert specs == {
        "hw:cpu_policy": "dedicated",  # ours win over a contradicting pass-through
        "hw:cpu_thread_policy": "isolate",
        "hw:emulator_threads_policy": "isolate",
        "hw:mem_page_size": "1GB",
        "hw:numa_nodes": "1",
        "hw:pci_numa_affinity_policy": "preferred",
    }


def test_mixed_and_numa_split_specs() -> None:
    split = [
        NumaNodeSplit(vcpus=[0, 1, 2], memory_mb=3072),
        NumaNodeSplit(vcpus=[3], memory_mb=1024),
    ]
    specs = extra_specs(
        vdu(vcpus=4, memory_mb=4096, cpu_policy="mixed", dedicated_cpus=[2, 3], numa_split=split)
    )
    assert specs["hw:cpu_policy"] == "mixed"
    assert specs["hw:cpu_dedicated_mask"] == "2-3"
    assert specs["hw:numa_nodes"] == "2"
    assert (specs["hw:numa_cpus.0"], specs["hw:numa_mem.0"]) == ("0-2", "3072")
    assert (specs["hw:numa_cpus.1"], specs["hw:numa_mem.1"]) == ("3", "1024")


def test_flavour_names_follow_content() -> None:
    a = flavour_spec(vdu("upf", vcpus=4, cpu_policy="dedicated"))
    b = flavour_spec(vdu("other-name", vcpus=4, cpu_policy="dedicated"))
    c = flavour_spec(vdu("upf", vcpus=4, cpu_policy="dedicated", page_size="1GB"))
    assert a.name == b.name != c.name
    # The one naming rule the VIM facade also uses when it finds or creates the flavor.
    assert a.name.startswith("nfvo-flavor-")
    assert a.name == content_name("flavor", a.canonical())


def test_one_flavour_per_virtual_compute_descriptor() -> None:
    req = request(vdu("amf"), vdu("smf", vcpus=4), count=3)
    assert sorted(flavours_for(req)) == ["amf", "smf"]
    clash = req.model_copy(
        update={"vnfcs": [req.vnfcs[0], req.vnfcs[3].model_copy(update={"vdu_id": "amf"})]}
    )
    with pytest.raises(ValueError, match="different requirements"):
        flavours_for(clash)


def test_decision_fills_the_grant() -> None:
    upf = vdu("upf", vcpus=4, cpu_policy="dedicated", page_size="1GB", interfaces=sriov("n3"))
    rules = [
        AffinityGroup(
            group_id="upf", kind="anti_affinity", scope="nfvi_node", members=["upf-0", "upf-1"]
        )
    ]
    req = request(upf, count=2, groups=rules)
    hosts = [
        host(
            name,
            zone,
            numa_cells=[cell(0, pages_1gb=8), cell(1)],
            nics=[nic("ens1f0", "sriov-n3", pci_address="0000:3b:00.0")],
        )
        for name, zone in (("a", "az-1"), ("b", "az-2"))
    ]
    decision = place(req, view(*hosts))
    fields = grant_placement(req, decision, vim_connection_id="vim-1")
    grant = Grant.model_validate(
        {
            "id": "g",
            "vnfInstanceId": "v",
            "vnfLcmOpOccId": "o",
            "zones": [z.to_wire() for z in fields.zones],
            "addResources": [g.to_wire() for g in fields.add_resources],
            "vimAssets": fields.vim_assets.to_wire(),
            "additionalParams": fields.additional_params,
            "_links": {
                "self": {"href": "x"},
                "vnfLcmOpOcc": {"href": "x"},
                "vnfInstance": {"href": "x"},
            },
        }
    )
    assert {grant.zone_of("upf-0"), grant.zone_of("upf-1")} == {"az-1", "az-2"}
    assert grant.flavour_for("upf") == flavour_spec(upf).name
    hint = grant.placement_hint("upf-0")
    assert hint is not None and hint.predicted and hint.numa_cells == [0]
    assert hint.host in {"a", "b"} and hint.server_group_id
    assert hint.physical_functions[0].device == "0000:3b:00.0"


def test_flavour_ids_and_zone_mode() -> None:
    req = request(vdu(), mode=PlacementMode.ZONE_AND_SERVER_GROUP)
    decision = place(req, view(host("a")))
    name = flavour_spec(vdu()).name
    fields = grant_placement(req, decision, flavour_ids={name: "f-123"})
    assert fields.vim_assets.compute_resource_flavours[0].vim_flavour_id == "f-123"
    assert fields.additional_params["placement"]["vdu-0"].get("host") is None


def test_an_infeasible_decision_cannot_be_granted() -> None:
    req = request(vdu(vcpus=64))
    with pytest.raises(ValueError, match="no placements"):
        grant_placement(req, place(req, view(host("a"))))


@pytest.mark.parametrize(
    "requirement",
    [
        vdu("amf", vcpus=4, memory_mb=8192, disk_gb=20),
        vdu(
            "upf",
            vcpus=8,
            memory_mb=16384,
            cpu_policy="dedicated",
            thread_policy="prefer",
            emulator_threads="isolate",
            numa_nodes=1,
            page_size="1GB",
            extra={"hw:pci_numa_affinity_policy": "required"},
        ),
        vdu("smf", vcpus=4, cpu_policy="mixed", dedicated_cpus=[2, 3]),
        vdu(
            "split",
            vcpus=4,
            memory_mb=4096,
            cpu_policy="dedicated",
            numa_nodes=2,
            numa_split=[
                {"vcpus": [0], "memory_mb": 1024},
                {"vcpus": [1, 2, 3], "memory_mb": 3072},
            ],
        ),
    ],
    ids=lambda r: r.vdu_id,
)
def test_a_flavor_reads_back_as_the_requirement_it_was_made_from(
    requirement: VduRequirement,
) -> None:
    back = requirement_from_flavor(requirement.vdu_id, flavour_spec(requirement))
    assert back == requirement


def test_nova_cpu_sets() -> None:
    assert parse_cpu_ranges("0-3,^2,5") == [0, 1, 3, 5]
    mixed = requirement_from_flavor(
        "x", FlavorSpec(4, 1024, 0, {"hw:cpu_policy": "mixed", "hw:cpu_dedicated_mask": "^0-1"})
    )
    assert mixed.dedicated_cpus == [2, 3]
