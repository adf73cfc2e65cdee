"""What the VNF manager notifies (SOL003 clause 5.5.2.17-19) and its subscription filter.

| what happens                      | notification                              |
| --------------------------------- | ----------------------------------------- |
| a VNF instance is created         | VnfIdentifierCreationNotification         |
| an occurrence enters a state      | VnfLcmOperationOccurrenceNotification     |
|                                   | (START: STARTING, PROCESSING, ROLLING_BACK;|
|                                   | RESULT: the other states)                 |
| a VNF instance is deleted         | VnfIdentifierDeletionNotification         |

Ids derive from what is notified (the occurrence and its state), so a step that runs
again after a crash sends the same id, which a subscriber may deduplicate.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from pydantic import Field

from nfvo.sol.notifications import Notifier, SubscriptionApi
from nfvo.sol.wire import WireModel
from nfvo.store.occurrence_states import OperationState
from nfvo.store.occurrences import Occurrence

LOG = logging.getLogger("vnfm")
API_ROOT = "/vnflcm/v2"
_ID_NAMESPACE = uuid.UUID("0b8c7c5e-52a4-4d6a-9f77-7d3c4f8a1e20")
_START_STATES = frozenset(
    {OperationState.STARTING, OperationState.PROCESSING, OperationState.ROLLING_BACK}
)


class LcmNotificationType(StrEnum):
    OPERATION_OCCURRENCE = "VnfLcmOperationOccurrenceNotification"
    CREATION = "VnfIdentifierCreationNotification"
    DELETION = "VnfIdentifierDeletionNotification"


class VnfInstanceSubscriptionFilter(WireModel):
    vnfd_ids: list[str] | None = None
    vnf_instance_ids: list[str] | None = None
    vnf_instance_names: list[str] | None = None


class LifecycleChangeNotificationsFilter(WireModel):
    """SOL003 5.5.3.12."""

    vnf_instance_subscription_filter: VnfInstanceSubscriptionFilter | None = None
    notification_types: list[LcmNotificationType] | None = None
    operation_types: list[str] | None = Field(default=None)
    operation_states: list[OperationState] | None = None


SUBSCRIPTIONS = SubscriptionApi(
    name="vnflcm",
    api_root=API_ROOT,
    notification_types=frozenset(LcmNotificationType),
    filter_model=LifecycleChangeNotificationsFilter,
    read_scope="vnflcm:read",
    write_scope="vnflcm:write",
)


def instance_href(instance_id: str) -> str:
    return f"{API_ROOT}/vnf_instances/{instance_id}"


def occurrence_href(occurrence_id: str) -> str:
    return f"{API_ROOT}/vnf_lcm_op_occs/{occurrence_id}"


def _matcher(instance: Mapping[str, Any], occurrence: Occurrence | None) -> Any:
    def matches(flt: Mapping[str, Any]) -> bool:
        chosen = flt.get("vnfInstanceSubscriptionFilter") or {}
        for attribute, value in (
            ("vnfdIds", instance.get("vnfdId")),
            ("vnfInstanceIds", instance.get("id")),
            ("vnfInstanceNames", instance.get("vnfInstanceName")),
        ):
            wanted = chosen.get(attribute)
            if wanted and value not in wanted:
                return False
        if occurrence is not None:
            types, states = flt.get("operationTypes"), flt.get("operationStates")
            if types and occurrence.operation not in types:
                return False
            if states and occurrence.operation_state.value not in states:
                return False
        return True

    return matches


def _identity(*parts: str) -> str:
    return str(uuid.uuid5(_ID_NAMESPACE, "/".join(parts)))


def _now() -> str:
    return datetime.now(UTC).isoformat()


class LcmNotices:
    """Queues the VNF manager's notifications on the shared notifier."""

    def __init__(self, notifier: Notifier) -> None:
        self.notifier = notifier

    async def _publish(
        self,
        kind: LcmNotificationType,
        body: dict[str, Any],
        instance: Mapping[str, Any],
        occurrence: Occurrence | None = None,
    ) -> None:
        # What is notified is already stored: a queue that cannot be written must not
        # fail the operation (delivery is at least once, not exactly once).
        try:
            await self.notifier.publish_notification(
                SUBSCRIPTIONS,
                kind.value,
                body,
                matches=_matcher(instance, occurrence),
                owner=instance.get("owner"),
            )
        except Exception:
            LOG.exception("a notification could not be queued", extra={"type": kind.value})

    async def identifier(self, instance: Mapping[str, Any], created: bool) -> None:
        kind = LcmNotificationType.CREATION if created else LcmNotificationType.DELETION
        body = {
            "id": _identity(kind.value, instance["id"]),
            "notificationType": kind.value,
            "timeStamp": _now(),
            "vnfInstanceId": instance["id"],
            "_links": {"vnfInstance": {"href": instance_href(instance["id"])}},
        }
        await self._publish(kind, body, instance)

    async def occurrence(
        self,
        instance: Mapping[str, Any],
        occurrence: Occurrence,
        changes: Mapping[str, Any] | None = None,
    ) -> None:
        state = occurrence.operation_state
        kind = LcmNotificationType.OPERATION_OCCURRENCE
        body: dict[str, Any] = {
            "id": _identity(occurrence.id, state.value, str(len(occurrence.history))),
            "notificationType": kind.value,
            "timeStamp": _now(),
            "notificationStatus": "START" if state in _START_STATES else "RESULT",
            "operationState": state.value,
            "vnfInstanceId": occurrence.instance_id,
            "operation": occurrence.operation,
            "isAutomaticInvocation": occurrence.is_automatic_invocation,
            "verbosity": "FULL",
            "vnfLcmOpOccId": occurrence.id,
            "_links": {
                "vnfInstance": {"href": instance_href(occurrence.instance_id)},
                "vnfLcmOpOcc": {"href": occurrence_href(occurrence.id)},
            },
        }
        if state not in _START_STATES:
            body.update({key: value for key, value in (changes or {}).items() if value})
        if occurrence.error is not None:
            body["error"] = dict(occurrence.error)
        await self._publish(kind, body, instance, occurrence)
