"""Items 14 to 20: where the catalogue answered otherwise than SOL005 and SOL013 say.

14. an unknown query parameter on any list is a 400 naming it (it was ignored: a typo
    in a filter's name returned the whole list);
15. ``nsd_content`` honours ``Accept`` (a zip was served to ``Accept: text/plain``);
16. ``exclude_fields`` keeps the mandatory ``id`` and ``_links``, as ``fields`` does;
17. ``PUT .../pnfd_content`` answers 202: SOL005 V3.7.1 clause 5.4.7.3.3 lists 202
    for the asynchronous mode (and 204 for a synchronous one); onboarding is a job here;
18. an ``Authorization`` of another scheme is RFC 6750's missing credentials (401, the
    bare challenge); a malformed ``Bearer`` header its ``invalid_request`` (400);
19. subscription lists are paged like every list;
20. ``upload_from_uri`` answers an entry's state (409) before looking at the address.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path
from typing import Any

import yaml

from nfvo.sol.paging import Paging
from tests.conftest import SHARED_DIR
from tests.integration.catalog.conftest import create, onboard, wait_state
from tests.integration.sol.subscribers import Subscriber
from tests.security.conftest import NSDS, PACKAGES, PNFDS, VERSIONS, Client, ServeFactory, Tenants

PNFD = """\
tosca_definitions_version: tosca_simple_yaml_1_3
topology_template:
  node_templates:
    gnb:
      type: tosca.nodes.nfv.PNF
      properties:
        descriptor_id: 7c1e0d5a-0000-4000-8000-0000000000a3
        provider: tests
        name: gnb
        version: "1.0"
        descriptor_invariant_id: 7c1e0d5a-0000-4000-8000-0000000000a4
        function_description: a gNB
"""
PAGE_SIZE = Paging(b"only its default page size is read").page_size
LISTS = [
    (PACKAGES, "vnfpkgm"),
    ("/vnfpkgm/v2/subscriptions", "vnfpkgm"),
    (NSDS, "nsd"),
    (PNFDS, "nsd"),
    ("/nsd/v2/subscriptions", "nsd"),
]


async def test_unknown_query_parameters_are_400_on_every_list(
    serve_catalogue: ServeFactory,
) -> None:
    client = await serve_catalogue()
    await create(client)
    for container, api in LISTS:
        response = await client.get(container, params={"wrongName": "x"}, headers=VERSIONS[api])
        assert response.status == 400, container
        assert "'wrongName'" in (await response.json())["detail"]
    # what a list declares is still accepted
    fine = await client.get(PACKAGES, params={"filter": "(eq,onboardingState,CREATED)"},
                            headers=VERSIONS["vnfpkgm"])  # fmt: skip
    assert fine.status == 200 and len(await fine.json()) == 1


def _zip(text: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("pnfd.yaml", text)
    return buffer.getvalue()


async def test_content_is_served_only_in_its_own_media_type(
    serve_catalogue: ServeFactory, shipped: dict[str, Path]
) -> None:
    client = await serve_catalogue(nsd_late_binding=True)
    nsd = await onboard(client, shipped["5gc-sa"], "nsd")
    assert nsd["nsdOnboardingState"] == "ONBOARDED", nsd.get("onboardingFailureDetails")
    content = f"{nsd['_links']['self']['href']}/nsd_content"
    refused = await client.get(content, headers={**VERSIONS["nsd"], "Accept": "text/plain"})
    assert refused.status == 406
    assert "application/zip" in (await refused.json())["detail"]
    served = await client.get(content, headers={**VERSIONS["nsd"], "Accept": "application/zip"})
    assert served.status == 200 and (await served.read())[:2] == b"PK"

    created = await client.post(PNFDS, json={}, headers=VERSIONS["nsd"])
    href = (await created.json())["_links"]["self"]["href"]
    await client.put(
        f"{href}/pnfd_content",
        data=PNFD.encode(),
        headers={**VERSIONS["nsd"], "Content-Type": "text/plain"},
    )
    assert (await wait_state(client, href, "nsd"))["pnfdOnboardingState"] == "ONBOARDED"
    zipped = await client.get(
        f"{href}/pnfd_content", headers={**VERSIONS["nsd"], "Accept": "application/zip"}
    )
    assert zipped.status == 406


async def test_exclude_fields_keeps_the_mandatory_attributes(
    serve_catalogue: ServeFactory,
) -> None:
    client = await serve_catalogue()
    await create(client, userDefinedData={"k": "v"})
    for api, container in (("vnfpkgm", PACKAGES), ("nsd", NSDS)):
        if api == "nsd":
            await create(client, "nsd")
        response = await client.get(
            container,
            params={"exclude_fields": "id,_links,_links/self,userDefinedData"},
            headers=VERSIONS[api],
        )
        [item] = await response.json()
        assert item["id"] and item["_links"]["self"]["href"].endswith(item["id"])
        assert "userDefinedData" not in item


async def test_pnfd_content_upload_is_202_as_the_asynchronous_mode_says(
    serve_catalogue: ServeFactory,
) -> None:
    client = await serve_catalogue()
    created = await client.post(PNFDS, json={}, headers=VERSIONS["nsd"])
    href = (await created.json())["_links"]["self"]["href"]
    response = await client.put(
        f"{href}/pnfd_content",
        data=_zip(PNFD),
        headers={**VERSIONS["nsd"], "Content-Type": "application/zip"},
    )
    assert response.status == 202
    assert await response.read() == b""  # "the response body shall be empty"
    body = await wait_state(client, href, "nsd")
    assert body["pnfdOnboardingState"] == "ONBOARDED"
    document = SHARED_DIR / "etsi/openapi/3.7.1/nfv-sol005/SOL005/NSDManagement/NSDManagement.yaml"
    if document.is_file():  # ETSI's own list of the operation's answers, where present
        paths = yaml.safe_load(document.read_text())["paths"]
        operation = paths["/pnf_descriptors/{pnfdInfoId}/pnfd_content"]["put"]
        assert 202 in {int(code) for code in operation["responses"]}


async def test_other_authorization_schemes_follow_rfc_6750(tenants: Tenants) -> None:
    client, who = tenants
    for header in ("Basic cmVkOnNlY3JldA==", "Token abc", "Digest x=1"):
        response = await client.get(
            PACKAGES, headers={**VERSIONS["vnfpkgm"], "Authorization": header}
        )
        assert response.status == 401, header
        assert response.headers["WWW-Authenticate"] == 'Bearer realm="nfvo"'
    for header in ("Bearer", "Bearer ", "Bearer a b"):
        response = await client.get(
            PACKAGES, headers={**VERSIONS["vnfpkgm"], "Authorization": header}
        )
        assert response.status == 400, header
        assert 'error="invalid_request"' in response.headers["WWW-Authenticate"]
        assert (await response.json())["status"] == 400
    assert (await client.get(PACKAGES, headers=who["red"]())).status == 200


async def _pages(client: Client, url: str, params: dict[str, str]) -> list[list[dict[str, Any]]]:
    pages, headers = [], VERSIONS["vnfpkgm"]
    response = await client.get(url, params=params, headers=headers)
    while True:
        assert response.status == 200, await response.text()
        pages.append(await response.json())
        link = response.links.get("next")
        if link is None:
            return pages
        response = await client.get(link["url"].path_qs, headers=headers)


async def test_subscription_lists_are_paged(serve_catalogue: ServeFactory) -> None:
    client = await serve_catalogue()
    subscriber = await Subscriber().start()
    try:
        made = []
        for n in range(PAGE_SIZE + 3):
            body = {"callbackUri": f"{subscriber.url}?n={n}"}
            response = await client.post(
                "/vnfpkgm/v2/subscriptions", json=body, headers=VERSIONS["vnfpkgm"]
            )
            assert response.status == 201, await response.text()
            made.append((await response.json())["id"])
    finally:
        await subscriber.stop()
    for params in ({}, {"filter": "(cont,callbackUri,callback)"}):
        pages = await _pages(client, "/vnfpkgm/v2/subscriptions", params)
        assert [len(page) for page in pages] == [PAGE_SIZE, 3]
        assert [item["id"] for page in pages for item in page] == made


async def test_upload_from_uri_answers_the_state_before_the_address(
    serve_catalogue: ServeFactory,
) -> None:
    client = await serve_catalogue()
    href = (await create(client))["_links"]["self"]["href"]
    garbage = {**VERSIONS["vnfpkgm"], "Content-Type": "application/zip"}
    await client.put(f"{href}/package_content", data=b"not a zip", headers=garbage)
    assert (await wait_state(client, href))["onboardingState"] == "ERROR"
    response = await client.post(
        f"{href}/package_content/upload_from_uri",
        json={"addressInformation": "http://127.0.0.1:6379/"},
        headers=VERSIONS["vnfpkgm"],
    )
    assert response.status == 409
    detail = (await response.json())["detail"]
    assert "ERROR" in detail and "127.0.0.1" not in detail
