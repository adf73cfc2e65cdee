"""SOL003 VNF lifecycle management, ``/vnflcm/v2`` (clause 5): the route table.

Thin handlers: parse into a wire model, call one method of ``vnfm.lifecycle``, render
with ``vnfm.views``. Task resources answer 202 with the occurrence's Location.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web
from pydantic import Field

from nfvo.sol.auth import principal_of
from nfvo.sol.bodies import json_response, read_json, read_model, validate
from nfvo.sol.http import make_api_app
from nfvo.sol.listing import ListQuery, list_response
from nfvo.sol.negotiation import check_if_match, etag_of, merge_patch
from nfvo.sol.problems import Conflict, ServiceUnavailable, Unprocessable
from nfvo.sol.routes import JSON, Route, app_value
from nfvo.sol.selectors import SelectorPolicy
from nfvo.sol.subscriptions import subscription_routes
from nfvo.sol.tokens import Principal
from nfvo.sol.wire import WireModel
from nfvo.store.occurrences import Occurrence
from nfvo.vim.registry import VimRegistry, record_from_connection_info
from vnfm.granting import register_vim
from vnfm.lifecycle import BOOKKEEPING, Lifecycle
from vnfm.nfvo_client import NfvoRefused, NfvoUnavailable
from vnfm.notices import SUBSCRIPTIONS, occurrence_href
from vnfm.operating import HEAL_TYPES, targets
from vnfm.packages import UnknownVnfd, UnreadablePackage, VnfPackage
from vnfm.plan import plan_instantiation
from vnfm.scaling import plan_scale
from vnfm.views import instance_view, masked_connection_info, occurrence_view
from vnfm.wire import (
    CreateVnfRequest,
    HealVnfRequest,
    InstantiateVnfRequest,
    InstantiationState,
    LcmOperation,
    OperateVnfRequest,
    ScaleVnfRequest,
    TerminateVnfRequest,
    VnfInfoModificationRequest,
    VnfInstance,
    VnfLcmOpOcc,
)

LIFECYCLE = web.AppKey("VNF_LIFECYCLE", Lifecycle)
VNFM_VIMS = web.AppKey("VNFM_VIMS", VimRegistry)
VERSIONS = ["2.3.0"]  # SOL003 V3.7.1 VNF lifecycle management interface version
READ, WRITE = "vnflcm:read", "vnflcm:write"
QUERY = ("filter", "all_fields", "fields", "exclude_fields", "exclude_default",
         "nextpage_opaque_marker")  # fmt: skip
INSTANCE_POLICY = SelectorPolicy(
    default_excluded=frozenset(
        {"vnfConfigurableProperties", "vimConnectionInfo", "instantiatedVnfInfo", "metadata",
         "extensions"}
    )
)  # fmt: skip
OCCURRENCE_POLICY = SelectorPolicy(
    default_excluded=frozenset(
        {"operationParams", "error", "resourceChanges", "changedInfo", "changedExtConnectivity"}
    )
)
INSTANCE = "/vnf_instances/{vnfInstanceId}"
OCCURRENCE = "/vnf_lcm_op_occs/{vnfLcmOpOccId}"


class CancelModeRequest(WireModel):
    """SOL003 5.5.2.14."""

    cancel_mode: str = Field(pattern="^(GRACEFUL|FORCEFUL)$")


def lifecycle_of(request: web.Request) -> Lifecycle:
    found = app_value(request, LIFECYCLE)
    if found is None:
        raise ServiceUnavailable("the VNF manager is not configured in this server")
    return found


async def package_of(lifecycle: Lifecycle, vnfd_id: str) -> VnfPackage:
    """The VNF package from the NFVO; its failures as what the client should know."""
    try:
        return await lifecycle.packages.get(vnfd_id)
    except (UnknownVnfd, UnreadablePackage) as error:
        raise Unprocessable(f"vnfdId: {error}") from None
    except (NfvoUnavailable, NfvoRefused) as error:
        raise ServiceUnavailable(
            f"the VNF package {vnfd_id} cannot be read from the NFVO now: {error}",
            headers={"Retry-After": "5"},
        ) from None


def _accepted(occurrence: Occurrence) -> web.Response:
    return web.Response(status=202, headers={"Location": occurrence_href(occurrence.id)})


async def create_instance(request: web.Request) -> web.Response:
    body = await read_model(request, CreateVnfRequest)
    lifecycle = lifecycle_of(request)
    await package_of(lifecycle, body.vnfd_id)  # 422 or 503 before anything is stored
    fields = body.to_wire()
    fields.pop("vnfdId")
    stored = await lifecycle.create_instance(body.vnfd_id, fields, principal_of(request))
    view = instance_view(stored.document)
    return json_response(view, status=201, headers={"Location": view["_links"]["self"]["href"]})


async def list_instances(request: web.Request) -> web.Response:
    query = ListQuery.from_request(request, INSTANCE_POLICY)
    found = await lifecycle_of(request).all_instances(principal_of(request))
    return list_response(request, query, [instance_view(item.document) for item in found])


async def show_instance(request: web.Request) -> web.Response:
    found = await lifecycle_of(request).instance(
        request.match_info["vnfInstanceId"], principal_of(request)
    )
    view = instance_view(found.document)
    return json_response(view, headers={"ETag": etag_of(view)})


async def modify_instance(request: web.Request) -> web.Response:
    lifecycle, principal = lifecycle_of(request), principal_of(request)
    found = await lifecycle.instance(request.match_info["vnfInstanceId"], principal)
    check_if_match(request, etag_of(instance_view(found.document)))
    patch = await read_json(request)
    validate(VnfInfoModificationRequest, patch)  # 422 naming what does not fit
    known = {field.alias or name for name, field in VnfInfoModificationRequest.model_fields.items()}
    merged = {
        wire: merge_patch(found.document.get(wire), value)
        for wire, value in patch.items()
        if wire in known
    }
    occurrence = await lifecycle.modify_instance(found.id, merged, found.version, principal)
    return _accepted(occurrence)


async def delete_instance(request: web.Request) -> web.Response:
    await lifecycle_of(request).delete_instance(
        request.match_info["vnfInstanceId"], principal_of(request)
    )
    return web.Response(status=204)


async def _register_vims(request: web.Request, body: InstantiateVnfRequest) -> str | None:
    """The VIMs the request names, registered with the manager (secrets sealed); the
    name of the first, which the operation uses unless the grant says otherwise."""
    registry = app_value(request, VNFM_VIMS)
    chosen = None
    for key, info in (body.vim_connection_info or {}).items():
        try:
            record = record_from_connection_info(key, info.to_wire())
        except ValueError as error:
            raise Unprocessable(f"vimConnectionInfo.{key}: {error}") from None
        if registry is None:
            raise ServiceUnavailable("no VIM registry is configured in this server")
        await register_vim(registry, record)
        chosen = chosen or record.name
    return chosen


def _instantiated(instance: dict[str, Any], wanted: InstantiationState, task: str) -> None:
    state = instance["instantiationState"]
    if state != wanted.value:
        raise Conflict(f"VNF instance {instance['id']} is {state}; {task} needs it {wanted.value}")


async def instantiate(request: web.Request) -> web.Response:
    lifecycle, principal = lifecycle_of(request), principal_of(request)
    body = await read_model(request, InstantiateVnfRequest)
    found = await lifecycle.instance(request.match_info["vnfInstanceId"], principal)
    _instantiated(found.document, InstantiationState.NOT_INSTANTIATED, "instantiate")
    package = await package_of(lifecycle, found.document["vnfdId"])
    vnfcs = plan_instantiation(package, body)
    vim = await _register_vims(request, body)
    params = body.to_wire()
    if "vimConnectionInfo" in params:
        params["vimConnectionInfo"] = masked_connection_info(params["vimConnectionInfo"])
    job = {"vnfcs": [vnfc.to_json() for vnfc in vnfcs], "vim": vim}
    occurrence = await lifecycle.start(found.id, LcmOperation.INSTANTIATE, params, job, principal)
    return _accepted(occurrence)


async def terminate(request: web.Request) -> web.Response:
    lifecycle, principal = lifecycle_of(request), principal_of(request)
    body = await read_model(request, TerminateVnfRequest)
    found = await lifecycle.instance(request.match_info["vnfInstanceId"], principal)
    _instantiated(found.document, InstantiationState.INSTANTIATED, "terminate")
    occurrence = await lifecycle.start(
        found.id, LcmOperation.TERMINATE, body.to_wire(), {}, principal
    )
    return _accepted(occurrence)


def _bookkeeping(instance: dict[str, Any]) -> dict[str, Any]:
    return dict(instance.get(BOOKKEEPING) or {})


async def scale(request: web.Request) -> web.Response:
    lifecycle, principal = lifecycle_of(request), principal_of(request)
    body = await read_model(request, ScaleVnfRequest)
    found = await lifecycle.instance(request.match_info["vnfInstanceId"], principal)
    _instantiated(found.document, InstantiationState.INSTANTIATED, "scale")
    package = await package_of(lifecycle, found.document["vnfdId"])
    job = plan_scale(package, _bookkeeping(found.document), body)
    occurrence = await lifecycle.start(found.id, LcmOperation.SCALE, body.to_wire(), job, principal)
    return _accepted(occurrence)


def _targets(instance: dict[str, Any], named: list[str] | None) -> list[dict[str, Any]]:
    try:
        return targets(_bookkeeping(instance), named)
    except ValueError as error:
        raise Unprocessable(str(error)) from None


async def operate(request: web.Request) -> web.Response:
    lifecycle, principal = lifecycle_of(request), principal_of(request)
    body = await read_model(request, OperateVnfRequest)
    found = await lifecycle.instance(request.match_info["vnfInstanceId"], principal)
    _instantiated(found.document, InstantiationState.INSTANTIATED, "operate")
    job = {"targets": _targets(found.document, body.vnfc_instance_id)}
    occurrence = await lifecycle.start(
        found.id, LcmOperation.OPERATE, body.to_wire(), job, principal
    )
    return _accepted(occurrence)


async def heal(request: web.Request) -> web.Response:
    lifecycle, principal = lifecycle_of(request), principal_of(request)
    body = await read_model(request, HealVnfRequest)
    found = await lifecycle.instance(request.match_info["vnfInstanceId"], principal)
    _instantiated(found.document, InstantiationState.INSTANTIATED, "heal")
    how = (body.additional_params or {}).get("healType")
    if how is not None and how not in HEAL_TYPES:
        raise Unprocessable(
            f"additionalParams.healType {how!r} is not one of {', '.join(HEAL_TYPES)}"
        )
    chosen = _targets(found.document, body.vnfc_instance_id)
    job = {"targets": chosen, "vnfcs": chosen}
    occurrence = await lifecycle.start(found.id, LcmOperation.HEAL, body.to_wire(), job, principal)
    return _accepted(occurrence)


async def _occurrence_response(lifecycle: Lifecycle, occurrence: Occurrence) -> dict[str, Any]:
    return occurrence_view(occurrence, await lifecycle.detail(occurrence.id))


async def list_occurrences(request: web.Request) -> web.Response:
    lifecycle = lifecycle_of(request)
    query = ListQuery.from_request(request, OCCURRENCE_POLICY)
    found = await lifecycle.all_occurrences(principal_of(request))
    documents = [await _occurrence_response(lifecycle, item) for item in found]
    return list_response(request, query, documents)


async def show_occurrence(request: web.Request) -> web.Response:
    lifecycle = lifecycle_of(request)
    found = await lifecycle.occurrence(request.match_info["vnfLcmOpOccId"], principal_of(request))
    return json_response(await _occurrence_response(lifecycle, found))


Task = Callable[[Lifecycle, str, Principal], Awaitable[Occurrence]]


def task_handler(task: Task) -> Callable[[web.Request], Awaitable[web.Response]]:
    async def handler(request: web.Request) -> web.Response:
        await task(
            lifecycle_of(request), request.match_info["vnfLcmOpOccId"], principal_of(request)
        )
        return web.Response(status=202)

    return handler


async def fail(request: web.Request) -> web.Response:
    """SOL003 5.4.12: 200 with the occurrence, now FAILED."""
    lifecycle = lifecycle_of(request)
    failed = await lifecycle.fail(request.match_info["vnfLcmOpOccId"], principal_of(request))
    return json_response(await _occurrence_response(lifecycle, failed))


async def cancel(request: web.Request) -> web.Response:
    body = await read_model(request, CancelModeRequest)
    await lifecycle_of(request).cancel(
        request.match_info["vnfLcmOpOccId"], principal_of(request), body.cancel_mode
    )
    return web.Response(status=202)


ROUTES = (
    Route("POST", "/vnf_instances", create_instance, WRITE, "Create a VNF instance",
          request_model=CreateVnfRequest, response_model=VnfInstance, status=201),
    Route("GET", "/vnf_instances", list_instances, READ, "Query VNF instances",
          response_model=VnfInstance, response_is_list=True, query=QUERY),
    Route("GET", INSTANCE, show_instance, READ, "Read a VNF instance", response_model=VnfInstance),
    Route("PATCH", INSTANCE, modify_instance, WRITE, "Modify VNF information",
          request_model=VnfInfoModificationRequest, status=202, produces=()),
    Route("DELETE", INSTANCE, delete_instance, WRITE, "Delete a VNF instance", status=204),
    Route("POST", f"{INSTANCE}/instantiate", instantiate, WRITE, "Instantiate a VNF",
          request_model=InstantiateVnfRequest, status=202, produces=()),
    Route("POST", f"{INSTANCE}/terminate", terminate, WRITE, "Terminate a VNF",
          request_model=TerminateVnfRequest, status=202, produces=()),
    Route("POST", f"{INSTANCE}/scale", scale, WRITE, "Scale a VNF",
          request_model=ScaleVnfRequest, status=202, produces=()),
    Route("POST", f"{INSTANCE}/operate", operate, WRITE, "Start or stop a VNF",
          request_model=OperateVnfRequest, status=202, produces=()),
    Route("POST", f"{INSTANCE}/heal", heal, WRITE, "Heal a VNF",
          request_model=HealVnfRequest, status=202, produces=()),
    Route("GET", "/vnf_lcm_op_occs", list_occurrences, READ, "Query operation occurrences",
          response_model=VnfLcmOpOcc, response_is_list=True, query=QUERY),
    Route("GET", OCCURRENCE, show_occurrence, READ, "Read an operation occurrence",
          response_model=VnfLcmOpOcc),
    Route("POST", f"{OCCURRENCE}/retry", task_handler(Lifecycle.retry), WRITE,
          "Retry an operation", status=202, produces=()),
    Route("POST", f"{OCCURRENCE}/rollback", task_handler(Lifecycle.rollback), WRITE,
          "Roll an operation back", status=202, produces=()),
    Route("POST", f"{OCCURRENCE}/fail", fail, WRITE, "Mark an operation failed",
          response_model=VnfLcmOpOcc, consumes=(JSON,)),
    Route("POST", f"{OCCURRENCE}/cancel", cancel, WRITE, "Cancel an operation",
          request_model=CancelModeRequest, status=202, produces=()),
    *subscription_routes(SUBSCRIPTIONS),
)  # fmt: skip


def make_app() -> web.Application:
    return make_api_app("vnflcm", 2, VERSIONS, ROUTES)
