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
