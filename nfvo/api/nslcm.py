"""SOL005 NS lifecycle management (``/nslcm/v2``, clause 6, V3.7.1, API 2.3.0).

A route table over thin handlers: parse into a wire model, call one function of
``nfvo.lcm`` (``NsLifecycle`` or a task of ``ns_tasks``), render with ``ns_views``.
Task resources answer 202 with the occurrence's Location.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import replace
from typing import Any

from aiohttp import web

from nfvo.lcm import ns_tasks, ns_updates
from nfvo.lcm.ns_lifecycle import NsLifecycle
from nfvo.lcm.ns_notices import NSLCM_SUBSCRIPTIONS
from nfvo.lcm.ns_records import INDEXED
from nfvo.lcm.ns_views import (
    INSTANCE_POLICY,
    OCCURRENCE_POLICY,
    instance_href,
    instance_view,
    occurrence_href,
    occurrence_view,
)
from nfvo.lcm.ns_wire import (
    CancelMode,
    CreateNsRequest,
    HealNsRequest,
    InstantiateNsRequest,
    ScaleNsRequest,
    TerminateNsRequest,
    UpdateNsRequest,
)
from nfvo.sol.auth import principal_of
from nfvo.sol.bodies import json_response, read_model
from nfvo.sol.http import make_api_app
from nfvo.sol.listing import ListQuery, list_response
from nfvo.sol.negotiation import etag_of
from nfvo.sol.problems import ServiceUnavailable
from nfvo.sol.routes import Handler, Route, app_value
from nfvo.sol.subscriptions import subscription_routes
from nfvo.sol.tokens import Principal
from nfvo.sol.wire import WireModel
from nfvo.store.occurrences import Occurrence

NS_LCM = web.AppKey("NS_LCM", NsLifecycle)
VERSIONS = ["2.3.0"]  # SOL005 V3.7.1 NS lifecycle management interface version
READ, WRITE = "nslcm:read", "nslcm:write"
QUERY = ("filter", "all_fields", "fields", "exclude_fields", "exclude_default",
         "nextpage_opaque_marker")  # fmt: skip
NS = "/ns_instances/{nsInstanceId}"
OCC = "/ns_lcm_op_occs/{nsLcmOpOccId}"
SUBSCRIPTIONS = replace(NSLCM_SUBSCRIPTIONS, read_scope=READ, write_scope=WRITE)
_INDEXED = frozenset(a for a in INDEXED if a != "owner")


def lifecycle(request: web.Request) -> NsLifecycle:
    found = app_value(request, NS_LCM)
    if found is None:
        raise ServiceUnavailable("NS lifecycle management is not configured in this server")
    return found


def _accepted(occurrence: Occurrence) -> web.Response:
    return web.Response(status=202, headers={"Location": occurrence_href(occurrence.id)})


async def list_instances(request: web.Request) -> web.Response:
    query = ListQuery.from_request(request, INSTANCE_POLICY)
    plan = query.plan(_INDEXED)
    found = await lifecycle(request).listed(principal_of(request), plan.index)
    keys = {item.id: f"{item.created:020d}" for item in found}
    documents = [instance_view(item.document) for item in found]
    return list_response(request, query, documents, lambda d: keys[d["id"]])


async def create_instance(request: web.Request) -> web.Response:
    body = await read_model(request, CreateNsRequest)
    document = instance_view(await lifecycle(request).create(body, principal_of(request)))
    headers = {"Location": instance_href(document["id"])}
    return json_response(document, status=201, headers=headers)


async def show_instance(request: web.Request) -> web.Response:
    found = await lifecycle(request).show(request.match_info["nsInstanceId"], principal_of(request))
    document = instance_view(found.document)
    return json_response(document, headers={"ETag": etag_of(document)})


async def delete_instance(request: web.Request) -> web.Response:
    await lifecycle(request).delete(request.match_info["nsInstanceId"], principal_of(request))
    return web.Response(status=204)


Task = Callable[[NsLifecycle, str, Any, Principal], Awaitable[Occurrence]]


def task_handler(model: type[WireModel], task: Task) -> Handler:
    async def handler(request: web.Request) -> web.Response:
        body = await read_model(request, model)
        ns_instance_id = request.match_info["nsInstanceId"]
        return _accepted(
            await task(lifecycle(request), ns_instance_id, body, principal_of(request))
        )

    return handler


async def list_occurrences(request: web.Request) -> web.Response:
    query = ListQuery.from_request(request, OCCURRENCE_POLICY)
    found = await lifecycle(request).occurrences(principal_of(request))
    keys = {o.id: f"{created:020d}" for o, _, created in found}
    documents = [occurrence_view(o, d) for o, d, _ in found]
    return list_response(request, query, documents, lambda d: keys[d["id"]])


async def show_occurrence(request: web.Request) -> web.Response:
    service = lifecycle(request)
    occurrence, detail = await service.occurrence(
        request.match_info["nsLcmOpOccId"], principal_of(request)
    )
    document = occurrence_view(occurrence, detail)
    return json_response(document, headers={"ETag": etag_of(document)})


async def retry(request: web.Request) -> web.Response:
    occurrence_id = request.match_info["nsLcmOpOccId"]
    return _accepted(await lifecycle(request).retry(occurrence_id, principal_of(request)))


async def continue_(request: web.Request) -> web.Response:
    occurrence_id = request.match_info["nsLcmOpOccId"]
    occurrence = await lifecycle(request).retry(
        occurrence_id, principal_of(request), skip_failed=True
    )
    return _accepted(occurrence)


async def rollback(request: web.Request) -> web.Response:
    occurrence_id = request.match_info["nsLcmOpOccId"]
    return _accepted(await lifecycle(request).rollback(occurrence_id, principal_of(request)))


async def fail(request: web.Request) -> web.Response:
    service, viewer = lifecycle(request), principal_of(request)
    occurrence = await service.fail(request.match_info["nsLcmOpOccId"], viewer)
    _, detail = await service.occurrence(occurrence.id, viewer)
    return json_response(occurrence_view(occurrence, detail))


async def cancel(request: web.Request) -> web.Response:
    body = await read_model(request, CancelMode)
    occurrence_id = request.match_info["nsLcmOpOccId"]
    await lifecycle(request).cancel(occurrence_id, body.cancel_mode, principal_of(request))
    return web.Response(status=202)


ROUTES = (
    Route("GET", "/ns_instances", list_instances, READ, "Query NS instances",
          response_is_list=True, query=QUERY),
    Route("POST", "/ns_instances", create_instance, WRITE, "Create an NS instance",
          request_model=CreateNsRequest, status=201),
    Route("GET", NS, show_instance, READ, "Read an NS instance"),
    Route("DELETE", NS, delete_instance, WRITE, "Delete an NS instance", status=204),
    Route("POST", f"{NS}/instantiate", task_handler(InstantiateNsRequest, ns_tasks.instantiate),
          WRITE, "Instantiate an NS", request_model=InstantiateNsRequest, status=202, produces=()),
    Route("POST", f"{NS}/terminate", task_handler(TerminateNsRequest, ns_tasks.terminate),
          WRITE, "Terminate an NS", request_model=TerminateNsRequest, status=202, produces=()),
    Route("POST", f"{NS}/scale", task_handler(ScaleNsRequest, ns_tasks.scale),
          WRITE, "Scale an NS", request_model=ScaleNsRequest, status=202, produces=()),
    Route("POST", f"{NS}/heal", task_handler(HealNsRequest, ns_tasks.heal),
          WRITE, "Heal an NS", request_model=HealNsRequest, status=202, produces=()),
    Route("POST", f"{NS}/update", task_handler(UpdateNsRequest, ns_updates.update),
          WRITE, "Update an NS", request_model=UpdateNsRequest, status=202, produces=()),
    Route("GET", "/ns_lcm_op_occs", list_occurrences, READ, "Query NS LCM operation occurrences",
          response_is_list=True, query=QUERY),
    Route("GET", OCC, show_occurrence, READ, "Read an NS LCM operation occurrence"),
    Route("POST", f"{OCC}/retry", retry, WRITE, "Retry an operation", status=202, produces=()),
    Route("POST", f"{OCC}/rollback", rollback, WRITE, "Roll an operation back", status=202,
          produces=()),
    Route("POST", f"{OCC}/continue", continue_, WRITE, "Continue an operation", status=202,
          produces=()),
    Route("POST", f"{OCC}/fail", fail, WRITE, "Mark an operation as failed"),
    Route("POST", f"{OCC}/cancel", cancel, WRITE, "Cancel an operation",
          request_model=CancelMode, status=202, produces=()),
    *subscription_routes(SUBSCRIPTIONS),
)  # fmt: skip


def make_app() -> web.Application:
    return make_api_app("nslcm", 2, VERSIONS, ROUTES)
