"""Placement requests built from the shipped 5G-core descriptors."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from descriptors.loader import load_package
from descriptors.model import Nsd, PlacementKind, PlacementRule
from descriptors.requirements import VnicType
from descriptors.stored import StoredNsd, StoredVnfd, load_stored, stored_document
from nfvo.placement.model import AffinityKind, AffinityScope, NetworkBinding
from nfvo.placement.requests import (
    RequestError,
    build_ns_request,
    build_vnf_request,
    parse_binding,
    vdu_counts,
)

PACKAGES = Path(__file__).resolve().parents[3] / "descriptors" / "packages"
CORE_BINDINGS = [
    parse_binding(text)
    for text in (
        "sbi_vl=net:mgmt",
        "n2_vl=net:mgmt",
        "n4_vl=net:mgmt",
        "n3_vl=sriov-n3",
        "n6_vl=sriov-n6",
    )
]


@pytest.fixture(scope="module")
def core(tmp_path_factory: pytest.TempPathFactory) -> tuple[Nsd, list[StoredVnfd]]:
    """The shipped NSD and VNFs, as the catalogue stores them."""
    work = tmp_path_factory.mktemp("core")
    stored = [
        load_stored(stored_document(load_package(path, work / path.name)))
        for path in sorted(PACKAGES.iterdir())
    ]
    nsd = next(item.nsd for item in stored if isinstance(item, StoredNsd))
    return nsd, [item for item in stored if isinstance(item, StoredVnfd)]


def test_parse_binding_physnet_and_network() -> None:
    assert parse_binding("n3_vl=sriov-n3") == NetworkBinding(
        logical_network="n3_vl", physnet="sriov-n3"
    )
    assert parse_binding(" sbi_vl = net:mgmt ") == NetworkBinding(
        logical_network="sbi_vl", network_id="mgmt"
    )
    for bad in ("n3_vl", "=x", "n3_vl=", "n3_vl=net:"):
        with pytest.raises(RequestError, match="network binding"):
            parse_binding(bad)


def test_lab_level_one_vnfc_per_nf(core: tuple[Nsd, list[StoredVnfd]]) -> None:
    nsd, vnfs = core
    built = build_ns_request(nsd, vnfs, CORE_BINDINGS, level="lab")
    ids = [vnfc.vnfc_id for vnfc in built.request.vnfcs]
    assert sorted(ids) == sorted(
        f"{nf}-0" for nf in ("nrf", "amf", "smf", "upf", "ausf", "udm", "udr", "pcf", "nssf")
    )
    assert built.vnf_of("upf-0") == "upf"
    assert built.request.network_bindings == CORE_BINDINGS


def test_site_level_counts_groups_and_networks(core: tuple[Nsd, list[StoredVnfd]]) -> None:
    nsd, vnfs = core
    built = build_ns_request(nsd, vnfs, CORE_BINDINGS, level="site")
    per_vdu = Counter(vnfc.vdu_id for vnfc in built.request.vnfcs)
    assert per_vdu == {"amf": 2, "smf": 2, "upf": 2} | {
        nf: 1 for nf in ("nrf", "ausf", "udm", "udr", "pcf", "nssf")
    }
    assert {v.vnf_instance for v in built.vnfcs if v.vnf == "upf"} == {"upf-0", "upf-1"}
    groups = {g.group_id: g for g in built.request.groups}
    upf = groups["upf-upf_anti_affinity"]
    assert (upf.kind, upf.scope, upf.members) == (
        AffinityKind.ANTI_AFFINITY,
        AffinityScope.NFVI_NODE,
        ["upf-0", "upf-1"],
    )
    amf = groups["amf-amf_anti_affinity"]
    assert (amf.scope, amf.members) == (AffinityScope.ZONE, ["amf-0", "amf-1"])
    upf_vnfc = next(v for v in built.request.vnfcs if v.vnfc_id == "upf-1")
    networks = {i.cp_id: (i.logical_network, i.vnic_type) for i in upf_vnfc.requirement.interfaces}
    assert networks == {
        "upf_sbi": ("sbi_vl", VnicType.NORMAL),
        "upf_n4": ("n4_vl", VnicType.NORMAL),
        "upf_n3": ("n3_vl", VnicType.DIRECT),
        "upf_n6": ("n6_vl", VnicType.DIRECT),
    }


def test_default_level_is_the_flavours(core: tuple[Nsd, list[StoredVnfd]]) -> None:
    nsd, vnfs = core
    assert len(build_ns_request(nsd, vnfs, CORE_BINDINGS).request.vnfcs) == 9


def test_nsd_rules_group_every_vnfc_of_their_profiles(core: tuple[Nsd, list[StoredVnfd]]) -> None:
    nsd, vnfs = core
    rule = PlacementRule(
        rule_id="cp_together", kind=PlacementKind.AFFINITY, scope="zone", targets=["amf", "smf"]
    )
    flavour = nsd.flavours[0].model_copy(update={"placement_rules": [rule]})
    with_rule = nsd.model_copy(update={"flavours": [flavour]})
    built = build_ns_request(with_rule, vnfs, CORE_BINDINGS, level="site")
    group = next(g for g in built.request.groups if g.group_id == "cp_together")
    assert (group.kind, group.scope) == (AffinityKind.AFFINITY, AffinityScope.ZONE)
    assert sorted(group.members) == ["amf-0", "amf-1", "smf-0", "smf-1"]


def test_unbound_sriov_network_is_named(core: tuple[Nsd, list[StoredVnfd]]) -> None:
    nsd, vnfs = core
    bindings = [b for b in CORE_BINDINGS if b.logical_network != "n6_vl"]
    with pytest.raises(RequestError, match=r"upf-0: port upf_n6 \(direct\).*n6_vl.*no physnet"):
        build_ns_request(nsd, vnfs, bindings)
    # A network binding without a physnet does not help an SR-IOV port.
    bindings.append(NetworkBinding(logical_network="n6_vl", network_id="n6"))
    with pytest.raises(RequestError, match="n6_vl"):
        build_ns_request(nsd, vnfs, bindings)


def test_unknown_binding_name_is_refused(core: tuple[Nsd, list[StoredVnfd]]) -> None:
    nsd, vnfs = core
    bindings = [*CORE_BINDINGS, parse_binding("n9_vl=sriov-n3")]
    with pytest.raises(RequestError, match=r"no VNFC uses: n9_vl \(used: n2_vl"):
        build_ns_request(nsd, vnfs, bindings)


def test_unknown_level_lists_the_known_ones(core: tuple[Nsd, list[StoredVnfd]]) -> None:
    nsd, vnfs = core
    with pytest.raises(RequestError, match=r"no level 'huge' \(it has lab, site\)"):
        build_ns_request(nsd, vnfs, CORE_BINDINGS, level="huge")


def test_missing_vnf_package_names_the_vnfd_id(core: tuple[Nsd, list[StoredVnfd]]) -> None:
    nsd, vnfs = core
    upf = next(v for v in vnfs if v.vnfd.product_name == "nfvo-5gc-upf")
    others = [v for v in vnfs if v is not upf]
    with pytest.raises(RequestError, match=f"upf needs VNF package {upf.vnfd.descriptor_id}"):
        build_ns_request(nsd, others, CORE_BINDINGS)


def test_lone_vnf_binds_its_own_logical_networks(core: tuple[Nsd, list[StoredVnfd]]) -> None:
    _, vnfs = core
    upf = next(v for v in vnfs if v.vnfd.product_name == "nfvo-5gc-upf")
    bindings = [
        parse_binding("virtual_link_n3=sriov-n3"),
        parse_binding("virtual_link_n6=sriov-n6"),
    ]
    built = build_vnf_request(upf, bindings, level="site")
    assert [v.vnfc_id for v in built.request.vnfcs] == ["upf-0", "upf-1"]
    assert built.request.groups[0].members == ["upf-0", "upf-1"]
    with pytest.raises(RequestError, match="virtual_link_n6"):
        build_vnf_request(upf, bindings[:1])
    with pytest.raises(RequestError, match="no level 'x'"):
        build_vnf_request(upf, bindings, level="x")


def test_level_without_vdu_counts_uses_scaling_steps(core: tuple[Nsd, list[StoredVnfd]]) -> None:
    _, vnfs = core
    amf = next(v for v in vnfs if v.vnfd.product_name == "nfvo-5gc-amf").vnfd.flavours[0]
    site = next(lv for lv in amf.instantiation_levels if lv.level_id == "site")
    stepped = site.model_copy(update={"vdu_instances": {}, "scale_info": {"amf_scale": 3}})
    flavour = amf.model_copy(update={"instantiation_levels": [stepped]})
    assert vdu_counts(flavour, "site") == {"amf": 4}
    assert vdu_counts(flavour.model_copy(update={"default_level": None}), None) == {"amf": 1}
