"""A job of VIM steps for the crash tests, registered on import.

Imported by the test process and by worker processes (``nfvo worker --import
tests.integration.vim.vim_job_types``). One VNF's ports and servers, each a step that
uses the facade's idempotent creates: a step re-entered after a crash finds by tags
what its interrupted attempt created, so nothing is made twice. The steps run in
order (port 0, server 0, port 1, ...) so that kills land anywhere in the job.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import yaml

from nfvo.store.steps import REGISTRY, Step, StepContext, sequence
from nfvo.vim.compute import ServerRequest
from nfvo.vim.facade import Vim
from nfvo.vim.network import PortRequest
from nfvo.vim.session import RetryPolicy, VimSpec
from nfvo.vim.tags import ResourceIdentity

VIM_JOB = "test-vim-vnf"
PORT_ELEMENT = "vdu_cp"
SERVER_ELEMENT = "vdu"

# Quick retries: the tests' faults are dense and the job should not idle.
FAST_RETRIES = RetryPolicy(attempts=6, base_delay=0.01, max_delay=0.1)

# One facade per cloud per worker process (a worker runs one event loop).
_VIMS: dict[tuple[str, str], Vim] = {}
_OPENING = asyncio.Lock()


async def _vim(params: Mapping[str, Any]) -> Vim:
    key = (str(params["clouds_yaml"]), str(params["cloud"]))
    async with _OPENING:
        if key not in _VIMS:
            entries = yaml.safe_load(Path(key[0]).read_text())["clouds"]
            spec = VimSpec(name="sim", cloud=dict(entries[key[1]]), admin=True, retry=FAST_RETRIES)
            vim = Vim(spec)
            await vim.__aenter__()
            _VIMS[key] = vim
        return _VIMS[key]


async def _pause(params: Mapping[str, Any]) -> None:
    low, high = params.get("pause", (0.0, 0.0))
    if high:
        await asyncio.sleep(random.uniform(low, high))


def _index(ctx: StepContext) -> int:
    return int(ctx.step.rsplit("-", 1)[1])


async def _port(ctx: StepContext) -> Mapping[str, Any]:
    vim = await _vim(ctx.params)
    identity = ResourceIdentity(str(ctx.params["vnf"]), PORT_ELEMENT, _index(ctx))
    port = await vim.network.create_port(PortRequest(identity, str(ctx.params["network_id"])))
    await _pause(ctx.params)  # after the effect, before the record: where crashes hurt
    return {"port_id": port.id}


async def _server(ctx: StepContext) -> Mapping[str, Any]:
    vim = await _vim(ctx.params)
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


REGISTRY.register(VIM_JOB, _plan)
