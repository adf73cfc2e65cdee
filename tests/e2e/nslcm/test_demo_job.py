"""The demo's main job against a served NFVO and a third-party VNFM: the 5G core
deployed, shown from the cloud, timed, scaled and terminated to nothing."""

from __future__ import annotations

from pathlib import Path

import pytest

from nfvo.cli.catalog_client import Access, CatalogClient
from nfvo.cli.demo_ns import main_job
from nfvo.cli.ns_client import NSLCM
from tests.integration.lcm.fivegc import NSD_ID, FiveGc

pytestmark = pytest.mark.timeout(600)
DEPENDS = {
    "amf": ["nrf"],
    "smf": ["nrf", "upf"],
    "upf": ["nrf"],
    "ausf": ["nrf"],
    "udm": ["nrf", "udr"],
    "udr": ["nrf"],
    "pcf": ["nrf"],
    "nssf": ["nrf"],
}


async def test_the_main_job(core: FiveGc, tmp_path: Path) -> None:
    said: list[str] = []
    url = core.nfvo.runtime.settings.nfvo_url
    vim = await core.nfvo.runtime.platform.vims.open_vim("lab")
    async with CatalogClient(url, Access(client=("admin", "admin-s3cret-loquat")), NSLCM) as api:
        deployed = await main_job(api, vim, NSD_ID, DEPENDS, tmp_path, said.append)
    text = "\n".join(said)
    assert "Where every VNFC landed (as Nova reports it): 9 servers" in text
    assert "UPF scaled out (COMPLETED)" in text
    assert "the cloud holds 0 server(s)" in text and "and 0 port(s) of ours" in text
    assert (
        deployed.critical[0] == "nrf" and len(deployed.critical) == 3
    )  # nrf -> (upf|udr) -> (smf|udm)
    assert deployed.critical_seconds <= deployed.wall_seconds + 0.5
    assert (tmp_path / "ns-landing.png").stat().st_size > 1000
    assert (tmp_path / "ns-timeline.png").stat().st_size > 1000
