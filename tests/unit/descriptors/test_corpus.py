"""Every package others wrote is accepted, or rejected for its real reason.

Tacker's samples are read as stored and as Tacker's test helpers build them (with
ETSI's type files and an image added), beside samples written here from SOL001, valid
and broken.

Two layers per package: the whole onboarding (``load_package``: archive checks, then
TOSCA and normalisation unless the archive is unsafe to read) and the TOSCA half alone
(``read_descriptor`` and normalisation), so each layer's findings are pinned down.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest

from descriptors.loader import load_package, normalise_descriptor, read_descriptor
from descriptors.normalise import normalise_flavour
from descriptors.problems import DescriptorError, Problem, Severity
from tests.support.tacker import make_zip

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


# --- packages built the way Tacker's test helpers build theirs --------------------------

SAMPLES = Path(__file__).resolve().parent / "data" / "vendor"
#: findings about what the author wrote (not the archive): they say where, to the line
DESCRIPTOR_CODES = frozenset(
    {"tosca", "inconsistent", "epa", "vnic-type", "no-compute", "image-description",
     "image-count", "image-checksum", "image-size", "image-format", "image-path", "missing-image"}
)  # fmt: skip


@dataclass(frozen=True)
class Built:
    """A package built as Tacker's helper builds one (``tests.support.tacker``), and the
    error codes onboarding refuses it with (none: accepted). ``edit`` writes one defect
    into a copy of the source (file, text, replacement) before it is built."""

    source: str
    etsi: str | None = "2.6.1"
    refused: frozenset[str] = frozenset()
    edit: tuple[str, str, str] | tuple[tuple[str, str, str], ...] = ()

    @property
    def edits(self) -> tuple[tuple[str, str, str], ...]:
        return (self.edit,) if self.edit and isinstance(self.edit[0], str) else self.edit  # type: ignore[return-value]


def _refused(*codes: str) -> frozenset[str]:
    return frozenset(codes)


DF_SIMPLE = "Definitions/probe_df_simple.yaml"
DF_SMALL, DF_LARGE = "Definitions/probe_df_small.yaml", "Definitions/probe_df_large.yaml"
PROBE_3 = "Definitions/probe_vnfd.yaml"
UNDESCRIBED = (
    DF_SIMPLE,
    "        sw_image_data:\n          name: probe\n",
    "        sw_image_data_was_here:\n          name: probe\n",
)
BUILT = {
    # Tacker's samples: each accepted, or refused for its real defect
    "csar_meta_and_manifest_checksums": Built(
        "csar_meta_and_manifest_checksums", refused=_refused("missing-artifact", "tosca")
    ),
    "free5gc_cnf": Built(
        "free5gc_cnf", refused=_refused("checksum-mismatch", "missing-artifact", "no-compute")
    ),
    "free5gc_vnf_antiaffinity_zone": Built(
        "free5gc_vnf_antiaffinity_zone", refused=_refused("checksum-malformed", "missing-artifact")
    ),
    "helloworld3_sriov_df": Built(
        "helloworld3_sriov_df", refused=_refused("image-path", "missing-import", "tosca")
    ),
    "practical_vnf_package": Built("practical_vnf_package"),
    "single_file_vnfd_sriov": Built("single_file_vnfd_sriov"),
    "tacker_single_yaml_with_manifest": Built(
        "tacker_single_yaml_with_manifest", refused=_refused("missing-artifact")
    ),
    "tacker_vnfpkgm2": Built(
        "tacker_vnfpkgm2", refused=_refused("inconsistent", "missing-artifact")
    ),
    "v2_basic_lcms_max": Built("v2_basic_lcms_max"),
    # written here from SOL001: ETSI's files shipped (2.6.1, 3.3.1) or imported by the
    # forge's GitLab URLs (4.2.1, two flavours naming their nodes alike)
    "probe_2_6_1": Built("probe_2_6_1", "2.6.1"),
    "probe_3_3_1": Built("probe_3_3_1", "3.3.1"),
    "probe_4_2_1": Built("probe_4_2_1", None),
    # ...and each with one defect written in
    "probe_2_6_1-layer-protocol": Built(
        "probe_2_6_1", "2.6.1", _refused("tosca"),
        (DF_SIMPLE, "[ipv4]\n        order: 1", "[ipv5]\n        order: 1"),
    ),
    "probe_2_6_1-image-undescribed": Built(
        "probe_2_6_1", "2.6.1", _refused("image-description", "tosca"), UNDESCRIBED
    ),
    "probe_2_6_1-image-checksum": Built(
        "probe_2_6_1", "2.6.1", _refused("image-checksum"),
        (DF_SIMPLE, "hash: 31831d10", "hash: 41831d10"),
    ),
    "probe_3_3_1-no-memory-size": Built(
        "probe_3_3_1", "3.3.1", _refused("tosca"),
        (PROBE_3, "virtual_mem_size: 1 GiB", "virtual_mem_oversubscription_policy: none"),
    ),
    "probe_3_3_1-unknown-storage-field": Built(
        "probe_3_3_1", "3.3.1", _refused("tosca"),
        (PROBE_3, "size_of_storage: 10 GiB", "size_of_storage: 10 GiB\n          rdma: true"),
    ),
    "probe_3_3_1-image-outside": Built(
        "probe_3_3_1", "3.3.1", _refused("image-path"),
        (PROBE_3, "file: ../Files/images/probe.qcow2", "file: ../../probe.qcow2"),
    ),
    "probe_4_2_1-large-epa": Built(
        "probe_4_2_1", None, _refused("epa"),
        (DF_LARGE, "hw:cpu_policy: dedicated", "hw:cpu_policy: fastest"),
    ),
    "probe_4_2_1-large-level": Built(
        "probe_4_2_1", None, _refused("inconsistent"),
        (DF_LARGE, "            full:\n              number_of_instances: 4",
         "            full:\n              number_of_instances: 9"),
    ),
    "probe_4_2_1-small-delta": Built(
        "probe_4_2_1", None, _refused("inconsistent"),
        (DF_SMALL, "deltas:\n            delta_1:", "deltas:\n            delta_2:"),
    ),
    "probe_4_2_1-large-unknown-field": Built(
        "probe_4_2_1", None, _refused("tosca"),
        (DF_LARGE, "flavour_description: pinned probes", "flavour_text: pinned probes"),
    ),
    "probe_4_2_1-two-images": Built(
        "probe_4_2_1", None, _refused("image-count"),
        ((DF_SMALL, "        sw_image:\n", "        sw_image: &probe\n"),
         (DF_SMALL, "      capabilities:\n", "        spare: *probe\n      capabilities:\n")),
    ),
    "probe_4_2_1-unknown-url": Built(
        "probe_4_2_1", None, _refused("unmapped-import"),
        ("Definitions/probe_top.vnfd.yaml", "https://forge.etsi.org/rep/nfv/SOL001/-/raw/v4.2.1/"
         "etsi_nfv_sol001_common_types.yaml", "https://example.net/etsi_nfv_sol001_common_types.yaml"),
    ),
}  # fmt: skip
#: the one finding each broken sample gets: its file, YAML path, and what its line holds
LOCATED = {
    "probe_2_6_1-layer-protocol": (
        DF_SIMPLE,
        "topology_template.node_templates.CP2.properties.layer_protocols[0]",
        "layer_protocols: [ipv5]",
    ),
    "probe_2_6_1-image-checksum": (
        DF_SIMPLE,
        "topology_template.node_templates.VDU1.properties.sw_image_data.checksum.hash",
        "hash: 41831d10",
    ),
    "probe_3_3_1-no-memory-size": (
        PROBE_3,
        "topology_template.node_templates.VDU1.capabilities.virtual_compute.properties"
        ".virtual_memory",
        "virtual_memory:",
    ),
    "probe_3_3_1-unknown-storage-field": (
        PROBE_3,
        "topology_template.node_templates.data_disk.properties.virtual_block_storage_data.rdma",
        "rdma: true",
    ),
    "probe_3_3_1-image-outside": (
        PROBE_3,
        "topology_template.node_templates.VDU1.artifacts.sw_image.file",
        "file: ../../probe.qcow2",
    ),
    "probe_4_2_1-large-epa": (DF_LARGE, "topology_template.node_templates.VDU1", "VDU1:"),
    "probe_4_2_1-large-level": (
        DF_LARGE,
        "topology_template.policies.VDU1_instantiation_levels.properties.levels.full",
        "full:",
    ),
    "probe_4_2_1-small-delta": (
        DF_SMALL,
        "topology_template.policies.VDU1_scaling_aspect_deltas.properties.deltas",
        "deltas:",
    ),
    "probe_4_2_1-large-unknown-field": (
        DF_LARGE,
        "topology_template.node_templates.VNF.properties.flavour_text",
        "flavour_text: pinned probes",
    ),
}


def build_the_tacker_way(name: str, shared: Path, tmp_path: Path) -> Path:
    built = BUILT[name]
    source = SAMPLES / built.source
    if not source.is_dir():
        source = shared / "corpus" / "packages" / built.source
    if built.edits:
        copy = tmp_path / "edited" / built.source
        shutil.copytree(source, copy)
        for file, old, new in built.edits:
            text = (copy / file).read_text()
            assert old in text, (file, old)
            (copy / file).write_text(text.replace(old, new, 1))
        source = copy
    etsi = shared / "etsi" / "sol001" / built.etsi if built.etsi else None
    return make_zip(source, tmp_path / "build", etsi)


def test_every_corpus_package_is_built_too(corpus: Path) -> None:
    assert {p.name for p in corpus.iterdir()} <= set(BUILT)


@pytest.mark.parametrize("name", sorted(BUILT))
def test_built_the_tacker_way(name: str, shared_dir: Path, tmp_path: Path) -> None:
    archive = build_the_tacker_way(name, shared_dir, tmp_path)
    expected = BUILT[name].refused
    if not expected:
        loaded = load_package(archive, tmp_path / "open")
        assert loaded.vnfd is not None and loaded.vnfd.flavours
        assert codes(list(loaded.warnings)) == set()
        return
    with pytest.raises(DescriptorError) as caught:
        load_package(archive, tmp_path / "open")
    problems = caught.value.problems
    assert codes(problems) == expected
    for problem in problems:
        assert 'property "None"' not in problem.message, problem
        if problem.code in DESCRIPTOR_CODES:  # in the author's file, never a type file
            assert problem.file and problem.path and problem.line, problem
            assert not problem.file.rsplit("/", 1)[-1].startswith("etsi_nfv_sol001_"), problem


@pytest.mark.parametrize("name", sorted(LOCATED))
def test_findings_name_file_path_and_line(name: str, shared_dir: Path, tmp_path: Path) -> None:
    archive = build_the_tacker_way(name, shared_dir, tmp_path)
    with pytest.raises(DescriptorError) as caught:
        load_package(archive, tmp_path / "open")
    [problem] = [p for p in caught.value.problems if p.severity is Severity.ERROR]
    file, path, text = LOCATED[name]
    assert (problem.file, problem.path) == (file, path), problem
    assert problem.line is not None
    lines = (tmp_path / "build" / "contents" / file).read_text().splitlines()
    assert text in lines[problem.line - 1], (problem, lines[problem.line - 1])


def test_ours_shipped_etsi_files_are_used(shared_dir: Path, tmp_path: Path) -> None:
    archive = build_the_tacker_way("probe_3_3_1", shared_dir, tmp_path)
    loaded = load_package(archive, tmp_path / "open")
    assert loaded.vnfd is not None
    [vdu] = loaded.vnfd.flavours[0].vdus
    assert vdu.numa_enabled in (None, False)  # left to its default
    assert vdu.image is not None and vdu.image.file == "../Files/images/probe.qcow2"
    probe = load_package(
        build_the_tacker_way("probe_4_2_1", shared_dir, tmp_path / "4"), tmp_path / "o4"
    )
    assert probe.vnfd is not None
    assert [f.flavour_id for f in probe.vnfd.flavours] == ["large", "small"]
    assert probe.requirements["large"]["VDU1"].cpu_policy.value == "dedicated"
    assert probe.requirements["small"]["VDU1"].cpu_policy.value == "shared"
