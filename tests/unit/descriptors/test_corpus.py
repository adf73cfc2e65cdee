"""Every package others wrote is accepted, or rejected for its real reason.

Two layers per package: the whole onboarding (``load_package``: archive checks, then
TOSCA and normalisation unless the archive is unsafe to read) and the TOSCA half alone
(``read_descriptor`` and normalisation), so each layer's findings are pinned down.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from descriptors.loader import load_package, normalise_descriptor, read_descriptor
from descriptors.normalise import normalise_flavour
from descriptors.problems import DescriptorError, Problem, Severity

ENTRY = {
    "csar_meta_and_manifest_checksums": "Definitions/sample_vnfd_top.yaml",
    "free5gc_cnf": "Definitions/free5gc_top.vnfd.yaml",
    "free5gc_vnf_antiaffinity_zone": "Definitions/sample_free5gc_top.vnfd.yaml",
    "helloworld3_sriov_df": "helloworld3_df_simple.yaml",
    "practical_vnf_package": "Definitions/Node.yaml",
    "single_file_vnfd_sriov": "vnfd_helloworld_single.yaml",
    "tacker_single_yaml_with_manifest": "VNF.yaml",
    "tacker_vnfpkgm2": "Definitions/helloworld3_top.vnfd.yaml",
    "v2_basic_lcms_max": "Definitions/v2_sample1_top.vnfd.yaml",
}
#: package -> the error codes onboarding rejects it with (empty: accepted); content
#: errors (checksums, missing artifacts) and descriptor errors are reported together.
ONBOARDING = {
    "csar_meta_and_manifest_checksums": {"missing-artifact", "missing-image", "tosca"},
    "free5gc_cnf": {"checksum-mismatch", "missing-artifact", "no-compute"},
    "free5gc_vnf_antiaffinity_zone": {"checksum-malformed", "missing-artifact"},
    "helloworld3_sriov_df": {"image-path", "missing-import", "tosca"},
    "practical_vnf_package": set(),
    "single_file_vnfd_sriov": {"missing-image"},
    "tacker_single_yaml_with_manifest": {"missing-artifact", "missing-image"},
    "tacker_vnfpkgm2": {"missing-artifact", "missing-image", "inconsistent"},
    "v2_basic_lcms_max": {"missing-image"},
}
#: package -> the error codes of the descriptor alone (TOSCA and normalisation).
DESCRIPTOR = {
    "csar_meta_and_manifest_checksums": {"tosca"},
    "free5gc_cnf": {"no-compute"},
    "free5gc_vnf_antiaffinity_zone": set(),
    "helloworld3_sriov_df": {"missing-import", "tosca"},
    "practical_vnf_package": set(),
    "single_file_vnfd_sriov": set(),
    "tacker_single_yaml_with_manifest": set(),
    "tacker_vnfpkgm2": {"inconsistent"},
    "v2_basic_lcms_max": set(),
}


@pytest.fixture
def corpus(shared_dir: Path) -> Path:
    return shared_dir / "corpus" / "packages"


def codes(problems: list[Problem]) -> set[str]:
    return {p.code for p in problems if p.severity is Severity.ERROR}


def test_the_table_covers_the_corpus(corpus: Path) -> None:
    assert {p.name for p in corpus.iterdir()} == set(ENTRY) == set(ONBOARDING) == set(DESCRIPTOR)


@pytest.mark.parametrize("name", sorted(ONBOARDING))
def test_onboarding(name: str, corpus: Path, tmp_path: Path) -> None:
    if not ONBOARDING[name]:
        loaded = load_package(corpus / name, tmp_path)
        assert loaded.vnfd is not None and loaded.vnfd.flavours
        return
    with pytest.raises(DescriptorError) as caught:
        load_package(corpus / name, tmp_path)
    assert codes(caught.value.problems) == ONBOARDING[name]


@pytest.mark.parametrize("name", sorted(DESCRIPTOR))
def test_descriptor(name: str, corpus: Path) -> None:
    descriptor = read_descriptor(corpus / name / ENTRY[name], corpus / name)
    problems = [*descriptor.problems, *normalise_descriptor(descriptor)[1]]
    assert codes(problems) == DESCRIPTOR[name]
    assert all(p.file for p in problems)


def test_helloworld3_flavour_does_not_fit_together(corpus: Path) -> None:
    root = corpus / "tacker_vnfpkgm2"
    descriptor = read_descriptor(root / ENTRY["tacker_vnfpkgm2"], root)
    messages = sorted(p.message for p in normalise_descriptor(descriptor)[1])
    assert messages == [
        "flavour simple: aspect worker_instance steps by ['delta_1'], undefined for VDU VDU2",
        "flavour simple: level instantiation_level_2 wants 3 of VDU VDU1, outside its profile",
    ]


def test_problems_point_into_the_flavour_file(corpus: Path) -> None:
    root = corpus / "free5gc_cnf"
    descriptor = read_descriptor(root / ENTRY["free5gc_cnf"], root)
    problems = normalise_descriptor(descriptor)[1]
    assert len(problems) == 12
    assert {p.file for p in problems} == {"Definitions/free5gc_df_simple.yaml"}
    assert problems[0].path == "topology_template.node_templates.VDU1"


def test_the_reasons_are_the_real_ones(corpus: Path) -> None:
    bad_value = read_descriptor(
        corpus / "csar_meta_and_manifest_checksums" / ENTRY["csar_meta_and_manifest_checksums"],
        corpus / "csar_meta_and_manifest_checksums",
    )
    [problem] = [p for p in bad_value.problems if p.severity is Severity.ERROR]
    assert '"Company Provider" of property "provider"' in problem.message
    assert problem.file == "Definitions/sample_vnfd_df_simple_int.yaml" and problem.line

    missing = read_descriptor(
        corpus / "helloworld3_sriov_df" / ENTRY["helloworld3_sriov_df"],
        corpus / "helloworld3_sriov_df",
    )
    assert any(
        '"helloworld3_types.yaml", which is not in the package' in p.message
        for p in missing.problems
    )


def test_what_the_accepted_ones_say(corpus: Path) -> None:
    practical = read_descriptor(
        corpus / "practical_vnf_package" / ENTRY["practical_vnf_package"],
        corpus / "practical_vnf_package",
    )
    assert practical.vnfd is not None
    assert [f.flavour_id for f in practical.vnfd.flavours] == ["ha", "scalable"]
    scalable = practical.vnfd.flavour("scalable")
    assert [a.aspect_id for a in scalable.scaling_aspects] == ["VDU_2"]
    assert {r.scope for r in scalable.placement_rules} == {"nfvi_node"}
    sriov = read_descriptor(
        corpus / "single_file_vnfd_sriov" / ENTRY["single_file_vnfd_sriov"],
        corpus / "single_file_vnfd_sriov",
    )
    assert sriov.vnfd is not None
    requirements, problems = normalise_flavour(sriov.vnfd.flavour("simple"))
    assert problems == []
    assert requirements["VDU1"].interfaces[0].vnic_type.value == "direct-physical"
    implicit = read_descriptor(
        corpus / "tacker_vnfpkgm2" / ENTRY["tacker_vnfpkgm2"], corpus / "tacker_vnfpkgm2"
    )
    assert {p.code for p in implicit.problems} == {"implicit-etsi-import"}
    zone = read_descriptor(
        corpus / "free5gc_vnf_antiaffinity_zone" / ENTRY["free5gc_vnf_antiaffinity_zone"],
        corpus / "free5gc_vnf_antiaffinity_zone",
    )
    assert zone.vnfd is not None
    assert any(r.scope == "zone" for r in zone.vnfd.flavours[0].placement_rules)
