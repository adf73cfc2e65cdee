"""open_package on real packages written by others, and on every layout rule."""

from __future__ import annotations

import hashlib
import os
import shutil
import zipfile
from pathlib import Path

import pytest

from descriptors.manifest import PackageKind
from descriptors.package_files import PackageFiles, open_package
from descriptors.problems import DescriptorError, Problem, Severity

DATA = Path(__file__).resolve().parent / "data" / "archive"
CORPUS = Path(__file__).resolve().parents[3].parent / "shared" / "corpus" / "packages"
needs_corpus = pytest.mark.skipif(not CORPUS.is_dir(), reason="shared corpus is absent")

#: Each refused corpus package: the error codes it must raise and the artifacts named.
#: Tacker's samples leave their software images out (its test helpers add them when
#: they build a package), so as stored they lack what their VNFDs name.
REFUSED = {
    "csar_meta_and_manifest_checksums": (
        {"missing-artifact", "missing-image"},
        {"Scripts/install.sh", "Files/images/cirros.img"},
    ),
    "free5gc_cnf": (
        {"checksum-mismatch", "missing-artifact"},
        {"Files/kubernetes/free5gc-amf.yaml", "Scripts/free5gc_mgmt_cnf.py"},
    ),
    "free5gc_vnf_antiaffinity_zone": (
        {"checksum-malformed", "missing-artifact"},
        {"Scripts/modify_config.sh", "Scripts/free5gc_mgmt.py"},
    ),
    "helloworld3_sriov_df": (
        {"image-path"},
        {"topology_template.node_templates.VDU1.artifacts.sw_image.file"},
    ),
    "single_file_vnfd_sriov": (
        {"missing-image"},
        {"topology_template.node_templates.VDU1.artifacts.sw_image.file"},
    ),
    "tacker_single_yaml_with_manifest": (
        {"missing-artifact", "missing-image"},
        {"Files/images/cirros-0.5.2-x86_64-disk.img", "Files/kubernetes/deployment.yaml"},
    ),
    "tacker_vnfpkgm2": (
        {"missing-artifact", "missing-image"},
        {"Files/images/cirros-0.5.2-x86_64-disk.img", "Scripts/install.sh"},
    ),
    "v2_basic_lcms_max": (
        {"missing-image"},
        {"topology_template.node_templates.VDU1-VirtualStorage.artifacts.sw_image.file"},
    ),
}
#: Each accepted corpus package: its entry definitions (relative to the root).
ACCEPTED = {"practical_vnf_package": "Definitions/Node.yaml"}


def zip_tree(tree: Path, target: Path) -> Path:
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(tree.rglob("*")):
            if path.is_file():
                archive.write(path, path.relative_to(tree).as_posix())
    return target


def as_source(tree: Path, form: str, tmp_path: Path) -> Path:
    return tree if form == "directory" else zip_tree(tree, tmp_path / f"{tree.name}.csar")


def refused(source: Path, workdir: Path, **kwargs: bool) -> list[Problem]:
    with pytest.raises(DescriptorError) as caught:
        open_package(source, workdir, **kwargs)
    return caught.value.problems


def errors(problems: list[Problem]) -> list[Problem]:
    return [p for p in problems if p.severity is Severity.ERROR]


def copy(name: str, tmp_path: Path) -> Path:
    tree = tmp_path / name
    shutil.copytree(DATA / name, tree)
    return tree


@needs_corpus
def test_corpus_is_fully_classified() -> None:
    assert {p.name for p in CORPUS.iterdir() if p.is_dir()} == set(REFUSED) | set(ACCEPTED)


@needs_corpus
@pytest.mark.parametrize("form", ["directory", "zip"])
@pytest.mark.parametrize("name", sorted(REFUSED))
def test_corpus_packages_refused_for_their_real_reason(
    name: str, form: str, tmp_path: Path
) -> None:
    codes, artifacts = REFUSED[name]
    workdir = tmp_path / "work"
    problems = errors(refused(as_source(CORPUS / name, form, tmp_path), workdir))
    assert {p.code for p in problems} == codes
    assert artifacts <= {p.path for p in problems}
    assert all(p.file for p in problems)
    assert not workdir.exists() or list(workdir.iterdir()) == []


@needs_corpus
@pytest.mark.parametrize("form", ["directory", "zip"])
@pytest.mark.parametrize("name", sorted(ACCEPTED))
def test_corpus_packages_that_open(name: str, form: str, tmp_path: Path) -> None:
    workdir = tmp_path / "work"
    opened = open_package(as_source(CORPUS / name, form, tmp_path), workdir)
    assert opened.kind is PackageKind.VNF
    assert opened.entry_definitions == opened.root / ACCEPTED[name]
    assert opened.entry_definitions.is_file()
    assert [p.code for p in opened.problems] == ["no-manifest"]
    if form == "zip":
        assert opened.root.parent == workdir
    else:
        assert opened.root == CORPUS / name


@needs_corpus
@pytest.mark.parametrize("name", ["free5gc_cnf", "free5gc_vnf_antiaffinity_zone"])
def test_free5gc_opens_when_checksums_are_not_verified(name: str, tmp_path: Path) -> None:
    opened = open_package(CORPUS / name, tmp_path, verify_checksums=False)
    assert {p.code for p in opened.problems} == {"missing-artifact", "no-manifest"}
    assert all(p.severity is Severity.WARNING for p in opened.problems)


@needs_corpus
def test_strict_mode_wants_a_manifest(tmp_path: Path) -> None:
    problems = refused(CORPUS / "practical_vnf_package", tmp_path, strict=True)
    assert [p.code for p in errors(problems)] == ["no-manifest"]


def test_mini_vnf_opens_strictly_with_everything_named(tmp_path: Path) -> None:
    tree = DATA / "mini_vnf"
    opened = open_package(tree, tmp_path, strict=True)
    assert opened == PackageFiles(
        root=tree,
        kind=PackageKind.VNF,
        entry_definitions=tree / "Definitions" / "mini_top.yaml",
        other_definitions=(tree / "Definitions" / "mini_df.yaml",),
        tosca_meta=opened.tosca_meta,
        manifest=opened.manifest,
        checksum=opened.checksum,
        problems=(),
    )
    assert opened.tosca_meta is not None
    assert opened.tosca_meta["Created-By"] == "nfvo tests"
    assert opened.manifest is not None
    assert len(opened.manifest.sources) == 3
    assert list(tmp_path.iterdir()) == []


def test_kind_comes_from_the_template_without_a_manifest(tmp_path: Path) -> None:
    tree = copy("mini_nsd", tmp_path)
    (tree / "mini_ns.mf").unlink()
    opened = open_package(tree, tmp_path / "work")
    assert opened.kind is PackageKind.NSD
    assert opened.manifest is None


def test_checksum_of_a_directory_follows_its_content(tmp_path: Path) -> None:
    tree = copy("mini_vnf", tmp_path)
    before = open_package(tree, tmp_path / "work").checksum
    assert before == open_package(DATA / "mini_vnf", tmp_path / "work").checksum
    (tree / "extra.txt").write_text("x")
    assert open_package(tree, tmp_path / "work").checksum != before


def test_checksum_of_a_zip_is_its_sha256(tmp_path: Path) -> None:
    source = zip_tree(DATA / "mini_vnf", tmp_path / "mini.csar")
    opened = open_package(source, tmp_path / "work")
    assert opened.checksum == hashlib.sha256(source.read_bytes()).hexdigest()


def test_tampered_artifact_and_bad_yaml_are_reported_together(tmp_path: Path) -> None:
    tree = copy("mini_vnf", tmp_path)
    (tree / "Scripts" / "hello.sh").write_text("#!/bin/sh\nrm -rf /\n")
    (tree / "Files").mkdir()
    (tree / "Files" / "dup.yaml").write_text("a: 1\nb: 2\na: 3\n")
    (tree / "Files" / "latin1.yml").write_bytes(b"name: caf\xe9\n")
    found = {(p.code, p.file, p.line) for p in refused(tree, tmp_path / "work")}
    assert ("checksum-mismatch", "mini.mf", 17) in found
    assert ("duplicate-key", "Files/dup.yaml", 3) in found
    assert ("not-utf8", "Files/latin1.yml", 1) in found


def test_text_files_must_be_utf8(tmp_path: Path) -> None:
    tree = copy("mini_vnf", tmp_path)
    meta = tree / "TOSCA-Metadata" / "TOSCA.meta"
    original = meta.read_bytes()
    meta.write_bytes(original.replace(b"nfvo tests", b"nfvo \xff tests"))
    found = [(p.code, p.file, p.line) for p in refused(tree, tmp_path / "work")]
    assert found == [("not-utf8", "TOSCA-Metadata/TOSCA.meta", 3)]
    meta.write_bytes(original)
    manifest = tree / "mini.mf"
    manifest.write_bytes(manifest.read_bytes().replace(b"nfvo-tests", b"nfvo\xfe"))
    found = [(p.code, p.file, p.line) for p in refused(tree, tmp_path / "work")]
    assert found == [("not-utf8", "mini.mf", 2)]


@pytest.mark.parametrize(
    ("entry", "code"),
    [("Definitions/gone.yaml", "missing-file"), ("../../etc/passwd", "bad-path")],
)
def test_entry_definitions_must_be_inside_and_present(
    entry: str, code: str, tmp_path: Path
) -> None:
    tree = copy("mini_vnf", tmp_path)
    meta = tree / "TOSCA-Metadata" / "TOSCA.meta"
    meta.write_text(meta.read_text().replace("Definitions/mini_top.yaml", entry))
    problems = errors(refused(tree, tmp_path / "work"))
    assert [(p.code, p.path) for p in problems] == [(code, entry)]


def test_manifest_source_outside_the_package_is_refused(tmp_path: Path) -> None:
    tree = copy("mini_vnf", tmp_path)
    with (tree / "mini.mf").open("a") as manifest:
        manifest.write("\nSource: ../../../etc/hostname\nAlgorithm: SHA-256\nHash: 00\n")
    assert "bad-path" in {p.code for p in refused(tree, tmp_path / "work")}


def test_flat_layout_rules(tmp_path: Path) -> None:
    tree = copy("mini_nsd", tmp_path)
    (tree / "second.yaml").write_text("a: 1\n")
    assert [p.code for p in refused(tree, tmp_path / "w")] == ["ambiguous-entry"]
    (tree / "second.yaml").unlink()
    (tree / "mini_ns.mf").rename(tree / "other.mf")
    assert [p.code for p in errors(refused(tree, tmp_path / "w"))] == ["manifest-name"]
    shutil.rmtree(tree)
    tree.mkdir()
    (tree / "readme.txt").write_text("no yaml here\n")
    assert [p.code for p in refused(tree, tmp_path / "w")] == ["no-entry-definitions"]


def test_entry_yaml_must_be_a_tosca_template(tmp_path: Path) -> None:
    tree = copy("mini_nsd", tmp_path)
    (tree / "mini_ns.mf").unlink()
    (tree / "mini_ns.yaml").write_text("- just\n- a list\n")
    assert [p.code for p in errors(refused(tree, tmp_path / "w"))] == ["not-tosca"]


def test_links_in_a_directory_package_are_refused(tmp_path: Path) -> None:
    tree = copy("mini_vnf", tmp_path)
    os.symlink("/etc/hostname", tree / "Scripts" / "host.yaml")
    problems = refused(tree, tmp_path / "w")
    assert ("symlink", "Scripts/host.yaml") in {(p.code, p.file) for p in problems}


def test_missing_source(tmp_path: Path) -> None:
    assert [p.code for p in refused(tmp_path / "nothing.csar", tmp_path)] == ["not-found"]


def test_a_zipped_folder_gets_a_hint(tmp_path: Path) -> None:
    source = tmp_path / "wrapped.csar"
    with zipfile.ZipFile(source, "w") as archive:
        for path in sorted((DATA / "mini_vnf").rglob("*")):
            if path.is_file():
                archive.write(path, "mini_vnf/" + path.relative_to(DATA / "mini_vnf").as_posix())
    (problem,) = refused(source, tmp_path / "work")
    assert problem.code == "no-entry-definitions"
    assert "inside mini_vnf/" in problem.message


def test_manifest_kind_must_match_the_template(tmp_path: Path) -> None:
    tree = copy("mini_nsd", tmp_path)
    (tree / "mini_ns.yaml").write_text("tosca_definitions_version: tosca_simple_yaml_1_3\n")
    (tree / "mini_ns.mf").write_text(
        (DATA / "mini_vnf" / "mini.mf").read_text().split("\n\n")[0] + "\n"
    )
    opened = open_package(tree, tmp_path / "work")
    assert opened.kind is PackageKind.VNF
    tree2 = copy("mini_vnf", tmp_path / "second")
    manifest = tree2 / "mini.mf"
    nsd_metadata = (DATA / "mini_nsd" / "mini_ns.mf").read_text().split("\n\n")[0]
    vnf_metadata = manifest.read_text().split("\n\n")[0]
    manifest.write_text(manifest.read_text().replace(vnf_metadata, nsd_metadata))
    opened = open_package(tree2, tmp_path / "work")
    assert opened.kind is PackageKind.NSD
    assert [p.code for p in opened.problems] == ["kind-mismatch"]
    assert "kind-mismatch" in {p.code for p in refused(tree2, tmp_path / "work", strict=True)}


def test_every_file_is_listed_or_warned_of_and_strict_refuses(tmp_path: Path) -> None:
    tree = copy("mini_vnf", tmp_path)
    (tree / "Scripts" / "extra.sh").write_text("echo extra\n")
    (tree / "Scripts" / "hello.sh.sig.cms").write_text("signature\n")
    [warning] = open_package(tree, tmp_path / "work").problems  # said, not refused
    assert (warning.code, warning.severity) == ("unlisted-file", "warning")
    problems = refused(tree, tmp_path / "work", strict=True)
    assert [(p.code, p.message) for p in problems] == [
        ("unlisted-file", "'Scripts/extra.sh' is in the package but not in the manifest")
    ]


def test_etsi_entries_are_resolved_and_the_certificate_kept(tmp_path: Path) -> None:
    tree = copy("mini_vnf", tmp_path)
    (tree / "Licenses").mkdir()
    (tree / "Licenses" / "LICENSE.txt").write_text("terms\n")
    (tree / "mini.cert").write_text("-----BEGIN CERTIFICATE-----\n")
    meta = tree / "TOSCA-Metadata" / "TOSCA.meta"
    meta.write_text(
        meta.read_text()
        + "ETSI-Entry-Licenses: Licenses\nETSI-Entry-Certificate: mini.cert\n"
        + "ETSI-Entry-Change-Log: ChangeLog.txt\n"
    )
    problems = errors(refused(tree, tmp_path / "work"))
    assert [(p.code, p.path) for p in problems] == [("missing-file", "ChangeLog.txt")]
    (tree / "ChangeLog.txt").write_text("1.0: first\n")
    opened = open_package(tree, tmp_path / "work")
    assert opened.certificate == tree / "mini.cert"
    assert opened.manifest is not None
    assert opened.manifest.certificate == "mini.cert"


def test_flat_layout_keeps_the_certificate_beside_the_manifest(tmp_path: Path) -> None:
    tree = copy("mini_nsd", tmp_path)
    (tree / "mini_ns.cert").write_text("-----BEGIN CERTIFICATE-----\n")
    opened = open_package(tree, tmp_path / "work")
    assert opened.certificate == tree / "mini_ns.cert"
    assert opened.tosca_meta is None


def test_non_mano_artifacts_must_be_present(tmp_path: Path) -> None:
    tree = copy("mini_vnf", tmp_path)
    with (tree / "mini.mf").open("a") as manifest:
        manifest.write(
            "\nnon_mano_artifact_sets:\n  prometheus_rule:\n    Source: Files/rules.yaml\n"
        )
    problems = errors(refused(tree, tmp_path / "work"))
    assert [(p.code, p.path) for p in problems] == [("missing-artifact", "Files/rules.yaml")]
    (tree / "Files").mkdir()
    (tree / "Files" / "rules.yaml").write_text("groups: []\n")
    opened = open_package(tree, tmp_path / "work")
    assert opened.manifest is not None
    assert opened.manifest.non_mano_artifact_sets == {"prometheus_rule": ("Files/rules.yaml",)}
