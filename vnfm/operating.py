"""OPERATE (SOL003 5.4.7) and HEAL (5.4.9): VNFCs stopped, started, rebooted, rebuilt,
or recreated on a newly granted host.

Operate needs no grant: the occurrence moves to PROCESSING at once, each VNFC is stopped
(``os-stop``, a guest shutdown; GRACEFUL waits up to ``gracefulStopTimeout``) or started
and waited for, and ``vnfState``/``vnfcState`` follow.

Heal first looks at each VNFC: ``additionalParams.healType`` (``reboot``, ``rebuild``,
``recreate``) decides when given; otherwise a server that is gone, in ERROR, or on a
host whose compute service is down (``host_status`` UNKNOWN or DOWN) is recreated, any
other rebooted. Only recreation is granted (HEAL: remove and add the VNFC): its server
is deleted and built again with the instance's request, keeping its ports (and so
their addresses) and taking the new grant's host and zone.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from typing import Any

from nfvo.sol.grant import GrantedLcmOperation
from nfvo.store.occurrence_states import OperationState, Trigger
from nfvo.store.steps import Step, StepContext
from nfvo.vim.errors import VimNotFound, VimTimeout
from nfvo.vim.tags import ResourceIdentity
from vnfm import instantiation
from vnfm.granting import ask, grant_request
from vnfm.lifecycle import LIFECYCLE
from vnfm.plan import Vnfc, flavour_of
from vnfm.results import vnfc_changes
from vnfm.steps import guarded, load, open_vim
from vnfm.wire import HealVnfRequest, OperateVnfRequest, StopType, VnfOperationalState

OPERATE_JOB, HEAL_JOB = "vnfm.operate", "vnfm.heal"
HEAL_TYPES = ("reboot", "rebuild", "recreate")
_DOWN = ("UNKNOWN", "DOWN")


def targets(bookkeeping: Mapping[str, Any], named: list[str] | None) -> list[dict[str, Any]]:
    """The VNFCs a request names (all when it names none); ValueError for unknown ids."""
    have = bookkeeping.get("vnfcs") or {}
    unknown = sorted(set(named or []) - set(have))
    if unknown:
        raise ValueError(f"vnfcInstanceId names no VNFC of this instance: {', '.join(unknown)}")
    return [Vnfc.from_json(have[key]).to_json() for key in (named or sorted(have))]


def _targets(params: Mapping[str, Any]) -> list[Vnfc]:
    return [Vnfc.from_json(item) for item in params.get("targets", [])]


async def start_step(ctx: StepContext) -> None:
    """No grant for operate: STARTING -> PROCESSING."""
    operation = await load(ctx)
    if operation.occurrence.operation_state is OperationState.STARTING:
        await ctx[LIFECYCLE].move(operation.occurrence.id, Trigger.GRANTED, fence=ctx.fence)


def operate_step(vnfc: Vnfc) -> Step:
    async def operate(ctx: StepContext) -> dict[str, Any]:
        operation = await load(ctx)
        request = OperateVnfRequest.model_validate(operation.params)
        vim = await open_vim(ctx, operation)
        server_id = instantiation.realised(operation)[vnfc]["serverId"]
        server = await vim.compute.server(server_id)
        if request.change_state_to is VnfOperationalState.STOPPED:
            if server.status != "SHUTOFF":
                await vim.compute.request(
                    "POST", f"/servers/{server_id}/action", "stop server", json={"os-stop": None}
                )
            graceful = request.stop_type is StopType.GRACEFUL
            patience = float(request.graceful_stop_timeout or 60) if graceful else 60.0
            await vim.compute.wait_for_server(server_id, "SHUTOFF", patience=patience)
            return {"state": "STOPPED"}
        if server.status != "ACTIVE":
            await vim.compute.request(
                "POST", f"/servers/{server_id}/action", "start server", json={"os-start": None}
            )
        await vim.compute.wait_for_server(server_id, patience=ctx[LIFECYCLE].boot_timeout)
        return {"state": "STARTED"}

    return guarded(f"operate {vnfc.id}", operate, after=("start",))


async def finish_operate(ctx: StepContext) -> None:
    operation = await load(ctx)
    have = instantiation.realised(operation)
    for vnfc in _targets(ctx.params):
        have[vnfc] = {**have[vnfc], **ctx.outputs[f"operate {vnfc.id}"]}
    levels = operation.bookkeeping.get("levels") or {}
    changed = {vnfc: have[vnfc] for vnfc in _targets(ctx.params)}
    vim = operation.bookkeeping.get("vim") or ""
    changes = vnfc_changes(operation.package.vnfd_id, changed, vim, "MODIFIED")
    await instantiation.record(ctx, operation, have, levels, changes)


def plan_operate(params: Mapping[str, Any]) -> list[Step]:
    steps = [operate_step(vnfc) for vnfc in _targets(params)]
    return [
        guarded("start", start_step),
        *steps,
        guarded("finish", finish_operate, after=tuple(s.name for s in steps) or ("start",)),
    ]


# -- heal ----------------------------------------------------------------------------


async def diagnose_step(ctx: StepContext) -> dict[str, Any]:
    """How each VNFC is healed (decided once, so a resumed heal does the same)."""
    operation = await load(ctx)
    request = HealVnfRequest.model_validate(operation.params)
    forced = str((request.additional_params or {}).get("healType") or "")
    vim = await open_vim(ctx, operation)
    have = instantiation.realised(operation)
    how: dict[str, str] = {}
    for vnfc in _targets(ctx.params):
        if forced:
            how[vnfc.id] = forced
            continue
        try:
            server = await vim.compute.server(have[vnfc]["serverId"])
        except VimNotFound:
            how[vnfc.id] = "recreate"
            continue
        broken = server.status == "ERROR" or (server.host_status or "") in _DOWN
        how[vnfc.id] = "recreate" if broken else "reboot"
    return {"how": how}


def _recreated(ctx: StepContext) -> list[Vnfc]:
    how = ctx.outputs["diagnose"]["how"]
    return [vnfc for vnfc in _targets(ctx.params) if how[vnfc.id] == "recreate"]


async def heal_grant_step(ctx: StepContext) -> None:
    operation = await load(ctx)
    recreated = _recreated(ctx)
    if not recreated:
        await start_step(ctx)
        return
    flavour = flavour_of(operation.package, instantiation.request_of(operation).flavour_id)
    await ask(
        ctx,
        grant_request(
            ctx.params, operation.instance, GrantedLcmOperation.HEAL, flavour,
            add=recreated, remove=recreated, existing=instantiation.servers(operation),
        ),
    )  # fmt: skip


def heal_step(vnfc: Vnfc) -> Step:
    build = instantiation.vnfc_step(vnfc).handler  # recreation builds as instantiation does

    async def heal(ctx: StepContext) -> dict[str, Any]:
        operation = await load(ctx)
        how = ctx.outputs["diagnose"]["how"][vnfc.id]
        vim = await open_vim(ctx, operation)
        old = instantiation.realised(operation)[vnfc]
        if how == "recreate":
            server = await vim.compute.find_server(
                ResourceIdentity(operation.instance_id, vnfc.vdu_id, vnfc.index)
            )
            if server is not None:
                await vim.compute.delete_server(server.id)
                with contextlib.suppress(VimTimeout):  # a dead host's server may linger
                    await vim.compute.wait_for_server(server.id, "DELETED", patience=60)
            return dict(await build(ctx) or {})
        action = (
            {"reboot": {"type": "HARD"}}
            if how == "reboot"
            else {"rebuild": {"imageRef": ctx.outputs["assets"]["images"][vnfc.vdu_id]}}
        )
        await vim.compute.request("POST", f"/servers/{old['serverId']}/action", how, json=action)
        await vim.compute.wait_for_server(old["serverId"], patience=ctx[LIFECYCLE].boot_timeout)
        return dict(old)

    return guarded(f"heal {vnfc.id}", heal, after=("assets",))


async def finish_heal(ctx: StepContext) -> None:
    operation = await load(ctx)
    have = instantiation.realised(operation)
    healed = {vnfc: dict(ctx.outputs[f"heal {vnfc.id}"]) for vnfc in _targets(ctx.params)}
    have.update({vnfc: {**out, "state": "STARTED"} for vnfc, out in healed.items()})
    vim = operation.bookkeeping.get("vim") or ""
    changes = vnfc_changes(operation.package.vnfd_id, healed, vim, "MODIFIED")
    await instantiation.record(
        ctx, operation, have, operation.bookkeeping.get("levels") or {}, changes
    )


def plan_heal(params: Mapping[str, Any]) -> list[Step]:
    steps = [heal_step(vnfc) for vnfc in _targets(params)]
    return [
        guarded("diagnose", diagnose_step),
        guarded("grant", heal_grant_step, after=("diagnose",)),
        guarded("assets", instantiation.assets_step, after=("grant",)),
        *steps,
        guarded("finish", finish_heal, after=tuple(s.name for s in steps) or ("assets",)),
    ]
