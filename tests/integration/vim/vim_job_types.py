"""A job of VIM steps for the crash tests: a plug-in of ``nfvo worker``.

Registered by worker processes (``nfvo worker --jobs MODULE``) through
:func:`register_jobs`. Steps open the VIM the job names through the worker's VIM
registry (``ctx[VIMS]``), as the VNFM's steps will. One VNF's ports and servers, each
a step that uses the facade's idempotent creates: a step re-entered after a crash finds by tags
what its interrupted attempt created, so nothing is made twice. The steps run in
order (port 0, server 0, port 1, ...) so that kills land anywhere in the job.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Mapping, Sequence
from typing import Any

from nfvo.store.steps import JobRegistry, Step, StepContext, sequence
from nfvo.vim.compute import ServerRequest
from nfvo.vim.facade import Vim
from nfvo.vim.network import PortRequest
from nfvo.vim.registry import VIMS
from nfvo.vim.session import RetryPolicy
from nfvo.vim.tags import ResourceIdentity

VIM_JOB = "test-vim-vnf"
PORT_ELEMENT = "vdu_cp"
SERVER_ELEMENT = "vdu"

# Quick retries: the tests' faults are dense and the job should not idle.
FAST_RETRIES = RetryPolicy(attempts=6, base_delay=0.01, max_delay=0.1)


async def _vim(ctx: StepContext) -> Vim:
    return await ctx[VIMS].open_vim(str(ctx.params["vim"]))


async def _pause(params: Mapping[str, Any]) -> None:
    low, high = params.get("pause", (0.0, 0.0))
    if high:
        await asyncio.sleep(random.uniform(low, high))


def _index(ctx: StepContext) -> int:
    return int(ctx.step.rsplit("-", 1)[1])


async def _port(ctx: StepContext) -> Mapping[str, Any]:
    vim = await _vim(ctx)
    identity = ResourceIdentity(str(ctx.params["vnf"]), PORT_ELEMENT, _index(ctx))
    port = await vim.network.create_port(PortRequest(identity, str(ctx.params["network_id"])))
    await _pause(ctx.params)  # after the effect, before the record: where crashes hurt
    return {"port_id": port.id}


async def _server(ctx: StepContext) -> Mapping[str, Any]:
    vim = await _vim(ctx)
    index = _index(ctx)
    port_id = ctx.outputs[f"port-{index:02}"]["port_id"]
    request = ServerRequest(
        identity=ResourceIdentity(str(ctx.params["vnf"]), SERVER_ELEMENT, index),
        image_id=str(ctx.params["image_id"]),
        flavor_id=str(ctx.params["flavor_id"]),
        port_ids=[port_id],
    )
    server = await vim.compute.create_server(request)
    await _pause(ctx.params)
    active = await vim.compute.wait_for_server(server.id, interval=0.05, patience=60)
    return {"server_id": active.id}


def _plan(params: Mapping[str, Any]) -> Sequence[Step]:
    steps: list[Step] = []
    for index in range(int(params.get("count", 10))):
        # Crash re-entries count as attempts; faults add a few more.
        steps.append(Step(f"port-{index:02}", _port, max_attempts=100))
        steps.append(Step(f"server-{index:02}", _server, max_attempts=100))
    return sequence(*steps)


def register_jobs(registry: JobRegistry) -> None:
    registry.register(VIM_JOB, _plan, needs=(VIMS,))
