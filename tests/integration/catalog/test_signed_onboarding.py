"""Signed packages through /vnfpkgm/v2 and /nsd/v2: who signed is in VnfPkgInfo and
NsdInfo, a broken signature ends in ERROR saying why, and the policy and trust anchors
come from the settings (per project when configured)."""

from __future__ import annotations

import shutil
import zipfile
from pathlib import Path

import pytest

from descriptors.build import build_package
from descriptors.package_security import PackageSigner, SecurityOption
from tests.integration.catalog import etsi
from tests.integration.catalog.conftest import SHIPPED, ServeFactory, onboard
from tests.support.pki import Authority

OPTION_1, OPTION_2 = SecurityOption.OPTION_1, SecurityOption.OPTION_2


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> tuple[Authority, Authority, Path]:
    root = Authority.root("Operator Root")
    vendor = root.issue("Vendor Packages")
    anchors = tmp_path_factory.mktemp("anchors")
    root.write_anchor(anchors)
    return root, vendor, anchors


def signed(vendor: Authority, option: SecurityOption, name: str, out: Path) -> Path:
    signer = PackageSigner(vendor.key, (vendor.certificate,), option)
    return build_package(SHIPPED / name, out, signer)


@pytest.mark.parametrize("option", [OPTION_1, OPTION_2])
async def test_signed_package_shows_its_signer(
    option: SecurityOption,
    serve_catalogue: ServeFactory,
    pki: tuple[Authority, Authority, Path],
    tmp_path: Path,
) -> None:
    _, vendor, anchors = pki
    client = await serve_catalogue(package_trust_anchors=anchors)
    body = await onboard(client, signed(vendor, option, "nrf", tmp_path))
    assert body["onboardingState"] == "ONBOARDED", body.get("onboardingFailureDetails")
    assert body["packageSecurityOption"] == option.value
    signature = body["packageSignature"]
    assert signature["signer"] == vendor.subject
    assert signature["securityOption"] == option.value
    assert signature["chain"] == [vendor.subject, "CN=Operator Root,O=nfvo tests"]
    artifacts = {a["artifactPath"]: a for a in body["additionalArtifacts"]}
    assert not any(path.endswith((".cms", ".cert")) for path in artifacts)
    if etsi.available():
        etsi.validate("vnfpkgm", "/vnf_packages/{vnfPkgId}", "get", 200, body)


async def test_artifacts_signed_alone_say_so(
    serve_catalogue: ServeFactory, pki: tuple[Authority, Authority, Path], tmp_path: Path
) -> None:
    _, vendor, anchors = pki
    tree = tmp_path / "upf"
    shutil.copytree(SHIPPED / "upf", tree)
    (tree / "Files" / "scripts").mkdir()
    (tree / "Files" / "scripts" / "health.sh").write_text("#!/bin/sh\nexit 0\n")
    signer = PackageSigner(vendor.key, (vendor.certificate,), OPTION_1, artifacts=True)
    client = await serve_catalogue(package_trust_anchors=anchors)
    body = await onboard(client, build_package(tree, tmp_path / "out", signer))
    assert body["onboardingState"] == "ONBOARDED", body.get("onboardingFailureDetails")
    [image] = body["softwareImages"]
    assert image["imagePath"] == "Files/images/upf.qcow2"
    artifacts = {a["artifactPath"]: a for a in body["additionalArtifacts"]}
    assert artifacts["Files/scripts/health.sh"]["metadata"] == {"signedBy": vendor.subject}
    assert body["packageSignature"]["signedArtifacts"] == {
        "Files/images/upf.qcow2": vendor.subject,
        "Files/scripts/health.sh": vendor.subject,
    }
    assert "metadata" not in artifacts["ChangeLog.txt"]
    if etsi.available():
        etsi.validate("vnfpkgm", "/vnf_packages/{vnfPkgId}", "get", 200, body)


async def test_a_tampered_package_ends_in_error(
    serve_catalogue: ServeFactory, pki: tuple[Authority, Authority, Path], tmp_path: Path
) -> None:
    _, vendor, anchors = pki
    client = await serve_catalogue(package_trust_anchors=anchors)
    built = signed(vendor, OPTION_1, "nrf", tmp_path)
    with zipfile.ZipFile(built) as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    members["nrf.mf"] = members["nrf.mf"].replace(b"nfvo-5gc-nrf", b"nfvo-5gc-evil", 1)
    with zipfile.ZipFile(built, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    body = await onboard(client, built)
    assert body["onboardingState"] == "ERROR"
    [problem] = body["onboardingFailureDetails"]["problems"]
    assert problem["code"] == "signature-mismatch" and problem["file"] == "nrf.mf"
    assert "changed after it was signed" in body["onboardingFailureDetails"]["detail"]


async def test_require_refuses_unsigned_and_per_project_anchors(
    serve_catalogue: ServeFactory, pki: tuple[Authority, Authority, Path], tmp_path: Path
) -> None:
    _, vendor, anchors = pki
    elsewhere = tmp_path / "elsewhere"
    Authority.root("Someone Else").write_anchor(elsewhere)
    client = await serve_catalogue(
        package_signature_policy="require",
        package_trust_anchors=elsewhere,
        package_project_trust_anchors={"default": anchors},  # the no-auth admin's project
    )
    unsigned = await onboard(client, build_package(SHIPPED / "nrf", tmp_path / "plain"))
    assert unsigned["onboardingState"] == "ERROR"
    assert unsigned["onboardingFailureDetails"]["problems"][0]["code"] == "unsigned"
    accepted = await onboard(client, signed(vendor, OPTION_2, "amf", tmp_path / "signed"))
    assert accepted["onboardingState"] == "ONBOARDED", accepted.get("onboardingFailureDetails")


async def test_a_signed_nsd_archive(
    serve_catalogue: ServeFactory, pki: tuple[Authority, Authority, Path], tmp_path: Path
) -> None:
    _, vendor, anchors = pki
    client = await serve_catalogue(package_trust_anchors=anchors, nsd_late_binding=True)
    body = await onboard(client, signed(vendor, OPTION_1, "5gc-sa", tmp_path), api="nsd")
    assert body["nsdOnboardingState"] == "ONBOARDED", body.get("onboardingFailureDetails")
    assert body["packageSignature"]["signer"] == vendor.subject
    if etsi.available():
        etsi.validate("nsd", "/ns_descriptors/{nsdInfoId}", "get", 200, body)
