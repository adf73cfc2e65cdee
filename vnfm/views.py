"""Stored records as SOL003 documents: the one place each becomes wire data."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from nfvo.store.occurrence_states import SOL003_VNF_LCM, OperationState, Trigger
from nfvo.store.occurrences import Occurrence
from nfvo.store.secrets import MASK
from vnfm.lifecycle import BOOKKEEPING, Detail
from vnfm.notices import instance_href, occurrence_href

_SECRET_ACCESS = ("password", "applicationCredentialSecret", "secret", "token")
_TASKS = (Trigger.RETRY, Trigger.ROLLBACK, Trigger.FAIL, Trigger.CANCEL)


def masked_connection_info(info: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """``vimConnectionInfo`` with every secret in ``accessInfo`` masked."""
    if info is None:
        return None
    masked: dict[str, Any] = {}
    for key, entry in info.items():
        access = dict(entry.get("accessInfo") or {})
        for name in _SECRET_ACCESS:
            if name in access:
                access[name] = MASK
        masked[key] = {**entry, **({"accessInfo": access} if access else {})}
    return masked


def instance_view(document: Mapping[str, Any]) -> dict[str, Any]:
    """A VnfInstance (SOL003 5.5.2.2): no owner, no bookkeeping, secrets masked."""
    view = {k: v for k, v in document.items() if k not in ("owner", BOOKKEEPING) and v is not None}
    if "vimConnectionInfo" in view:
        view["vimConnectionInfo"] = masked_connection_info(view["vimConnectionInfo"])
    return view


def occurrence_view(occurrence: Occurrence, detail: Detail) -> dict[str, Any]:
    """A VnfLcmOpOcc (SOL003 5.5.2.13) with the task resources its state allows."""
    href = occurrence_href(occurrence.id)
    links: dict[str, Any] = {
        "self": {"href": href},
        "vnfInstance": {"href": instance_href(occurrence.instance_id)},
    }
    for trigger in _TASKS:
        if SOL003_VNF_LCM.allows(occurrence.operation_state, trigger):
            links[trigger.value] = {"href": f"{href}/{trigger.value}"}
    if detail.grant_id and detail.grant:
        grant_href = ((detail.grant.get("_links") or {}).get("self") or {}).get("href")
        if grant_href:
            links["grant"] = {"href": grant_href}
    view: dict[str, Any] = {
        "id": occurrence.id,
        "operationState": occurrence.operation_state.value,
        "stateEnteredTime": occurrence.state_entered_time.isoformat(),
        "startTime": occurrence.start_time.isoformat(),
        "vnfInstanceId": occurrence.instance_id,
        "grantId": detail.grant_id,
        "operation": occurrence.operation,
        "isAutomaticInvocation": occurrence.is_automatic_invocation,
        "operationParams": _params_view(occurrence.operation_params),
        "isCancelPending": detail.cancel_pending,
        "cancelMode": detail.cancel_mode if detail.cancel_pending else None,
        "error": dict(occurrence.error) if occurrence.error else None,
        "resourceChanges": detail.resource_changes,
        "_links": links,
    }
    if occurrence.operation_state is OperationState.STARTING:
        view.pop("resourceChanges")
    return {key: value for key, value in view.items() if value is not None}


def _params_view(params: Mapping[str, Any]) -> dict[str, Any]:
    """The request as the client sent it, with VIM secrets masked."""
    if "vimConnectionInfo" not in params:
        return dict(params)
    return {**params, "vimConnectionInfo": masked_connection_info(params["vimConnectionInfo"])}
