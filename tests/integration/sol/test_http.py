"""The SOL013 plumbing served on loopback: errors, versions, negotiation, bodies."""

from __future__ import annotations

import json
import logging
import re
from typing import Any

import jsonschema
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from tests.integration.sol.widgets_api import VERSION, make_app

Client = TestClient[web.Request, web.Application]
JSON = {**VERSION, "Content-Type": "application/json"}
MERGE = {**VERSION, "Content-Type": "application/merge-patch+json"}


def validator(definitions: dict[str, Any], name: str) -> jsonschema.Draft7Validator:
    # ETSI's definitions refer to each other as "#/definitions/X".
    return jsonschema.Draft7Validator({"$ref": f"#/definitions/{name}", "definitions": definitions})


async def problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status == status, await response.text()
    assert response.content_type == "application/problem+json"
    body: dict[str, Any] = await response.json(content_type=None)
    assert body["status"] == status
    assert body["detail"]
    return body


async def create(client: Client, **fields: Any) -> dict[str, Any]:
    body = {"name": "w", "size": 1, **fields}
    response = await client.post("/widgets/v1/widgets", json=body, headers=VERSION)
    assert response.status == 201, await response.text()
    created: dict[str, Any] = await response.json()
    assert response.headers["Location"] == created["_links"]["href"]
    return created


async def test_unknown_route_is_a_404_problem_with_version(client: Client) -> None:
    response = await client.get("/widgets/v1/gadgets", headers=VERSION)
    body = await problem(response, 404)
    assert "/widgets/v1/gadgets" in body["detail"]
    assert response.headers["Version"] == "1.1.0"
    outside = await client.get("/nowhere")
    assert "/nowhere" in (await problem(outside, 404))["detail"]


@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [
        ("DELETE", "/widgets/v1/widgets", "GET,POST"),
        ("PUT", "/widgets/v1/widgets/x", "GET,PATCH"),
        ("POST", "/widgets/api_versions", "GET"),
        ("DELETE", "/widgets/v1/api_versions", "GET"),
    ],
)
async def test_unlisted_methods_are_405_with_allow(
    client: Client, method: str, path: str, allowed: str
) -> None:
    response = await client.request(method, path, headers=VERSION)
    body = await problem(response, 405)
    assert response.headers["Allow"] == allowed
    assert method in body["detail"] and path in body["detail"]
    assert response.headers["Version"]


async def test_missing_version_is_400_and_unsupported_is_406(client: Client) -> None:
    missing = await client.get("/widgets/v1/widgets")
    assert "Version" in (await problem(missing, 400))["detail"]
    assert missing.headers["Version"] == "1.1.0"
    unsupported = await client.get("/widgets/v1/widgets", headers={"Version": "2.0.0"})
    body = await problem(unsupported, 406)
    assert "2.0.0" in body["detail"] and "1.1.0" in body["detail"]
    older = await client.get("/widgets/v1/widgets", headers={"Version": "1.0.0"})
    assert older.status == 200 and older.headers["Version"] == "1.0.0"
    impl = await client.get("/widgets/v1/widgets", headers={"Version": "1.1.0-impl:x:y:1"})
    assert impl.status == 200
    malformed = await client.get("/widgets/v1/widgets", headers={"Version": "latest"})
    assert "version identifier" in (await problem(malformed, 400))["detail"]


@pytest.mark.parametrize("path", ["/widgets/api_versions", "/widgets/v1/api_versions"])
async def test_api_versions_conform_to_etsi(
    client: Client, path: str, etsi_definitions: dict[str, Any]
) -> None:
    response = await client.get(path)  # discovery needs no Version header
    assert response.status == 200
    body = await response.json()
    validator(etsi_definitions, "ApiVersionInformation").validate(body)
    assert body["uriPrefix"].endswith("/widgets/v1")
    assert [v["version"] for v in body["apiVersions"]] == ["1.0.0", "1.1.0"]
    assert response.headers["Version"] == "1.1.0"


async def test_error_bodies_conform_to_etsi_problem_details(
    client: Client, etsi_definitions: dict[str, Any]
) -> None:
    check = validator(etsi_definitions, "ProblemDetails")
    responses = [
        await client.get("/nowhere"),
        await client.delete("/widgets/v1/widgets", headers=VERSION),
        await client.get("/widgets/v1/widgets"),
        await client.get("/widgets/v1/widgets", headers={**VERSION, "Accept": "text/html"}),
        await client.post("/widgets/v1/widgets", data=b"{", headers=JSON),
        await client.get("/widgets/v1/boom", headers=VERSION),
    ]
    for response in responses:
        assert response.content_type == "application/problem+json"
        check.validate(await response.json(content_type=None))


@pytest.mark.parametrize(
    ("accept", "status"),
    [
        ("text/html", 406),
        ("application/xml, text/*", 406),
        ("application/json;q=0", 406),
        ("application/json", 200),
        ("*/*", 200),
        ("application/*", 200),
        ("text/html, application/json;q=0.5", 200),
    ],
)
async def test_accept_is_negotiated(client: Client, accept: str, status: int) -> None:
    response = await client.get("/widgets/v1/widgets", headers={**VERSION, "Accept": accept})
    assert response.status == status
    if status == 406:
        assert "application/json" in (await problem(response, 406))["detail"]


async def test_unsupported_content_type_is_415_naming_the_expected(client: Client) -> None:
    response = await client.post(
        "/widgets/v1/widgets", data=b"name=w", headers={**VERSION, "Content-Type": "text/plain"}
    )
    assert "application/json" in (await problem(response, 415))["detail"]
    widget = await create(client)
    patch = await client.patch(widget["_links"]["href"], json={"size": 2}, headers=JSON)
    assert "application/merge-patch+json" in (await problem(patch, 415))["detail"]


async def test_malformed_json_is_400_naming_line_and_column(client: Client) -> None:
    response = await client.post(
        "/widgets/v1/widgets", data=b'{"name": "w",\n  "size": 1,}', headers=JSON
    )
    detail = (await problem(response, 400))["detail"]
    assert "line 2" in detail and "column" in detail


async def test_invalid_body_is_422_naming_attribute_paths(client: Client) -> None:
    body = {"name": "w", "size": -1, "ports": [{"type": "sriov"}, {"numa": "x"}]}
    response = await client.post("/widgets/v1/widgets", json=body, headers=VERSION)
    detail = (await problem(response, 422))["detail"]
    assert "size:" in detail
    assert "ports[1].type:" in detail and "ports[1].numa:" in detail


async def test_body_too_large_is_413_problem(client: Client) -> None:
    big = b'{"name": "' + b"x" * (128 * 1024) + b'"}'
    response = await client.post("/widgets/v1/widgets", data=big, headers=JSON)
    assert "too large" in (await problem(response, 413))["detail"]


async def test_unexpected_failure_is_500_with_request_id_and_no_text(
    client: Client, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.ERROR, logger="nfvo.sol"):
        response = await client.get("/widgets/v1/boom", headers=VERSION)
    body = await problem(response, 500)
    text = await response.text()
    assert "hunter2" not in text and "Traceback" not in text and "RuntimeError" not in text
    request_id = response.headers["X-Request-Id"]
    assert request_id in body["detail"]
    assert any("hunter2" in (r.exc_text or "") for r in caplog.records)


async def test_etag_and_if_match(client: Client) -> None:
    href = (await create(client))["_links"]["href"]
    shown = await client.get(href, headers=VERSION)
    etag = shown.headers["ETag"]
    stale = await client.patch(
        href, data=b'{"size": 5}', headers={**MERGE, "If-Match": '"not-the-tag"'}
    )
    assert etag in (await problem(stale, 412))["detail"]
    fresh = await client.patch(href, data=b'{"size": 5}', headers={**MERGE, "If-Match": etag})
    assert fresh.status == 200 and (await fresh.json())["size"] == 5
    assert fresh.headers["ETag"] != etag
    again = await client.patch(href, data=b'{"size": 6}', headers={**MERGE, "If-Match": etag})
    await problem(again, 412)
    unconditional = await client.patch(href, data=b'{"size": 7}', headers=MERGE)
    assert unconditional.status == 200  # SOL013 does not demand If-Match (no 428)


async def test_merge_patch_merges_nested_and_removes_nulls(client: Client) -> None:
    widget = await create(client, extra={"a": 1, "b": {"c": 2, "d": 3}}, tags=["x"])
    patch = b'{"extra": {"a": null, "b": {"c": 20}}, "tags": ["y", "z"]}'
    response = await client.patch(widget["_links"]["href"], data=patch, headers=MERGE)
    body = await response.json()
    assert body["extra"] == {"b": {"c": 20, "d": 3}}
    assert body["tags"] == ["y", "z"]
    invalid = await client.patch(widget["_links"]["href"], data=b'{"size": "big"}', headers=MERGE)
    assert "size" in (await problem(invalid, 422))["detail"]


async def test_range_requests(client: Client) -> None:
    href = (await create(client))["_links"]["href"] + "/content"
    binary = {**VERSION, "Accept": "application/octet-stream"}
    whole = await client.get(href, headers=binary)
    assert whole.status == 200 and len(await whole.read()) == 1024
    part = await client.get(href, headers={**binary, "Range": "bytes=10-19"})
    assert part.status == 206 and await part.read() == bytes(range(10, 20))
    assert part.headers["Content-Range"] == "bytes 10-19/1024"
    tail = await client.get(href, headers={**binary, "Range": "bytes=-4"})
    assert await tail.read() == bytes(range(252, 256))
    beyond = await client.get(href, headers={**binary, "Range": "bytes=5000-"})
    await problem(beyond, 416)
    assert beyond.headers["Content-Range"] == "bytes */1024"


async def test_openapi_lists_exactly_what_is_served(client: Client) -> None:
    document = await (await client.get("/openapi.json")).json()
    paths = document["paths"]
    assert set(paths) == {
        "/widgets/api_versions",
        "/widgets/v1/api_versions",
        "/widgets/v1/widgets",
        "/widgets/v1/widgets/{widgetId}",
        "/widgets/v1/widgets/{widgetId}/content",
        "/widgets/v1/boom",
    }
    assert set(paths["/widgets/v1/widgets"]) == {"get", "post"}
    post = paths["/widgets/v1/widgets"]["post"]
    assert "application/json" in post["requestBody"]["content"]
    assert post["x-nfvo-scope"] == "widgets:write"
    assert post["operationId"] == "post_widgets_v1_widgets"
    patch = paths["/widgets/v1/widgets/{widgetId}"]["patch"]
    assert "application/merge-patch+json" in patch["requestBody"]["content"]
    (version,) = [p for p in post["parameters"] if p["name"] == "Version"]
    assert version["in"] == "header" and version["required"]
    pattern = re.compile(version["schema"]["pattern"])
    assert version["schema"]["default"] == VERSION["Version"]
    assert pattern.match(VERSION["Version"]) and pattern.match(f"{VERSION['Version']}-impl:x:1")
    assert not pattern.match("9.9.9")
    schemas = document["components"]["schemas"]
    assert "ProblemDetails" in schemas
    assert any("_links" in s.get("properties", {}) for s in schemas.values())
    for schema in schemas.values():
        jsonschema.Draft202012Validator.check_schema(schema)
    refs = re.findall(r'"\$ref": ?"#/components/schemas/([^"]+)"', json.dumps(document))
    assert refs and set(refs) <= set(schemas)


async def test_root_app_is_frozen_and_serves_on_a_real_port(free_port: int) -> None:
    app = make_app()
    assert app.frozen
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", free_port)
    await site.start()
    try:
        async with TestClient(TestServer(make_app())) as other:
            response = await other.get("/widgets/api_versions")
            assert response.status == 200
    finally:
        await runner.cleanup()
