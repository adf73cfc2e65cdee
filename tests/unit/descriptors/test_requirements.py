import pytest
from pydantic import ValidationError

from descriptors.requirements import (
    CpuPolicy,
    EmulatorThreadsPolicy,
    InterfaceRequirement,
    NumaNodeSplit,
    PageSize,
    ThreadPolicy,
    VduRequirement,
    VnicType,
)


def upf() -> VduRequirement:
    return VduRequirement(
        vdu_id="upf",
        vcpus=8,
        memory_mb=16384,
        disk_gb=20,
        cpu_policy=CpuPolicy.DEDICATED,
        thread_policy=ThreadPolicy.ISOLATE,
        emulator_threads=EmulatorThreadsPolicy.ISOLATE,
        numa_nodes=1,
        page_size=PageSize.SIZE_1GB,
        dpdk=True,
        interfaces=[
            InterfaceRequirement(cp_id="mgmt", logical_network="sbi"),
            InterfaceRequirement(cp_id="n3", vnic_type=VnicType.DIRECT, logical_network="n3"),
            InterfaceRequirement(cp_id="n6", vnic_type=VnicType.DIRECT, logical_network="n6"),
        ],
        extra={"hw:pci_numa_affinity_policy": "required"},
    )


def test_json_round_trip_is_lossless() -> None:
    original = upf()
    assert VduRequirement.model_validate_json(original.model_dump_json()) == original


def test_dedicated_pins_every_vcpu_and_the_emulator_thread() -> None:
    requirement = upf()
    assert requirement.pinned_cpus == 9
    assert requirement.shared_cpus == 0
    assert requirement.needs_numa


def test_mixed_policy_pins_only_the_mask() -> None:
    requirement = VduRequirement(
        vdu_id="smf", vcpus=4, memory_mb=4096, cpu_policy=CpuPolicy.MIXED, dedicated_cpus=[2, 3]
    )
    assert (requirement.pinned_cpus, requirement.shared_cpus) == (2, 2)


def test_shared_policy_pins_nothing_and_needs_no_numa() -> None:
    requirement = VduRequirement(vdu_id="nrf", vcpus=2, memory_mb=4096)
    assert (requirement.pinned_cpus, requirement.shared_cpus) == (0, 2)
    assert not requirement.needs_numa


def test_numa_split_round_trips() -> None:
    requirement = VduRequirement(
        vdu_id="x",
        vcpus=4,
        memory_mb=4096,
        numa_nodes=2,
        numa_split=[
            NumaNodeSplit(vcpus=[0], memory_mb=1024),
            NumaNodeSplit(vcpus=[1, 2, 3], memory_mb=3072),
        ],
    )
    assert VduRequirement.model_validate_json(requirement.model_dump_json()) == requirement


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"cpu_policy": "mixed"}, "needs dedicated_cpus"),
        ({"cpu_policy": "mixed", "dedicated_cpus": [0, 1]}, "at least one shared vCPU"),
        ({"dedicated_cpus": [0]}, "only meaningful with the mixed"),
        ({"cpu_policy": "mixed", "dedicated_cpus": [5]}, "indexes below 2"),
        ({"numa_nodes": 3}, "cannot exceed vcpus"),
        (
            {"numa_split": [{"vcpus": [0], "memory_mb": 1024}, {"vcpus": [0], "memory_mb": 1024}]},
            "every vCPU to exactly one node",
        ),
        (
            {"numa_split": [{"vcpus": [0, 1], "memory_mb": 100}]},
            "must add up to memory_mb",
        ),
        (
            {"interfaces": [{"cp_id": "a"}, {"cp_id": "a"}]},
            "cp_id values must be unique",
        ),
        ({"vnic": "x"}, "Extra inputs are not permitted"),
    ],
)
def test_inconsistent_requirements_are_refused(changes: dict[str, object], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        VduRequirement.model_validate({"vdu_id": "x", "vcpus": 2, "memory_mb": 2048, **changes})


def test_vnic_types_that_need_sriov() -> None:
    assert {v for v in VnicType if v.needs_sriov} == {
        VnicType.DIRECT,
        VnicType.DIRECT_PHYSICAL,
        VnicType.MACVTAP,
    }
