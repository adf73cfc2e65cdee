"""What every Neutron collection shares: visibility, filters, fields, paging and tags."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from aiohttp import web

from simulators.openstack.web import ApiError, Identity, base_url, int_query, json_response

SPECIAL = {
    "fields",
    "limit",
    "marker",
    "page_reverse",
    "sort_key",
    "sort_dir",
    "tags",
    "tags-any",
    "not-tags",
    "not-tags-any",
}
MAX_TAG = 255


def not_found(kind: str, item_id: str) -> ApiError:
    return ApiError(404, f"{kind} {item_id} could not be found.", f"{kind}NotFound")


def policy_refused(action: str) -> ApiError:
    return ApiError(403, f"({action}) is disallowed by policy", "PolicyNotAuthorized")


def _matches(actual: Any, values: list[str]) -> bool:
    if isinstance(actual, bool):
        return str(actual).lower() in (v.lower() for v in values)
    return ("" if actual is None else str(actual)) in values


def _field(item: Any, name: str) -> Any:
    return item.get(name) if isinstance(item, dict) else getattr(item, name, None)


def _tags_match(tags: list[str], query: Any) -> bool:
    def wanted(name: str) -> set[str] | None:
        raw = query.getall(name, [])
        return {t for value in raw for t in value.split(",") if t} if raw else None

    all_of, any_of = wanted("tags"), wanted("tags-any")
    none_of, not_any = wanted("not-tags"), wanted("not-tags-any")
    have = set(tags)
    if all_of is not None and not all_of <= have:
        return False
    if any_of is not None and not any_of & have:
        return False
    if none_of is not None and none_of <= have:
        return False
    return not (not_any is not None and not_any & have)


def list_response(
    request: web.Request,
    collection: str,
    items: Iterable[Any],
    render: Callable[[Any], dict[str, Any]],
    allowed: set[str],
    attributes: dict[str, Callable[[Any], Any]] | None = None,
) -> web.Response:
    """Filter (on the records where an attribute getter is known, else on the rendered
    view) and page with limit/marker in creation order, rendering only what is needed."""
    query = request.query
    unknown = [k for k in query if k not in SPECIAL and k not in allowed]
    if unknown:
        raise ApiError(400, f"{unknown} is invalid attribute for filtering", "HTTPBadRequest")
    getters = attributes or {}
    filters = {k: query.getall(k) for k in query if k not in SPECIAL}
    on_view = {k: v for k, v in filters.items() if k not in getters}
    on_record = {k: v for k, v in filters.items() if k in getters}
    selected: Iterator[Any] = (
        item
        for item in items
        if all(_matches(getters[k](item), v) for k, v in on_record.items())
        and _tags_match(_field(item, "tags") or [], query)
    )
    marker = query.get("marker")
    if marker:
        selected = itertools.dropwhile(lambda item: str(_field(item, "id")) != marker, selected)
        next(selected, None)
    views: list[dict[str, Any]] = []
    limit = int_query(request, "limit")
    for item in selected:
        view = render(item)
        if all(_matches(view.get(k), v) for k, v in on_view.items()):
            views.append(view)
            if limit and len(views) > limit:
                break
    body: dict[str, Any] = {}
    if limit and len(views) > limit:
        views = views[:limit]
        href = f"{base_url(request)}{request.path}?limit={limit}&marker={views[-1]['id']}"
        body[f"{collection}_links"] = [{"rel": "next", "href": href}]
    fields = query.getall("fields", [])
    if fields:
        views = [{k: v for k, v in view.items() if k in fields} for view in views]
    body[collection] = views
    return json_response(body)


def one_response(
    request: web.Request, key: str, view: dict[str, Any], status: int = 200
) -> web.Response:
    fields = request.query.getall("fields", [])
    if fields:
        view = {k: v for k, v in view.items() if k in fields}
    return json_response({key: view}, status)


def check_tags(tags: Any) -> list[str]:
    if not isinstance(tags, list) or not all(
        isinstance(t, str) and 0 < len(t) <= MAX_TAG for t in tags
    ):
        raise ApiError(
            400,
            "Invalid input for tags: each tag is a string of 1 to 255 characters.",
            "HTTPBadRequest",
        )
    return list(dict.fromkeys(tags))


def visible(identity: Identity, project_id: str, shared: bool = False) -> bool:
    return identity.is_admin or shared or project_id == identity.project_id
