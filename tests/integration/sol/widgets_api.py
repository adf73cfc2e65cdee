"""A small demo API built only from the SOL013 plumbing, as an API module would be.

``widgets`` (list with filter/selectors/paging, create, show with ETag, PATCH with
merge-patch and If-Match, a byte-range download) plus ``/boom``, which fails the way
a bug would. The store is an in-memory dict with one secondary index (``state``), so
the filter planner's split is exercised the way the Redis store will use it.
"""

from __future__ import annotations

import uuid
from typing import Any

from aiohttp import web
from pydantic import Field

from nfvo.sol.bodies import json_response, read_json, read_model, validate
from nfvo.sol.http import make_api_app, make_root_app
from nfvo.sol.listing import ListQuery, list_response
from nfvo.sol.negotiation import check_if_match, etag_of, merge_patch, parse_range
from nfvo.sol.paging import Paging
from nfvo.sol.problems import NotFound
from nfvo.sol.routes import Route, app_value
from nfvo.sol.selectors import SelectorPolicy
from nfvo.sol.wire import Link, WireModel

VERSION = {"Version": "1.1.0"}
CONTENT = bytes(range(256)) * 4  # 1024 bytes behind every widget's /content


class WidgetPort(WireModel):
    type: str
    numa: int | None = None


class CreateWidgetRequest(WireModel):
    name: str
    size: int = Field(ge=0)
    state: str = "ENABLED"
    tags: list[str] = []
    ports: list[WidgetPort] = []
    extra: dict[str, Any] | None = None


class Widget(CreateWidgetRequest):
    id: str
    links: Link = Field(alias="_links")


POLICY = SelectorPolicy(default_excluded=frozenset({"extra"}))
INDEXED = frozenset({"state"})
STORE = web.AppKey("STORE", dict[str, dict[str, Any]])


def _store(request: web.Request) -> dict[str, dict[str, Any]]:
    store = app_value(request, STORE)
    assert store is not None
    return store


def _widget(request: web.Request) -> dict[str, Any]:
    widget_id = request.match_info["widgetId"]
    document = _store(request).get(widget_id)
    if document is None:
        raise NotFound(f"there is no widget {widget_id!r}")
    return document


async def list_widgets(request: web.Request) -> web.Response:
    query = ListQuery.from_request(request, POLICY)
    plan = query.plan(INDEXED)
    documents = sorted(_store(request).values(), key=lambda document: document["id"])
    for attribute, values in plan.index.items():  # what a Redis index set would answer
        documents = [d for d in documents if str(d.get(attribute)) in values]
    return list_response(request, query, documents, residual=plan.residual)


async def create_widget(request: web.Request) -> web.Response:
    body = await read_model(request, CreateWidgetRequest)
    widget_id = str(uuid.uuid4())
    href = f"/widgets/v1/widgets/{widget_id}"
    widget = Widget(id=widget_id, links=Link(href=href), **body.model_dump())
    document = widget.to_wire()
    _store(request)[widget_id] = document
    return json_response(document, status=201, headers={"Location": href})


async def show_widget(request: web.Request) -> web.Response:
    document = _widget(request)
    return json_response(document, headers={"ETag": etag_of(document)})


async def patch_widget(request: web.Request) -> web.Response:
    document = _widget(request)
    check_if_match(request, etag_of(document))
    patch = await read_json(request)
    merged = merge_patch(document, patch)
    widget = validate(Widget, merged, "widget after the patch")
    updated = {**widget.to_wire(), "id": document["id"], "_links": document["_links"]}
    _store(request)[document["id"]] = updated
    return json_response(updated, headers={"ETag": etag_of(updated)})


async def widget_content(request: web.Request) -> web.Response:
    _widget(request)
    byte_range = parse_range(request.headers.get("Range"), len(CONTENT))
    if byte_range is None:
        return web.Response(body=CONTENT, content_type="application/octet-stream")
    return web.Response(
        body=CONTENT[byte_range.first : byte_range.last + 1],
        status=206,
        content_type="application/octet-stream",
        headers={"Content-Range": byte_range.content_range()},
    )


async def boom(request: web.Request) -> web.Response:
    raise RuntimeError("database password hunter2 leaked in a traceback")


QUERY = ("filter", "all_fields", "fields", "exclude_fields", "exclude_default")
ROUTES = (
    Route("GET", "/widgets", list_widgets, "widgets:read", "List widgets",
          response_model=Widget, response_is_list=True, query=(*QUERY, "nextpage_opaque_marker")),
    Route("POST", "/widgets", create_widget, "widgets:write", "Create a widget",
          request_model=CreateWidgetRequest, response_model=Widget, status=201),
    Route("GET", "/widgets/{widgetId}", show_widget, "widgets:read", "Read a widget",
          response_model=Widget),
    Route("PATCH", "/widgets/{widgetId}", patch_widget, "widgets:write", "Modify a widget",
          response_model=Widget),
    Route("GET", "/widgets/{widgetId}/content", widget_content, "widgets:read",
          produces=("application/octet-stream",)),
    Route("GET", "/boom", boom, "widgets:read"),
)  # fmt: skip


def make_widgets_app(versions: tuple[str, ...] = ("1.0.0", "1.1.0")) -> web.Application:
    app = make_api_app("widgets", 1, list(versions), ROUTES)
    app[STORE] = {}
    return app


def make_app(page_size: int = 100, client_max_size: int = 64 * 1024) -> web.Application:
    """The demo API mounted under a root app, as the composition root would do it."""
    return make_root_app(
        [make_widgets_app()],
        client_max_size=client_max_size,
        paging=Paging(b"k" * 32, page_size=page_size),
        title="widgets demo",
    )
