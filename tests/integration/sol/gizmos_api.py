"""A small demo API on the real store, tenancy-aware, as a catalogue API would be.

``gizmos``: create, list, read, patch and delete records kept in a ``Repository``
indexed on ``owner``, every access going through ``OwnedRecords`` for the caller's
principal. Handlers never mention projects: the plumbing does.
"""

from __future__ import annotations

import uuid
from typing import Any

import redis.asyncio as aioredis
from aiohttp import web

from nfvo.sol.auth import principal_of
from nfvo.sol.bodies import json_response, read_json, read_model
from nfvo.sol.http import make_api_app
from nfvo.sol.negotiation import merge_patch
from nfvo.sol.notifications import Notifier, SubscriptionApi
from nfvo.sol.routes import Route, app_value
from nfvo.sol.subscriptions import NOTIFIER, subscription_routes
from nfvo.sol.tenancy import OwnedRecords, without_owner
from nfvo.sol.wire import WireModel
from nfvo.store.keys import Keyspace
from nfvo.store.repository import Repository

VERSION = {"Version": "1.0.0"}
REPOSITORY = web.AppKey("REPOSITORY", Repository)


class CreateGizmoRequest(WireModel):
    name: str
    secret_note: str | None = None


def _records(request: web.Request) -> OwnedRecords:
    repository = app_value(request, REPOSITORY)
    assert repository is not None
    return OwnedRecords(repository, principal_of(request), noun="gizmo")


async def create_gizmo(request: web.Request) -> web.Response:
    body = await read_model(request, CreateGizmoRequest)
    gizmo_id = uuid.uuid4().hex
    document = {"id": gizmo_id, "name": body.name}
    stored = await _records(request).create(gizmo_id, document)
    return json_response(without_owner(stored.document), status=201)


async def list_gizmos(request: web.Request) -> web.Response:
    page = await _records(request).list()
    return json_response([without_owner(item.document) for item in page.items])


async def show_gizmo(request: web.Request) -> web.Response:
    found = await _records(request).get(request.match_info["gizmoId"])
    return json_response(without_owner(found.document))


async def patch_gizmo(request: web.Request) -> web.Response:
    records = _records(request)
    found = await records.get(request.match_info["gizmoId"])
    patch: Any = await read_json(request)
    merged = merge_patch(without_owner(found.document), patch)
    stored = await records.put(found.id, {**merged, "id": found.id}, version=found.version)
    return json_response(without_owner(stored.document))


async def delete_gizmo(request: web.Request) -> web.Response:
    await _records(request).delete(request.match_info["gizmoId"])
    return web.Response(status=204)


ROUTES = (
    Route("GET", "/gizmos", list_gizmos, "gizmos:read"),
    Route("POST", "/gizmos", create_gizmo, "gizmos:write", status=201),
    Route("GET", "/gizmos/{gizmoId}", show_gizmo, "gizmos:read"),
    Route("PATCH", "/gizmos/{gizmoId}", patch_gizmo, "gizmos:write"),
    Route("DELETE", "/gizmos/{gizmoId}", delete_gizmo, "gizmos:write", status=204),
)


class GizmoNotificationsFilter(WireModel):
    """Like ``PkgmNotificationsFilter``: types plus attributes of the resource."""

    notification_types: list[str] | None = None
    gizmo_names: list[str] | None = None


GIZMO_SUBSCRIPTIONS = SubscriptionApi(
    name="gizmos",
    api_root="/gizmos/v1",
    notification_types=frozenset({"GizmoChangeNotification", "GizmoDeletionNotification"}),
    filter_model=GizmoNotificationsFilter,
    read_scope="gizmos:read",
    write_scope="gizmos:write",
)


def make_gizmos_app(
    redis: aioredis.Redis, keyspace: Keyspace, notifier: Notifier | None = None
) -> web.Application:
    app = make_api_app("gizmos", 1, ["1.0.0"], (*ROUTES, *subscription_routes(GIZMO_SUBSCRIPTIONS)))
    app[REPOSITORY] = Repository(redis, keyspace, "gizmo", indexed=("owner",))
    if notifier is not None:
        app[NOTIFIER] = notifier
    return app
