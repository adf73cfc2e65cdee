"""Job types for the crash and fencing tests: a plug-in of ``nfvo worker``.

Registered by the test process and by worker processes (``nfvo worker --jobs
tests.integration.store.job_types``) through :func:`register_jobs`. Each step's effect
is idempotent the way a VIM step is: a record keyed by job and step is created only if
absent (the step's own idempotency, as tags are for a server), and the effects log is
appended to only by the call that created it, so a rerun step leaves the log unchanged.
"""

from __future__ import annotations

import asyncio
import os
import random
from collections.abc import Mapping, Sequence
from typing import Any

from nfvo.store.keys import Keyspace
from nfvo.store.repository import Repository
from nfvo.store.steps import JobRegistry, Step, StepContext, sequence

CRASH_JOB = "test-crash"
FENCE_JOB = "test-fence"

_EFFECT = """
if redis.call('SET', KEYS[1], ARGV[1], 'NX') then
  redis.call('RPUSH', KEYS[2], ARGV[1])
  return 1
end
return 0
"""


def effect_key(keyspace: Keyspace, job_id: str, step: str) -> str:
    return f"{keyspace.prefix}:test-effect:{job_id}:{step}"


def effects_log(keyspace: Keyspace, job_id: str) -> str:
    return f"{keyspace.prefix}:test-effects:{job_id}"


def runs_key(keyspace: Keyspace, job_id: str) -> str:
    return f"{keyspace.prefix}:test-runs:{job_id}"


async def _effect(ctx: StepContext) -> Mapping[str, Any]:
    low, high = ctx.params.get("pause", (0.05, 0.15))
    await ctx.redis.hincrby(runs_key(ctx.keyspace, ctx.job_id), ctx.step, 1)  # type: ignore[misc]
    await asyncio.sleep(random.uniform(low, high))  # before the effect
    script = ctx.redis.register_script(_EFFECT)
    keys = [effect_key(ctx.keyspace, ctx.job_id, ctx.step), effects_log(ctx.keyspace, ctx.job_id)]
    created = await script(keys=keys, args=[ctx.step])
    await asyncio.sleep(random.uniform(low, high))  # after it, before the record
    return {"effect": ctx.step, "created": bool(created)}


def _crash_plan(params: Mapping[str, Any]) -> Sequence[Step]:
    count = int(params.get("steps", 20))
    return sequence(*(Step(f"step-{n:02}", _effect, max_attempts=100) for n in range(count)))


async def _slow_fenced_write(ctx: StepContext) -> Mapping[str, Any]:
    if ctx.attempt == 1:
        await asyncio.sleep(float(ctx.params["first_attempt_seconds"]))
    markers = Repository(ctx.redis, ctx.keyspace, "test_marker")
    await markers.create(f"{ctx.job_id}.{ctx.attempt}", {"pid": os.getpid()}, guards=[ctx.fence])
    return {"pid": os.getpid()}


def register_jobs(registry: JobRegistry) -> None:
    registry.register(CRASH_JOB, _crash_plan)
    registry.register(FENCE_JOB, [Step("write", _slow_fenced_write)])
