"""Link bindings: the request's, else the site's by shared words, else a tenant network."""

import pytest

from nfvo.lcm.networks import BindingError, LinkBinding, parse_bindings, site_default
from nfvo.vim.inventory import load_inventory
from simulators.openstack.inventory import INVENTORY_DIR

LAB = load_inventory(INVENTORY_DIR / "lab.yaml")


def test_bindings_name_a_physnet_or_an_existing_network() -> None:
    found = parse_bindings({"n3_vl": "sriov-n3", "sbi_vl": "net:mgmt"}, "networkBindings")
    assert found["n3_vl"] == LinkBinding("n3_vl", physnet="sriov-n3")
    assert found["n3_vl"].creates and not found["sbi_vl"].creates
    assert found["sbi_vl"].placement() is not None
    with pytest.raises(BindingError, match=r"networkBindings.x: write 'PHYSNET' or 'net:NETWORK'"):
        parse_bindings({"x": "net:"}, "networkBindings")
    with pytest.raises(BindingError, match="must map link names"):
        parse_bindings(["n3_vl"], "networkBindings")


def test_the_site_binds_sriov_links_by_a_shared_word() -> None:
    assert site_default("n3_vl", True, LAB) == LinkBinding("n3_vl", "n3-sriov", "sriov-n3")
    assert site_default("virtual_link_n6", True, LAB).network == "n6-sriov"
    assert site_default("sbi_vl", False, LAB) == LinkBinding("sbi_vl")  # a tenant network
    with pytest.raises(BindingError, match="no site network on an SR-IOV physnet"):
        site_default("n9_vl", True, LAB)
    with pytest.raises(BindingError, match="no site inventory"):
        site_default("n3_vl", True, None)
