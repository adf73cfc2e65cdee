"""Import resolution is offline and per package; type files are parsed once per content."""

from __future__ import annotations

import urllib.request
from pathlib import Path

import pytest

from descriptors.imports import DOCUMENTS, ImportSession, TypeLibrary, load_yaml
from descriptors.problems import Severity


@pytest.fixture(autouse=True)
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("an import was fetched")

    monkeypatch.setattr(urllib.request, "urlopen", refuse)


def session(root: Path) -> ImportSession:
    return ImportSession(TypeLibrary.project(), root)


def test_forge_url_resolves_to_the_library(tmp_path: Path) -> None:
    found = session(tmp_path).resolve(
        str(tmp_path / "a.yaml"),
        "https://forge.etsi.org/rep/nfv/SOL001/raw/v4.2.1/etsi_nfv_sol001_vnfd_types.yaml",
    )
    assert found is not None and found.name == "vnfd.yaml" and found.parent.name == "v3"


def test_unmapped_url_is_a_problem_not_a_download(tmp_path: Path) -> None:
    current = session(tmp_path)
    assert current.resolve(str(tmp_path / "a.yaml"), "https://example.com/types.yaml") is None
    [problem] = current.problems
    assert problem.code == "unmapped-import" and problem.file == "a.yaml"
    assert "never downloaded" in problem.message


def test_missing_relative_import_is_named(tmp_path: Path) -> None:
    current = session(tmp_path)
    assert current.resolve(str(tmp_path / "Definitions" / "top.yaml"), "types.yaml") is None
    assert current.problems[0].code == "missing-import"
    assert current.problems[0].file == "Definitions/top.yaml"


def test_shipped_copy_wins_over_the_library(tmp_path: Path) -> None:
    (tmp_path / "etsi_nfv_sol001_common_types.yaml").write_text("tosca_definitions_version: x\n")
    current = session(tmp_path)
    found = current.resolve(str(tmp_path / "top.yaml"), "etsi_nfv_sol001_common_types.yaml")
    assert found == tmp_path / "etsi_nfv_sol001_common_types.yaml"
    assert current.problems == []


def test_unshipped_etsi_name_uses_the_library_with_a_warning(tmp_path: Path) -> None:
    (tmp_path / "top.yaml").write_text("tosca_definitions_version: tosca_simple_yaml_1_3\n")
    current = session(tmp_path)
    found = current.resolve(str(tmp_path / "top.yaml"), "etsi_nfv_sol001_vnfd_types.yaml")
    assert found is not None and found.parent.name == "v3"
    [problem] = current.problems
    assert problem.severity is Severity.WARNING and problem.code == "implicit-etsi-import"


def test_same_content_is_parsed_once_and_copies_are_private(tmp_path: Path) -> None:
    DOCUMENTS.clear()
    for name in ("a.yaml", "b.yaml"):
        (tmp_path / name).write_text("imports: [x.yaml]\nnode_types: {}\n")
    first = load_yaml(tmp_path / "a.yaml")
    first["imports"].append("mutated.yaml")
    second = load_yaml(tmp_path / "b.yaml")
    assert second["imports"] == ["x.yaml"]
    assert (DOCUMENTS.misses, DOCUMENTS.hits) == (1, 1)


def test_different_content_under_one_name_is_parsed_again(tmp_path: Path) -> None:
    DOCUMENTS.clear()
    path = tmp_path / "etsi_nfv_sol001_common_types.yaml"
    path.write_text("a: 1\n")
    assert load_yaml(path) == {"a": 1}
    path.write_text("a: 2\n")
    assert load_yaml(path) == {"a": 2}
    assert DOCUMENTS.misses == 2


@pytest.mark.parametrize(
    ("url", "family", "kind"),
    [
        ("https://forge.etsi.org/rep/nfv/SOL001/raw/v2.6.1/etsi_nfv_sol001_common_types.yaml",
         "v2", "common"),
        ("https://forge.etsi.org/rep/nfv/SOL001/raw/v2.7.1/etsi_nfv_sol001_vnfd_types.yaml",
         "v2", "vnfd"),
        ("https://forge.etsi.org/rep/nfv/SOL001/raw/2.8.1/etsi_nfv_sol001_nsd_types.yaml",
         "v2", "nsd"),
        ("https://forge.etsi.org/rep/nfv/SOL001/-/raw/v3.5.1/etsi_nfv_sol001_vnfd_types.yaml",
         "v3", "vnfd"),
        ("https://forge.etsi.org/rep/nfv/SOL001/-/raw/v4.4.1/etsi_nfv_sol001_common_types.yaml"
         "?ref_type=tags", "v3", "common"),
        ("https://forge.etsi.org/rep/nfv/SOL001/raw/tag/v3.3.1/etsi_nfv_sol001_pnfd_types.yaml",
         "v3", "pnfd"),
        ("https://forge.etsi.org/rep/nfv/SOL001/raw/branch/v4.2.1/etsi_nfv_sol001_vnfd_types.yaml",
         "v3", "vnfd"),
        ("http://forge.etsi.org/gitlab/nfv/SOL001/raw/v2.5.1/etsi_nfv_sol001_vnfd_types.yaml",
         "v2", "vnfd"),
        ("https://forge.etsi.org/rep/nfv/sol001/-/blob/v4.3.1/etsi_nfv_sol001_nsd_types.yaml",
         "v3", "nsd"),
    ],
)  # fmt: skip
def test_every_form_of_forge_url_resolves_to_its_family(url: str, family: str, kind: str) -> None:
    resolved = TypeLibrary.project().resolve_url(url)
    assert resolved is not None and resolved.parent.name == family and resolved.stem == kind


@pytest.mark.parametrize(
    "url",
    [
        "https://forge.etsi.org/rep/nfv/SOL002/raw/v2.6.1/etsi_nfv_sol001_common_types.yaml",
        "https://forge.example.org/rep/nfv/SOL001/raw/v2.6.1/etsi_nfv_sol001_common_types.yaml",
        "https://forge.etsi.org/rep/nfv/SOL001/raw/v2.6.1/etsi_nfv_sol001_other_types.yaml",
        "https://forge.etsi.org/rep/nfv/SOL001/raw/v9.9.9/etsi_nfv_sol001_vnfd_types.yaml",
    ],
)
def test_other_urls_are_not_mistaken_for_the_forge(url: str) -> None:
    assert TypeLibrary.project().resolve_url(url) is None
