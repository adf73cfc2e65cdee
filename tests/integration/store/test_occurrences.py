"""The occurrence engine, driven from the state tables, against a real Redis."""

import asyncio
import itertools
from collections import deque

import pytest
import redis.asyncio as aioredis

from nfvo.store.errors import ConcurrencyConflict, LeaseLost, ResourceLocked
from nfvo.store.events import EventStream, read_all
from nfvo.store.guards import Fence
from nfvo.store.keys import Keyspace
from nfvo.store.occurrence_states import IllegalTransition, OperationState, Trigger
from nfvo.store.occurrences import NS_LCM, VNF_LCM, OccurrenceEngine, OccurrenceKind

KINDS = [NS_LCM, VNF_LCM]


def path_to(kind: OccurrenceKind, target: OperationState) -> list[Trigger]:
    """The shortest list of triggers leading from the initial state to ``target``."""
    machine = kind.machine
    paths: dict[OperationState, list[Trigger]] = {machine.initial: []}
    queue = deque([machine.initial])
    while queue:
        state = queue.popleft()
        for (source, trigger), successor in machine.transitions.items():
            if source is state and successor not in paths:
                paths[successor] = [*paths[state], trigger]
                queue.append(successor)
    return paths[target]


ALLOWED = [
    pytest.param(k, s, t, n, id=f"{k.kind}:{s}-{t}->{n}")
    for k in KINDS
    for (s, t), n in k.machine.transitions.items()
]
FORBIDDEN = [
    pytest.param(k, s, t, id=f"{k.kind}:{s}-{t}")
    for k in KINDS
    for s, t in itertools.product(sorted(k.machine.states), Trigger)
    if (s, t) not in k.machine.transitions
]


async def reach(engine: OccurrenceEngine, state: OperationState, instance_id: str) -> str:
    occurrence = await engine.create(instance_id, "INSTANTIATE", operation_params={"a": 1})
    for trigger in path_to(engine.kind, state):
        await engine.transition(occurrence.id, trigger)
    return occurrence.id


@pytest.mark.parametrize(("kind", "state", "trigger", "expected"), ALLOWED)
async def test_allowed_transition_persists_and_emits_one_event(
    redis: aioredis.Redis,
    keyspace: Keyspace,
    kind: OccurrenceKind,
    state: OperationState,
    trigger: Trigger,
    expected: OperationState,
) -> None:
    engine = OccurrenceEngine(redis, keyspace, kind)
    occurrence_id = await reach(engine, state, "i1")
    before = await engine.get(occurrence_id)
    events_before = len(await read_all(redis, keyspace, EventStream.LCM))
    moved = await engine.transition(occurrence_id, trigger)
    stored = await engine.get(occurrence_id)
    assert moved == stored and stored.operation_state is expected
    assert stored.version == before.version + 1
    assert stored.state_entered_time >= before.state_entered_time
    assert stored.history[-1] == (expected.value, stored.state_entered_time.isoformat())
    events = await read_all(redis, keyspace, EventStream.LCM)
    assert len(events) == events_before + 1
    event = events[-1]
    assert event.type == "lcm.occurrence.changed"
    assert event.subject == f"{kind.collection}/{occurrence_id}"
    assert event.data == {
        "occurrenceId": occurrence_id,
        "instanceId": "i1",
        "operation": "INSTANTIATE",
        "oldState": state.value,
        "newState": expected.value,
        "trigger": trigger.value,
        "machine": kind.machine.name,
    }
    held = await engine.holder("i1")
    assert held == (None if expected in kind.machine.final_states else occurrence_id)


@pytest.mark.parametrize(("kind", "state", "trigger"), FORBIDDEN)
async def test_forbidden_transition_is_refused_and_changes_nothing(
    redis: aioredis.Redis,
    keyspace: Keyspace,
    kind: OccurrenceKind,
    state: OperationState,
    trigger: Trigger,
) -> None:
    engine = OccurrenceEngine(redis, keyspace, kind)
    occurrence_id = await reach(engine, state, "i1")
    before = await engine.get(occurrence_id)
    events_before = await read_all(redis, keyspace, EventStream.LCM)
    with pytest.raises(IllegalTransition) as caught:
        await engine.transition(occurrence_id, trigger)
    assert state.value in caught.value.detail
    assert await engine.get(occurrence_id) == before
    assert await read_all(redis, keyspace, EventStream.LCM) == events_before


async def test_created_occurrence(redis: aioredis.Redis, keyspace: Keyspace) -> None:
    engine = OccurrenceEngine(redis, keyspace, VNF_LCM, source="vnfm")
    created = await engine.create(
        "v1", "INSTANTIATE", operation_params={"flavourId": "default"}, owner="tenant-a"
    )
    stored = await engine.get(created.id)
    assert stored == created and stored.operation_state is OperationState.STARTING
    assert stored.start_time == stored.state_entered_time and not stored.is_automatic_invocation
    assert stored.operation_params == {"flavourId": "default"} and stored.error is None
    (event,) = await read_all(redis, keyspace, EventStream.LCM)
    assert event.source == "vnfm" and event.data["oldState"] is None
    assert event.data["newState"] == "STARTING"
    page = await engine.repository.list(where=("instance_id", "v1"))
    assert [item.id for item in page.items] == [created.id]
    page = await engine.repository.list(where=("owner", "tenant-a"))
    assert [item.id for item in page.items] == [created.id]


async def test_one_operation_per_instance(redis: aioredis.Redis, keyspace: Keyspace) -> None:
    engine = OccurrenceEngine(redis, keyspace, NS_LCM)
    first = await engine.create("n1", "INSTANTIATE")
    with pytest.raises(ResourceLocked, match=f"occurrence {first.id} is in progress") as caught:
        await engine.create("n1", "SCALE")
    assert caught.value.holder == first.id
    other = await engine.create("n2", "INSTANTIATE")  # other instances are free
    error = {"status": 500, "detail": "the VIM refused the port"}
    failed = await engine.transition(first.id, Trigger.ERRORED, error=error)
    assert failed.error == error
    with pytest.raises(ResourceLocked):  # FAILED_TEMP keeps the instance locked
        await engine.create("n1", "SCALE")
    await engine.transition(first.id, Trigger.FAIL)
    assert (await engine.get(first.id)).error == error
    second = await engine.create("n1", "TERMINATE")
    assert await engine.holder("n1") == second.id and second.lock != first.lock
    assert await engine.holder("n2") == other.id
    assert (await engine.repository.list(where=("operation_state", "FAILED"))).items[0].id == (
        first.id
    )


async def test_racing_triggers_apply_once(redis: aioredis.Redis, keyspace: Keyspace) -> None:
    engine = OccurrenceEngine(redis, keyspace, NS_LCM)
    occurrence = await engine.create("n1", "INSTANTIATE")
    await engine.transition(occurrence.id, Trigger.ERRORED)
    results = await asyncio.gather(
        engine.transition(occurrence.id, Trigger.RETRY),
        engine.transition(occurrence.id, Trigger.FAIL),
        return_exceptions=True,
    )
    refused = [r for r in results if isinstance(r, IllegalTransition | ConcurrencyConflict)]
    assert len(refused) == 1
    stored = await engine.get(occurrence.id)
    assert stored.operation_state in {OperationState.PROCESSING, OperationState.FAILED}
    assert len(await read_all(redis, keyspace, EventStream.LCM)) == 3


async def test_a_fenced_transition_needs_the_lease(
    redis: aioredis.Redis, keyspace: Keyspace
) -> None:
    engine = OccurrenceEngine(redis, keyspace, NS_LCM)
    occurrence = await engine.create("n1", "INSTANTIATE")
    lease = keyspace.lease("jobs", "j1")
    await redis.set(lease, "2:worker-b")
    with pytest.raises(LeaseLost):
        await engine.transition(occurrence.id, Trigger.SUCCEEDED, fence=Fence(lease, "1:worker-a"))
    assert (await engine.get(occurrence.id)).operation_state is OperationState.PROCESSING
    assert await engine.holder("n1") == occurrence.id
    assert len(await read_all(redis, keyspace, EventStream.LCM)) == 1
    done = await engine.transition(
        occurrence.id, Trigger.SUCCEEDED, fence=Fence(lease, "2:worker-b")
    )
    assert done.operation_state is OperationState.COMPLETED and await engine.holder("n1") is None
