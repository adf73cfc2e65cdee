"""Subscriptions as routes any API mounts (SOL013 clause 5.8, e.g. SOL005 clause 9.4.7).

``subscription_routes(api)`` gives ``POST/GET /subscriptions`` and
``GET/DELETE /subscriptions/{subscriptionId}``; the API app carries the
:class:`~nfvo.sol.notifications.Notifier` under :data:`NOTIFIER`. Creating one:

1. the body is validated (the ``filter`` against the API's filter model, its
   ``notificationTypes`` against the API's types): 422 naming the attribute;
2. the same callback and filter already subscribed by this project: 303 See Other
   with the existing one's ``Location`` (SOL013 clause 5.8.2);
3. the callback is tested with a GET that must answer 204, authenticated as the
   notifications will be: 422 naming what it answered;
4. stored owned by the caller's project, answered 201 with ``Location``.

``authentication`` is stored for delivery and never echoed: a subscription on the
wire is ``id``, ``filter``, ``callbackUri`` and ``_links`` only.
"""

from __future__ import annotations

import hashlib
import uuid
from typing import Any

import orjson
from aiohttp import web
from pydantic import Field, ValidationError

from nfvo.log import redact_text
from nfvo.sol.auth import principal_of
from nfvo.sol.bodies import json_response, read_model, validation_detail
from nfvo.sol.callbacks import CallbackError, SubscriptionAuthentication
from nfvo.sol.listing import ListQuery, list_response, page_response
from nfvo.sol.notifications import Notifier, SubscriptionApi
from nfvo.sol.paging import paging_of
from nfvo.sol.problems import InvalidRequest, ServiceUnavailable, Unprocessable
from nfvo.sol.routes import Route, app_value
from nfvo.sol.selectors import SelectorPolicy
from nfvo.sol.tenancy import OwnedRecords
from nfvo.sol.wire import WireModel
from nfvo.store.repository import Versioned

NOTIFIER = web.AppKey("NOTIFIER", Notifier)
WIRE_ATTRIBUTES = ("id", "filter", "callbackUri", "_links")


class SubscriptionRequest(WireModel):
    """The common shape of ``*SubscriptionRequest`` (the filter is checked per API)."""

    callback_uri: str = Field(pattern=r"^https?://", max_length=2048)
    filter: dict[str, Any] | None = None
    authentication: SubscriptionAuthentication | None = None


def subscription_view(document: dict[str, Any]) -> dict[str, Any]:
    """What a client sees: never the owner, the identity or the credentials."""
    return {name: document[name] for name in WIRE_ATTRIBUTES if document.get(name) is not None}


def _identity(project: str, callback_uri: str, flt: dict[str, Any] | None) -> str:
    # The project is part of it: another tenant's identical subscription must not
    # answer 303, which would reveal that it exists.
    canonical = orjson.dumps([project, callback_uri, flt], option=orjson.OPT_SORT_KEYS)
    return hashlib.sha256(canonical).hexdigest()


def _view(item: Versioned) -> dict[str, Any]:
    return subscription_view(item.document)


def _order_key(item: Versioned) -> str:
    """A subscription's place in creation order, as text that sorts the same way."""
    return f"{item.created:020d}"


def _cursor(after: str | None) -> str | None:
    if after is not None and not after.isdigit():
        raise InvalidRequest("the nextpage_opaque_marker does not mark a place in this list")
    return str(int(after)) if after is not None else None


def _notifier(request: web.Request) -> Notifier:
    notifier = app_value(request, NOTIFIER)
    if notifier is None:
        raise ServiceUnavailable("subscriptions are not configured on this API")
    return notifier


def _check_filter(api: SubscriptionApi, flt: dict[str, Any] | None) -> dict[str, Any] | None:
    if flt is None:
        return None
    types = flt.get("notificationTypes") or []
    if not isinstance(types, list):
        raise Unprocessable("filter.notificationTypes must be an array of notification types")
    known = api.notification_types
    unknown = [str(name) for name in types if not isinstance(name, str) or name not in known]
    if unknown:
        allowed = ", ".join(sorted(api.notification_types))
        raise Unprocessable(f"filter.notificationTypes: {unknown} unknown; allowed: {allowed}")
    if api.filter_model is None:
        return flt
    try:
        checked = api.filter_model.model_validate(flt)
    except ValidationError as error:
        raise Unprocessable(validation_detail(error, "filter")) from None
    dumped: dict[str, Any] = checked.model_dump(mode="json", by_alias=True, exclude_none=True)
    return dumped


async def _test_callback(notifier: Notifier, body: SubscriptionRequest) -> None:
    try:
        notifier.client.check(body.authentication)
        await notifier.client.test(body.callback_uri, body.authentication)
    except (ValueError, CallbackError) as error:
        reason = error.reason if isinstance(error, CallbackError) else str(error)
        uri = redact_text(body.callback_uri)
        raise Unprocessable(f"the callbackUri {uri} was not accepted: {reason}") from None


def _stored(
    subscription_id: str,
    href: str,
    body: SubscriptionRequest,
    flt: dict[str, Any] | None,
    identity: str,
    sealed_authentication: str | None,
) -> dict[str, Any]:
    return {
        "id": subscription_id,
        "callbackUri": body.callback_uri,
        "filter": flt,
        "_links": {"self": {"href": href}},
        "identity": identity,
        "authentication": sealed_authentication,
    }


def subscription_routes(api: SubscriptionApi) -> tuple[Route, ...]:
    """The four routes of ``api``'s subscriptions, to add to its route table."""

    def records(request: web.Request) -> OwnedRecords:
        repository = _notifier(request).repository(api.kind)
        return OwnedRecords(repository, principal_of(request), noun="subscription")

    async def create(request: web.Request) -> web.Response:
        body = await read_model(request, SubscriptionRequest)
        flt = _check_filter(api, body.filter)
        notifier, owned = _notifier(request), records(request)
        identity = _identity(owned.principal.project, body.callback_uri, flt)
        existing = await owned.repository.list(where=("identity", identity), limit=1)
        if existing.items:
            href = existing.items[0].document["_links"]["self"]["href"]
            return web.Response(status=303, headers={"Location": href})
        await _test_callback(notifier, body)
        subscription_id = str(uuid.uuid4())
        href = f"{api.api_root}/subscriptions/{subscription_id}"
        sealed = notifier.seal_authentication(body.authentication)
        document = _stored(subscription_id, href, body, flt, identity, sealed)
        stored = await owned.create(subscription_id, document)
        return json_response(
            subscription_view(stored.document), status=201, headers={"Location": href}
        )

    async def list_all(request: web.Request) -> web.Response:
        """Paged in creation order, like every list (SOL013 clause 5.4): without a
        filter one page is read from the store, with one every visible subscription."""
        query = ListQuery.from_request(request, SelectorPolicy())
        owned, paging = records(request), paging_of(request)
        if not query.filter.expressions:
            after = paging.start_after(request)
            page = await owned.list(limit=paging.page_size, cursor=_cursor(after))
            headers = {}
            if page.cursor is not None:
                headers["Link"] = paging.next_link(request, _order_key(page.items[-1]))
            return page_response(query, [_view(item) for item in page.items], headers)
        listed, cursor = [], None
        while True:
            page = await owned.list(limit=500, cursor=cursor)
            listed += page.items
            if page.cursor is None:
                break
            cursor = page.cursor
        keys = {item.id: _order_key(item) for item in listed}
        views = [_view(item) for item in listed]
        return list_response(request, query, views, lambda view: keys[view["id"]])

    async def show(request: web.Request) -> web.Response:
        found = await records(request).get(request.match_info["subscriptionId"])
        return json_response(subscription_view(found.document))

    async def delete(request: web.Request) -> web.Response:
        subscription_id = request.match_info["subscriptionId"]
        await records(request).delete(subscription_id)
        await _notifier(request).forget(subscription_id)
        return web.Response(status=204)

    query = ("filter", "nextpage_opaque_marker")
    path = "/subscriptions/{subscriptionId}"
    return (
        Route("POST", "/subscriptions", create, api.write_scope, "Subscribe", status=201,
              request_model=SubscriptionRequest),
        Route("GET", "/subscriptions", list_all, api.read_scope, "Query subscriptions",
              query=query),
        Route("GET", path, show, api.read_scope, "Read a subscription"),
        Route("DELETE", path, delete, api.write_scope, "Terminate a subscription", status=204),
    )  # fmt: skip
