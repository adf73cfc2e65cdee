"""The VNFs of an NS, driven on their VNFMs over SOL003: each function one idempotent
step's work (a re-run after a crash finds what the first run did and goes on).

A VNF operation is followed until it ends: COMPLETED goes on; FAILED_TEMP, FAILED or
ROLLED_BACK fail the NS step with the VNFM's own error, naming the VNF. Its grants'
reservations are settled as it ends (``Granting.settle``). A step re-run after the
NS operation's retry resumes the VNF's operation rather than starting another: an
instantiation left FAILED_TEMP is retried on its VNFM, a running one is followed.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import replace
from datetime import datetime
from typing import Any

from nfvo.lcm.granting import Granting
from nfvo.lcm.ns_plans import VnfPart
from nfvo.lcm.ns_records import Member, NsRecords
from nfvo.lcm.vnf_notices import VnfNotices
from nfvo.lcm.vnfm_client import VnfmClient
from nfvo.store.errors import PermanentError
from nfvo.store.guards import Guard

RUNNING = frozenset({"STARTING", "PROCESSING", "ROLLING_BACK"})
ENDED = frozenset({"COMPLETED", "FAILED", "ROLLED_BACK"})
POLL_FIRST, POLL_MOST = 0.05, 2.0  # seconds between reads of a running VNF operation


class VnfOperationFailed(PermanentError):
    """A VNF operation did not complete; the message names the VNF and the VNFM's error."""


async def follow(
    client: VnfmClient,
    occurrence_id: str,
    wake: Callable[[float], Awaitable[None]] | None = None,
    left: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Read the occurrence until it is no longer running (FAILED_TEMP included);
    ``wake(seconds)`` returns early when its VNFM notifies a change (else: sleep).
    ``left`` is the occurrence as it was before a retry or rollback was asked: until it
    has moved from there, it counts as running."""
    delay = POLL_FIRST
    while True:
        occurrence = await client.occurrence(occurrence_id)
        unmoved = left is not None and _moment(occurrence) == _moment(left)
        if occurrence.get("operationState") not in RUNNING and not unmoved:
            return occurrence
        await (wake(delay) if wake else asyncio.sleep(delay))
        delay = min(delay * 2, POLL_MOST)


def _moment(occurrence: Mapping[str, Any]) -> tuple[Any, Any]:
    return occurrence.get("operationState"), occurrence.get("stateEnteredTime")


def _started(occurrence: Mapping[str, Any]) -> float:
    try:
        return datetime.fromisoformat(str(occurrence.get("startTime"))).timestamp()
    except ValueError:
        return 0.0


def latest(
    occurrences: list[dict[str, Any]], operation: str, since: float = 0.0
) -> dict[str, Any] | None:
    """The VNF's most recent ``operation`` started at or after ``since``."""
    mine = [o for o in occurrences if o.get("operation") == operation and _started(o) >= since]
    return max(mine, key=_started) if mine else None


class VnfDriver:
    """The NS lifecycle's hand on the VNFs of one NS, for one step."""

    def __init__(
        self,
        records: NsRecords,
        granting: Granting,
        client: VnfmClient,
        ns_instance_id: str,
        guards: list[Guard],
        notices: VnfNotices | None = None,
    ) -> None:
        self.records, self.granting, self.client = records, granting, client
        self.ns_instance_id, self.guards, self.notices = ns_instance_id, guards, notices

    async def _follow(
        self, occurrence_id: str, left: Mapping[str, Any] | None = None
    ) -> dict[str, Any]:
        """The VNF operation once it stops running, woken by its VNFM's notifications."""
        wake = await self.notices.waker(self.client.name, occurrence_id) if self.notices else None
        return await follow(self.client, occurrence_id, wake, left)

    def _failed(
        self, member: Member, operation: str, occurrence: Mapping[str, Any]
    ) -> VnfOperationFailed:
        error = (occurrence.get("error") or {}).get("detail") or "no error given"
        return VnfOperationFailed(
            f"VNF {member.key} ({member.vnf_instance_id} on VNFM {member.vnfm}): {operation} "
            f"{occurrence.get('id')} ended {occurrence.get('operationState')}: {error}"
        )

    async def _end(
        self,
        member: Member,
        operation: str,
        occurrence_id: str,
        left: Mapping[str, Any] | None = None,
    ) -> dict[str, Any]:
        ended = await self._follow(occurrence_id, left)
        await self.granting.settle(occurrence_id, str(ended.get("operationState")))
        if ended.get("operationState") != "COMPLETED":
            raise self._failed(member, operation, ended)
        return ended

    async def _occurrences(self, vnf_instance_id: str) -> list[dict[str, Any]]:
        """The VNF's operations; the grants of every one that ended are settled (an
        operation may have ended while no step followed it: a crash, a cancel)."""
        found = await self.client.occurrences_of(vnf_instance_id)
        for occurrence in found:
            if occurrence.get("operationState") in ENDED:
                await self.granting.settle(str(occurrence["id"]), str(occurrence["operationState"]))
        return found

    async def create(self, part: VnfPart) -> Member:
        """The VNF instance on its VNFM: the member is written first (intent), the VNF
        found by its name before it is created."""
        member = await self.records.member(self.ns_instance_id, part.key) or Member(
            self.ns_instance_id, part.key, part.profile_id, part.vnfd_id, part.vnfm
        )
        member = await self.records.save_member(member, self.guards)
        if member.vnf_instance_id and await self.client.vnf(member.vnf_instance_id) is not None:
            return member
        name = part.params.get("vnfInstanceName") or member.name
        found = await self.client.vnfs_named(name)
        if found:
            vnf_id = str(found[0]["id"])
        else:
            body: dict[str, Any] = {
                "vnfdId": part.vnfd_id,
                "vnfInstanceName": name,
                "vnfInstanceDescription": part.params.get("vnfInstanceDescription")
                or f"VNF {part.key} of NS {self.ns_instance_id}",
                "metadata": {
                    **(part.params.get("metadata") or {}),
                    "nsInstanceId": self.ns_instance_id,
                    "vnfProfileId": part.profile_id,
                },
            }
            vnf_id = str((await self.client.create_vnf(body))["id"])
        return await self.records.save_member(replace(member, vnf_instance_id=vnf_id), self.guards)

    async def _member(self, part: VnfPart) -> Member | None:
        member = await self.records.member(self.ns_instance_id, part.key)
        return member if member is not None and member.vnf_instance_id else None

    async def instantiate(self, part: VnfPart, body: Mapping[str, Any]) -> dict[str, Any]:
        member = await self._member(part)
        if member is None or member.vnf_instance_id is None:
            raise PermanentError(f"VNF {part.key} was never created on VNFM {part.vnfm}")
        vnf_id = member.vnf_instance_id
        vnf = await self.client.vnf(vnf_id)
        if vnf is None:
            raise VnfOperationFailed(f"VNF {part.key} ({vnf_id}) is gone from VNFM {part.vnfm}")
        last = latest(await self._occurrences(vnf_id), "INSTANTIATE")
        if vnf.get("instantiationState") == "INSTANTIATED":
            return {"vnfInstanceId": vnf_id, "occurrenceId": last["id"] if last else None}
        if last is not None and last.get("operationState") in RUNNING:
            occurrence_id = str(last["id"])
        elif last is not None and last.get("operationState") == "FAILED_TEMP":
            occurrence_id = str(last["id"])
            await self.client.occurrence_task(occurrence_id, "retry")
            await self._end(member, "INSTANTIATE", occurrence_id, last)
            return {"vnfInstanceId": vnf_id, "occurrenceId": occurrence_id}
        else:
            occurrence_id = await self.client.start("instantiate", vnf_id, body)
        await self._end(member, "INSTANTIATE", occurrence_id)
        return {"vnfInstanceId": vnf_id, "occurrenceId": occurrence_id}

    async def terminate(self, part: VnfPart, graceful: bool = True) -> dict[str, Any]:
        """Whatever the VNF's state: a running operation is followed, one left
        FAILED_TEMP is rolled back (an instantiation) or failed, then terminate."""
        member = await self._member(part)
        vnf = (
            await self.client.vnf(member.vnf_instance_id)
            if member and member.vnf_instance_id
            else None
        )
        if member is None or vnf is None:
            return {}
        vnf_id = str(vnf["id"])
        occurrences = await self._occurrences(vnf_id)
        stuck = max(occurrences, key=_started) if occurrences else None
        if stuck is not None and stuck.get("operationState") in RUNNING:
            stuck = await self._follow(str(stuck["id"]))
        if stuck is not None and stuck.get("operationState") == "FAILED_TEMP":
            task = "rollback" if stuck.get("operation") == "INSTANTIATE" else "fail"
            await self.client.occurrence_task(str(stuck["id"]), task)
            stuck = await self._follow(str(stuck["id"]), stuck)
            await self.granting.settle(str(stuck["id"]), str(stuck.get("operationState")))
        vnf = await self.client.vnf(vnf_id)
        if vnf is None or vnf.get("instantiationState") != "INSTANTIATED":
            return {"vnfInstanceId": vnf_id}
        last = latest(occurrences, "TERMINATE")
        if last is not None and last.get("operationState") in RUNNING:
            occurrence_id = str(last["id"])
        else:
            body = {"terminationType": "GRACEFUL" if graceful else "FORCEFUL"}
            occurrence_id = await self.client.start("terminate", vnf_id, body)
        await self._end(member, "TERMINATE", occurrence_id)
        return {"vnfInstanceId": vnf_id, "occurrenceId": occurrence_id}

    async def delete(self, part: VnfPart) -> dict[str, Any]:
        member = await self.records.member(self.ns_instance_id, part.key)
        if member is None:
            return {}
        if member.vnf_instance_id:
            await self.client.delete_vnf(member.vnf_instance_id)
        await self.records.drop_member(member, self.guards)
        return {"vnfInstanceId": member.vnf_instance_id}

    async def change(
        self, part: VnfPart, task: str, operation: str, body: Mapping[str, Any], since: float
    ) -> dict[str, Any]:
        """One change of an instantiated VNF (scale, heal, operate), started once: a
        re-run follows the operation of that kind started since the NS's began."""
        member = await self._member(part)
        if member is None or member.vnf_instance_id is None:
            raise PermanentError(f"VNF {part.key} is not a VNF of NS {self.ns_instance_id}")
        last = latest(await self._occurrences(member.vnf_instance_id), operation, since)
        if last is not None and last.get("operationState") == "FAILED_TEMP":
            await self.client.occurrence_task(str(last["id"]), "retry")
            await self._end(member, operation, str(last["id"]), last)
            return {"vnfInstanceId": member.vnf_instance_id, "occurrenceId": last["id"]}
        if last is not None and last.get("operationState") in ENDED:
            if last.get("operationState") != "COMPLETED":
                raise self._failed(member, operation, last)
            return {"vnfInstanceId": member.vnf_instance_id, "occurrenceId": last["id"]}
        occurrence_id = (
            str(last["id"])
            if last is not None
            else await self.client.start(task, member.vnf_instance_id, body)
        )
        await self._end(member, operation, occurrence_id)
        return {"vnfInstanceId": member.vnf_instance_id, "occurrenceId": occurrence_id}
