"""Step records round-trip; sequences chain; the registry refuses what it cannot run."""

import pytest

from nfvo.store.steps import (
    JobRegistry,
    Step,
    StepContext,
    StepRecord,
    StepStatus,
    UnknownJobType,
    sequence,
)


async def noop(ctx: StepContext) -> None:
    return None


def test_record_round_trip() -> None:
    record = StepRecord(
        "create-port", StepStatus.SUCCEEDED, 2, 1.5, 2.5, {"portId": "p-1"}, "503 once"
    )
    assert StepRecord.from_json(record.to_json()) == record


def test_sequence_chains_and_keeps_extra_predecessors() -> None:
    steps = sequence(Step("a", noop), Step("b", noop, after=("a",)), Step("c", noop))
    assert [s.after for s in steps] == [(), ("a",), ("b",)]


def test_registry() -> None:
    registry = JobRegistry()
    registry.register("b", [Step("x", noop)])
    registry.register("a", lambda params: [Step(f"s{n}", noop) for n in range(params["n"])])
    assert list(registry) == ["a", "b"] and "a" in registry
    assert len(registry.get("a").plan({"n": 3})) == 3
    with pytest.raises(UnknownJobType, match="'c'"):
        registry.get("c")
    with pytest.raises(ValueError, match="max_parallel"):
        registry.register("d", [Step("x", noop)], max_parallel=0)
