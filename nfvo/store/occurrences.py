"""The operation-occurrence engine: one engine for SOL003 and SOL005 occurrences.

It consults only the state tables of ``occurrence_states.py``. An occurrence is a
document (``Repository``, optimistic concurrency on its version); each transition is
one write that stores the new state with its time, appends an ``lcm.occurrence.changed``
event to ``EventStream.LCM`` (so no transition goes unannounced and no announcement is
of a transition that did not happen), and checks the caller's fence if a worker makes
it, so a worker that lost its job can no longer move the occurrence.

One operation per instance: creating an occurrence takes the instance's lock
(``Keyspace.lock``) in the same write, its value being the occurrence id and a fencing
token from an INCR counter; a second operation on the instance is refused with
:class:`ResourceLocked` naming the occurrence that holds it (the API's 409). The lock
is kept through FAILED_TEMP (SOL003/SOL005 keep the instance busy until the operation
is resolved) and released, again in the same write, when the occurrence reaches a
final state.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any, Final, Self

import redis.asyncio as aioredis

from nfvo.store.errors import ConcurrencyConflict, ResourceLocked
from nfvo.store.events import EVENT_FIELD, Event, EventStream
from nfvo.store.guards import Claim, Fence, Guard, Release
from nfvo.store.keys import Keyspace
from nfvo.store.occurrence_states import (
    SOL003_VNF_LCM,
    SOL005_NS_LCM,
    OperationState,
    StateMachine,
    Trigger,
)
from nfvo.store.repository import Outbox, Repository

EVENT_TYPE: Final = "lcm.occurrence.changed"
LOCK_TOKENS: Final = "lock-tokens"
_RETRIES_ON_RACE: Final = 5

# The error is cleared when the operation moves on to these states.
_CLEARS_ERROR = frozenset({OperationState.PROCESSING, OperationState.COMPLETED})


@dataclass(frozen=True)
class OccurrenceKind:
    """Which standard's occurrences: its machine, record kind and instance kind."""

    machine: StateMachine
    kind: str  # repository kind of the occurrences
    instance_kind: str  # lock kind of the instances they operate on
    collection: str  # the API collection, for event subjects


NS_LCM: Final = OccurrenceKind(SOL005_NS_LCM, "ns_lcm_op_occ", "ns_instance", "ns_lcm_op_occs")
VNF_LCM: Final = OccurrenceKind(SOL003_VNF_LCM, "vnf_lcm_op_occ", "vnf_instance", "vnf_lcm_op_occs")


@dataclass(frozen=True)
class Occurrence:
    """A stored operation occurrence (snake_case; the API converts to ETSI names)."""

    id: str
    instance_id: str
    operation: str
    operation_state: OperationState
    state_entered_time: datetime
    start_time: datetime
    is_automatic_invocation: bool
    operation_params: dict[str, Any]
    lock: str  # the instance lock's value while this occurrence holds it
    # The operation's error as the ProblemDetails document (SOL013 clause 6.3) the API
    # shows; whoever fails the operation builds it, the store keeps it as it is.
    error: dict[str, Any] | None = None
    owner: str | None = None
    version: int = 0
    history: tuple[tuple[str, str], ...] = field(default=())  # (state, entered time)

    def to_document(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "instance_id": self.instance_id,
            "operation": self.operation,
            "operation_state": self.operation_state.value,
            "state_entered_time": self.state_entered_time.isoformat(),
            "start_time": self.start_time.isoformat(),
            "is_automatic_invocation": self.is_automatic_invocation,
            "operation_params": self.operation_params,
            "lock": self.lock,
            "error": self.error,
            "owner": self.owner,
            "history": [list(entry) for entry in self.history],
        }

    @classmethod
    def from_document(cls, document: Mapping[str, Any], version: int) -> Self:
        return cls(
            id=document["id"],
            instance_id=document["instance_id"],
            operation=document["operation"],
            operation_state=OperationState(document["operation_state"]),
            state_entered_time=datetime.fromisoformat(document["state_entered_time"]),
            start_time=datetime.fromisoformat(document["start_time"]),
            is_automatic_invocation=document["is_automatic_invocation"],
            operation_params=document.get("operation_params") or {},
            lock=document["lock"],
            error=document.get("error") or None,
            owner=document.get("owner"),
            version=version,
            history=tuple((state, time) for state, time in document.get("history", [])),
        )


class OccurrenceEngine:
    """Creates occurrences and moves them along their standard's state table."""

    def __init__(
        self,
        redis: aioredis.Redis,
        keyspace: Keyspace,
        kind: OccurrenceKind,
        *,
        source: str = "nfvo/lcm",
    ) -> None:
        self._redis = redis
        self._keyspace = keyspace
        self.kind = kind
        self.source = source
        self.repository = Repository(
            redis,
            keyspace,
            kind.kind,
            indexed=("instance_id", "operation_state", "operation", "owner"),
        )

    @property
    def machine(self) -> StateMachine:
        return self.kind.machine

    async def create(
        self,
        instance_id: str,
        operation: str,
        *,
        operation_params: Mapping[str, Any] | None = None,
        is_automatic_invocation: bool = False,
        owner: str | None = None,
        occurrence_id: str | None = None,
        fence: Fence | None = None,
    ) -> Occurrence:
        """A new occurrence in the machine's initial state, holding the instance's lock."""
        occurrence_id = occurrence_id or str(uuid.uuid4())
        token = await self._redis.incr(self._keyspace.counter(LOCK_TOKENS))
        now = datetime.now(UTC)
        occurrence = Occurrence(
            id=occurrence_id,
            instance_id=instance_id,
            operation=str(operation),
            operation_state=self.machine.initial,
            state_entered_time=now,
            start_time=now,
            is_automatic_invocation=is_automatic_invocation,
            operation_params=dict(operation_params or {}),
            lock=f"{occurrence_id}:{token}",
            owner=owner,
            history=((self.machine.initial.value, now.isoformat()),),
        )
        guards: list[Guard] = [Claim(self._lock_key(instance_id), occurrence.lock)]
        guards += [fence] if fence else []
        try:
            stored = await self.repository.create(
                occurrence_id,
                occurrence.to_document(),
                guards=guards,
                outbox=self._event(occurrence, None, None),
            )
        except ResourceLocked as exc:
            holder = exc.holder.rsplit(":", 1)[0]
            raise ResourceLocked(
                f"{self.kind.instance_kind} {instance_id} is busy: operation occurrence "
                f"{holder} is in progress and must end (or be failed) before another starts",
                holder=holder,
            ) from None
        return replace(occurrence, version=stored.version)

    async def get(self, occurrence_id: str) -> Occurrence:
        stored = await self.repository.get(occurrence_id)
        return Occurrence.from_document(stored.document, stored.version)

    async def holder(self, instance_id: str) -> str | None:
        """The id of the occurrence holding the instance's lock, if any."""
        value = await self._redis.get(self._lock_key(instance_id))
        if value is None:
            return None
        text = value.decode() if isinstance(value, bytes) else value
        return text.rsplit(":", 1)[0]

    async def transition(
        self,
        occurrence_id: str,
        trigger: Trigger,
        *,
        error: Mapping[str, Any] | None = None,
        fence: Fence | None = None,
    ) -> Occurrence:
        """Apply ``trigger``; IllegalTransition if the current state refuses it.

        A concurrent transition makes the write stale; the engine then re-reads and
        decides again from the new state, so two racing triggers never both apply to
        the same state.
        """
        for _ in range(_RETRIES_ON_RACE):
            current = await self.get(occurrence_id)
            new_state = self.machine.next(current.operation_state, trigger)
            moved = self._moved(current, new_state, error)
            guards: Sequence[Guard] = [fence] if fence else []
            if new_state in self.machine.final_states:
                guards = [*guards, Release(self._lock_key(current.instance_id), current.lock)]
            try:
                stored = await self.repository.put(
                    occurrence_id,
                    moved.to_document(),
                    version=current.version,
                    guards=guards,
                    outbox=self._event(moved, current.operation_state, trigger),
                )
            except ConcurrencyConflict:
                continue
            return replace(moved, version=stored.version)
        raise ConcurrencyConflict(f"{self.kind.kind} {occurrence_id} keeps changing; try again")

    def _moved(
        self, current: Occurrence, state: OperationState, error: Mapping[str, Any] | None
    ) -> Occurrence:
        now = datetime.now(UTC)
        kept_error = None if state in _CLEARS_ERROR else current.error
        return replace(
            current,
            operation_state=state,
            state_entered_time=now,
            error=dict(error) if error else kept_error,
            history=(*current.history, (state.value, now.isoformat())),
        )

    def _lock_key(self, instance_id: str) -> str:
        return self._keyspace.lock(self.kind.instance_kind, instance_id)

    def _event(
        self, occurrence: Occurrence, old: OperationState | None, trigger: Trigger | None
    ) -> Outbox:
        event = Event(
            source=self.source,
            type=EVENT_TYPE,
            time=occurrence.state_entered_time,
            subject=f"{self.kind.collection}/{occurrence.id}",
            data={
                "occurrenceId": occurrence.id,
                "instanceId": occurrence.instance_id,
                "operation": occurrence.operation,
                "oldState": old.value if old else None,
                "newState": occurrence.operation_state.value,
                "trigger": trigger.value if trigger else None,
                "machine": self.machine.name,
            },
        )
        stream = self._keyspace.stream(EventStream.LCM.value)
        return Outbox(stream, EVENT_FIELD, event.to_json())
