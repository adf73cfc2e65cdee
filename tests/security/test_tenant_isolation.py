"""Item 10: a tenant learns nothing about another tenant's catalogue.

Blue probes what red holds: it uploads red's package byte for byte (a duplicate
refusal naming red's package would say "red has this"), and onboards an NSD naming
red's VNFD (resolving it would hand blue red's package id). The model
(docs/security.md): a vnfdId names one package per project; an NSD resolves VNFDs
in its own project, plus packages an administrator published to every project with
``userDefinedData["nfvo.shared"]``, which no one else may set.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.integration.catalog.conftest import wait_state
from tests.security.conftest import NSDS, PACKAGES, Client, Tenant, Tenants, text_of

NRF_VNFD = "fa3b7012-dd21-5773-816d-e610f089e8ec"
NSD = f"""\
tosca_definitions_version: tosca_simple_yaml_1_3
imports:
  - https://forge.etsi.org/rep/nfv/SOL001/raw/v4.2.1/etsi_nfv_sol001_common_types.yaml
  - https://forge.etsi.org/rep/nfv/SOL001/raw/v4.2.1/etsi_nfv_sol001_nsd_types.yaml
topology_template:
  node_templates:
    ns:
      type: tosca.nodes.nfv.NS
      properties:
        descriptor_id: 5ec0a11d-0000-4000-8000-00000000000a
        designer: tests
        version: "1.0"
        name: nrf-only
        invariant_id: 5ec0a11d-0000-4000-8000-00000000000b
        flavour_id: default
    nrf:
      type: tosca.nodes.nfv.VNF
      properties:
        descriptor_id: {NRF_VNFD}
        descriptor_version: "1.0.0"
        provider: nfvo
        product_name: nfvo-5gc-nrf
        software_version: "1.0.0"
        vnfm_info: ["etsivnfm:v4.2.1"]
        flavour_id: default
        flavour_description: one NRF
"""
MERGE = {"Content-Type": "application/merge-patch+json"}


async def _upload_package(client: Client, who: Tenant, archive: Path) -> tuple[str, Any]:
    """Create and upload as ``who``: the href, and what the upload was answered."""
    created = await client.post(PACKAGES, json={}, headers=who())
    href = (await created.json())["_links"]["self"]["href"]
    response = await client.put(
        f"{href}/package_content",
        data=archive.read_bytes(),
        headers=who(**{"Content-Type": "application/zip"}),
    )
    answer = await response.json(content_type=None) if response.status != 202 else None
    return href, (response.status, answer)


async def _onboard_nsd(client: Client, who: Tenant) -> dict[str, Any]:
    created = await client.post(NSDS, json={}, headers=who("nsd"))
    href = (await created.json())["_links"]["self"]["href"]
    response = await client.put(
        f"{href}/nsd_content",
        data=NSD.encode(),
        headers=who("nsd", **{"Content-Type": "text/plain"}),
    )
    assert response.status == 202, await response.text()
    return await wait_state(client, href, "nsd", headers=who("nsd"))


async def test_the_same_package_in_two_projects_tells_neither_about_the_other(
    tenants: Tenants, shipped: dict[str, Path]
) -> None:
    client, who = tenants
    red_href, _ = await _upload_package(client, who["red"], shipped["nrf"])
    red = await wait_state(client, red_href, headers=who["red"]())
    assert red["onboardingState"] == "ONBOARDED"
    blue_href, (status, answer) = await _upload_package(client, who["blue"], shipped["nrf"])
    assert status == 202, answer  # no duplicate refusal across projects
    blue = await wait_state(client, blue_href, headers=who["blue"]())
    assert blue["onboardingState"] == "ONBOARDED", blue.get("onboardingFailureDetails")
    assert red["id"] not in text_of(answer, blue)
    # Within one project the vnfdId stays unique, and the refusal names its own entry.
    again_href, (status, answer) = await _upload_package(client, who["blue"], shipped["nrf"])
    assert status == 409 and blue["id"] in answer["detail"]
    assert red["id"] not in text_of(answer)
    assert (await client.get(again_href, headers=who["blue"]())).status == 200


async def test_an_nsd_resolves_only_its_own_and_shared_vnfds(
    tenants: Tenants, shipped: dict[str, Path]
) -> None:
    client, who = tenants
    red_href, _ = await _upload_package(client, who["red"], shipped["nrf"])
    red = await wait_state(client, red_href, headers=who["red"]())
    blue_nsd = await _onboard_nsd(client, who["blue"])
    assert blue_nsd["nsdOnboardingState"] == "ERROR"
    problems = blue_nsd["onboardingFailureDetails"]["problems"]
    assert [problem["code"] for problem in problems] == ["missing-vnfd"]
    assert red["id"] not in text_of(blue_nsd)

    # Only an administrator publishes a package to every project.
    refused = await client.patch(
        red_href,
        json={"userDefinedData": {"nfvo.shared": True}},
        headers=who["red"](**MERGE),
    )
    assert refused.status == 403
    created = await client.post(
        PACKAGES, json={"userDefinedData": {"nfvo.shared": True}}, headers=who["blue"]()
    )
    assert created.status == 403
    published = await client.patch(
        red_href,
        json={"userDefinedData": {"nfvo.shared": True}},
        headers=who["admin"](**MERGE),
    )
    assert published.status == 200, await published.text()
    blue_nsd = await _onboard_nsd(client, who["blue"])
    assert blue_nsd["nsdOnboardingState"] == "ONBOARDED", blue_nsd["onboardingFailureDetails"]
    assert blue_nsd["vnfPkgIds"] == [red["id"]]
    shared = await client.get(red_href, headers=who["blue"]())
    assert shared.status == 200  # readable once shared, never changeable
    changed = await client.patch(
        red_href, json={"userDefinedData": {"x": 1}}, headers=who["blue"](**MERGE)
    )
    assert changed.status == 404


async def test_the_vnfm_is_not_given_one_tenants_package_for_another(
    tenants: Tenants, shipped: dict[str, Path]
) -> None:
    client, who = tenants
    hrefs = [
        (await _upload_package(client, who[name], shipped["nrf"]))[0] for name in ("red", "blue")
    ]
    for href, name in zip(hrefs, ("red", "blue"), strict=True):
        assert (await wait_state(client, href, headers=who[name]()))[
            "onboardingState"
        ] == "ONBOARDED"
    face = f"/vnfpkgm/v2/onboarded_vnf_packages/{NRF_VNFD}"
    response = await client.get(face, headers=who["vnfm"]())
    assert response.status == 409  # two projects' packages: no guess
    assert (await client.get(face, headers=who["red"]())).status == 403
