"""register_jobs: the NS lifecycle's durable job type, ``lcm.ns``.

Its plan is data: the job's parameters hold the operation's steps
(:class:`~nfvo.lcm.ns_plans.StepSpec`, built when the operation was asked for), so any
worker rebuilds the same DAG. Each step runs its action (``nfvo.lcm.ns_actions``)
under the operation's step timeout; a step that succeeded in an earlier job of the
same occurrence (a retry) takes its outputs from then. A step's final failure (a
permanent error, a timeout, a transient one on its last attempt) moves the
occurrence to FAILED_TEMP (or, rolling back, back to FAILED_TEMP) with an error
naming the step, so its VNF, and the job's other running steps are cancelled: the
operation halts where it failed.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any

from nfvo.lcm.ns_actions import ACTIONS
from nfvo.lcm.ns_lifecycle import JOB_TYPE, NS_LIFECYCLE
from nfvo.lcm.ns_plans import StepSpec
from nfvo.sol.problems import ProblemDetails
from nfvo.store.errors import LeaseLost, PermanentError, TransientError
from nfvo.store.jobs import CancelMode
from nfvo.store.occurrence_states import OperationState, Trigger
from nfvo.store.steps import JobRegistry, Step, StepContext

MAX_ATTEMPTS = 5
MAX_PARALLEL = 64  # a wide NS (many VNFs at one level) runs them all at once
_ON_FAILURE = {
    OperationState.PROCESSING: Trigger.ERRORED,
    OperationState.ROLLING_BACK: Trigger.ROLLBACK_FAILED,
}


async def record_failure(ctx: StepContext, step: str, error: BaseException) -> None:
    """Move the occurrence on with an error naming ``step``, if its state allows."""
    lcm = ctx[NS_LIFECYCLE]
    occurrence = await lcm.records.occurrences.get(str(ctx.params["occurrenceId"]))
    trigger = _ON_FAILURE.get(occurrence.operation_state)
    if trigger is None:
        return  # resolved meanwhile (cancelled, failed by the client)
    problem = ProblemDetails(
        title="NS lifecycle operation failed", status=500, detail=f"step {step}: {error}"
    )
    moved = await lcm.records.occurrences.transition(
        occurrence.id, trigger, error=problem.to_wire(), fence=ctx.fence
    )
    # The operation halts at its first failure: the job's other running steps stop too
    # (their VNF operations go on at their VNFMs; a retry follows them again).
    await lcm.jobs.cancel(ctx.job_id, CancelMode.FORCE)
    ns = await lcm.records.get(occurrence.instance_id)
    await lcm.notices.occurrence(ns.document, moved, "RESULT")


def guarded(spec: StepSpec, timeout: float) -> Step:
    action = ACTIONS[spec.action]

    async def run(ctx: StepContext) -> Mapping[str, Any] | None:
        carried = ctx.params.get("carried") or {}
        if spec.name in carried:
            return dict(carried[spec.name])  # done in an earlier job of this occurrence
        try:
            async with asyncio.timeout(timeout):
                return await action(ctx, dict(spec.args))
        except (LeaseLost, asyncio.CancelledError):
            raise
        except TimeoutError:
            error = PermanentError(f"ran longer than its timeout ({timeout:.0f} s)")
            await record_failure(ctx, spec.name, error)
            raise error from None
        except TransientError as error:
            if ctx.attempt >= MAX_ATTEMPTS:
                await record_failure(ctx, spec.name, error)
            raise
        except Exception as error:
            await record_failure(ctx, spec.name, error)
            raise

    return Step(spec.name, run, after=spec.after, max_attempts=MAX_ATTEMPTS)


def plan(params: Mapping[str, Any]) -> list[Step]:
    timeout = float(params["stepTimeout"])
    return [guarded(StepSpec.from_json(s), timeout) for s in params["steps"]]


def register_jobs(registry: JobRegistry) -> None:
    """The NS lifecycle's durable jobs."""
    registry.register(JOB_TYPE, plan, max_parallel=MAX_PARALLEL, needs=(NS_LIFECYCLE,))
