"""One test per allowed and per forbidden transition, generated from the tables."""

import itertools

import pytest

from nfvo.sol.problems import store_problem
from nfvo.store.occurrence_states import (
    SOL003_VNF_LCM,
    SOL005_NS_LCM,
    IllegalTransition,
    OperationState,
    StateMachine,
    Trigger,
)

MACHINES = [SOL003_VNF_LCM, SOL005_NS_LCM]

ALLOWED = [
    pytest.param(m, s, t, n, id=f"{m.name}:{s}-{t}->{n}")
    for m in MACHINES
    for (s, t), n in m.transitions.items()
]
FORBIDDEN = [
    pytest.param(m, s, t, id=f"{m.name}:{s}-{t}")
    for m in MACHINES
    for s, t in itertools.product(sorted(m.states), Trigger)
    if (s, t) not in m.transitions
]


@pytest.mark.parametrize(("machine", "state", "trigger", "expected"), ALLOWED)
def test_allowed_transition(
    machine: StateMachine, state: OperationState, trigger: Trigger, expected: OperationState
) -> None:
    assert machine.allows(state, trigger)
    assert machine.next(state, trigger) is expected


@pytest.mark.parametrize(("machine", "state", "trigger"), FORBIDDEN)
def test_forbidden_transition_is_a_409_naming_the_state(
    machine: StateMachine, state: OperationState, trigger: Trigger
) -> None:
    with pytest.raises(IllegalTransition) as caught:
        machine.next(state, trigger)
    refusal = store_problem(caught.value)  # what the API answers: the standards' 409
    assert refusal is not None
    problem = refusal.problem()
    assert problem.status == 409
    assert f"in state {state.value}" in problem.detail
    assert trigger.value in problem.detail


def test_sol003_key_paths() -> None:
    m = SOL003_VNF_LCM
    assert m.initial is OperationState.STARTING
    # A rejected grant ends ROLLED_BACK; a failed rollback returns to FAILED_TEMP.
    assert m.next(OperationState.STARTING, Trigger.GRANT_REJECTED) is OperationState.ROLLED_BACK
    assert (
        m.next(OperationState.ROLLING_BACK, Trigger.ROLLBACK_FAILED) is OperationState.FAILED_TEMP
    )
    assert m.final_states == {
        OperationState.COMPLETED,
        OperationState.FAILED,
        OperationState.ROLLED_BACK,
    }
    assert OperationState.PARTIALLY_COMPLETED not in m.states


def test_sol005_has_no_starting_and_can_continue() -> None:
    m = SOL005_NS_LCM
    assert m.initial is OperationState.PROCESSING
    assert OperationState.STARTING not in m.states
    assert m.next(OperationState.FAILED_TEMP, Trigger.CONTINUE) is OperationState.PROCESSING
    assert OperationState.PARTIALLY_COMPLETED in m.final_states


@pytest.mark.parametrize("machine", MACHINES, ids=lambda m: m.name)
def test_task_resources_match_the_standards(machine: StateMachine) -> None:
    failed_temp_only = {OperationState.FAILED_TEMP}
    assert machine.sources(Trigger.RETRY) == failed_temp_only
    assert machine.sources(Trigger.ROLLBACK) == failed_temp_only
    assert machine.sources(Trigger.FAIL) == failed_temp_only
    cancellable = {OperationState.PROCESSING, OperationState.ROLLING_BACK}
    if machine is SOL003_VNF_LCM:
        cancellable.add(OperationState.STARTING)
    assert machine.sources(Trigger.CANCEL) == cancellable


def test_illegal_task_explains_where_it_is_allowed() -> None:
    with pytest.raises(IllegalTransition, match="retry is allowed only in FAILED_TEMP"):
        SOL005_NS_LCM.next(OperationState.COMPLETED, Trigger.RETRY)
    with pytest.raises(IllegalTransition, match="has no continue"):
        SOL003_VNF_LCM.next(OperationState.FAILED_TEMP, Trigger.CONTINUE)
