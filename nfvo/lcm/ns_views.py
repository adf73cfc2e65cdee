"""Stored NS records as SOL005 documents: ``NsInstance`` and ``NsLcmOpOcc``.

The one place the lifecycle's records become what a client reads (clauses 6.5.2.10
and 6.5.2.3), with the ``_links`` the standard asks for: the task resources an NS
instance or an occurrence allows in its current state, and nothing else.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from nfvo.lcm.ns_records import LCM, Detail
from nfvo.lcm.ns_wire import NsState
from nfvo.sol.selectors import SelectorPolicy
from nfvo.store.occurrence_states import SOL005_NS_LCM, OperationState, Trigger
from nfvo.store.occurrences import Occurrence

NSLCM_ROOT = "/nslcm/v2"
# SOL005 clause 6.4.2.3.2: complex attributes left out unless asked for.
INSTANCE_POLICY = SelectorPolicy(
    default_excluded=frozenset(
        {
            "vnfInstance",
            "pnfInfo",
            "virtualLinkInfo",
            "vnffgInfo",
            "sapInfo",
            "nsScaleStatus",
            "additionalAffinityOrAntiAffinityRule",
            "wanConnectionInfo",
        }
    )
)
# SOL005 clause 6.4.9.3.2.
OCCURRENCE_POLICY = SelectorPolicy(
    default_excluded=frozenset(
        {
            "operationParams",
            "error",
            "resourceChanges",
            "lcmCoordinations",
            "rejectedLcmCoordinations",
            "warnings",
        }
    )
)
_TASKS_OF_INSTANCE = {
    NsState.NOT_INSTANTIATED: ("instantiate",),
    NsState.INSTANTIATED: ("terminate", "update", "scale", "heal"),
}
_OCCURRENCE_TASKS = {
    "retry": Trigger.RETRY,
    "rollback": Trigger.ROLLBACK,
    "continue": Trigger.CONTINUE,
    "fail": Trigger.FAIL,
    "cancel": Trigger.CANCEL,
}


def instance_href(ns_instance_id: str) -> str:
    return f"{NSLCM_ROOT}/ns_instances/{ns_instance_id}"


def occurrence_href(occurrence_id: str) -> str:
    return f"{NSLCM_ROOT}/ns_lcm_op_occs/{occurrence_id}"


def instance_view(document: Mapping[str, Any]) -> dict[str, Any]:
    """The stored NS instance as ``NsInstance``: no owner, no lifecycle bookkeeping."""
    shown = {k: v for k, v in document.items() if k not in ("owner", LCM)}
    href = instance_href(str(document["id"]))
    links: dict[str, Any] = {"self": {"href": href}}
    for task in _TASKS_OF_INSTANCE[NsState(document["nsState"])]:
        links[task] = {"href": f"{href}/{task}"}
    shown["_links"] = links
    return shown


def occurrence_view(occurrence: Occurrence, detail: Detail) -> dict[str, Any]:
    """The occurrence as ``NsLcmOpOcc``; ``statusEnteredTime`` as SOL005's table names
    it and ``stateEnteredTime`` as ETSI's OpenAPI document does (a known defect)."""
    entered = _time(occurrence.state_entered_time.isoformat())
    view: dict[str, Any] = {
        "id": occurrence.id,
        "operationState": occurrence.operation_state.value,
        "stateEnteredTime": entered,
        "statusEnteredTime": entered,
        "nsInstanceId": occurrence.instance_id,
        "lcmOperationType": occurrence.operation,
        "startTime": _time(occurrence.start_time.isoformat()),
        "isAutomaticInvocation": occurrence.is_automatic_invocation,
        "operationParams": occurrence.operation_params,
        "isCancelPending": detail.cancel_pending,
    }
    if detail.cancel_mode:
        view["cancelMode"] = detail.cancel_mode
    if occurrence.error is not None:
        view["error"] = dict(occurrence.error)
    if detail.resource_changes:
        view["resourceChanges"] = detail.resource_changes
    href = occurrence_href(occurrence.id)
    links: dict[str, Any] = {
        "self": {"href": href},
        "nsInstance": {"href": instance_href(occurrence.instance_id)},
    }
    for task, trigger in _OCCURRENCE_TASKS.items():
        if SOL005_NS_LCM.allows(occurrence.operation_state, trigger) and not detail.cancel_pending:
            links[task] = {"href": f"{href}/{task}"}
    view["_links"] = links
    return view


def _time(iso: str) -> str:
    """RFC 3339 with a Z, as SOL013 writes DateTime."""
    return iso.replace("+00:00", "Z")


def is_final(state: OperationState) -> bool:
    return state in SOL005_NS_LCM.final_states
