from pathlib import Path

from descriptors.requirements import InterfaceRequirement, VduRequirement
from nfvo.placement.demand import demand_for
from nfvo.placement.engine import place
from nfvo.placement.explain import Gap, describe_needs
from nfvo.placement.model import NetworkBinding, PlacementRequest, VnfcRequest
from nfvo.vim.infrastructure import build_graph
from nfvo.vim.inventory import load_inventory

LAB = Path(__file__).resolve().parents[3] / "simulators/openstack/inventories/lab.yaml"
UPF = VduRequirement(
    vdu_id="upf",
    vcpus=8,
    memory_mb=4096,
    cpu_policy="dedicated",
    emulator_threads="isolate",
    page_size="1GB",
    interfaces=[
        InterfaceRequirement(cp_id="n3", vnic_type="direct", logical_network="n3"),
        InterfaceRequirement(cp_id="n6", vnic_type="direct", logical_network="n6"),
        InterfaceRequirement(cp_id="mgmt"),
    ],
)
PHYSNETS = {"n3": "sriov-n3", "n6": "sriov-n6"}


def test_needs_sentence() -> None:
    assert describe_needs("upf-2", demand_for(UPF, PHYSNETS)) == (
        "upf-2 needs 9 pinned CPUs, 4 GiB of 1 GiB pages and VFs on sriov-n3 and sriov-n6 "
        "in one NUMA cell"
    )


def test_gap_wording() -> None:
    assert Gap("a VF on sriov-n3", 1, 2, "VF").describe() == "one VF short"
    assert Gap("pinned CPUs", 3, 9, "pinned CPU").describe() == "3 pinned CPUs short"
    assert Gap("memory", 1.5, 4, "GiB of memory").describe() == "1.5 GiB of memory short"


def test_lab_explains_too_many_upfs() -> None:
    graph = build_graph(load_inventory(LAB))
    request = PlacementRequest(
        request_id="r",
        vnfcs=[VnfcRequest(vnfc_id=f"upf-{i}", vdu_id="upf", requirement=UPF) for i in range(12)],
        network_bindings=[
            NetworkBinding(logical_network=k, physnet=v) for k, v in PHYSNETS.items()
        ],
    )
    decision = place(request, graph.capacity_view())
    explanation = decision.explanation
    assert explanation is not None and explanation.vnfc_id is not None
    failures = {f.constraint: f.hosts for f in explanation.failures}
    # compute-04 and -05 have no SR-IOV NIC at all; compute-04 is also OVS-DPDK.
    assert failures["a NIC on sriov-n3"] == 2
    assert explanation.nearest_miss is not None and "is closest" in explanation.nearest_miss
    text = str(explanation)
    assert text.startswith(f"{explanation.vnfc_id} needs 9 pinned CPUs") and "2 hosts lack" in text
