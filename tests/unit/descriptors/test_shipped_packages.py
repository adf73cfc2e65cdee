"""The shipped 5G-core packages build, load, and say what the core needs."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from descriptors.build import build_package
from descriptors.loader import LoadedPackage, load_package
from descriptors.model import PlacementKind
from descriptors.requirements import CpuPolicy, EmulatorThreadsPolicy, PageSize, VnicType

PACKAGES = Path(__file__).resolve().parents[3] / "descriptors" / "packages"
NFS = ("nrf", "amf", "smf", "upf", "ausf", "udm", "udr", "pcf", "nssf")


@pytest.fixture(scope="module")
def loaded(tmp_path_factory: pytest.TempPathFactory) -> dict[str, LoadedPackage]:
    tmp = tmp_path_factory.mktemp("shipped")
    found: dict[str, LoadedPackage] = {}
    for source in sorted(PACKAGES.iterdir()):
        archive = build_package(source, tmp / "dist")
        found[source.name] = load_package(archive, tmp / "work" / source.name, strict=True)
    return found


def test_every_package_builds_and_loads_without_a_warning(loaded: dict[str, LoadedPackage]) -> None:
    assert set(loaded) == {*NFS, "5gc-sa"}
    for name, package in loaded.items():
        assert package.warnings == (), name
        assert (package.vnfd is None) == (name == "5gc-sa")


def test_upf_needs_a_dedicated_dpdk_host_with_sriov_on_n3_and_n6(
    loaded: dict[str, LoadedPackage],
) -> None:
    upf = loaded["upf"].requirements["default"]["upf"]
    assert upf.cpu_policy is CpuPolicy.DEDICATED
    assert upf.emulator_threads is EmulatorThreadsPolicy.ISOLATE
    assert upf.page_size is PageSize.SIZE_1GB
    assert upf.numa_nodes == 1
    assert upf.dpdk
    direct = {i.logical_network for i in upf.interfaces if i.vnic_type is VnicType.DIRECT}
    assert direct == {"virtual_link_n3", "virtual_link_n6"}
    assert upf.pinned_cpus == upf.vcpus + 1


def test_control_plane_nfs_share_modest_cpus(loaded: dict[str, LoadedPackage]) -> None:
    for nf in NFS:
        if nf == "upf":
            continue
        requirement = loaded[nf].requirements["default"][nf]
        assert requirement.cpu_policy is CpuPolicy.SHARED, nf
        assert 2 <= requirement.vcpus <= 4, nf
        assert 4096 <= requirement.memory_mb <= 8192, nf
        assert not requirement.dpdk and requirement.page_size is None, nf
        assert all(i.vnic_type is VnicType.NORMAL for i in requirement.interfaces), nf


def test_scaling_and_placement_rules(loaded: dict[str, LoadedPackage]) -> None:
    for nf in NFS:
        vnfd = loaded[nf].vnfd
        assert vnfd is not None
        flavour = vnfd.flavour("default")
        assert bool(flavour.scaling_aspects) == (nf in ("amf", "smf", "upf")), nf
        assert {level.level_id for level in flavour.instantiation_levels} == {"lab", "site"}
    upf_rules = loaded["upf"].vnfd.flavour("default").placement_rules  # type: ignore[union-attr]
    amf_rules = loaded["amf"].vnfd.flavour("default").placement_rules  # type: ignore[union-attr]
    assert [(r.kind, r.scope, r.targets) for r in upf_rules] == [
        (PlacementKind.ANTI_AFFINITY, "nfvi_node", ["upf"])
    ]
    assert [(r.kind, r.scope) for r in amf_rules] == [(PlacementKind.ANTI_AFFINITY, "zone")]


def test_images_carry_the_real_checksum_and_size(loaded: dict[str, LoadedPackage]) -> None:
    for nf in NFS:
        vdu = loaded[nf].vnfd.flavour("default").vdu(nf)  # type: ignore[union-attr]
        assert vdu.image is not None
        data = (PACKAGES / nf / "Files" / "images" / f"{nf}.qcow2").read_bytes()
        assert vdu.image.checksum.algorithm == "sha-256"
        assert vdu.image.checksum.hash == hashlib.sha256(data).hexdigest()
        assert vdu.image.size_bytes == len(data)
        assert vdu.image.file == f"../Files/images/{nf}.qcow2"


def test_boot_data_is_a_cloud_init_template_with_the_day1_placeholders(
    loaded: dict[str, LoadedPackage],
) -> None:
    for nf in NFS:
        boot = loaded[nf].vnfd.flavour("default").vdu(nf).boot_data  # type: ignore[union-attr]
        assert boot is not None and boot.content is not None
        assert boot.content.startswith("#cloud-config")
        # The NRF is its own NRF: its nrf_uri is its own SBI address.
        own = ("nrf_address",) if nf != "nrf" else ()
        for placeholder in (*own, "mcc", "mnc", "sst", "sd", "sbi_address"):
            assert "{{ " + placeholder + " }}" in boot.content, (nf, placeholder)
            assert placeholder in boot.kvp_data["parameters"]
    upf_boot = loaded["upf"].vnfd.flavour("default").vdu("upf").boot_data  # type: ignore[union-attr]
    assert upf_boot is not None and "{{ n3_address }}" in (upf_boot.content or "")


def test_nsd_ties_the_nine_vnfs_together(loaded: dict[str, LoadedPackage]) -> None:
    nsd = loaded["5gc-sa"].nsd
    assert nsd is not None
    flavour = nsd.flavours[0]
    assert flavour.flavour_id == "default"
    assert {p.profile_id for p in flavour.vnf_profiles} == set(NFS)
    vnfd_ids = {nf: loaded[nf].vnfd.descriptor_id for nf in NFS}  # type: ignore[union-attr]
    assert {p.profile_id: p.vnfd_id for p in flavour.vnf_profiles} == vnfd_ids
    assert {vl.vl_id for vl in flavour.virtual_links} == {
        "sbi_vl",
        "n2_vl",
        "n3_vl",
        "n4_vl",
        "n6_vl",
    }
    dependencies = {(d.vnf, d.depends_on) for d in flavour.dependencies}
    assert {(nf, "nrf") for nf in NFS if nf != "nrf"} <= dependencies
    assert ("udm", "udr") in dependencies and ("smf", "upf") in dependencies
    levels = {level.level_id: level.vnf_instances for level in flavour.instantiation_levels}
    assert set(levels) == {"lab", "site"} and flavour.default_level == "lab"
    assert all(count == 1 for count in levels["lab"].values()) and len(levels["lab"]) == 9
    assert levels["site"]["upf"] == 2
    upf = next(p for p in flavour.vnf_profiles if p.profile_id == "upf")
    assert upf.virtual_links["virtual_link_n3"] == "n3_vl"
    assert [a.aspect_id for a in flavour.scaling_aspects] == ["user_plane"]


def test_every_package_ships_the_same_type_imports() -> None:
    types = {(p / "Definitions" / "nfvo_5gc_types.yaml").read_bytes() for p in PACKAGES.iterdir()}
    assert len(types) == 1
