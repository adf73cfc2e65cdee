"""The project's own SOL001 type definitions: two families, chosen by the import URL."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from descriptors.imports import TYPES_DIR, TypeLibrary, load_library_file

FORGE = "https://forge.etsi.org/rep/nfv/SOL001/raw/v{}/etsi_nfv_sol001_{}_types.yaml"


def vnfd_types(family: str) -> dict[str, dict[str, object]]:
    return load_library_file(TypeLibrary.project(), TYPES_DIR / family / "vnfd.yaml")


def test_every_file_is_tosca_yaml() -> None:
    files = sorted(TYPES_DIR.rglob("*.yaml"))
    assert len(files) >= 11
    for path in files:
        document = yaml.safe_load(path.read_text())
        assert document["tosca_definitions_version"].startswith("tosca_simple_yaml_1_"), path


@pytest.mark.parametrize(
    ("version", "family"),
    [("2.6.1", "v2"), ("2.7.1", "v2"), ("3.3.1", "v3"), ("4.2.1", "v3"), ("4.5.1", "v3")],
)
@pytest.mark.parametrize("kind", ["common", "vnfd", "nsd", "pnfd"])
def test_forge_urls_map_to_the_family(version: str, family: str, kind: str) -> None:
    assert (
        TypeLibrary.project().resolve_url(FORGE.format(version, kind))
        == TYPES_DIR / family / f"{kind}.yaml"
    )


def test_unknown_urls_do_not_map() -> None:
    library = TypeLibrary.project()
    assert library.resolve_url("https://example.com/etsi_nfv_sol001_vnfd_types.yaml") is None
    assert library.resolve_url(FORGE.format("9.9.9", "vnfd")) is None


def test_flattened_files_have_no_imports_and_every_needed_type() -> None:
    needed_nodes = {
        "tosca.nodes.nfv.VNF",
        "tosca.nodes.nfv.Vdu.Compute",
        "tosca.nodes.nfv.Vdu.VirtualBlockStorage",
        "tosca.nodes.nfv.VduCp",
        "tosca.nodes.nfv.VnfVirtualLink",
        "tosca.nodes.nfv.VnfExtCp",
    }
    needed_policies = {
        "tosca.policies.nfv.ScalingAspects",
        "tosca.policies.nfv.VduScalingAspectDeltas",
        "tosca.policies.nfv.VduInitialDelta",
        "tosca.policies.nfv.InstantiationLevels",
        "tosca.policies.nfv.VduInstantiationLevels",
        "tosca.policies.nfv.AffinityRule",
        "tosca.policies.nfv.AntiAffinityRule",
    }
    for family in ("v2", "v3"):
        merged = vnfd_types(family)
        assert "imports" not in merged
        assert needed_nodes <= set(merged["node_types"])
        assert needed_policies <= set(merged["policy_types"])
        nsd = load_library_file(TypeLibrary.project(), TYPES_DIR / family / "nsd.yaml")
        assert {
            "tosca.nodes.nfv.NS",
            "tosca.nodes.nfv.Sap",
            "tosca.nodes.nfv.NsVirtualLink",
        } <= set(nsd["node_types"])
        assert {
            "tosca.policies.nfv.NsScalingAspects",
            "tosca.policies.nfv.NsInstantiationLevels",
        } <= set(nsd["policy_types"])


def _property(family: str, node: str, name: str) -> dict[str, object]:
    return vnfd_types(family)["node_types"][node]["properties"][name]  # type: ignore[index,return-value]


def _vnic_types(family: str) -> list[str]:
    constraints = _property(family, "tosca.nodes.nfv.VduCp", "vnic_type")["constraints"]
    return constraints[0]["valid_values"]  # type: ignore[index,no-any-return]


def test_the_families_differ_where_sol001_changed() -> None:
    assert _property("v2", "tosca.nodes.nfv.Vdu.Compute", "boot_data")["type"] == "string"
    assert (
        _property("v3", "tosca.nodes.nfv.Vdu.Compute", "boot_data")["type"]
        == "tosca.datatypes.nfv.BootData"
    )
    assert "tosca.datatypes.nfv.BootData" in vnfd_types("v3")["data_types"]
    assert "virtio" in _vnic_types("v2") and "direct" not in _vnic_types("v2")
    assert "direct" in _vnic_types("v3") and "virtio" not in _vnic_types("v3")


def test_no_file_is_a_copy_of_etsi(shared_dir: Path) -> None:
    etsi_lines = {
        line.strip()
        for path in (shared_dir / "etsi" / "sol001").rglob("*.yaml")
        for line in path.read_text(errors="replace").splitlines()
        if line.strip().startswith("description:") and len(line.strip()) > 60
    }
    ours = {
        line.strip() for path in TYPES_DIR.rglob("*.yaml") for line in path.read_text().splitlines()
    }
    assert not ours & etsi_lines
