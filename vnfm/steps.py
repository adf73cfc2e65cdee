"""What every VNF manager job step shares: the operation it works on, and the guard
that turns a step's final failure into the occurrence's state.

A step's failure that will not be retried (a permanent error, or a transient one on
the step's last attempt) moves the occurrence on before the job ends: PROCESSING ->
FAILED_TEMP, ROLLING_BACK -> FAILED_TEMP (rollback failed), STARTING -> ROLLED_BACK (no
grant, nothing done), with an ``error`` naming the step (so the VNFC) and the cause.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from nfvo.sol.grant import Grant
from nfvo.sol.problems import ProblemDetails
from nfvo.store.errors import LeaseLost, TransientError
from nfvo.store.occurrence_states import OperationState, Trigger
from nfvo.store.occurrences import Occurrence
from nfvo.store.steps import Step, StepContext
from nfvo.vim.facade import Vim
from nfvo.vim.registry import VIMS
from vnfm.lifecycle import BOOKKEEPING, LIFECYCLE, Lifecycle
from vnfm.nfvo_client import GrantRejected
from vnfm.packages import PACKAGES, VnfPackage

Handler = Callable[[StepContext], Awaitable[Mapping[str, Any] | None]]
MAX_ATTEMPTS = 5

_ON_FAILURE = {
    OperationState.PROCESSING: Trigger.ERRORED,
    OperationState.ROLLING_BACK: Trigger.ROLLBACK_FAILED,
    OperationState.STARTING: Trigger.GRANT_REJECTED,
}


@dataclass(frozen=True)
class Operation:
    """One step's view of the operation: the occurrence, the instance, the package."""

    occurrence: Occurrence
    instance: dict[str, Any]
    package: VnfPackage
    lifecycle: Lifecycle

    @property
    def instance_id(self) -> str:
        return str(self.instance["id"])

    @property
    def params(self) -> dict[str, Any]:
        return self.occurrence.operation_params

    @property
    def bookkeeping(self) -> dict[str, Any]:
        return dict(self.instance.get(BOOKKEEPING) or {})

    async def grant(self) -> Grant | None:
        detail = await self.lifecycle.detail(self.occurrence.id)
        return Grant.model_validate(detail.grant) if detail.grant else None


async def load(ctx: StepContext) -> Operation:
    lifecycle = ctx[LIFECYCLE]
    occurrence = await lifecycle.engine.get(str(ctx.params["occurrenceId"]))
    instance = await lifecycle.instances.get(occurrence.instance_id)
    package = await ctx[PACKAGES].get(instance.document["vnfdId"])
    return Operation(occurrence, instance.document, package, lifecycle)


async def keep(ctx: StepContext, operation: Operation, **changes: Any) -> dict[str, Any]:
    """Store ``changes`` in the instance's bookkeeping (fenced); the new document."""
    current = await operation.lifecycle.instances.get(operation.instance_id)
    document = dict(current.document)
    document[BOOKKEEPING] = {**(document.get(BOOKKEEPING) or {}), **changes}
    await operation.lifecycle.save_instance(operation.instance_id, document, [ctx.fence])
    return document


async def open_vim(ctx: StepContext, operation: Operation) -> Vim:
    """The VIM the operation works on: the one the grant or request named, else the
    registry's default."""
    return await ctx[VIMS].open_vim(operation.bookkeeping.get("vim") or None)


async def record_failure(ctx: StepContext, step: str, error: BaseException) -> None:
    """Move the occurrence on with an error naming ``step``, if its state allows."""
    lifecycle = ctx[LIFECYCLE]
    occurrence = await lifecycle.engine.get(str(ctx.params["occurrenceId"]))
    trigger = _ON_FAILURE.get(occurrence.operation_state)
    if trigger is None:
        return  # already resolved (cancelled, failed by a client...)
    status = 403 if isinstance(error, GrantRejected) else 500
    problem = ProblemDetails(
        title="Grant rejected" if status == 403 else "Lifecycle operation failed",
        status=status,
        detail=f"step {step}: {error}",
    )
    await lifecycle.move(occurrence.id, trigger, error=problem, fence=ctx.fence)


def guarded(name: str, handler: Handler, after: tuple[str, ...] = ()) -> Step:
    """``handler`` as a step whose last failure is recorded on the occurrence."""

    async def run(ctx: StepContext) -> Mapping[str, Any] | None:
        try:
            return await handler(ctx)
        except (LeaseLost, asyncio.CancelledError):
            raise
        except (TransientError, RedisConnectionError, RedisTimeoutError) as error:
            # Worth another attempt (the runner retries our own store's hiccups too),
            # unless this was the last.
            if ctx.attempt >= MAX_ATTEMPTS:
                await record_failure(ctx, name, error)
            raise
        except Exception as error:
            await record_failure(ctx, name, error)
            raise

    return Step(name, run, after=after, max_attempts=MAX_ATTEMPTS)


async def finish(
    ctx: StepContext, trigger: Trigger, changes: Mapping[str, Any] | None = None
) -> None:
    """The operation's last transition, unless a run before this one already made it."""
    lifecycle = ctx[LIFECYCLE]
    occurrence = await lifecycle.engine.get(str(ctx.params["occurrenceId"]))
    if lifecycle.engine.machine.allows(occurrence.operation_state, trigger):
        await lifecycle.move(occurrence.id, trigger, fence=ctx.fence, changes=changes)
