"""What the NS lifecycle notifies (SOL005 clause 6.5.2): bodies, filters, publishing.

| when                                  | notification                                 |
| ------------------------------------- | -------------------------------------------- |
| an NS instance is created / deleted   | NsIdentifierCreation/DeletionNotification    |
| an operation starts, ends or moves on | NsLcmOperationOccurrenceNotification         |
|   (START; RESULT at every state a     |   (with ``error`` when it failed)            |
|   client may act on or that is final) |                                              |
| a VNF of the NS is changed by it      | NsChangeNotification (component VNF)         |
| a grant is refused for capacity/quota | NsLcmCapacityShortageNotification            |

Publishing only queues in Redis (``Notifier.publish_notification``), for the NS
owner's subscriptions whose ``LifecycleChangeNotificationsFilter`` matches; the
notifier delivers. A notification that cannot be queued is logged, never fails the
operation it reports on: what it reports is already stored.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from pydantic import Field

from nfvo.lcm.ns_records import LCM
from nfvo.lcm.ns_views import NSLCM_ROOT, instance_href, occurrence_href
from nfvo.sol.notifications import Matches, Notifier, SubscriptionApi
from nfvo.sol.wire import WireModel
from nfvo.store.occurrences import Occurrence

log = logging.getLogger("nfvo.lcm.notices")


class NotificationType(StrEnum):
    OCCURRENCE = "NsLcmOperationOccurrenceNotification"
    CREATED = "NsIdentifierCreationNotification"
    DELETED = "NsIdentifierDeletionNotification"
    SHORTAGE = "NsLcmCapacityShortageNotification"
    CHANGE = "NsChangeNotification"


class NsInstanceSubscriptionFilter(WireModel):
    """SOL005 4.4.1.5 (NS instance part of a filter)."""

    nsd_ids: list[str] | None = None
    vnfd_ids: list[str] | None = None
    pnfd_ids: list[str] | None = None
    ns_instance_ids: list[str] | None = None
    ns_instance_names: list[str] | None = None


class LifecycleChangeNotificationsFilter(WireModel):
    """SOL005 6.5.3.8."""

    ns_instance_subscription_filter: NsInstanceSubscriptionFilter | None = None
    notification_types: list[NotificationType] | None = None
    operation_types: list[str] | None = None
    operation_states: list[str] | None = None
    affected_ns_instance_ids: list[str] | None = Field(default=None)
    ns_component_types: list[str] | None = None
    lcm_op_name_impacting_ns_component: list[str] | None = None
    lcm_op_occ_status_impacting_ns_component: list[str] | None = None


NSLCM_SUBSCRIPTIONS = SubscriptionApi(
    name="nslcm",
    api_root=NSLCM_ROOT,
    notification_types=frozenset(NotificationType),
    filter_model=LifecycleChangeNotificationsFilter,
)


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _vnfd_ids(ns: Mapping[str, Any]) -> set[str]:
    parts = (ns.get(LCM) or {}).get("parts") or {}
    return {v["vnfdId"] for v in parts.get("vnfs", [])}


def matches_ns(ns: Mapping[str, Any], facts: Mapping[str, str | None] | None = None) -> Matches:
    """The filter test for a notification about ``ns``; ``facts`` are the
    notification's own attributes (operation type and state, component type...)."""
    facts = facts or {}

    def matches(flt: Mapping[str, Any]) -> bool:
        scope = flt.get("nsInstanceSubscriptionFilter") or {}
        tests: list[tuple[str, set[Any]]] = [
            ("nsdIds", {ns.get("nsdId")}),
            ("nsInstanceIds", {ns.get("id")}),
            ("nsInstanceNames", {ns.get("nsInstanceName")}),
            ("vnfdIds", _vnfd_ids(ns)),
            ("pnfdIds", set()),
        ]
        for name, values in tests:
            wanted = scope.get(name)
            if wanted and not set(wanted) & values:
                return False
        if flt.get("affectedNsInstanceIds") and ns.get("id") not in flt["affectedNsInstanceIds"]:
            return False
        for name, fact in (
            ("operationTypes", facts.get("operation")),
            ("operationStates", facts.get("state")),
            ("nsComponentTypes", facts.get("component")),
            ("lcmOpNameImpactingNsComponent", facts.get("operation")),
            ("lcmOpOccStatusImpactingNsComponent", facts.get("status")),
        ):
            wanted = flt.get(name)
            if wanted and fact is not None and fact not in wanted:
                return False
        return True

    return matches


class NsNotices:
    def __init__(self, notifier: Notifier) -> None:
        self.notifier = notifier

    async def _publish(
        self, ns: Mapping[str, Any], kind: NotificationType, body: dict[str, Any], matches: Matches
    ) -> None:
        try:
            await self.notifier.publish_notification(
                NSLCM_SUBSCRIPTIONS, kind.value, body, matches=matches, owner=ns.get("owner")
            )
        except Exception:  # the boundary: what it reports is stored already
            log.exception("the %s of NS instance %s was not queued", kind.value, ns.get("id"))

    def _base(self, ns: Mapping[str, Any], kind: NotificationType) -> dict[str, Any]:
        return {
            "id": str(uuid.uuid4()),
            "notificationType": kind.value,
            "timestamp": _now(),
            "nsInstanceId": ns["id"],
            "_links": {"nsInstance": {"href": instance_href(str(ns["id"]))}},
        }

    async def identifier(self, ns: Mapping[str, Any], *, created: bool) -> None:
        kind = NotificationType.CREATED if created else NotificationType.DELETED
        await self._publish(ns, kind, self._base(ns, kind), matches_ns(ns))

    async def occurrence(
        self,
        ns: Mapping[str, Any],
        occurrence: Occurrence,
        status: str,
        changes: Mapping[str, Any] | None = None,
    ) -> None:
        """START, or RESULT with the state reached (and the error, the changes)."""
        kind = NotificationType.OCCURRENCE
        body = self._base(ns, kind)
        body.update(
            nsLcmOpOccId=occurrence.id,
            operation=occurrence.operation,
            notificationStatus=status,
            operationState=occurrence.operation_state.value,
            isAutomaticInvocation=occurrence.is_automatic_invocation,
        )
        body["_links"]["nsLcmOpOcc"] = {"href": occurrence_href(occurrence.id)}
        if occurrence.error is not None and status == "RESULT":
            body["error"] = dict(occurrence.error)
        for name, value in (changes or {}).items():
            if value:
                body[name] = value
        facts = {"operation": occurrence.operation, "state": occurrence.operation_state.value}
        await self._publish(ns, kind, body, matches_ns(ns, facts))

    async def changed(
        self,
        ns: Mapping[str, Any],
        vnf_instance_ids: Sequence[str],
        occurrence: Occurrence,
        change: str,
        status: str,
    ) -> None:
        """NsChangeNotification per VNF ``change`` (``VNF_INSTANTIATE``...) made by the
        occurrence (``status``: START, COMPLETED, FAILED, ROLLED_BACK)."""
        kind = NotificationType.CHANGE
        for vnf_instance_id in vnf_instance_ids:
            body = self._base(ns, kind)
            body.update(
                nsComponentType="VNF",
                nsComponentId=vnf_instance_id,
                lcmOpOccIdImpactingNsComponent=occurrence.id,
                lcmOpNameImpactingNsComponent=change,
                lcmOpOccStatusImpactingNsComponent=status,
            )
            facts = {
                "operation": body["lcmOpNameImpactingNsComponent"],
                "component": "VNF",
                "status": status,
            }
            await self._publish(ns, kind, body, matches_ns(ns, facts))

    async def shortage(self, ns: Mapping[str, Any], occurrence_id: str, vim: str | None) -> None:
        kind = NotificationType.SHORTAGE
        body = self._base(ns, kind)
        body.update(
            nsLcmOpOccId=occurrence_id,
            status="LCM_RESOURCES_NOT_AVAILABLE",
            shortageType="RESOURCE_SHORTAGE",
            affectedOpOccs=[
                {
                    "affectedNsId": ns["id"],
                    "affectedOpOccId": occurrence_id,
                    "affectedCondition": "TRIGGERED",
                    "_links": {
                        "affectedLcmOpOcc": {"href": occurrence_href(occurrence_id)},
                        "affectedNs": {"href": instance_href(str(ns["id"]))},
                    },
                }
            ],
        )
        del body["nsInstanceId"]  # the shortage names the NS through affectedOpOccs
        await self._publish(ns, kind, body, matches_ns(ns))
