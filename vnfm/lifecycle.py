"""VNF instances and their lifecycle operation occurrences: one function per API call.

Every handler of ``/vnflcm/v2`` calls one method here; job steps use :meth:`move` and
the records. Instances are stored as their SOL003 document (``VnfInstance``, ETSI
names) with the owner (tenant) and the manager's own bookkeeping (``_vnfm``), never
shown. Occurrences go through the platform's engine (``nfvo.store.occurrences``, the
SOL003 table): creating one takes the instance's lock, so a second operation is a 409
naming the running one. What the engine's record lacks (the grant, the changes, the
job running it, a pending cancellation) is the occurrence's detail record.

A task resource (``instantiate``, ``terminate``...) has one shape (Tacker v2): validate,
record the occurrence (STARTING), enqueue its job, notify, answer 202 + Location.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

import redis.asyncio as aioredis

from nfvo.sol.problems import Conflict, NotFound, ProblemDetails
from nfvo.sol.tenancy import OwnedRecords, visible
from nfvo.sol.tokens import Principal
from nfvo.store.guards import Guard
from nfvo.store.jobs import CancelMode, Jobs
from nfvo.store.keys import Keyspace, is_valid_id
from nfvo.store.occurrence_states import OperationState, Trigger
from nfvo.store.occurrences import VNF_LCM, Occurrence, OccurrenceEngine
from nfvo.store.repository import Repository, Versioned
from nfvo.store.resources import ResourceKey
from vnfm.notices import LcmNotices, instance_href
from vnfm.packages import PackageSource
from vnfm.wire import InstantiationState, LcmOperation

INSTANCE_KIND = "vnf_instance"
DETAIL_KIND = "vnf_lcm_op_detail"
BOOKKEEPING = "_vnfm"  # the manager's own part of an instance document
JOB_OF: dict[LcmOperation, str] = {
    LcmOperation.INSTANTIATE: "vnfm.instantiate",
    LcmOperation.TERMINATE: "vnfm.terminate",
    LcmOperation.SCALE: "vnfm.scale",
    LcmOperation.OPERATE: "vnfm.operate",
    LcmOperation.HEAL: "vnfm.heal",
}
ROLLBACK_JOB = "vnfm.rollback"


@dataclass(frozen=True)
class Detail:
    """What an occurrence carries beyond the engine's record."""

    grant_id: str | None = None
    grant: dict[str, Any] | None = None
    resource_changes: dict[str, Any] | None = None
    job_id: str | None = None
    cancel_pending: bool = False
    cancel_mode: str | None = None
    job_params: dict[str, Any] | None = None  # what a retry runs the operation's job with

    @classmethod
    def of(cls, document: Mapping[str, Any] | None) -> Detail:
        document = document or {}
        return cls(
            grant_id=document.get("grantId"),
            grant=document.get("grant"),
            resource_changes=document.get("resourceChanges"),
            job_id=document.get("jobId"),
            cancel_pending=bool(document.get("cancelPending")),
            cancel_mode=document.get("cancelMode"),
            job_params=document.get("jobParams"),
        )

    def to_document(self, occurrence_id: str) -> dict[str, Any]:
        return {
            "id": occurrence_id,
            "grantId": self.grant_id,
            "grant": self.grant,
            "resourceChanges": self.resource_changes,
            "jobId": self.job_id,
            "cancelPending": self.cancel_pending,
            "cancelMode": self.cancel_mode,
            "jobParams": self.job_params,
        }


class Lifecycle:
    def __init__(
        self,
        redis: aioredis.Redis,
        keyspace: Keyspace,
        notices: LcmNotices,
        packages: PackageSource,
        *,
        boot_timeout: float = 600.0,
    ) -> None:
        self.boot_timeout = boot_timeout  # a VNFC's wait for ACTIVE
        self.instances = Repository(
            redis, keyspace, INSTANCE_KIND, indexed=("owner", "vnfdId", "instantiationState")
        )
        self.engine = OccurrenceEngine(redis, keyspace, VNF_LCM, source="vnfm")
        self.details = Repository(redis, keyspace, DETAIL_KIND)
        self.jobs = Jobs(redis, keyspace)
        self.notices = notices
        self.packages = packages

    # -- instances ---------------------------------------------------------------

    def owned(self, principal: Principal) -> OwnedRecords:
        return OwnedRecords(self.instances, principal, noun="VNF instance")

    async def create_instance(
        self, vnfd_id: str, fields: Mapping[str, Any], principal: Principal
    ) -> Versioned:
        package = await self.packages.get(vnfd_id)
        vnfd = package.vnfd
        instance_id = str(uuid.uuid4())
        document: dict[str, Any] = {
            "id": instance_id,
            **{key: value for key, value in fields.items() if value is not None},
            "vnfdId": vnfd_id,
            "vnfProvider": vnfd.provider,
            "vnfProductName": vnfd.product_name,
            "vnfSoftwareVersion": vnfd.software_version,
            "vnfdVersion": vnfd.descriptor_version,
            "instantiationState": InstantiationState.NOT_INSTANTIATED.value,
            "_links": links(instance_id, InstantiationState.NOT_INSTANTIATED),
            BOOKKEEPING: {},
        }
        stored = await self.owned(principal).create(instance_id, document)
        await self.notices.identifier(stored.document, created=True)
        return stored

    async def instance(self, instance_id: str, principal: Principal) -> Versioned:
        return await self.owned(principal).get(instance_id)

    async def all_instances(self, principal: Principal) -> list[Versioned]:
        owned, found, cursor = self.owned(principal), [], None
        while True:
            page = await owned.list(limit=500, cursor=cursor)
            found += page.items
            if page.cursor is None:
                return found
            cursor = page.cursor

    async def delete_instance(self, instance_id: str, principal: Principal) -> None:
        current = await self.instance(instance_id, principal)
        state = current.document["instantiationState"]
        if state != InstantiationState.NOT_INSTANTIATED.value:
            raise Conflict(
                f"VNF instance {instance_id} is {state}; terminate it before deleting it"
            )
        holder = await self.engine.holder(instance_id)
        if holder is not None:
            raise Conflict(
                f"VNF instance {instance_id} is busy: operation occurrence {holder} is in "
                "progress and must end (or be failed) before it can be deleted"
            )
        await self.instances.delete(instance_id, version=current.version)
        await self.notices.identifier(current.document, created=False)

    async def modify_instance(
        self, instance_id: str, changes: Mapping[str, Any], version: int, principal: Principal
    ) -> Occurrence:
        """MODIFY_INFO: applied at once (nothing to grant), reported as an occurrence."""
        current = await self.instance(instance_id, principal)
        occurrence = await self.engine.create(
            instance_id, LcmOperation.MODIFY_INFO, operation_params=dict(changes),
            owner=principal.project,
        )  # fmt: skip
        await self.notices.occurrence(current.document, occurrence)
        await self.move(occurrence.id, Trigger.GRANTED)
        document = {**current.document, **changes}
        try:
            await self.instances.put(instance_id, document, version=version)
        except Exception as error:
            problem = ProblemDetails(status=409, title="Conflict", detail=str(error))
            await self.move(occurrence.id, Trigger.ERRORED, error=problem)
            await self.move(occurrence.id, Trigger.FAIL)
            raise
        return await self.move(
            occurrence.id,
            Trigger.SUCCEEDED,
            changes={"changedInfo": {k: v for k, v in changes.items() if v is not None}},
        )

    async def save_instance(
        self, instance_id: str, document: Mapping[str, Any], guards: list[Guard]
    ) -> Versioned:
        """A job's write of the instance document (fenced by its lease)."""
        return await self.instances.put(instance_id, document, version=None, guards=guards)

    # -- operations --------------------------------------------------------------

    async def start(
        self,
        instance_id: str,
        operation: LcmOperation,
        params: Mapping[str, Any],
        job_params: Mapping[str, Any],
        principal: Principal,
    ) -> Occurrence:
        """Record the occurrence (taking the instance's lock) and enqueue its job."""
        current = await self.instance(instance_id, principal)
        occurrence = await self.engine.create(
            instance_id, operation, operation_params=dict(params), owner=principal.project
        )
        await self._enqueue(occurrence, JOB_OF[operation], job_params)
        await self.notices.occurrence(current.document, occurrence)
        return occurrence

    async def _enqueue(
        self, occurrence: Occurrence, job_type: str, params: Mapping[str, Any]
    ) -> None:
        detail = await self.detail(occurrence.id)
        job = await self.jobs.enqueue(
            job_type,
            {**params, "occurrenceId": occurrence.id, "instanceId": occurrence.instance_id},
            idempotency_key=f"{occurrence.id}:{job_type}:{len(occurrence.history)}",
        )
        kept = detail.job_params if job_type == ROLLBACK_JOB else dict(params)
        await self.save_detail(
            occurrence.id,
            replace(detail, job_id=job.id, cancel_pending=False, job_params=kept),
        )

    async def detail(self, occurrence_id: str) -> Detail:
        found = await self.details.find(occurrence_id)
        return Detail.of(found.document if found else None)

    async def save_detail(
        self, occurrence_id: str, detail: Detail, guards: list[Guard] | None = None
    ) -> None:
        document = detail.to_document(occurrence_id)
        if await self.details.find(occurrence_id) is None:
            await self.details.create(occurrence_id, document, guards=guards or [])
        else:
            await self.details.put(occurrence_id, document, version=None, guards=guards or [])

    async def occurrence(self, occurrence_id: str, principal: Principal) -> Occurrence:
        found = (
            await self.engine.repository.find(occurrence_id) if is_valid_id(occurrence_id) else None
        )
        if found is None or not visible(principal, {"owner": found.document.get("owner")}):
            raise NotFound(f"there is no VNF LCM operation occurrence {occurrence_id!r}")
        return Occurrence.from_document(found.document, found.version)

    async def all_occurrences(self, principal: Principal) -> list[Occurrence]:
        where = None if principal.is_admin else ("owner", principal.project)
        found, cursor = [], None
        while True:
            page = await self.engine.repository.list(where=where, limit=500, cursor=cursor)
            found += [Occurrence.from_document(i.document, i.version) for i in page.items]
            if page.cursor is None:
                return found
            cursor = page.cursor

    async def move(
        self,
        occurrence_id: str,
        trigger: Trigger,
        *,
        error: ProblemDetails | None = None,
        fence: Any = None,
        changes: Mapping[str, Any] | None = None,
    ) -> Occurrence:
        """Apply ``trigger`` (409 if the state refuses it) and notify the new state."""
        stored = error.to_wire() if error is not None else None
        moved = await self.engine.transition(occurrence_id, trigger, error=stored, fence=fence)
        instance = await self.instances.find(moved.instance_id)
        document = instance.document if instance else {"id": moved.instance_id}
        await self.notices.occurrence(document, moved, changes)
        return moved

    # -- task resources on occurrences (SOL003 5.4.10-5.4.13) --------------------

    async def retry(self, occurrence_id: str, principal: Principal) -> Occurrence:
        current = await self.occurrence(occurrence_id, principal)
        job = JOB_OF.get(LcmOperation(current.operation))
        if job is None:
            raise Conflict(f"operation {current.operation} cannot be retried")
        detail = await self.detail(current.id)
        moved = await self.move(current.id, Trigger.RETRY)
        await self._enqueue(moved, job, detail.job_params or {})
        return moved

    async def rollback(self, occurrence_id: str, principal: Principal) -> Occurrence:
        current = await self.occurrence(occurrence_id, principal)
        if current.operation != LcmOperation.INSTANTIATE.value:
            raise Conflict(
                f"occurrence {occurrence_id} is a {current.operation}; only an INSTANTIATE can "
                "be rolled back here: retry it or fail it"
            )
        moved = await self.move(current.id, Trigger.ROLLBACK)
        await self._enqueue(moved, ROLLBACK_JOB, {})
        return moved

    async def fail(self, occurrence_id: str, principal: Principal) -> Occurrence:
        current = await self.occurrence(occurrence_id, principal)
        return await self.move(current.id, Trigger.FAIL)

    async def cancel(self, occurrence_id: str, principal: Principal, mode: str) -> Occurrence:
        current = await self.occurrence(occurrence_id, principal)
        self.engine.machine.next(current.operation_state, Trigger.CANCEL)  # 409 early
        detail = await self.detail(current.id)
        if detail.job_id:
            await self.jobs.cancel(detail.job_id, CancelMode.FORCE)
        await self.save_detail(current.id, replace(detail, cancel_pending=True, cancel_mode=mode))
        moved = await self.move(current.id, Trigger.CANCEL)
        await self.save_detail(current.id, replace(detail, cancel_pending=False, cancel_mode=mode))
        return moved


# The task resources each state offers (those this manager serves).
TASKS: dict[InstantiationState, tuple[str, ...]] = {
    InstantiationState.NOT_INSTANTIATED: ("instantiate",),
    InstantiationState.INSTANTIATED: ("terminate", "scale", "operate", "heal"),
}


def links(instance_id: str, state: InstantiationState) -> dict[str, Any]:
    """The instance's ``_links``: itself and the task resources its state allows."""
    href = instance_href(instance_id)
    found = {"self": {"href": href}}
    found.update({task: {"href": f"{href}/{task}"} for task in TASKS[state]})
    return found


ALREADY_FINAL = frozenset(
    {OperationState.COMPLETED, OperationState.FAILED, OperationState.ROLLED_BACK}
)
LIFECYCLE: ResourceKey[Lifecycle] = ResourceKey("VNF lifecycle", Lifecycle)
