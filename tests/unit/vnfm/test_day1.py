from __future__ import annotations

from pathlib import Path

import pytest

from descriptors.loader import load_package
from descriptors.model import BootData, Vdu, VduCp
from descriptors.summary import SHIPPED
from vnfm.day1 import Day1Error, address_names, missing_variables, render

DAY1 = {"nrf_address": "192.0.2.9", "mcc": "001", "mnc": "01", "sst": 1, "sd": "000001"}


@pytest.fixture(scope="module")
def upf(tmp_path_factory: pytest.TempPathFactory) -> tuple[Vdu, list[VduCp]]:
    loaded = load_package(SHIPPED / "upf", tmp_path_factory.mktemp("upf"))
    assert loaded.vnfd is not None
    flavour = loaded.vnfd.flavours[0]
    return flavour.vdu("upf"), list(flavour.cps)


def test_ports_are_named_by_cp_and_by_cp_without_the_vdu(upf: tuple[Vdu, list[VduCp]]) -> None:
    assert address_names("upf", "upf_n3") == ("upf_n3_address", "n3_address")
    vdu, cps = upf
    assert missing_variables(vdu, cps, DAY1) == []
    assert missing_variables(vdu, cps, {"mcc": "001"}) == ["mnc", "nrf_address", "sd", "sst"]


def test_rendering_is_strict_and_fills_the_addresses(upf: tuple[Vdu, list[VduCp]]) -> None:
    vdu, _ = upf
    addresses = {"sbi_address": "192.0.2.20", "n4_address": "192.0.2.21",
                 "n3_address": "198.51.100.5", "n6_address": "198.51.100.133"}  # fmt: skip
    rendered = render(vdu, {**DAY1, **addresses})
    assert rendered is not None
    assert 'n3: "198.51.100.5"' in rendered and 'nrf_uri: "http://192.0.2.9:8000"' in rendered
    with pytest.raises(Day1Error, match=r"VDU upf.*n6_address"):
        render(vdu, {**DAY1, **{k: v for k, v in addresses.items() if k != "n6_address"}})


def test_a_template_cannot_reach_python_objects(upf: tuple[Vdu, list[VduCp]]) -> None:
    vdu, _ = upf
    hostile = vdu.model_copy(
        update={
            "boot_data": BootData(
                content="{{ ''.__class__.__mro__[1].__subclasses__() }}",
                kvp_data={"template": "jinja2"},
            )
        }
    )
    with pytest.raises(Day1Error):
        render(hostile, {})


def test_boot_data_without_a_template_language_is_used_as_is(tmp_path: Path) -> None:
    plain = Vdu(vdu_id="x", name="x", min_instances=1, max_instances=1, vcpus=1, memory_mb=1,
                boot_data=BootData(content="#cloud-config\n{{ untouched }}"))  # fmt: skip
    assert render(plain, {}) == "#cloud-config\n{{ untouched }}"
    assert missing_variables(plain, [], {}) == []
