"""``nfvo package build`` and ``nfvo package validate``."""

from __future__ import annotations

import shutil
import zipfile
from pathlib import Path

import orjson
import pytest
from click.testing import CliRunner

from nfvo.cli.main import cli

PACKAGES = Path(__file__).resolve().parents[3] / "descriptors" / "packages"


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NFVO_CONFIG", raising=False)


def test_package_is_a_discovered_command() -> None:
    result = CliRunner().invoke(cli, ["package", "--help"])
    assert result.exit_code == 0
    assert "build" in result.output and "validate" in result.output


def test_build_writes_a_csar_with_a_hashed_manifest(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        cli, ["package", "build", str(PACKAGES / "upf"), "-o", str(tmp_path)]
    )
    assert result.exit_code == 0, result.output
    archive = Path(result.output.strip())
    assert archive.parent == tmp_path and archive.suffix == ".csar"
    with zipfile.ZipFile(archive) as csar:
        manifest = csar.read("upf.mf").decode()
    assert "Source: Files/images/upf.qcow2" in manifest
    assert "Source: Definitions/upf_vnfd.yaml" in manifest


def test_validate_prints_one_row_per_package(tmp_path: Path) -> None:
    built = CliRunner().invoke(
        cli, ["package", "build", str(PACKAGES / "nrf"), "-o", str(tmp_path)]
    )
    paths = [built.output.strip(), str(PACKAGES / "5gc-sa"), str(PACKAGES / "upf")]
    result = CliRunner().invoke(cli, ["package", "validate", *paths])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].split() == ["NAME", "KIND", "VERSION", "VDUS/PROFILES", "STATUS"]
    assert lines[1].split() == ["nfvo-5gc-nrf", "vnf", "1.0.0", "1", "VDU", "valid"]
    assert lines[2].split() == ["5gc-sa", "nsd", "1.0.0", "9", "VNF", "profiles", "valid"]
    assert len(lines) == 4


def test_validate_json_and_every_error_listed(tmp_path: Path) -> None:
    broken = tmp_path / "upf"
    shutil.copytree(PACKAGES / "upf", broken)
    vnfd = broken / "Definitions" / "upf_vnfd.yaml"
    text = vnfd.read_text().replace("vnic_type: direct", "vnic_type: bridge", 1)
    vnfd.write_text(text.replace("num_virtual_cpu: 8", "num_virtual_cpu: 0"))
    result = CliRunner().invoke(cli, ["package", "validate", "-o", "json", str(broken)])
    assert result.exit_code == 1
    [report] = orjson.loads(result.output)
    assert report["row"]["status"] == "invalid"
    messages = " | ".join(p["message"] for p in report["problems"])
    assert "num_virtual_cpu" in messages
    assert "Traceback" not in result.output


def test_validate_table_lists_errors_and_fails(tmp_path: Path) -> None:
    broken = tmp_path / "amf"
    shutil.copytree(PACKAGES / "amf", broken)
    vnfd = broken / "Definitions" / "amf_vnfd.yaml"
    vnfd.write_text(vnfd.read_text().replace("scope: zone", "scope: galaxy"))
    result = CliRunner().invoke(cli, ["package", "validate", str(broken)])
    assert result.exit_code == 1
    assert "invalid" in result.output
    assert "galaxy" in result.output and "amf_vnfd.yaml" in result.output
