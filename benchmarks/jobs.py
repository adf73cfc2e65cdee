"""The job runner's own overhead per step: a job of 1,000 no-op steps.

Every step costs two fenced writes (its record before and after it acts), so the
figure to compare it with is one Redis round trip, measured in the same run. The VIM
facade's CPU figure belongs to the facade's benchmark (not built yet).

Run: ``python benchmarks/jobs.py`` (``make bench`` runs every benchmark).
"""

from __future__ import annotations

import asyncio
import sys
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run as a script

from benchmarks.report import report
from nfvo.store.connection import connect
from nfvo.store.embedded import EmbeddedRedis
from nfvo.store.jobs import Jobs, JobState
from nfvo.store.keys import Keyspace
from nfvo.store.steps import JobRegistry, Step, StepContext, sequence
from nfvo.store.workers import WorkerPool

STEPS = 1000


async def noop(ctx: StepContext) -> Mapping[str, Any] | None:
    return None


async def round_trip_ms(url: str, count: int = 2000) -> float:
    redis = connect(url)
    await redis.ping()
    started = time.perf_counter()
    for _ in range(count):
        await redis.ping()
    elapsed = time.perf_counter() - started
    await redis.aclose()
    return elapsed / count * 1000


async def run_job(url: str, job_type: str, registry: JobRegistry) -> tuple[float, float]:
    """(ms per step from the first step's start to the last's end, ms per step end to end)."""
    redis = connect(url)
    keyspace = Keyspace(f"bench-{job_type}")
    jobs = Jobs(redis, keyspace)
    async with WorkerPool(redis, keyspace, registry, concurrency=1, poll_seconds=0.05):
        started = time.perf_counter()
        job = await jobs.enqueue(job_type)
        done = await jobs.wait(job.id, 300, poll=0.002)
        end_to_end = time.perf_counter() - started
    assert done.state is JobState.SUCCEEDED, done.error
    records = (await jobs.steps(job.id)).values()
    first = min(r.started_at or 0.0 for r in records)
    last = max(r.finished_at or 0.0 for r in records)
    await redis.aclose()
    return (last - first) / STEPS * 1000, end_to_end / STEPS * 1000


async def main() -> bool:
    registry = JobRegistry()
    registry.register("chain", sequence(*(Step(f"s{n}", noop) for n in range(STEPS))))
    registry.register("wide", [Step(f"s{n}", noop) for n in range(STEPS)])
    with EmbeddedRedis() as server:
        rtt = await round_trip_ms(server.url)
        chain, chain_total = await run_job(server.url, "chain", registry)
        wide, _ = await run_job(server.url, "wide", registry)
    figures = {
        "steps": STEPS,
        "ms_per_step": round(chain, 4),
        "ms_per_step_end_to_end": round(chain_total, 4),
        "ms_per_step_independent": round(wide, 4),
        "redis_round_trip_ms": round(rtt, 4),
        "round_trips_per_step": round(chain / rtt, 2),
    }
    return report("jobs", figures, {"ms_per_step": {"max": 1.0}})


if __name__ == "__main__":
    sys.exit(0 if asyncio.run(main()) else 1)
