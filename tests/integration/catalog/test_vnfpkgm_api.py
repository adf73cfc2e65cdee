"""/vnfpkgm/v2 end to end on loopback: onboarding, reads, PATCH, DELETE, conformance.

Every body, status and the headers SOL005 demands are checked against ETSI's own
OpenAPI document (skipped when the shared folder is absent).
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path
from typing import Any

import pytest
from yarl import URL

from tests.integration.catalog import etsi
from tests.integration.catalog.conftest import (
    VERSIONS,
    VNF_NAMES,
    ZIP,
    Client,
    ServeFactory,
    create,
    onboard,
)

V = VERSIONS["vnfpkgm"]
PKGS = "/vnfpkgm/v2/vnf_packages"
MERGE = {**V, "Content-Type": "application/merge-patch+json"}


def conforms(path: str, method: str, status: int, body: Any) -> None:
    if etsi.available():
        etsi.validate("vnfpkgm", path, method, status, body)


async def problem(response: Any, status: int, path: str, method: str) -> dict[str, Any]:
    assert response.status == status, await response.text()
    assert response.content_type == "application/problem+json"
    assert response.headers["Version"] == "2.4.0"
    body: dict[str, Any] = await response.json(content_type=None)
    conforms(path, method, status, body)
    return body


@pytest.mark.parametrize("name", VNF_NAMES)
async def test_every_shipped_vnf_package_onboards_and_conforms(
    client: Client, shipped: dict[str, Path], name: str
) -> None:
    body = await onboard(client, shipped[name])
    assert body["onboardingState"] == "ONBOARDED", body.get("onboardingFailureDetails")
    assert (body["operationalState"], body["usageState"]) == ("ENABLED", "NOT_IN_USE")
    assert body["vnfProductName"] == f"nfvo-5gc-{name}"
    conforms("/vnf_packages/{vnfPkgId}", "get", 200, body)
    images = body["softwareImages"]
    assert images and all(not image["imagePath"].startswith("..") for image in images)
    artifact_paths = {item["artifactPath"] for item in body["additionalArtifacts"]}
    assert not artifact_paths & {image["imagePath"] for image in images}


async def test_create_list_show_conform(client: Client) -> None:
    response = await client.post(PKGS, json={"userDefinedData": {"team": "core"}}, headers=V)
    assert response.status == 201
    created = await response.json()
    conforms("/vnf_packages", "post", 201, created)
    assert response.headers["Location"] == created["_links"]["self"]["href"]
    assert (created["onboardingState"], created["operationalState"]) == ("CREATED", "DISABLED")
    listed = await client.get(PKGS, headers=V)
    assert listed.status == 200
    documents = await listed.json()
    conforms("/vnf_packages", "get", 200, documents)
    assert [d["id"] for d in documents] == [created["id"]]
    assert "userDefinedData" not in documents[0]  # excluded by default (9.4.2.3.2)
    shown = await client.get(created["_links"]["self"]["href"], headers=V)
    assert shown.headers["ETag"]
    conforms("/vnf_packages/{vnfPkgId}", "get", 200, await shown.json())


async def test_filters_are_served_from_indexes_and_residuals(
    client: Client, shipped: dict[str, Path]
) -> None:
    onboarded = await onboard(client, shipped["nrf"])
    await create(client)
    for query, expected in (
        ("(eq,onboardingState,ONBOARDED)", [onboarded["id"]]),
        ("(eq,onboardingState,CREATED);(eq,operationalState,ENABLED)", []),
        ("(cont,vnfProductName,nrf)", [onboarded["id"]]),
        ("(eq,vnfdId,nope)", []),
    ):
        response = await client.get(PKGS, params={"filter": query}, headers=V)
        assert response.status == 200
        assert [d["id"] for d in await response.json()] == expected, query
    bad = await client.get(PKGS, params={"filter": "(eq,onboardingState"}, headers=V)
    await problem(bad, 400, "/vnf_packages", "get")


@pytest.mark.parametrize(
    "query",
    [
        {},  # every record: the ordering set alone
        {"filter": "(eq,onboardingState,CREATED)"},  # an index alone: only the page is read
        {"filter": "(neq,usageState,IN_USE)"},  # a residual: every record read, then paged
    ],
)
async def test_pages_follow_link_next_to_the_end(client: Client, query: dict[str, str]) -> None:
    created = [(await create(client))["id"] for _ in range(130)]  # pages keep this order
    seen: list[str] = []
    url: str | None = PKGS
    params: dict[str, str] | None = query
    pages = 0
    while url is not None:
        response = await client.get(url, params=params, headers=V)
        assert response.status == 200
        seen += [document["id"] for document in await response.json()]
        link = response.headers.get("Link")
        url = URL(link.split(">")[0].lstrip("<")).path_qs if link else None
        params, pages = None, pages + 1
    assert pages == 2 and seen == created


async def test_reads_of_an_onboarded_package(client: Client, shipped: dict[str, Path]) -> None:
    body = await onboard(client, shipped["amf"])
    href = body["_links"]["self"]["href"]
    vnfd_zip = await client.get(f"{href}/vnfd", headers={**V, "Accept": ZIP})
    assert vnfd_zip.status == 200 and vnfd_zip.content_type == ZIP
    names = zipfile.ZipFile(io.BytesIO(await vnfd_zip.read())).namelist()
    assert "TOSCA-Metadata/TOSCA.meta" in names and any(n.startswith("Definitions/") for n in names)
    as_text = await client.get(f"{href}/vnfd", headers={**V, "Accept": "text/plain"})
    await problem(as_text, 406, "/vnf_packages/{vnfPkgId}/vnfd", "get")  # several files
    manifest = await client.get(f"{href}/manifest", headers={**V, "Accept": "text/plain"})
    assert manifest.status == 200 and "vnf_product_name" in await manifest.text()
    content = await client.get(f"{href}/package_content", headers=V)
    assert content.status == 200
    assert await content.read() == shipped["amf"].read_bytes()
    everything = await client.get(f"{href}/artifacts", headers=V)
    assert "ChangeLog.txt" in zipfile.ZipFile(io.BytesIO(await everything.read())).namelist()


async def test_range_on_artifacts_and_content(client: Client, shipped: dict[str, Path]) -> None:
    body = await onboard(client, shipped["upf"])
    href = body["_links"]["self"]["href"]
    image = body["softwareImages"][0]["imagePath"]
    whole = await client.get(f"{href}/artifacts/{image}", headers=V)
    data = await whole.read()
    assert whole.status == 200 and len(data) == body["softwareImages"][0]["size"]
    part = await client.get(f"{href}/artifacts/{image}", headers={**V, "Range": "bytes=10-19"})
    assert part.status == 206
    assert part.headers["Content-Range"] == f"bytes 10-19/{len(data)}"
    assert await part.read() == data[10:20]
    tail = await client.get(f"{href}/package_content", headers={**V, "Range": "bytes=-5"})
    assert tail.status == 206 and await tail.read() == shipped["upf"].read_bytes()[-5:]
    beyond = await client.get(
        f"{href}/artifacts/{image}", headers={**V, "Range": f"bytes={len(data) + 5}-"}
    )
    assert beyond.status == 416
    assert beyond.headers["Content-Range"] == f"bytes */{len(data)}"
    missing = await client.get(f"{href}/artifacts/Files/nothing.bin", headers=V)
    await problem(missing, 404, "/vnf_packages/{vnfPkgId}/artifacts/{artifactPath}", "get")


async def test_sol003_face_reads_by_vnfd_id(client: Client, shipped: dict[str, Path]) -> None:
    body = await onboard(client, shipped["smf"])
    base = f"/vnfpkgm/v2/onboarded_vnf_packages/{body['vnfdId']}"
    shown = await client.get(base, headers=V)
    assert shown.status == 200 and (await shown.json())["id"] == body["id"]
    for tail in ("/vnfd", "/manifest", "/package_content", "/artifacts"):
        response = await client.get(base + tail, headers={**V, "Accept": "*/*"})
        assert response.status == 200, tail
    unknown = await client.get("/vnfpkgm/v2/onboarded_vnf_packages/nope/vnfd", headers=V)
    assert unknown.status == 404


async def test_patch_with_etag_and_if_match(client: Client, shipped: dict[str, Path]) -> None:
    body = await onboard(client, shipped["ausf"])
    href = body["_links"]["self"]["href"]
    etag = (await client.get(href, headers=V)).headers["ETag"]
    stale = await client.patch(
        href, json={"operationalState": "DISABLED"}, headers={**MERGE, "If-Match": '"old"'}
    )
    await problem(stale, 412, "/vnf_packages/{vnfPkgId}", "patch")
    disabled = await client.patch(
        href, json={"operationalState": "DISABLED"}, headers={**MERGE, "If-Match": etag}
    )
    assert disabled.status == 200
    conforms("/vnf_packages/{vnfPkgId}", "patch", 200, await disabled.json())
    assert disabled.headers["ETag"] != etag
    again = await client.patch(href, json={"operationalState": "DISABLED"}, headers=MERGE)
    await problem(again, 409, "/vnf_packages/{vnfPkgId}", "patch")
    annotated = await client.patch(
        href, json={"userDefinedData": {"a": 1, "b": {"c": 2}}}, headers=MERGE
    )
    assert annotated.status == 200
    await client.patch(href, json={"userDefinedData": {"a": None, "b": {"d": 3}}}, headers=MERGE)
    shown = await (await client.get(href + "?all_fields", headers=V)).json()
    assert shown["userDefinedData"] == {"b": {"c": 2, "d": 3}}
    invalid = await client.patch(href, json={"operationalState": "BROKEN"}, headers=MERGE)
    assert invalid.status == 422
    created = await create(client)
    early = await client.patch(
        created["_links"]["self"]["href"], json={"operationalState": "ENABLED"}, headers=MERGE
    )
    assert "CREATED" in (await problem(early, 409, "/vnf_packages/{vnfPkgId}", "patch"))["detail"]


async def test_delete_only_when_disabled_and_not_in_use(
    client: Client, shipped: dict[str, Path]
) -> None:
    body = await onboard(client, shipped["udm"])
    href = body["_links"]["self"]["href"]
    refused = await client.delete(href, headers=V)
    detail = (await problem(refused, 409, "/vnf_packages/{vnfPkgId}", "delete"))["detail"]
    assert "ENABLED" in detail
    await client.patch(href, json={"operationalState": "DISABLED"}, headers=MERGE)
    deleted = await client.delete(href, headers=V)
    assert deleted.status == 204
    gone = await client.get(href, headers=V)
    await problem(gone, 404, "/vnf_packages/{vnfPkgId}", "get")
    fresh = await create(client)
    assert (await client.delete(fresh["_links"]["self"]["href"], headers=V)).status == 204


async def test_upload_rules(client: Client, shipped: dict[str, Path]) -> None:
    first = await onboard(client, shipped["udr"])
    assert first["onboardingState"] == "ONBOARDED"
    second = await create(client)
    href = second["_links"]["self"]["href"]
    headers = {**V, "Content-Type": ZIP}
    duplicate = await client.put(
        f"{href}/package_content", data=shipped["udr"].read_bytes(), headers=headers
    )
    detail = await problem(duplicate, 409, "/vnf_packages/{vnfPkgId}/package_content", "put")
    assert first["id"] in detail["detail"]
    again = await (await client.get(href, headers=V)).json()
    assert again["onboardingState"] == "CREATED"
    json_body = await client.put(f"{href}/package_content", json={}, headers=V)
    assert json_body.status == 415
    twice = await client.put(
        f"{first['_links']['self']['href']}/package_content", data=b"PK", headers=headers
    )
    await problem(twice, 409, "/vnf_packages/{vnfPkgId}/package_content", "put")


async def test_content_over_the_size_bound_is_413(serve_catalogue: ServeFactory) -> None:
    client = await serve_catalogue(package_max_bytes=1000)
    created = await create(client)
    href = created["_links"]["self"]["href"]
    response = await client.put(
        f"{href}/package_content", data=b"x" * 5000, headers={**V, "Content-Type": ZIP}
    )
    assert response.status == 413
    assert "1000" in (await response.json(content_type=None))["detail"]
    after = await (await client.get(href, headers=V)).json()
    assert after["onboardingState"] == "CREATED"


async def test_broken_content_is_error_with_every_problem(client: Client) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("TOSCA-Metadata/TOSCA.meta", "TOSCA-Meta-File-Version: 1.0\n")
    body = await onboard(client, buffer.getvalue())
    assert body["onboardingState"] == "ERROR"
    assert body["operationalState"] == "DISABLED"
    details = body["onboardingFailureDetails"]
    assert details["status"] and details["problems"]
    for item in details["problems"]:
        assert item["message"] in details["detail"]
    conforms("/vnf_packages/{vnfPkgId}", "get", 200, body)
    not_a_zip = await onboard(client, b"this is not a zip")
    assert not_a_zip["onboardingState"] == "ERROR"


async def test_errors_are_problem_details(client: Client) -> None:
    missing = await client.get(f"{PKGS}/no-such-package", headers=V)
    await problem(missing, 404, "/vnf_packages/{vnfPkgId}", "get")
    odd = await client.get(f"{PKGS}/a%20b", headers=V)
    await problem(odd, 404, "/vnf_packages/{vnfPkgId}", "get")
    created = await create(client)
    href = created["_links"]["self"]["href"]
    not_yet = await client.get(f"{href}/vnfd", headers=V)
    await problem(not_yet, 409, "/vnf_packages/{vnfPkgId}/vnfd", "get")
    content = await client.get(f"{href}/package_content", headers=V)
    await problem(content, 409, "/vnf_packages/{vnfPkgId}/package_content", "get")
    unversioned = await client.get(PKGS)
    assert unversioned.status == 400
