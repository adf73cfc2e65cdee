"""build_package writes CSARs that open_package accepts, byte-for-byte reproducibly."""

from __future__ import annotations

import hashlib
import shutil
import zipfile
from pathlib import Path

import pytest

from descriptors.build import build_package
from descriptors.manifest import PackageKind, parse_manifest
from descriptors.package_files import open_package

DATA = Path(__file__).resolve().parent / "data" / "archive"
SHIPPED = Path(__file__).resolve().parents[3] / "descriptors" / "packages"


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_same_tree_gives_same_bytes_and_a_package_that_opens(tmp_path: Path) -> None:
    first = build_package(DATA / "mini_vnf", tmp_path / "a")
    second = build_package(DATA / "mini_vnf", tmp_path / "b")
    assert first.name == "mini-1.0.csar"
    assert sha256(first) == sha256(second)
    opened = open_package(first, tmp_path / "work", strict=True)
    assert opened.kind is PackageKind.VNF
    assert opened.problems == ()
    assert opened.checksum == sha256(first)
    assert opened.manifest is not None
    assert opened.manifest.metadata["vnf_provider_id"] == "nfvo-tests"


def test_entries_are_sorted_with_fixed_times(tmp_path: Path) -> None:
    built = build_package(DATA / "mini_vnf", tmp_path)
    with zipfile.ZipFile(built) as archive:
        names = archive.namelist()
        assert names == sorted(names)
        assert {i.date_time for i in archive.infolist()} == {(1980, 1, 1, 0, 0, 0)}
        manifest = archive.read("mini.mf").decode()
    parsed, problems = parse_manifest(manifest, "mini.mf")
    assert problems == []
    listed = {s.path for s in parsed.sources}
    assert listed == set(names) - {"mini.mf"}
    assert {s.algorithm for s in parsed.sources} == {"SHA-256"}


def test_stale_digests_are_regenerated_and_signatures_left_out(tmp_path: Path) -> None:
    tree = tmp_path / "src"
    shutil.copytree(DATA / "mini_vnf", tree)
    (tree / "Scripts" / "hello.sh").write_text("#!/bin/sh\necho changed\n")
    (tree / "Scripts" / "hello.sh.sig.cms").write_text("not a real signature\n")
    with (tree / "mini.mf").open("a") as manifest:
        manifest.write("\n-----BEGIN CMS-----\nAAAA\n-----END CMS-----\n")
    built = build_package(tree, tmp_path / "out")
    opened = open_package(built, tmp_path / "work", strict=True)
    assert opened.manifest is not None
    assert opened.manifest.signature is None
    assert all(not s.path.endswith(".cms") for s in opened.manifest.sources)


def test_tree_without_manifest_gets_one(tmp_path: Path) -> None:
    tree = tmp_path / "src"
    shutil.copytree(DATA / "mini_vnf", tree)
    (tree / "mini.mf").unlink()
    meta = tree / "TOSCA-Metadata" / "TOSCA.meta"
    meta.write_text(meta.read_text().replace("ETSI-Entry-Manifest: mini.mf\n", ""))
    built = build_package(tree, tmp_path / "out")
    assert built.name == "src.csar"
    opened = open_package(built, tmp_path / "work")
    assert opened.tosca_meta is not None
    assert opened.tosca_meta["ETSI-Entry-Manifest"] == "mini_top.mf"
    assert [p.code for p in opened.problems] == ["manifest-metadata"]


def test_flat_nsd_tree(tmp_path: Path) -> None:
    built = build_package(DATA / "mini_nsd", tmp_path)
    assert built.name == "mini-ns-1.0.csar"
    opened = open_package(built, tmp_path / "work", strict=True)
    assert opened.kind is PackageKind.NSD
    assert opened.entry_definitions == opened.root / "mini_ns.yaml"


@pytest.mark.skipif(not SHIPPED.is_dir(), reason="no shipped package sources yet")
def test_every_shipped_package_builds_and_opens_strictly(tmp_path: Path) -> None:
    trees = sorted(p for p in SHIPPED.iterdir() if p.is_dir() and not p.name.startswith("_"))
    for tree in trees:
        built = build_package(tree, tmp_path / "out")
        opened = open_package(built, tmp_path / "work", strict=True)
        assert opened.problems == (), tree.name
