"""Every package others wrote (the shared corpus), zipped here and onboarded through the
API: accepted ones end ONBOARDED, rejected ones ERROR with every problem listed."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.integration.catalog.conftest import Client, onboard, zip_directory
from tests.unit.descriptors.test_corpus import ONBOARDING


@pytest.mark.parametrize("name", sorted(ONBOARDING))
async def test_corpus_package_onboards_or_fails_for_its_reasons(
    client: Client, shared_dir: Path, tmp_path: Path, name: str
) -> None:
    archive = zip_directory(shared_dir / "corpus/packages" / name, tmp_path / f"{name}.zip")
    body = await onboard(client, archive)
    expected = ONBOARDING[name]
    if not expected:
        assert body["onboardingState"] == "ONBOARDED", body.get("onboardingFailureDetails")
        assert body["vnfdId"]
        return
    assert body["onboardingState"] == "ERROR"
    details = body["onboardingFailureDetails"]
    assert {problem["code"] for problem in details["problems"]} == expected
    for problem in details["problems"]:
        assert problem["message"] in details["detail"]
    assert any(problem.get("file") for problem in details["problems"])
