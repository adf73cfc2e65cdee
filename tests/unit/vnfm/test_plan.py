from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import pytest

from descriptors.loader import load_package
from descriptors.summary import SHIPPED
from nfvo.sol.problems import Unprocessable
from vnfm.packages import VnfPackage
from vnfm.plan import Vnfc, plan_instantiation
from vnfm.scaling import plan_scale
from vnfm.wire import InstantiateVnfRequest, ScaleVnfRequest

DAY1 = {"nrf_address": "192.0.2.9", "mcc": "001", "mnc": "01", "sst": 1, "sd": "000001"}
LINKS = [
    {"id": "a", "resourceId": "mgmt",
     "extCps": [{"cpdId": "virtual_link_sbi"}, {"cpdId": "virtual_link_n4"}]},
    {"id": "b", "resourceId": "n3", "extCps": [{"cpdId": "virtual_link_n3"}]},
    {"id": "c", "resourceId": "n6", "extCps": [{"cpdId": "virtual_link_n6"}]},
]  # fmt: skip


@pytest.fixture(scope="module")
def upf() -> VnfPackage:
    workdir = Path(tempfile.mkdtemp(prefix="vnfm-plan-"))
    loaded = load_package(SHIPPED / "upf", workdir)
    assert loaded.vnfd is not None
    definitions = loaded.files.entry_definitions.parent
    return VnfPackage("upf", "sha", loaded.vnfd, loaded.requirements, definitions)


def request(**fields: Any) -> InstantiateVnfRequest:
    body = {"flavourId": "default", "extVirtualLinks": LINKS, "additionalParams": DAY1, **fields}
    return InstantiateVnfRequest.model_validate(body)


def test_the_level_decides_the_vnfcs(upf: VnfPackage) -> None:
    assert plan_instantiation(upf, request()) == [Vnfc("upf", 0)]
    site = plan_instantiation(upf, request(instantiationLevelId="site"))
    assert [v.id for v in site] == ["upf-0", "upf-1"]


@pytest.mark.parametrize(
    ("fields", "detail"),
    [
        ({"flavourId": "gold"}, "flavourId 'gold' is not a flavour"),
        ({"instantiationLevelId": "huge"}, "has no level 'huge'"),
        ({"extVirtualLinks": LINKS[:2]}, "upf_n6 of VDU upf is attached to no network"),
        ({"additionalParams": {}}, "uses mcc, mnc, nrf_address, sd, sst"),
        ({"extVirtualLinks": [{"id": "x", "resourceId": "n", "extCps": [{"cpdId": "nope"}]}]},
         "extCps[0].cpdId 'nope' is not an external CP"),
    ],
)  # fmt: skip
def test_what_does_not_fit_the_vnfd_is_422(
    upf: VnfPackage, fields: dict[str, Any], detail: str
) -> None:
    with pytest.raises(Unprocessable) as raised:
        plan_instantiation(upf, request(**fields))
    assert detail in raised.value.detail


def test_scaling_stays_within_the_aspect_and_the_profile(upf: VnfPackage) -> None:
    bookkeeping = {
        "instantiation": {"flavourId": "default"},
        "levels": {"upf_scale": 0},
        "vnfcs": {"upf-0": {"vduId": "upf", "index": 0}},
    }
    out = plan_scale(upf, bookkeeping, ScaleVnfRequest(type="SCALE_OUT", aspect_id="upf_scale"))
    assert (out["vnfcs"], out["remove"], out["level"]) == ([{"vduId": "upf", "index": 1}], [], 1)
    with pytest.raises(Unprocessable, match=r"outside 0\.\.3"):
        plan_scale(upf, bookkeeping, ScaleVnfRequest(type="SCALE_IN", aspect_id="upf_scale"))
    with pytest.raises(Unprocessable, match="not a scaling aspect"):
        plan_scale(upf, bookkeeping, ScaleVnfRequest(type="SCALE_OUT", aspect_id="x"))
