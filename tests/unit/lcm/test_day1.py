"""What an NS hands each VNF for its day-1 data: the values every VNF shares, its own,
and the addresses of the VNFs it depends on."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest

from descriptors.loader import load_package
from descriptors.stored import StoredNsd, StoredVnfd
from descriptors.summary import SHIPPED
from nfvo.lcm.ns_actions import _address
from nfvo.lcm.ns_operations import ALL_VNFS_KEY, plan_instantiation
from nfvo.lcm.ns_wire import InstantiateNsRequest
from nfvo.sol.problems import Unprocessable
from nfvo.vim.inventory import SiteInventory, load_inventory

LAB = Path(__file__).resolve().parents[3] / "simulators/openstack/inventories/lab.yaml"
PLMN = {"mcc": "001", "mnc": "01", "sst": 1, "sd": "000001"}


@pytest.fixture(scope="module")
def core() -> tuple[StoredNsd, list[StoredVnfd]]:
    with tempfile.TemporaryDirectory() as work:
        loaded = [load_package(tree, Path(work) / tree.name) for tree in sorted(SHIPPED.iterdir())]
    nsd = next(p.nsd for p in loaded if p.nsd is not None)
    vnfds = [StoredVnfd(vnfd=p.vnfd, requirements=p.requirements) for p in loaded if p.vnfd]
    return StoredNsd(nsd=nsd), vnfds


def plan(core: tuple[StoredNsd, list[StoredVnfd]], body: dict[str, object]):  # type: ignore[no-untyped-def]
    nsd, vnfds = core
    request = InstantiateNsRequest.model_validate({"nsFlavourId": "default", **body})
    site = SiteInventory(load_inventory(LAB).document)
    return plan_instantiation("ns-1", nsd, vnfds, request, "lab", site, "builtin")


def test_every_vnf_gets_the_shared_values_and_its_own_win(
    core: tuple[StoredNsd, list[StoredVnfd]],
) -> None:
    intent = plan(
        core,
        {
            "additionalParamsForNs": {ALL_VNFS_KEY: PLMN},
            "additionalParamsForVnf": [
                {"vnfProfileId": "upf", "additionalParams": {"sd": "0000ff"}}
            ],
        },
    )
    params = {v.profile_id: v.params["additionalParams"] for v in intent.parts.vnfs}
    assert params["amf"] == PLMN
    assert params["upf"] == {**PLMN, "sd": "0000ff"}


def test_shared_values_must_be_an_object(core: tuple[StoredNsd, list[StoredVnfd]]) -> None:
    with pytest.raises(Unprocessable, match=ALL_VNFS_KEY):
        plan(core, {"additionalParamsForNs": {ALL_VNFS_KEY: ["001"]}})


def test_each_vnf_knows_whom_it_waits_for(core: tuple[StoredNsd, list[StoredVnfd]]) -> None:
    intent = plan(core, {})
    after = {v.profile_id: set(v.after) for v in intent.parts.vnfs}
    assert after["nrf"] == set()
    assert after["amf"] == {"nrf"}
    assert after["smf"] == {"nrf", "upf"}
    # ... and it survives the job's parameters
    amf = next(v for v in intent.parts.vnfs if v.profile_id == "amf")
    assert type(amf).from_json(amf.to_json()) == amf


def cp(cpd: str, *addresses: str) -> dict[str, object]:
    ip = {"type": "IPV4", "addresses": list(addresses)}
    return {"cpdId": cpd, "cpProtocolInfo": [{"ipOverEthernet": {"ipAddresses": [ip]}}]}


def test_a_predecessor_s_address_is_on_a_shared_link_first() -> None:
    vnf = {"instantiatedVnfInfo": {"extCpInfo": [cp("n4", "10.0.4.5"), cp("sbi", "10.0.1.7")]}}
    assert _address(vnf, ["sbi"]) == "10.0.1.7"
    assert _address(vnf, []) == "10.0.4.5"
    assert _address({"instantiatedVnfInfo": {"extCpInfo": [cp("sbi")]}}, ["sbi"]) is None
    assert _address({}, ["sbi"]) is None
