"""/nsd/v2 end to end: the 5GC NSD after its VNFs, missing VNFDs, late binding, PNFDs."""

from __future__ import annotations

import asyncio
import io
import zipfile
from pathlib import Path
from typing import Any

from tests.integration.catalog import etsi
from tests.integration.catalog.conftest import (
    VERSIONS,
    VNF_NAMES,
    Client,
    ServeFactory,
    create,
    onboard,
    wait_state,
)

V = VERSIONS["nsd"]
NSDS = "/nsd/v2/ns_descriptors"
PNFDS = "/nsd/v2/pnf_descriptors"
MERGE = {**V, "Content-Type": "application/merge-patch+json"}
PLAIN_NSD = """\
tosca_definitions_version: tosca_simple_yaml_1_3
imports:
  - https://forge.etsi.org/rep/nfv/SOL001/raw/v4.2.1/etsi_nfv_sol001_common_types.yaml
  - https://forge.etsi.org/rep/nfv/SOL001/raw/v4.2.1/etsi_nfv_sol001_nsd_types.yaml
topology_template:
  node_templates:
    ns:
      type: tosca.nodes.nfv.NS
      properties:
        descriptor_id: 0d2b7f8e-0000-4000-8000-000000000001
        designer: tests
        version: "1.0"
        name: plain
        invariant_id: 0d2b7f8e-0000-4000-8000-000000000002
        flavour_id: default
"""
PNFD = """\
tosca_definitions_version: tosca_simple_yaml_1_3
topology_template:
  node_templates:
    gnb:
      type: tosca.nodes.nfv.PNF
      properties:
        descriptor_id: 7c1e0d5a-0000-4000-8000-000000000003
        provider: tests
        name: gnb
        version: "1.0"
        descriptor_invariant_id: 7c1e0d5a-0000-4000-8000-000000000004
        function_description: a gNB
"""


def conforms(path: str, method: str, status: int, body: Any) -> None:
    if etsi.available():
        etsi.validate("nsd", path, method, status, body)


async def _onboard_core(client: Client, shipped: dict[str, Path]) -> list[dict[str, Any]]:
    return list(await asyncio.gather(*(onboard(client, shipped[n]) for n in VNF_NAMES)))


async def test_the_5gc_nsd_onboards_after_its_vnfs(
    client: Client, shipped: dict[str, Path]
) -> None:
    packages = await _onboard_core(client, shipped)
    assert {p["onboardingState"] for p in packages} == {"ONBOARDED"}
    body = await onboard(client, shipped["5gc-sa"], "nsd")
    assert body["nsdOnboardingState"] == "ONBOARDED", body.get("onboardingFailureDetails")
    assert body["nsdOperationalState"] == "ENABLED"
    assert sorted(body["vnfPkgIds"]) == sorted(p["id"] for p in packages)
    conforms("/ns_descriptors/{nsdInfoId}", "get", 200, body)
    listed = await client.get(NSDS, params={"filter": "(eq,nsdName,5gc-sa)"}, headers=V)
    documents = await listed.json()
    conforms("/ns_descriptors", "get", 200, documents)
    assert [d["id"] for d in documents] == [body["id"]]
    href = body["_links"]["self"]["href"]
    nsd_zip = await client.get(f"{href}/nsd", headers={**V, "Accept": "application/zip"})
    names = zipfile.ZipFile(io.BytesIO(await nsd_zip.read())).namelist()
    assert "Definitions/5gc_sa_nsd.yaml" in names
    manifest = await client.get(f"{href}/manifest", headers={**V, "Accept": "text/plain"})
    assert manifest.status == 200
    content = await client.get(f"{href}/nsd_content", headers=V)
    assert await content.read() == shipped["5gc-sa"].read_bytes()


async def test_an_nsd_whose_vnfds_are_missing_is_error_naming_them(
    client: Client, shipped: dict[str, Path]
) -> None:
    await onboard(client, shipped["nrf"])
    body = await onboard(client, shipped["5gc-sa"], "nsd")
    assert body["nsdOnboardingState"] == "ERROR"
    details = body["onboardingFailureDetails"]
    assert [p["code"] for p in details["problems"]] == ["missing-vnfd"]
    assert details["detail"].count(",") == len(VNF_NAMES) - 2  # eight ids, nrf's is not
    conforms("/ns_descriptors/{nsdInfoId}", "get", 200, body)


async def test_late_binding_onboards_without_the_vnfds(
    serve_catalogue: ServeFactory, shipped: dict[str, Path]
) -> None:
    client = await serve_catalogue(nsd_late_binding=True)
    body = await onboard(client, shipped["5gc-sa"], "nsd")
    assert body["nsdOnboardingState"] == "ONBOARDED"
    assert body["vnfPkgIds"] == []


async def test_plain_yaml_nsd_patch_and_delete(client: Client) -> None:
    body = await onboard(client, PLAIN_NSD.encode(), "nsd", content_type="text/plain")
    assert body["nsdOnboardingState"] == "ONBOARDED", body.get("onboardingFailureDetails")
    href = body["_links"]["self"]["href"]
    as_text = await client.get(f"{href}/nsd", headers={**V, "Accept": "text/plain"})
    assert as_text.status == 200 and "tosca.nodes.nfv.NS" in await as_text.text()
    refused = await client.delete(href, headers=V)
    assert refused.status == 409
    conforms("/ns_descriptors/{nsdInfoId}", "delete", 409, await refused.json(content_type=None))
    etag = (await client.get(href, headers=V)).headers["ETag"]
    stale = await client.patch(
        href, json={"nsdOperationalState": "DISABLED"}, headers={**MERGE, "If-Match": '"x"'}
    )
    assert stale.status == 412
    disabled = await client.patch(
        href, json={"nsdOperationalState": "DISABLED"}, headers={**MERGE, "If-Match": etag}
    )
    assert disabled.status == 200
    conforms("/ns_descriptors/{nsdInfoId}", "patch", 200, await disabled.json())
    assert (await client.delete(href, headers=V)).status == 204


async def test_pnfd_onboarding(client: Client) -> None:
    response = await client.post(PNFDS, json={}, headers=V)
    assert response.status == 201
    created = await response.json()
    conforms("/pnf_descriptors", "post", 201, created)
    href = created["_links"]["self"]["href"]
    upload = await client.put(
        f"{href}/pnfd_content", data=PNFD.encode(), headers={**V, "Content-Type": "text/plain"}
    )
    assert upload.status == 202
    body = await wait_state(client, href, "nsd")
    assert body["pnfdOnboardingState"] == "ONBOARDED", body
    assert body["pnfdId"] == "7c1e0d5a-0000-4000-8000-000000000003"
    pnfd = await client.get(f"{href}/pnfd", headers={**V, "Accept": "text/plain"})
    assert "tosca.nodes.nfv.PNF" in await pnfd.text()
    listed = await client.get(PNFDS, headers=V)
    assert [d["id"] for d in await listed.json()] == [created["id"]]
    assert (await client.delete(href, headers=V)).status == 204


async def test_nsd_errors_are_problem_details(client: Client) -> None:
    missing = await client.get(f"{NSDS}/nope", headers=V)
    assert missing.status == 404
    conforms("/ns_descriptors/{nsdInfoId}", "get", 404, await missing.json(content_type=None))
    created = await create(client, "nsd")
    early = await client.get(f"{created['_links']['self']['href']}/nsd", headers=V)
    assert early.status == 409
