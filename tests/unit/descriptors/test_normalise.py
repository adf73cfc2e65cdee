"""VDUs become VduRequirements under the documented EPA keys."""

from __future__ import annotations

from descriptors.model import AdditionalCapability, ExtCp, Flavour, Vdu, VduCp
from descriptors.normalise import normalise_flavour, normalise_vdu
from descriptors.problems import Severity
from descriptors.requirements import (
    CpuPolicy,
    EmulatorThreadsPolicy,
    PageSize,
    ThreadPolicy,
    VnicType,
)


def vdu(**changes: object) -> Vdu:
    base: dict[str, object] = {
        "vdu_id": "v",
        "name": "v",
        "min_instances": 1,
        "max_instances": 1,
        "vcpus": 4,
        "memory_mb": 8192,
    }
    return Vdu.model_validate({**base, **changes})


def flavour(the_vdu: Vdu, *cps: VduCp, ext: tuple[ExtCp, ...] = ()) -> Flavour:
    return Flavour(flavour_id="default", vdus=[the_vdu], cps=list(cps), ext_cps=list(ext))


def test_plain_vdu_is_shared_with_no_epa() -> None:
    requirement, problems = normalise_vdu(vdu(local_storage_gb=[10]), flavour(vdu()))
    assert problems == []
    assert requirement is not None
    assert requirement.cpu_policy is CpuPolicy.SHARED and requirement.disk_gb == 10
    assert requirement.page_size is None and requirement.numa_nodes is None and not requirement.dpdk


def test_nova_keys_from_each_map_most_specific_wins() -> None:
    the_vdu = vdu(
        cpu_requirements={
            "hw:cpu_policy": "dedicated",
            "hw:cpu_thread_policy": "isolate",
            "hw:emulator_threads_policy": "isolate",
            "nfvo:dpdk": "true",
        },
        memory_requirements={
            "hw:mem_page_size": "1GB",
            "hw:numa_nodes": "1",
            "hw:cpu_policy": "shared",
        },
        additional_capabilities=[
            AdditionalCapability(
                name="x",
                support_mandatory=True,
                target_performance_parameters={
                    "hw:mem_page_size": "2MB",
                    "hw:vif_multiqueue_enabled": "true",
                },
            )
        ],
    )
    requirement, problems = normalise_vdu(the_vdu, flavour(the_vdu))
    assert problems == [] and requirement is not None
    assert requirement.cpu_policy is CpuPolicy.DEDICATED
    assert requirement.thread_policy is ThreadPolicy.ISOLATE
    assert requirement.emulator_threads is EmulatorThreadsPolicy.ISOLATE
    assert requirement.page_size is PageSize.SIZE_1GB and requirement.numa_nodes == 1
    assert requirement.dpdk
    assert requirement.extra == {"hw:vif_multiqueue_enabled": "true"}


def test_sol001_pinning_means_dedicated_and_rules_are_explained() -> None:
    the_vdu = vdu(cpu_pinning_policy="static", cpu_pinning_rules=["0-3:0-3"], numa_enabled=True)
    requirement, problems = normalise_vdu(the_vdu, flavour(the_vdu))
    assert requirement is not None and requirement.cpu_policy is CpuPolicy.DEDICATED
    assert requirement.numa_nodes == 1
    assert [p.severity for p in problems] == [Severity.WARNING]
    assert "virtual_cpu_pinning_rule" in problems[0].message


def test_mixed_policy_mask_and_numa_split() -> None:
    the_vdu = vdu(
        cpu_requirements={"hw:cpu_policy": "mixed", "hw:cpu_dedicated_mask": "^0"},
        memory_requirements={
            "hw:numa_nodes": "2",
            "hw:numa_cpus.0": "0,1",
            "hw:numa_mem.0": "4096",
            "hw:numa_cpus.1": "2-3",
            "hw:numa_mem.1": "4096",
        },
    )
    requirement, problems = normalise_vdu(the_vdu, flavour(the_vdu))
    assert problems == [] and requirement is not None
    assert requirement.dedicated_cpus == [1, 2, 3]
    assert [node.vcpus for node in requirement.numa_split] == [[0, 1], [2, 3]]


def test_bad_values_and_inconsistent_needs_are_problems() -> None:
    bad = vdu(cpu_requirements={"hw:cpu_policy": "fast", "hw:mem_page_size": "huge"})
    requirement, problems = normalise_vdu(bad, flavour(bad))
    assert requirement is not None
    assert {p.message.split(" is ")[0] for p in problems} == {"hw:cpu_policy", "hw:mem_page_size"}
    inconsistent = vdu(memory_requirements={"hw:numa_nodes": "8"})
    requirement, problems = normalise_vdu(inconsistent, flavour(inconsistent))
    assert requirement is None and "numa_nodes cannot exceed vcpus" in problems[0].message


def test_dpdk_without_huge_pages_is_a_warning() -> None:
    the_vdu = vdu(cpu_requirements={"nfvo:dpdk": "yes"})
    requirement, problems = normalise_vdu(the_vdu, flavour(the_vdu))
    assert requirement is not None and requirement.dpdk
    assert [p.severity for p in problems] == [Severity.WARNING]


def test_vnic_types_virtio_becomes_normal_and_container_kinds_are_refused() -> None:
    the_vdu = vdu()
    cps = (
        VduCp(cp_id="a", vdu_id="v", vnic_type="virtio", virtual_link="internal", order=0),
        VduCp(cp_id="b", vdu_id="v", vnic_type="direct", order=1),
        VduCp(cp_id="c", vdu_id="v", vnic_type="bridge"),
        VduCp(cp_id="d", vdu_id="v", vnic_type="smart-nic"),
        VduCp(cp_id="e", vdu_id="v", interface_requirements={"nfvo:port_security": "false"}),
    )
    ext = (ExtCp(cp_id="n3", maps_to="b"),)
    found, problems = normalise_flavour(flavour(the_vdu, *cps, ext=ext), file="Definitions/x.yaml")
    interfaces = {i.cp_id: i for i in found["v"].interfaces}
    assert (
        interfaces["a"].vnic_type is VnicType.NORMAL
        and interfaces["a"].logical_network == "internal"
    )
    assert interfaces["b"].vnic_type is VnicType.DIRECT and interfaces["b"].logical_network == "n3"
    assert interfaces["e"].port_security is False and interfaces["e"].logical_network is None
    assert set(interfaces) == {"a", "b", "e"}
    assert {p.path for p in problems} == {
        "topology_template.node_templates.c.properties.vnic_type",
        "topology_template.node_templates.d.properties.vnic_type",
    }
    assert all(p.file == "Definitions/x.yaml" and p.code == "vnic-type" for p in problems)
    assert "container" in problems[0].message and "smart-NIC" in problems[1].message


def test_unknown_keys_of_our_maps_are_warned_with_the_nearest_known_one() -> None:
    the_vdu = vdu(
        cpu_requirements={"hw:cpu_polcy": "dedicated", "hw:watchdog_action": "reset"},
        memory_requirements={"hw:numa_mem.0": "4096", "nfvo:dpdkk": "true"},
        additional_capabilities=[
            AdditionalCapability(
                name="x",
                support_mandatory=False,
                target_performance_parameters={"vendor.tuning": "on", "cpu_policy": "shared"},
            )
        ],
    )
    port = VduCp(cp_id="p", vdu_id="v", interface_requirements={"nfvo:port_securty": "false"})
    _, problems = normalise_flavour(flavour(the_vdu, port))
    warned = {p.message: p for p in problems if p.code == "unknown-key"}
    assert set(warned) == {
        'VDU v: unknown key "hw:cpu_polcy" (passed to Nova as it is); did you mean '
        '"hw:cpu_policy"?',
        'VDU v: unknown key "nfvo:dpdkk" (ignored); did you mean "nfvo:dpdk"?',
        'VDU v: unknown key "cpu_policy" (ignored); did you mean "hw:cpu_policy"?',
        'VDU v: unknown key "nfvo:port_securty" (ignored); did you mean "nfvo:port_security"?',
    }
    assert all(p.severity is Severity.WARNING for p in warned.values())
    where = warned['VDU v: unknown key "nfvo:dpdkk" (ignored); did you mean "nfvo:dpdk"?']
    assert where.path == (
        "topology_template.node_templates.v.capabilities.virtual_compute.properties."
        "virtual_memory.vdu_mem_requirements"
    )
