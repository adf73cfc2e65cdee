"""The stored descriptor: every shipped package round-trips through JSON, version 1
documents (as onboarding first stored them) migrate on read, and garbage is refused."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import pytest

from descriptors.loader import LoadedPackage, load_package
from descriptors.stored import (
    SCHEMA_VERSION,
    StoredDescriptorError,
    StoredNsd,
    StoredVnfd,
    load_stored,
    stored_document,
)
from tests.unit.descriptors.test_corpus import ONBOARDING

PACKAGES = Path(__file__).resolve().parents[3] / "descriptors" / "packages"
# Written by the onboarding code before documents had a version (a VNF and the NSD).
VERSION_1 = Path(__file__).parent / "data" / "stored-v1"


@pytest.fixture(scope="module")
def shipped(tmp_path_factory: pytest.TempPathFactory) -> dict[str, LoadedPackage]:
    work = tmp_path_factory.mktemp("shipped")
    return {path.name: load_package(path, work / path.name) for path in sorted(PACKAGES.iterdir())}


def through_json(document: dict[str, Any]) -> dict[str, Any]:
    loaded: dict[str, Any] = orjson.loads(orjson.dumps(document))
    return loaded


def test_every_shipped_package_round_trips(shipped: dict[str, LoadedPackage]) -> None:
    assert len(shipped) == 10
    for name, loaded in shipped.items():
        document = through_json(stored_document(loaded))
        assert document["schema_version"] == SCHEMA_VERSION, name
        stored = load_stored(document)
        if loaded.vnfd is not None:
            assert isinstance(stored, StoredVnfd), name
            assert document["kind"] == "vnfd"
            assert stored.vnfd == loaded.vnfd, name
            assert stored.requirements == loaded.requirements, name
            assert stored.requirements["default"][name].vdu_id == name
        else:
            assert isinstance(stored, StoredNsd), name
            assert document["kind"] == "nsd"
            assert stored.nsd == loaded.nsd, name
        assert stored.document() == document, name


@pytest.mark.parametrize("name", sorted(n for n, refused in ONBOARDING.items() if not refused))
def test_every_accepted_corpus_package_round_trips(
    name: str, shared_dir: Path, tmp_path: Path
) -> None:
    loaded = load_package(shared_dir / "corpus" / "packages" / name, tmp_path)
    stored = load_stored(through_json(stored_document(loaded)))
    assert isinstance(stored, StoredVnfd)
    assert (stored.vnfd, stored.requirements) == (loaded.vnfd, loaded.requirements)


def test_the_nsd_names_its_vnfds(shipped: dict[str, LoadedPackage]) -> None:
    nsd = load_stored(stored_document(shipped["5gc-sa"]))
    assert isinstance(nsd, StoredNsd)
    vnfd_ids = {loaded.vnfd.descriptor_id for loaded in shipped.values() if loaded.vnfd}
    assert set(nsd.vnfd_ids) == vnfd_ids
    assert nsd.vnfd_ids == sorted(nsd.vnfd_ids)


@pytest.mark.parametrize("name", ["upf", "5gc-sa"])
def test_a_version_1_document_migrates(shipped: dict[str, LoadedPackage], name: str) -> None:
    document = orjson.loads((VERSION_1 / f"{name}.json").read_bytes())
    assert "schema_version" not in document
    stored = load_stored(document)
    # The same descriptor as today's parse, now in the current version's shape.
    assert stored.document() == stored_document(shipped[name])


def version_1(name: str, **changes: Any) -> dict[str, Any]:
    document: dict[str, Any] = orjson.loads((VERSION_1 / f"{name}.json").read_bytes())
    return {**document, **changes}


def current(name: str, shipped: dict[str, LoadedPackage], **changes: Any) -> dict[str, Any]:
    return {**through_json(stored_document(shipped[name])), **changes}


def test_garbage_is_refused_with_what_is_wrong(shipped: dict[str, LoadedPackage]) -> None:
    upf = current("upf", shipped)
    bad_requirement = orjson.loads(orjson.dumps(upf))
    bad_requirement["requirements"]["default"]["upf"]["vcpus"] = 0
    bad_model = orjson.loads(orjson.dumps(upf))
    del bad_model["vnfd"]["descriptor_id"]
    v1_model = version_1("upf")["model"]
    cases: list[tuple[Any, str]] = [
        ([1, 2], "must be a JSON object, not list"),
        ({**upf, "schema_version": "2"}, "must be a positive integer, not '2'"),
        ({**upf, "schema_version": 0}, "must be a positive integer, not 0"),
        ({**upf, "schema_version": True}, "must be a positive integer, not True"),
        (
            {**upf, "schema_version": SCHEMA_VERSION + 1},
            f"schema_version {SCHEMA_VERSION + 1}, written by a newer orchestrator; "
            f"this one reads versions 1 to {SCHEMA_VERSION}",
        ),
        ({"schema_version": SCHEMA_VERSION}, "has kind None, not one of vnfd, nsd"),
        ({**upf, "kind": "pnfd"}, "has kind 'pnfd', not one of vnfd, nsd"),
        (bad_requirement, r"requirements\.default\.upf\.vcpus: Input should be greater than 0"),
        (bad_model, r"vnfd\.descriptor_id: Field required"),
        ({**upf, "owner": "x"}, "owner: Extra inputs are not permitted"),
        ({**upf, "nsd": {}}, r"schema_version 2\) is not valid: .*nsd"),
        (version_1("upf", kind="pnfd"), "version 1 stored descriptor has kind 'pnfd'"),
        (version_1("upf", model=None), "version 1 stored descriptor has no 'model' object"),
        (
            version_1("upf", model={**v1_model, "schema_version": 3}),
            "version 1 stored descriptor's model has schema_version 3, not 1",
        ),
        (version_1("upf", extra=1), "version 1 stored descriptor has unknown fields: extra"),
        ({"kind": "vnfpkg", "model": {}}, r"schema_version 1\) is not valid: vnfd\.descriptor_id"),
    ]
    for document, message in cases:
        with pytest.raises(StoredDescriptorError, match=message):
            load_stored(document)


def test_a_package_without_a_descriptor_has_nothing_to_store(
    shipped: dict[str, LoadedPackage],
) -> None:
    from dataclasses import replace

    with pytest.raises(ValueError, match="without a VNFD or an NSD"):
        stored_document(replace(shipped["upf"], vnfd=None))
