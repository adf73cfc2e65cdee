"""The lifecycle-operation-occurrence state machines of SOL003 and SOL005, as tables.

SOL003 clause 5.6.2.2 (VNF LCM, ``LcmOperationStateType``) and SOL005 clause 6.6.2.2
(NS LCM): each table maps (state, trigger) to the next state. Triggers are either the
engine's own (the operation started, failed, finished) or the task resources a client
POSTs (``retry``, ``rollback``, ``fail``, ``cancel`` and SOL005's ``continue``). The
operation-occurrence engine consults only these tables; anything not in a table is
refused with :class:`IllegalTransition`, a conflict (the standards' 409).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

from nfvo.store.errors import StoreConflict


class OperationState(StrEnum):
    """``LcmOperationStateType`` (SOL003 5.5.4.3, SOL005 6.5.4.6)."""

    STARTING = "STARTING"  # SOL003 only: waiting for the grant
    PROCESSING = "PROCESSING"
    COMPLETED = "COMPLETED"
    PARTIALLY_COMPLETED = "PARTIALLY_COMPLETED"  # SOL005 only
    FAILED_TEMP = "FAILED_TEMP"
    FAILED = "FAILED"
    ROLLING_BACK = "ROLLING_BACK"
    ROLLED_BACK = "ROLLED_BACK"


class Trigger(StrEnum):
    """What moves an occurrence: engine events, then the client's task resources."""

    GRANTED = "granted"
    GRANT_REJECTED = "grant_rejected"
    SUCCEEDED = "succeeded"
    PARTIALLY_SUCCEEDED = "partially_succeeded"
    ERRORED = "errored"
    ROLLBACK_SUCCEEDED = "rollback_succeeded"
    ROLLBACK_FAILED = "rollback_failed"
    # Task resources: POST .../{id}/retry, rollback, fail, cancel, continue.
    RETRY = "retry"
    ROLLBACK = "rollback"
    FAIL = "fail"
    CANCEL = "cancel"
    CONTINUE = "continue"

    @property
    def is_task(self) -> bool:
        return self in _TASKS


_TASKS = frozenset(
    {Trigger.RETRY, Trigger.ROLLBACK, Trigger.FAIL, Trigger.CANCEL, Trigger.CONTINUE}
)

S = OperationState
T = Trigger


class IllegalTransition(StoreConflict):
    """The occurrence's state does not allow this (SOL003 5.4.x.3.1, SOL005 6.4.x.3.1)."""

    def __init__(self, machine: StateMachine, state: OperationState, trigger: Trigger) -> None:
        sources = machine.sources(trigger)
        allowed = (
            f"{trigger.value} is allowed only in {', '.join(sorted(sources))}"
            if sources
            else f"{machine.name} has no {trigger.value}"
        )
        what = "the operation" if trigger.is_task else "the transition"
        super().__init__(
            f"the {machine.name} operation occurrence is in state {state.value}; "
            f"{what} {trigger.value} cannot happen there: {allowed}"
        )
        self.state = state
        self.trigger = trigger


@dataclass(frozen=True)
class StateMachine:
    name: str
    initial: OperationState
    transitions: Mapping[tuple[OperationState, Trigger], OperationState]

    @property
    def states(self) -> frozenset[OperationState]:
        return frozenset({s for s, _ in self.transitions} | set(self.transitions.values()))

    @property
    def final_states(self) -> frozenset[OperationState]:
        """States nothing leaves (COMPLETED, FAILED, ROLLED_BACK, ...)."""
        return self.states - {s for s, _ in self.transitions}

    def next(self, state: OperationState, trigger: Trigger) -> OperationState:
        try:
            return self.transitions[(state, trigger)]
        except KeyError:
            raise IllegalTransition(self, state, trigger) from None

    def allows(self, state: OperationState, trigger: Trigger) -> bool:
        return (state, trigger) in self.transitions

    def sources(self, trigger: Trigger) -> frozenset[OperationState]:
        return frozenset(s for s, t in self.transitions if t is trigger)


SOL003_VNF_LCM = StateMachine(
    name="SOL003 VNF LCM",
    initial=S.STARTING,
    transitions={
        (S.STARTING, T.GRANTED): S.PROCESSING,
        (S.STARTING, T.GRANT_REJECTED): S.ROLLED_BACK,
        (S.STARTING, T.CANCEL): S.ROLLED_BACK,
        (S.PROCESSING, T.SUCCEEDED): S.COMPLETED,
        (S.PROCESSING, T.ERRORED): S.FAILED_TEMP,
        (S.PROCESSING, T.CANCEL): S.FAILED_TEMP,
        (S.FAILED_TEMP, T.RETRY): S.PROCESSING,
        (S.FAILED_TEMP, T.ROLLBACK): S.ROLLING_BACK,
        (S.FAILED_TEMP, T.FAIL): S.FAILED,
        (S.ROLLING_BACK, T.ROLLBACK_SUCCEEDED): S.ROLLED_BACK,
        (S.ROLLING_BACK, T.ROLLBACK_FAILED): S.FAILED_TEMP,
        (S.ROLLING_BACK, T.CANCEL): S.FAILED_TEMP,
    },
)

SOL005_NS_LCM = StateMachine(
    name="SOL005 NS LCM",
    initial=S.PROCESSING,
    transitions={
        (S.PROCESSING, T.SUCCEEDED): S.COMPLETED,
        (S.PROCESSING, T.PARTIALLY_SUCCEEDED): S.PARTIALLY_COMPLETED,
        (S.PROCESSING, T.ERRORED): S.FAILED_TEMP,
        (S.PROCESSING, T.CANCEL): S.FAILED_TEMP,
        (S.FAILED_TEMP, T.RETRY): S.PROCESSING,
        (S.FAILED_TEMP, T.CONTINUE): S.PROCESSING,
        (S.FAILED_TEMP, T.ROLLBACK): S.ROLLING_BACK,
        (S.FAILED_TEMP, T.FAIL): S.FAILED,
        (S.ROLLING_BACK, T.ROLLBACK_SUCCEEDED): S.ROLLED_BACK,
        (S.ROLLING_BACK, T.ROLLBACK_FAILED): S.FAILED_TEMP,
        (S.ROLLING_BACK, T.CANCEL): S.FAILED_TEMP,
    },
)
