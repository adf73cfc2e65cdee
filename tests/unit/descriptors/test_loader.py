"""load_package: open, parse, build and normalise, every problem reported at once."""

from __future__ import annotations

import shutil
import zipfile
from pathlib import Path

import pytest

from descriptors.build import build_package
from descriptors.loader import load_package, read_descriptor
from descriptors.problems import DescriptorError, Severity
from descriptors.summary import SHIPPED, describe, package_row

PACKAGES = Path(__file__).resolve().parents[3] / "descriptors" / "packages"


def copy(tmp_path: Path, name: str) -> Path:
    target = tmp_path / name
    shutil.copytree(PACKAGES / name, target)
    return target


def test_directory_and_archive_load_the_same_model(tmp_path: Path) -> None:
    archive = build_package(PACKAGES / "smf", tmp_path / "dist")
    from_archive = load_package(archive, tmp_path / "a")
    from_tree = load_package(PACKAGES / "smf", tmp_path / "b")
    assert from_archive.vnfd == from_tree.vnfd
    assert from_archive.requirements == from_tree.requirements


def test_every_tosca_problem_is_reported_together(tmp_path: Path) -> None:
    source = copy(tmp_path, "amf")
    vnfd = source / "Definitions" / "amf_vnfd.yaml"
    text = vnfd.read_text().replace("scope: zone", "scope: galaxy")
    text = text.replace("max_number_of_instances: 4", "max_number_of_instances: -4")
    vnfd.write_text(text.replace("num_virtual_cpu: 4", "num_virtual_cpu: 0"))
    with pytest.raises(DescriptorError) as caught:
        load_package(source, tmp_path / "work")
    errors = [p for p in caught.value.problems if p.severity is Severity.ERROR]
    assert len(errors) == 3
    assert all(p.file == "Definitions/amf_vnfd.yaml" and p.line for p in errors)


def test_vnic_type_a_vm_cannot_use_rejects_the_package(tmp_path: Path) -> None:
    source = copy(tmp_path, "upf")
    vnfd = source / "Definitions" / "upf_vnfd.yaml"
    vnfd.write_text(vnfd.read_text().replace("vnic_type: direct", "vnic_type: host-device", 1))
    with pytest.raises(DescriptorError) as caught:
        load_package(source, tmp_path / "work")
    [problem] = [p for p in caught.value.problems if p.severity is Severity.ERROR]
    assert problem.code == "vnic-type" and "host-device" in problem.message


def test_strict_turns_warnings_into_failure(tmp_path: Path) -> None:
    source = copy(tmp_path, "nrf")
    vnfd = source / "Definitions" / "nrf_vnfd.yaml"
    vnfd.write_text(vnfd.read_text().replace('"hw:cpu_policy": shared', '"nfvo:dpdk": "true"'))
    loaded = load_package(source, tmp_path / "lenient")
    assert [p.code for p in loaded.warnings if p.code != "unlisted-file"] == ["epa"]
    with pytest.raises(DescriptorError):
        load_package(source, tmp_path / "strict", strict=True)


def test_read_descriptor_without_a_package(tmp_path: Path) -> None:
    descriptor = read_descriptor(
        PACKAGES / "5gc-sa" / "Definitions" / "5gc_sa_nsd.yaml", PACKAGES / "5gc-sa"
    )
    assert descriptor.nsd is not None and descriptor.vnfd is None and descriptor.problems == ()


def test_summaries_describe_the_core(tmp_path: Path) -> None:
    upf = load_package(PACKAGES / "upf", tmp_path / "upf")
    text = describe(upf)
    assert "VDU upf: 8 vCPU, 16 GiB" in text and "1GB pages" in text and "DPDK" in text
    assert "upf_n3: direct on virtual_link_n3" in text
    assert "anti-affinity per nfvi_node: upf" in text
    nsd = load_package(PACKAGES / "5gc-sa", tmp_path / "nsd")
    text = describe(nsd)
    assert "nrf before amf" in text and "udr before udm" in text and "upf before smf" in text
    assert package_row(nsd)["size"] == "9 VNF profiles"


def test_image_artifact_properties_are_checked(tmp_path: Path) -> None:
    source = copy(tmp_path, "upf")
    vnfd = source / "Definitions" / "upf_vnfd.yaml"
    text = vnfd.read_text().replace("disk_format: qcow2", "disk_format: floppy")
    vnfd.write_text(text.replace("algorithm: sha-256", "algorithm: md5"))
    with pytest.raises(DescriptorError) as caught:
        load_package(source, tmp_path / "work")
    paths = {p.path for p in caught.value.problems if p.severity is Severity.ERROR}
    where = "topology_template.node_templates.upf.artifacts.sw_image.properties"
    assert paths == {f"{where}.disk_format", f"{where}.checksum"}


def test_describe_core_lists_the_nsd_then_every_vnf(tmp_path: Path) -> None:
    from descriptors.summary import describe_core

    text = describe_core(tmp_path)
    assert text.startswith("NS 5gc-sa 1.0.0 (nfvo)")
    assert text.count("\nVNF nfvo-5gc-") == 9


def test_a_dependency_cycle_rejects_the_nsd(tmp_path: Path) -> None:
    source = copy(tmp_path, "5gc-sa")
    nsd = source / "Definitions" / "5gc_sa_nsd.yaml"
    text = nsd.read_text().replace(
        "        - virtual_link_sbi: sbi_vl\n\n    amf:",
        "        - virtual_link_sbi: sbi_vl\n        - dependency: smf\n\n    amf:",
    )
    nsd.write_text(text)
    with pytest.raises(DescriptorError) as caught:
        load_package(source, tmp_path / "work")
    [problem] = [p for p in caught.value.problems if p.severity is Severity.ERROR]
    assert problem.code == "inconsistent" and "cycle" in problem.message
    assert problem.file == "Definitions/5gc_sa_nsd.yaml"


def test_content_and_descriptor_problems_are_reported_together(tmp_path: Path) -> None:
    """A wrong checksum does not hide what is wrong in the descriptor."""
    tree = tmp_path / "upf"
    shutil.copytree(SHIPPED / "upf", tree)
    with zipfile.ZipFile(build_package(tree, tmp_path / "dist")) as archive:
        archive.extractall(tmp_path / "unpacked")
    image = next((tmp_path / "unpacked").glob("Files/images/*.qcow2"))
    image.write_bytes(image.read_bytes() + b"tampered")
    vnfd = tmp_path / "unpacked/Definitions/upf_vnfd.yaml"
    vnfd.write_text(vnfd.read_text().replace("num_virtual_cpu: 8", "num_virtual_cpu: -8"))
    with pytest.raises(DescriptorError) as caught:
        load_package(tmp_path / "unpacked", tmp_path / "work")
    found = {p.code for p in caught.value.problems}
    assert "checksum-mismatch" in found
    assert found - {"checksum-mismatch"}, f"only the checksum was reported: {found}"
