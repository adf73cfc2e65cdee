"""``nfvo package build`` and ``nfvo package validate``."""

from __future__ import annotations

import shutil
import zipfile
from pathlib import Path

import orjson
import pytest
import yaml
from click.testing import CliRunner

from nfvo.cli.main import cli
from tests.support.pki import Authority

PACKAGES = Path(__file__).resolve().parents[3] / "descriptors" / "packages"
SOURCES = sorted(path for path in PACKAGES.iterdir() if path.is_dir())


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NFVO_CONFIG", raising=False)


def test_package_is_a_discovered_command() -> None:
    result = CliRunner().invoke(cli, ["package", "--help"])
    assert result.exit_code == 0
    assert "build" in result.output and "validate" in result.output


def test_build_writes_a_csar_with_a_hashed_manifest(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        cli, ["package", "build", str(PACKAGES / "upf"), "-d", str(tmp_path)]
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
        cli, ["package", "build", str(PACKAGES / "nrf"), "-d", str(tmp_path)]
    )
    paths = [built.output.strip(), str(PACKAGES / "5gc-sa"), str(PACKAGES / "upf")]
    result = CliRunner().invoke(cli, ["package", "validate", *paths])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].split() == ["NAME", "KIND", "VERSION", "VDUS/PROFILES", "STATUS", "SIGNATURE"]
    assert lines[1].split() == ["nfvo-5gc-nrf", "vnf", "1.0.0", "1", "VDU", "valid", "unsigned"]
    assert lines[2].split() == [
        "5gc-sa", "nsd", "1.0.0", "9", "VNF", "profiles", "valid", "unsigned"
    ]  # fmt: skip
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


@pytest.mark.parametrize("option", ["1", "2"])
def test_build_signs_and_validate_shows_the_signer(option: str, tmp_path: Path) -> None:
    root = Authority.root("CLI Root")
    vendor = root.issue("CLI Vendor")
    key, cert = vendor.write(tmp_path / "vendor")
    anchors = tmp_path / "anchors"
    root.write_anchor(anchors)
    built = CliRunner().invoke(
        cli,
        ["package", "build", str(PACKAGES / "nrf"), "-d", str(tmp_path / "out"),
         "--sign", str(key), "--cert", str(cert), "--option", option, "--sign-artifacts"],
    )  # fmt: skip
    assert built.exit_code == 0, built.output
    archive = built.output.strip()
    shown = CliRunner().invoke(
        cli, ["package", "validate", "--trust-anchors", str(anchors), "-o", "json", archive]
    )
    assert shown.exit_code == 0, shown.output
    [report] = orjson.loads(shown.output)
    assert report["row"]["signature"] == f"signed by {vendor.subject} (option {option})"
    assert report["signature"]["option"] == f"OPTION_{option}"
    table = CliRunner().invoke(
        cli, ["package", "validate", "--trust-anchors", str(anchors), archive]
    )
    assert f"signed by {vendor.subject}" in table.output
    elsewhere = tmp_path / "elsewhere"
    Authority.root("Elsewhere").write_anchor(elsewhere)
    refused = CliRunner().invoke(
        cli, ["package", "validate", "--trust-anchors", str(elsewhere), archive]
    )
    assert refused.exit_code == 1
    assert "which is not a trust anchor" in refused.output
    off = CliRunner().invoke(cli, ["package", "validate", "--signatures", "off", archive])
    assert off.exit_code == 0, off.output


def test_signing_needs_a_key_that_fits_its_certificate(tmp_path: Path) -> None:
    root = Authority.root("CLI Root")
    key, _ = root.issue("One").write(tmp_path / "one")
    _, cert = root.issue("Two").write(tmp_path / "two")
    source = str(PACKAGES / "nrf")
    alone = CliRunner().invoke(cli, ["package", "build", source, "--sign", str(key)])
    assert alone.exit_code == 2 and "--sign and --cert go together" in alone.output
    mismatched = CliRunner().invoke(
        cli,
        ["package", "build", source, "-d", str(tmp_path), "--sign", str(key), "--cert", str(cert)],
    )
    assert mismatched.exit_code == 1
    assert "the signing key does not belong to the certificate" in mismatched.output
    assert "Traceback" not in mismatched.output


def test_the_shipped_sources_pass_strict_as_sources() -> None:
    result = CliRunner().invoke(cli, ["package", "validate", "--strict", *map(str, SOURCES)])
    assert result.exit_code == 0, result.output
    assert result.output.count(" valid ") == len(SOURCES)


def test_warnings_are_shown_without_strict(tmp_path: Path) -> None:
    typo = tmp_path / "amf"
    shutil.copytree(PACKAGES / "amf", typo)
    vnfd = typo / "Definitions" / "amf_vnfd.yaml"
    vnfd.write_text(vnfd.read_text().replace('"hw:cpu_policy"', '"hw:cpu_polcy"'))
    lenient = CliRunner().invoke(cli, ["package", "validate", "-o", "json", str(typo)])
    assert lenient.exit_code == 0, lenient.output
    [report] = orjson.loads(lenient.stdout)
    assert report["row"]["status"] == "valid (1 warning)"
    [warning] = report["problems"]
    assert warning["severity"] == "warning" and warning["line"] is not None
    assert 'did you mean "hw:cpu_policy"?' in warning["message"]
    table = CliRunner().invoke(cli, ["package", "validate", str(typo)])
    assert table.exit_code == 0 and 'did you mean "hw:cpu_policy"?' in table.output
    strict = CliRunner().invoke(cli, ["package", "validate", "--strict", "-o", "yaml", str(typo)])
    assert strict.exit_code == 1
    assert yaml.safe_load(strict.stdout)[0]["row"]["status"] == "invalid"


def test_build_refuses_an_invalid_package(tmp_path: Path) -> None:
    broken = tmp_path / "nrf"
    shutil.copytree(PACKAGES / "nrf", broken)
    vnfd = broken / "Definitions" / "nrf_vnfd.yaml"
    vnfd.write_text(vnfd.read_text().replace("num_virtual_cpu: 2", "num_virtual_cpu: two"))
    result = CliRunner().invoke(cli, ["package", "build", str(broken), "-d", str(tmp_path / "out")])
    assert result.exit_code == 1
    assert '"two" is not an integer' in result.output and "nothing written" in result.output
    assert not (tmp_path / "out").exists()
