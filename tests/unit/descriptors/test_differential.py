"""The project's SOL001 types read descriptors as ETSI's own files do.

Each descriptor is read twice: its ETSI imports resolved to ETSI's files
(``../shared/etsi/sol001``), then to the project's. Corpus packages that ship copies
of the ETSI files are read with those copies removed, so the ETSI names resolve to
the library under test. Where the ETSI reading succeeds, both must give the same model.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from descriptors.imports import TypeLibrary
from descriptors.loader import Descriptor, read_descriptor
from descriptors.problems import Severity

PACKAGES = Path(__file__).resolve().parents[3] / "descriptors" / "packages"
CORPUS_ENTRIES = {
    "practical_vnf_package": "Definitions/Node.yaml",
    "single_file_vnfd_sriov": "vnfd_helloworld_single.yaml",
    "tacker_single_yaml_with_manifest": "VNF.yaml",
    "tacker_vnfpkgm2": "Definitions/helloworld3_top.vnfd.yaml",
    "v2_basic_lcms_max": "Definitions/v2_sample1_top.vnfd.yaml",
    "free5gc_vnf_antiaffinity_zone": "Definitions/sample_free5gc_top.vnfd.yaml",
    "free5gc_cnf": "Definitions/free5gc_top.vnfd.yaml",
}
SHIPPED_ENTRIES = {
    path.parent.parent.name: str(path.relative_to(path.parent.parent))
    for path in sorted(PACKAGES.glob("*/Definitions/*_[nv][sn]fd.yaml"))
}


def etsi_library(shared_dir: Path) -> TypeLibrary:
    root = shared_dir / "etsi" / "sol001"
    return TypeLibrary(
        {"2": root / "2.6.1", "3": root / "3.3.1", "4": root / "4.2.1"},
        file_pattern="etsi_nfv_sol001_{kind}_types.yaml",
    )


def without_etsi_copies(source: Path, target: Path) -> Path:
    shutil.copytree(source, target)
    for copy in target.rglob("etsi_nfv_sol001_*_types.yaml"):
        copy.unlink()
    return target


def both(entry: Path, root: Path, shared_dir: Path) -> tuple[Descriptor, Descriptor]:
    return read_descriptor(entry, root, etsi_library(shared_dir)), read_descriptor(entry, root)


def errors(descriptor: Descriptor) -> list[str]:
    return [str(p) for p in descriptor.problems if p.severity is Severity.ERROR]


@pytest.mark.parametrize("name", sorted(CORPUS_ENTRIES))
def test_corpus_package_reads_the_same(name: str, shared_dir: Path, tmp_path: Path) -> None:
    root = without_etsi_copies(shared_dir / "corpus" / "packages" / name, tmp_path / name)
    with_etsi, with_ours = both(root / CORPUS_ENTRIES[name], root, shared_dir)
    if errors(with_etsi):
        pytest.skip(f"ETSI's own files reject it too: {errors(with_etsi)[0]}")
    assert errors(with_ours) == []
    assert with_ours.vnfd == with_etsi.vnfd


@pytest.mark.parametrize("name", sorted(SHIPPED_ENTRIES))
def test_shipped_package_reads_the_same(name: str, shared_dir: Path) -> None:
    with_etsi, with_ours = both(
        PACKAGES / name / SHIPPED_ENTRIES[name], PACKAGES / name, shared_dir
    )
    assert errors(with_etsi) == [] and errors(with_ours) == []
    assert with_ours.vnfd == with_etsi.vnfd
    assert with_ours.nsd == with_etsi.nsd
