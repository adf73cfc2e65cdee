"""Steps, their durable records, and the registry of job types.

Each process keeps its own :class:`JobRegistry`, filled by each domain package's
``register_jobs(registry)`` (nothing registers on import). A job type is registered
with a *plan*: a function from the job's parameters to its steps (a DAG: each step
names the steps it comes ``after``; independent steps may run concurrently). The plan
must be deterministic, because a resumed job rebuilds it and recognises finished steps
by name. Each step's handler receives a
:class:`StepContext` and returns its outputs (created resource ids, ...), which are
stored in its :class:`StepRecord` and shown to the steps after it. A handler gets
the services it uses from the context by typed key (``ctx[BLOBS]``), never from module
globals; the job type names those keys (``needs``), so a process that lacks one
refuses to start rather than failing the job.

Because a job may run twice (a worker may die after a step's effect and before its
record), every handler must be idempotent: find before create, tag what it creates.
"""

from __future__ import annotations

import graphlib
import random
from collections.abc import Awaitable, Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any, Self, TypeVar

import orjson
import redis.asyncio as aioredis

from nfvo.store.guards import Fence
from nfvo.store.keys import Keyspace
from nfvo.store.resources import ResourceKey, Resources

T = TypeVar("T")


class StepStatus(StrEnum):
    RUNNING = "running"
    RETRYING = "retrying"  # waiting for its next attempt after a transient error
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"


@dataclass(frozen=True)
class StepRecord:
    """What is stored for a step, before and after it acts."""

    name: str
    status: StepStatus
    attempt: int
    started_at: float | None = None
    finished_at: float | None = None
    outputs: dict[str, Any] = field(default_factory=dict)
    error: str | None = None

    def to_json(self) -> bytes:
        return orjson.dumps(
            {
                "name": self.name,
                "status": self.status.value,
                "attempt": self.attempt,
                "startedAt": self.started_at,
                "finishedAt": self.finished_at,
                "outputs": self.outputs,
                "error": self.error,
            }
        )

    @classmethod
    def from_json(cls, raw: bytes | str) -> Self:
        data = orjson.loads(raw)
        return cls(
            name=data["name"],
            status=StepStatus(data["status"]),
            attempt=data["attempt"],
            started_at=data.get("startedAt"),
            finished_at=data.get("finishedAt"),
            outputs=data.get("outputs") or {},
            error=data.get("error"),
        )

    def but(self, **changes: Any) -> Self:
        return replace(self, **changes)


@dataclass(frozen=True)
class Backoff:
    """Exponential backoff with jitter: ``base * 2**(attempt-1)``, at most ``cap``."""

    base: float = 0.5
    cap: float = 30.0
    jitter: float = 0.5  # the delay is drawn from [1 - jitter, 1] of the nominal one

    def delay(self, attempt: int, retry_after: float | None = None) -> float:
        nominal = min(self.cap, self.base * 2.0 ** max(attempt - 1, 0))
        drawn = nominal * random.uniform(1 - self.jitter, 1.0)
        return max(drawn, retry_after or 0.0)


@dataclass(frozen=True)
class StepContext:
    """What a handler may know and use while it runs one attempt of a step."""

    job_id: str
    job_type: str
    params: Mapping[str, Any]
    step: str
    attempt: int
    outputs: Mapping[str, Mapping[str, Any]]  # of every finished step, by name
    redis: aioredis.Redis
    keyspace: Keyspace
    fence: Fence  # pass to repository writes so a worker that lost the job cannot write
    cancel_requested: Callable[[], bool]  # a graceful cancellation is pending
    resources: Resources  # the process's services, by typed key

    def __getitem__(self, key: ResourceKey[T]) -> T:
        return self.resources[key]


StepHandler = Callable[[StepContext], Awaitable[Mapping[str, Any] | None]]


@dataclass(frozen=True)
class Step:
    name: str
    handler: StepHandler
    after: tuple[str, ...] = ()
    timeout: float | None = None  # per attempt; running past it fails the step
    max_attempts: int = 5  # re-entries after a crash count too, so a poison step ends
    backoff: Backoff = Backoff()


Plan = Callable[[Mapping[str, Any]], Sequence[Step]]


def validate_plan(steps: Sequence[Step]) -> None:
    """Unique names, known predecessors, no cycle."""
    names = [step.name for step in steps]
    duplicates = sorted({name for name in names if names.count(name) > 1})
    if duplicates:
        raise ValueError(f"step names repeat: {duplicates}")
    for step in steps:
        unknown = sorted(set(step.after) - set(names))
        if unknown:
            raise ValueError(f"step {step.name} comes after unknown steps {unknown}")
    try:
        graphlib.TopologicalSorter({s.name: s.after for s in steps}).prepare()
    except graphlib.CycleError as exc:
        raise ValueError(f"the steps form a cycle: {exc.args[1]}") from exc


def sequence(*steps: Step) -> list[Step]:
    """Chain ``steps`` one after the other (each after the previous)."""
    chained: list[Step] = []
    for step in steps:
        after = (chained[-1].name,) if chained else ()
        chained.append(replace(step, after=tuple(dict.fromkeys((*step.after, *after)))))
    return chained


DEFAULT_MAX_PARALLEL = 16


@dataclass(frozen=True)
class JobDefinition:
    job_type: str
    plan: Plan
    timeout: float | None = None  # from the job's first start, across resumptions
    # Independent steps running at once in one job: bounded, because each holds Redis
    # connections and VIM calls, and a wide plan must not exhaust either.
    max_parallel: int = DEFAULT_MAX_PARALLEL
    needs: frozenset[ResourceKey[Any]] = frozenset()  # what its steps read from the context


class UnknownJobType(LookupError):
    pass


class JobRegistry:
    """Job type -> definition. Every worker reading a stream must register the same types."""

    def __init__(self) -> None:
        self._definitions: dict[str, JobDefinition] = {}

    def register(
        self,
        job_type: str,
        plan: Plan | Sequence[Step],
        *,
        timeout: float | None = None,
        max_parallel: int = DEFAULT_MAX_PARALLEL,
        needs: Iterable[ResourceKey[Any]] = (),
    ) -> None:
        if job_type in self._definitions:
            raise ValueError(f"job type {job_type!r} is already registered")
        if not callable(plan):
            fixed = list(plan)
            validate_plan(fixed)
            plan = _fixed_plan(fixed)
        if max_parallel < 1:
            raise ValueError("max_parallel must be at least 1")
        self._definitions[str(job_type)] = JobDefinition(
            str(job_type), plan, timeout, max_parallel, frozenset(needs)
        )

    def get(self, job_type: str) -> JobDefinition:
        try:
            return self._definitions[job_type]
        except KeyError:
            raise UnknownJobType(f"no job type {job_type!r} is registered here") from None

    def __contains__(self, job_type: object) -> bool:
        return job_type in self._definitions

    def __iter__(self) -> Iterator[str]:
        return iter(sorted(self._definitions))

    def check(self, resources: Resources) -> None:
        """Raise MissingResource if ``resources`` lack what a registered job type needs."""
        for definition in self._definitions.values():
            resources.require(definition.needs, who=f"job type {definition.job_type}")


def _fixed_plan(steps: list[Step]) -> Plan:
    def plan(_params: Mapping[str, Any]) -> list[Step]:
        return steps

    return plan
