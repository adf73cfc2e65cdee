"""Filters, selectors and paging of the demo API's list, over HTTP on loopback."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from tests.integration.sol.widgets_api import VERSION, make_app

Client = TestClient[web.Request, web.Application]
LIST = "/widgets/v1/widgets"
NEXT = re.compile(r'^<([^>]+)>; rel="next"$')


async def create(client: Client, **fields: Any) -> dict[str, Any]:
    response = await client.post(LIST, json={"size": 1, **fields}, headers=VERSION)
    assert response.status == 201, await response.text()
    created: dict[str, Any] = await response.json()
    return created


@pytest.fixture
async def stocked(client: Client) -> Client:
    await create(client, name="amf", size=3, tags=["core", "5g"], state="ENABLED",
                 ports=[{"type": "sriov", "numa": 0}, {"type": "normal", "numa": 1}],
                 extra={"note": "a,b)c'd"})  # fmt: skip
    await create(client, name="smf", size=5, tags=["core"], state="DISABLED",
                 ports=[{"type": "sriov", "numa": 1}])  # fmt: skip
    await create(client, name="upf", size=8, tags=[], state="ENABLED")
    return client


async def names(client: Client, params: dict[str, str]) -> list[str]:
    response = await client.get(LIST, params=params, headers=VERSION)
    assert response.status == 200, await response.text()
    return sorted(widget["name"] for widget in await response.json())


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("(eq,name,amf)", ["amf"]),
        ("(neq,name,amf)", ["smf", "upf"]),
        ("(gt,size,3)", ["smf", "upf"]),
        ("(gte,size,5)", ["smf", "upf"]),
        ("(lt,size,5)", ["amf"]),
        ("(lte,size,5)", ["amf", "smf"]),
        ("(in,state,DISABLED)", ["smf"]),
        ("(nin,name,amf,smf)", ["upf"]),
        ("(cont,name,mf)", ["amf", "smf"]),
        ("(ncont,name,a,s)", ["upf"]),
        ("(eq,tags,5g)", ["amf"]),
        ("(eq,ports/type,sriov);(eq,ports/numa,1)", ["smf"]),
        ("(eq,state,ENABLED);(gt,size,4)", ["upf"]),
        ("(eq,extra/note,'a,b)c''d')", ["amf"]),
    ],
)
async def test_filters_over_http(stocked: Client, expression: str, expected: list[str]) -> None:
    params = {"filter": expression, "all_fields": ""}
    assert await names(stocked, params) == expected


async def test_a_bad_filter_is_400_naming_the_position(stocked: Client) -> None:
    response = await stocked.get(LIST, params={"filter": "(eq,name,amf"}, headers=VERSION)
    assert response.status == 400
    detail = (await response.json(content_type=None))["detail"]
    assert "filter" in detail and "character 13" in detail


async def test_selectors_over_http(stocked: Client) -> None:
    default = await (await stocked.get(LIST, headers=VERSION)).json()
    assert all("extra" not in widget for widget in default)  # the default-excluded set
    everything = await (await stocked.get(f"{LIST}?all_fields", headers=VERSION)).json()
    assert any("extra" in widget for widget in everything)
    only = await (await stocked.get(f"{LIST}?fields=tags", headers=VERSION)).json()
    assert all("ports" not in w and "tags" in w and "_links" in w for w in only)
    clash = await stocked.get(f"{LIST}?all_fields&exclude_fields=tags", headers=VERSION)
    assert clash.status == 400
    assert "all_fields" in (await clash.json(content_type=None))["detail"]


@pytest.fixture
async def paged_client() -> AsyncIterator[Client]:
    async with TestClient(TestServer(make_app(page_size=40), host="127.0.0.1")) as client:
        yield client


async def walk(client: Client, url: str) -> tuple[list[dict[str, Any]], int]:
    seen: list[dict[str, Any]] = []
    pages = 0
    next_url: str | None = url
    while next_url is not None:
        response = await client.session.get(next_url, headers=VERSION)
        assert response.status == 200, await response.text()
        seen.extend(await response.json())
        pages += 1
        link = response.headers.get("Link")
        next_url = NEXT.match(link).group(1) if link else None  # type: ignore[union-attr]
    return seen, pages


async def test_paging_through_250_items_with_link_headers(paged_client: Client) -> None:
    for index in range(250):
        await create(paged_client, name=f"w{index:03d}", size=index)
    items, pages = await walk(paged_client, str(paged_client.make_url(LIST)))
    assert pages == 7  # 6 full pages of 40 and one of 10
    assert len(items) == 250 and len({item["id"] for item in items}) == 250
    assert [item["id"] for item in items] == sorted(item["id"] for item in items)
    filtered, _ = await walk(
        paged_client, str(paged_client.make_url(LIST).with_query(filter="(gte,size,200)"))
    )
    assert sorted(item["size"] for item in filtered) == list(range(200, 250))


async def test_bad_or_foreign_markers_are_400(paged_client: Client) -> None:
    for index in range(50):
        await create(paged_client, name=f"w{index}")
    first = await paged_client.get(LIST, headers=VERSION)
    next_url = NEXT.match(first.headers["Link"]).group(1)  # type: ignore[union-attr]
    marker = next_url.split("nextpage_opaque_marker=")[1]
    forged = marker[:-2] + ("AA" if marker[-2:] != "AA" else "BB")
    for params in (
        {"nextpage_opaque_marker": "garbage"},
        {"nextpage_opaque_marker": forged},
        {"nextpage_opaque_marker": "!!!.???"},
        {"nextpage_opaque_marker": marker, "filter": "(eq,name,w1)"},
    ):
        response = await paged_client.get(LIST, params=params, headers=VERSION)
        assert response.status == 400, params
        assert "nextpage_opaque_marker" in (await response.json(content_type=None))["detail"]
