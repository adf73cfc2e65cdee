"""``nfvo placement plan`` on the shipped 5G core and the lab inventory."""

from __future__ import annotations

import shutil
from pathlib import Path

import orjson
import pytest
import yaml
from click.testing import CliRunner

from nfvo.cli.commands.placement import CORE_NETWORKS, PlanInputs, plan_core, run_plan
from nfvo.cli.main import cli

ROOT = Path(__file__).resolve().parents[3]
PACKAGES = ROOT / "descriptors" / "packages"
LAB = ROOT / "simulators" / "openstack" / "inventories" / "lab.yaml"
NETWORK_ARGS = [arg for text in CORE_NETWORKS for arg in ("--network", text)]
CORE_ARGS = ["placement", "plan", "--ns", str(PACKAGES / "5gc-sa"), "--inventory", str(LAB)]


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NFVO_CONFIG", raising=False)


def invoke(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.output


def test_shipped_core_places_completely_on_lab() -> None:
    planned = run_plan(PlanInputs(None, (), PACKAGES, LAB, CORE_NETWORKS, "lab"))
    decision = planned.plan.decision
    assert decision.feasible, decision.explanation
    assert len(decision.placements) == 9
    upf = decision.placement("upf-0")
    assert upf is not None and upf.host is not None
    assert len(upf.numa_cells) == 1
    assert {pf.physnet for pf in upf.physical_functions} == {"sriov-n3", "sriov-n6"}
    assert {pf.numa_cell for pf in upf.physical_functions} == set(upf.numa_cells)
    host = next(h for h in planned.view.hosts if h.name == upf.host)
    assert {"sriov-n3", "sriov-n6"} <= host.physnets


def test_table_lists_every_vnfc_and_the_hosts_used() -> None:
    code, output = invoke(*CORE_ARGS, *NETWORK_ARGS, "--level", "site")
    assert code == 0, output
    lines = output.splitlines()
    assert lines[0].split()[:6] == ["VNFC", "VNF", "VDU", "HOST", "ZONE", "NUMA"]
    upf_rows = [line.split() for line in lines if line.startswith("upf-")]
    assert len(upf_rows) == 2
    assert upf_rows[0][2] != upf_rows[1][2] or upf_rows[0][3] != upf_rows[1][3]
    assert all("16x1G" in row and "9" in row for row in upf_rows)
    assert any(line.endswith("hosts used:") for line in lines)


def test_json_for_machines() -> None:
    code, output = invoke(*CORE_ARGS, *NETWORK_ARGS, "-o", "json")
    assert code == 0, output
    data = orjson.loads(output)
    assert data["feasible"] is True and data["explanation"] is None
    upf = next(row for row in data["vnfcs"] if row["vnfc_id"] == "upf-0")
    assert set(upf["vfs"]) == {"sriov-n3", "sriov-n6"} and len(upf["numa_cells"]) == 1
    assert upf["pinned_cpus"] == 9 and upf["pages_1gb"] == 16
    assert upf["flavour"].startswith("nfvo-flavor-")
    assert set(data["hosts_used"]) == {row["host"] for row in data["vnfcs"]}
    assert {g["group_id"] for g in data["groups"]} == {
        "amf-amf_anti_affinity",
        "upf-upf_anti_affinity",
    }
    assert len(data["decision"]["placements"]) == 9


@pytest.mark.parametrize(
    ("name", "header"), [("plan.png", b"\x89PNG\r\n\x1a\n"), ("plan.svg", b"<?xml")]
)
def test_picture_png_and_svg(tmp_path: Path, name: str, header: bytes) -> None:
    picture = tmp_path / name
    code, output = invoke(*CORE_ARGS, *NETWORK_ARGS, "--picture", str(picture))
    assert code == 0, output
    data = picture.read_bytes()
    assert data.startswith(header) and len(data) > 10_000
    if name.endswith(".svg"):
        assert b"<svg" in data[:2000]


def test_picture_needs_a_known_suffix(tmp_path: Path) -> None:
    code, output = invoke(*CORE_ARGS, *NETWORK_ARGS, "--picture", str(tmp_path / "p.gif"))
    assert code == 2 and ".png or .svg" in output


def test_infeasible_prints_the_explanation_and_exits_1(tmp_path: Path) -> None:
    document = yaml.safe_load(LAB.read_text())
    for host in document["hosts"]:
        host.pop("nics", None)  # no SR-IOV anywhere
    inventory = tmp_path / "no-vfs.yaml"
    inventory.write_text(yaml.safe_dump(document))
    args = ["placement", "plan", "--ns", str(PACKAGES / "5gc-sa"), "--inventory", str(inventory)]
    code, output = invoke(*args, *NETWORK_ARGS)
    assert code == 1
    assert "Cannot place plan-5gc-sa" in output
    assert "upf-0 needs 9 pinned CPUs" in output
    assert "5 hosts lack a NIC on sriov-n3" in output
    code, output = invoke(*args, *NETWORK_ARGS, "-o", "json")
    assert code == 1 and orjson.loads(output)["feasible"] is False


def test_unbound_sriov_network_is_a_usage_error() -> None:
    code, output = invoke(*CORE_ARGS, *NETWORK_ARGS[:-2])
    assert code == 2
    assert "upf_n6" in output and "n6_vl" in output and "no physnet binding" in output


def test_existing_network_brings_its_physnet() -> None:
    networks = [*NETWORK_ARGS[:-2], "--network", "n6_vl=net:n6-sriov"]
    code, output = invoke(*CORE_ARGS, *networks, "-o", "json")
    assert code == 0, output


def test_unknown_level_and_missing_package_are_usage_errors(tmp_path: Path) -> None:
    code, output = invoke(*CORE_ARGS, *NETWORK_ARGS, "--level", "huge")
    assert code == 2 and "no level 'huge'" in output
    # Only the NSD and one VNF package: the others are missing, by VNFD id.
    ns_args = ["placement", "plan", "--ns", str(PACKAGES / "5gc-sa"), "--inventory", str(LAB)]
    code, output = invoke(*ns_args, "--vnf", str(PACKAGES / "upf"), *NETWORK_ARGS)
    assert code == 2 and "VNF profile nrf needs VNF package" in output


def test_lone_vnf_with_its_own_networks() -> None:
    args = ["placement", "plan", "--vnf", str(PACKAGES / "upf"), "--inventory", str(LAB)]
    networks = ["--network", "virtual_link_n3=sriov-n3", "--network", "virtual_link_n6=sriov-n6"]
    code, output = invoke(*args, *networks, "--level", "site", "--objective", "spread")
    assert code == 0, output
    assert [line.split()[0] for line in output.splitlines()[1:3]] == ["upf-0", "upf-1"]


def test_zone_mode_leaves_the_host_to_nova() -> None:
    code, output = invoke(*CORE_ARGS, *NETWORK_ARGS, "--mode", "zone")
    assert code == 0, output
    assert "(Nova picks)" in output and "note: no admin rights" in output


def test_plan_core_for_the_demo(tmp_path: Path) -> None:
    picture = tmp_path / "core.png"
    text = plan_core(PACKAGES, LAB, "lab", CORE_NETWORKS, picture)
    assert "upf-0" in text and "hosts used" in text
    assert picture.read_bytes().startswith(b"\x89PNG")


def test_invalid_package_is_named_with_its_problems(tmp_path: Path) -> None:
    broken = tmp_path / "upf"
    shutil.copytree(PACKAGES / "upf", broken)
    vnfd = broken / "Definitions" / "upf_vnfd.yaml"
    vnfd.write_text(vnfd.read_text().replace("vnic_type: direct", "vnic_type: bridge", 1))
    code, output = invoke("placement", "plan", "--vnf", str(broken), "--inventory", str(LAB))
    assert code == 1
    assert f"{broken} is not a valid package" in output and "upf_n3" in output


def test_docs_picture_is_small() -> None:
    picture = ROOT / "docs" / "images" / "placement-lab.png"
    assert picture.read_bytes().startswith(b"\x89PNG")
    assert picture.stat().st_size < 300 * 1024
