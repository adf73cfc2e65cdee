from pathlib import Path

import pytest
import yaml

from nfvo.vim.inventory import InventoryError, load_inventory, validate_inventory

REPO = Path(__file__).resolve().parents[3]
SHIPPED = sorted((REPO / "simulators/openstack/inventories").glob("*.yaml"))


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.name)
def test_every_shipped_inventory_passes_the_schema(path: Path) -> None:
    assert load_inventory(path).summary()["zones"]


def test_lab_summary() -> None:
    summary = load_inventory(REPO / "simulators/openstack/inventories/lab.yaml").summary()
    assert summary["hosts"] == 5
    assert summary["ovs_dpdk_hosts"] == 1
    assert set(summary["vfs_per_physnet"]) == {"sriov-n3", "sriov-n6"}


def test_violations_name_their_place(tmp_path: Path) -> None:
    document = yaml.safe_load((REPO / "simulators/openstack/inventories/lab.yaml").read_text())
    document["hosts"][1]["nics"][0]["vfs"] = -1
    del document["zones"]
    with pytest.raises(InventoryError) as caught:
        validate_inventory(document, "lab.yaml")
    text = str(caught.value)
    assert "lab.yaml: hosts/1/nics/0/vfs" in text
    assert "'zones' is a required property" in text


def test_unreadable_files_are_inventory_errors(tmp_path: Path) -> None:
    with pytest.raises(InventoryError, match="No such file"):
        load_inventory(tmp_path / "absent.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("a: [")
    with pytest.raises(InventoryError, match="not valid YAML"):
        load_inventory(bad)
