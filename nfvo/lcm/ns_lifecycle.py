"""NS instances and their lifecycle operations: one function per API call (SOL005 6).

Every handler of ``/nslcm/v2`` calls one method here. A task resource has one shape
(Tacker v2): validate and plan (``nfvo.lcm.ns_operations``: 422 naming what is
wrong), record the occurrence (PROCESSING; a second operation on the NS is a 409
naming the running one), store the NS's intent, enqueue the durable job that runs
the steps (``nfvo.lcm.jobs``), notify START, answer 202 + Location.

The occurrence's own tasks: ``retry`` runs the same steps again in a new job, every
step that succeeded before taking its outputs from then; ``continue`` does the same
but takes the failed steps as done; ``rollback`` runs the teardown of every part a
step touched, backwards; ``fail`` ends it FAILED, fails the VNF operations left in
FAILED_TEMP (their reservations are released) and lists what is left on the VIM;
``cancel`` stops the job (GRACEFUL: running steps finish; FORCEFUL: they are
cancelled), cancels the VNF operations running for it, and leaves it FAILED_TEMP.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Collection, Mapping, Sequence
from typing import Any

import redis.asyncio as aioredis

from nfvo.catalog.records import Kind
from nfvo.catalog.store import CatalogStore
from nfvo.catalog.wire import OnboardingState, OperationalState
from nfvo.lcm.grant_records import GrantRecord
from nfvo.lcm.granting import Granting
from nfvo.lcm.ns_notices import NsNotices
from nfvo.lcm.ns_plans import FINISH, Parts, StepSpec, started_parts, teardown_steps
from nfvo.lcm.ns_records import LCM, Detail, NsRecords
from nfvo.lcm.ns_wire import CancelModeType, CreateNsRequest, LcmOperationType, NsState
from nfvo.lcm.vnf_notices import VnfNotices
from nfvo.lcm.vnfms import VnfmRegistry
from nfvo.sol.notifications import Notifier
from nfvo.sol.problems import Conflict, NotFound, ProblemDetails, Unprocessable
from nfvo.sol.tenancy import visible
from nfvo.sol.tokens import Principal
from nfvo.store.jobs import CancelMode, Jobs
from nfvo.store.keys import Keyspace, is_valid_id
from nfvo.store.occurrence_states import Trigger
from nfvo.store.occurrences import Occurrence
from nfvo.store.repository import Versioned
from nfvo.store.resources import ResourceKey
from nfvo.store.steps import StepStatus
from nfvo.vim.registry import VimRegistry

JOB_TYPE = "lcm.ns"
JOB_END_WAIT = 15.0  # seconds a task waits for the previous job's steps to have ended
DEFAULT_STEP_TIMEOUT = 1800.0  # seconds; additionalParamsForNs.stepTimeoutSeconds overrides


def job_params(
    occurrence_id: str,
    ns_instance_id: str,
    steps: Sequence[StepSpec],
    *,
    carried: Mapping[str, Any] | None = None,
    step_timeout: float = DEFAULT_STEP_TIMEOUT,
    built: Parts | None = None,
    dependencies: Mapping[str, Sequence[str]] | None = None,
) -> dict[str, Any]:
    """A job's parameters: its steps (data), the outputs carried from earlier jobs of
    the occurrence, and for a build the parts it builds (what a rollback undoes)."""
    return {
        "occurrenceId": occurrence_id,
        "nsInstanceId": ns_instance_id,
        "steps": [s.to_json() for s in steps],
        "carried": dict(carried or {}),
        "stepTimeout": step_timeout,
        "parts": built.to_json() if built is not None else None,
        "dependencies": {k: list(v) for k, v in (dependencies or {}).items()},
    }


class NsLifecycle:
    def __init__(
        self,
        redis: aioredis.Redis,
        keyspace: Keyspace,
        catalog: CatalogStore,
        vims: VimRegistry,
        vnfms: VnfmRegistry,
        granting: Granting,
        notifier: Notifier,
        vnf_notices: VnfNotices,
    ) -> None:
        self.vnf_notices = vnf_notices
        self.records = NsRecords(redis, keyspace)
        self.jobs = Jobs(redis, keyspace)
        self.notices = NsNotices(notifier)
        self.catalog, self.vims, self.vnfms, self.granting = catalog, vims, vnfms, granting
        granting.refused.append(self._capacity_shortage)

    async def run(self, stop: asyncio.Event) -> None:
        """The runtime's service: when the process stops, background grant decisions
        stop (a later read takes them up again) and the VNFM clients close."""
        await stop.wait()
        await self.granting.close()
        await self.vnfms.close()

    # -- NS instance identifiers ----------------------------------------------------------

    async def create(self, body: CreateNsRequest, viewer: Principal) -> dict[str, Any]:
        """A NOT_INSTANTIATED NS instance of an onboarded, enabled NSD (SOL005 6.4.2.3.1)."""
        nsd_info = await self._usable_nsd(body.nsd_id, viewer)
        ns_instance_id = str(uuid.uuid4())
        document = {
            "id": ns_instance_id,
            "nsInstanceName": body.ns_name,
            "nsInstanceDescription": body.ns_description,
            "nsdId": body.nsd_id,
            "nsdInfoId": nsd_info,
            "nsState": NsState.NOT_INSTANTIATED.value,
            "owner": viewer.project,
            LCM: {},
        }
        await self.records.instances.create(ns_instance_id, document)
        await self.notices.identifier(document, created=True)
        return document

    async def _usable_nsd(self, nsd_id: str, viewer: Principal) -> str:
        for record in await self.catalog.where(Kind.NSD, "nsdId", nsd_id):
            onboarded = record.onboarding_state is OnboardingState.ONBOARDED
            if onboarded and visible(viewer, {"owner": record.owner}):
                if record.operational_state is not OperationalState.ENABLED:
                    raise Conflict(
                        f"NSD {nsd_id} (nsdInfo {record.id}) is DISABLED: enable it first"
                    )
                return record.id
        raise Unprocessable(f"nsdId {nsd_id}: no such NSD is onboarded")

    async def show(self, ns_instance_id: str, viewer: Principal) -> Versioned:
        found = await self.records.find(ns_instance_id)
        if found is None or not visible(viewer, found.document):
            raise NotFound(f"there is no NS instance {ns_instance_id!r}")
        return found

    async def listed(
        self, viewer: Principal, index: Mapping[str, Collection[str]]
    ) -> list[Versioned]:
        """Every visible NS instance meeting the single-valued indexed parts of a filter
        (the caller applies the whole filter to what is returned)."""
        conditions = [
            (attribute, next(iter(values)))
            for attribute, values in index.items()
            if len(values) == 1
        ]
        if not viewer.is_admin:
            conditions.append(("owner", viewer.project))
        items: list[Versioned] = []
        cursor: str | None = None
        while True:
            page = await self.records.instances.list_where_all(conditions, limit=500, cursor=cursor)
            items += page.items
            if page.cursor is None:
                return items
            cursor = page.cursor

    async def delete(self, ns_instance_id: str, viewer: Principal) -> None:
        """Only a NOT_INSTANTIATED NS with no operation in progress (SOL005 6.4.3.3.5)."""
        found = await self.show(ns_instance_id, viewer)
        if found.document["nsState"] != NsState.NOT_INSTANTIATED.value:
            raise Conflict(f"NS instance {ns_instance_id} is INSTANTIATED: terminate it first")
        holder = await self.records.occurrences.holder(ns_instance_id)
        if holder is not None:
            raise Conflict(
                f"NS instance {ns_instance_id} is busy with operation occurrence {holder}"
            )
        await self.records.instances.delete(ns_instance_id, version=found.version)
        await self.notices.identifier(found.document, created=False)

    # -- starting an operation ------------------------------------------------------------------

    async def start(
        self,
        ns: Versioned,
        operation: LcmOperationType,
        params: Mapping[str, Any],
        steps: Sequence[StepSpec],
        intent: Mapping[str, Any] | None = None,
        step_timeout: float = DEFAULT_STEP_TIMEOUT,
        built: Parts | None = None,
        dependencies: Mapping[str, Sequence[str]] | None = None,
    ) -> Occurrence:
        """Record the occurrence (the NS's lock), store the intent, enqueue the job."""
        occurrence = await self.records.occurrences.create(
            str(ns.id),
            operation.value,
            operation_params=dict(params),
            owner=ns.document.get("owner"),
        )
        try:
            if intent is not None:
                await self.records.change(
                    str(ns.id), lambda d: {**d, LCM: {**d.get(LCM, {}), **intent}}
                )
            job = await self.jobs.enqueue(
                JOB_TYPE,
                job_params(
                    occurrence.id,
                    str(ns.id),
                    steps,
                    step_timeout=step_timeout,
                    built=built,
                    dependencies=dependencies,
                ),
                idempotency_key=f"{occurrence.id}:0",
            )
            await self.records.save_detail(occurrence.id, Detail(jobs=(job.id,)))
        except Exception as error:  # nothing runs: the occurrence must not hold the NS
            problem = ProblemDetails(
                status=503, title="Not started", detail=f"the operation could not start: {error}"
            )
            await self.records.occurrences.transition(
                occurrence.id, Trigger.ERRORED, error=problem.to_wire()
            )
            raise
        await self.notices.occurrence(ns.document, occurrence, "START")
        return occurrence

    # -- occurrences -------------------------------------------------------------------------------

    async def occurrence(self, occurrence_id: str, viewer: Principal) -> tuple[Occurrence, Detail]:
        found = (
            await self.records.occurrences.repository.find(occurrence_id)
            if is_valid_id(occurrence_id)
            else None
        )
        if found is None or not visible(viewer, found.document):
            raise NotFound(f"there is no NS LCM operation occurrence {occurrence_id!r}")
        occurrence = Occurrence.from_document(found.document, found.version)
        return occurrence, await self.records.detail(occurrence_id)

    async def occurrences(self, viewer: Principal) -> list[tuple[Occurrence, Detail, int]]:
        repository = self.records.occurrences.repository
        where = None if viewer.is_admin else ("owner", viewer.project)
        found: list[tuple[Occurrence, Detail, int]] = []
        cursor: str | None = None
        while True:
            page = await repository.list(where=where, limit=500, cursor=cursor)
            for item in page.items:
                occurrence = Occurrence.from_document(item.document, item.version)
                found.append((occurrence, await self.records.detail(occurrence.id), item.created))
            if page.cursor is None:
                return found
            cursor = page.cursor

    async def retry(
        self, occurrence_id: str, viewer: Principal, *, skip_failed: bool = False
    ) -> Occurrence:
        """``retry`` (or ``continue``: the failed steps count as done) in a new job."""
        occurrence, detail = await self.occurrence(occurrence_id, viewer)
        trigger = Trigger.CONTINUE if skip_failed else Trigger.RETRY
        self.records.occurrences.machine.next(occurrence.operation_state, trigger)  # 409 early
        previous = await self._last_job(detail)
        carried, failed = await self._outcomes(detail)
        if skip_failed:
            carried.update({name: {} for name in failed})
        forward = _forward_params(previous.params)
        params = {**forward, "carried": carried}
        return await self._rerun(occurrence, detail, trigger, params, rolling_back=False)

    async def rollback(self, occurrence_id: str, viewer: Principal) -> Occurrence:
        occurrence, detail = await self.occurrence(occurrence_id, viewer)
        self.records.occurrences.machine.next(occurrence.operation_state, Trigger.ROLLBACK)
        previous = await self._last_job(detail)
        forward = _forward_params(previous.params)
        touched = started_parts(Parts.from_json(forward.get("parts")), await self._started(detail))
        undo = teardown_steps(
            touched,
            forward.get("dependencies", {}),
            {
                "operation": occurrence.operation,
                "outcome": "rollback",
                "removed": touched.to_json(),
            },
        )
        params = job_params(
            occurrence.id, occurrence.instance_id, undo, step_timeout=forward["stepTimeout"]
        )
        params["forward"] = forward
        return await self._rerun(occurrence, detail, Trigger.ROLLBACK, params, rolling_back=True)

    async def fail(self, occurrence_id: str, viewer: Principal) -> Occurrence:
        """FAILED: final. The VNF operations it left FAILED_TEMP are failed on their VNFMs
        (their reservations released); ``resourceChanges`` lists what stays on the VIM."""
        occurrence, detail = await self.occurrence(occurrence_id, viewer)
        self.records.occurrences.machine.next(occurrence.operation_state, Trigger.FAIL)
        await self._last_job(detail)
        left = await self._leftovers(occurrence.instance_id, detail)
        await self.records.save_detail(occurrence.id, detail.but(resource_changes=left))
        failed = await self.records.occurrences.transition(occurrence.id, Trigger.FAIL)
        ns = await self.records.get(occurrence.instance_id)
        await self.notices.occurrence(ns.document, failed, "RESULT", left)
        return failed

    async def cancel(
        self, occurrence_id: str, mode: CancelModeType, viewer: Principal
    ) -> Occurrence:
        occurrence, detail = await self.occurrence(occurrence_id, viewer)
        self.records.occurrences.machine.next(occurrence.operation_state, Trigger.CANCEL)
        if detail.jobs:
            forceful = mode is CancelModeType.FORCEFUL
            await self.jobs.cancel(
                detail.jobs[-1], CancelMode.FORCE if forceful else CancelMode.GRACEFUL
            )
        await self._cancel_vnf_operations(occurrence)
        await self.records.save_detail(occurrence.id, detail.but(cancel_mode=mode.value))
        problem = ProblemDetails(
            status=409, title="Cancelled", detail=f"cancelled ({mode.value}) by the client"
        )
        moved = await self.records.occurrences.transition(
            occurrence.id, Trigger.CANCEL, error=problem.to_wire()
        )
        ns = await self.records.get(occurrence.instance_id)
        await self.notices.occurrence(ns.document, moved, "RESULT")
        return moved

    # -- helpers ----------------------------------------------------------------------------------

    async def _rerun(
        self,
        occurrence: Occurrence,
        detail: Detail,
        trigger: Trigger,
        params: dict[str, Any],
        *,
        rolling_back: bool,
    ) -> Occurrence:
        index = len(detail.jobs)
        job = await self.jobs.enqueue(JOB_TYPE, params, idempotency_key=f"{occurrence.id}:{index}")
        await self.records.save_detail(
            occurrence.id,
            detail.but(jobs=(*detail.jobs, job.id), rolling_back=rolling_back, cancel_mode=None),
        )
        moved = await self.records.occurrences.transition(occurrence.id, trigger)
        ns = await self.records.get(occurrence.instance_id)
        await self.notices.occurrence(ns.document, moved, "START")
        return moved

    async def _last_job(self, detail: Detail) -> Any:
        """The occurrence's last job, which must have ended (a cancelled one's running
        steps may still be finishing: 409 until they have)."""
        if not detail.jobs:
            raise Conflict("the operation occurrence has no job to take up again")
        try:
            return await self.jobs.wait(detail.jobs[-1], JOB_END_WAIT, poll=0.1)
        except TimeoutError:
            raise Conflict(
                f"the operation's job {detail.jobs[-1]} is still ending its running steps; "
                "try again shortly"
            ) from None

    async def _outcomes(self, detail: Detail) -> tuple[dict[str, Any], list[str]]:
        """Outputs of every step that succeeded in a forward job, and the failed ones."""
        carried: dict[str, Any] = {}
        failed: list[str] = []
        for job_id in detail.jobs:
            job = await self.jobs.get(job_id)
            if "forward" in job.params:  # a rollback undid some: every step looks again
                carried, failed = {}, []
                continue
            for name, record in (await self.jobs.steps(job_id)).items():
                if record.status is StepStatus.SUCCEEDED:
                    carried[name] = record.outputs
                elif record.status is StepStatus.FAILED and name != FINISH:
                    failed.append(name)  # not those the failure cancelled
        return carried, [name for name in failed if name not in carried]

    async def _started(self, detail: Detail) -> set[str]:
        started: set[str] = set()
        for job_id in detail.jobs:
            started |= set(await self.jobs.steps(job_id))
        return started

    async def _leftovers(self, ns_instance_id: str, detail: Detail) -> dict[str, Any]:
        """What the occurrence leaves behind, as ``resourceChanges`` (VNFs, links)."""
        vnfs: list[dict[str, Any]] = []
        for member in await self.records.members_of(ns_instance_id):
            if member.vnf_instance_id is None:
                continue
            client = await self.vnfms.client(member.vnfm)
            for vnf_occurrence in await client.occurrences_of(member.vnf_instance_id):
                if vnf_occurrence.get("operationState") == "FAILED_TEMP":
                    await client.occurrence_task(str(vnf_occurrence["id"]), "fail")
                    await self.granting.settle(str(vnf_occurrence["id"]), "FAILED")
            vnfs.append(
                {
                    "vnfInstanceId": member.vnf_instance_id,
                    "vnfdId": member.vnfd_id,
                    "vnfProfileId": member.profile_id,
                    "vnfName": member.key,
                    "changeType": "ADD",
                    "changeResult": "FAILED",
                }
            )
        links: list[dict[str, Any]] = []
        for job_id in detail.jobs:
            for name, record in (await self.jobs.steps(job_id)).items():
                if name.startswith("link ") and record.outputs.get("created"):
                    links.append(
                        {
                            "nsVirtualLinkInstanceId": record.outputs["networkId"],
                            "nsVirtualLinkDescId": name.removeprefix("link "),
                            "vlProfileId": name.removeprefix("link "),
                            "changeType": "ADD",
                            "changeResult": "FAILED",
                        }
                    )
        return {"affectedVnfs": vnfs, "affectedVls": links}

    async def _cancel_vnf_operations(self, occurrence: Occurrence) -> None:
        for member in await self.records.members_of(occurrence.instance_id):
            if member.vnf_instance_id is None:
                continue
            client = await self.vnfms.client(member.vnfm)
            for vnf_occurrence in await client.occurrences_of(member.vnf_instance_id):
                if vnf_occurrence.get("operationState") in (
                    "STARTING",
                    "PROCESSING",
                    "ROLLING_BACK",
                ):
                    await client.occurrence_task(
                        str(vnf_occurrence["id"]), "cancel", {"cancelMode": "GRACEFUL"}
                    )

    async def _capacity_shortage(self, grant: GrantRecord) -> None:
        """A refused grant of an NS's VNF for capacity or quota: tell the NS's OSS."""
        if not grant.shortage:
            return
        member = await self.records.member_of_vnf(grant.vnf_instance_id)
        if member is None:
            return
        ns = await self.records.find(member.ns_instance_id)
        holder = await self.records.occurrences.holder(member.ns_instance_id)
        if ns is not None and holder is not None:
            await self.notices.shortage(ns.document, holder, grant.vim)


def _forward_params(params: Mapping[str, Any]) -> dict[str, Any]:
    """The forward job's parameters (a rollback's job carries them under ``forward``)."""
    return dict(params.get("forward", params))


NS_LIFECYCLE: ResourceKey[NsLifecycle] = ResourceKey("NS lifecycle", NsLifecycle)
