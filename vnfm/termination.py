"""The terminate and rollback jobs: everything the instance owns leaves the VIM.

Both sweep by tags rather than trusting the records, so what a crashed or failed
operation made is found too: ``servers`` (GRACEFUL stops each first, within its
timeout; then deletes and waits until Nova has them gone), ``ports``, then ``groups``
(the server groups recorded on the instance). Terminate asks for a grant first
(``removeResources`` per VNFC); rollback of an instantiation needs none and ends
ROLLED_BACK with the instance NOT_INSTANTIATED.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Mapping
from typing import Any

from nfvo.sol.grant import GrantedLcmOperation
from nfvo.store.occurrence_states import Trigger
from nfvo.store.steps import Step, StepContext
from nfvo.vim.errors import VimNotFound, VimTimeout
from vnfm import cloud
from vnfm.granting import ask, grant_request
from vnfm.lifecycle import BOOKKEEPING, LIFECYCLE, links
from vnfm.plan import Vnfc
from vnfm.results import vnfc_changes
from vnfm.steps import finish, guarded, load, open_vim
from vnfm.wire import InstantiationState, TerminateVnfRequest, TerminationType

DELETE_PATIENCE = 300.0


def _vnfcs(instance: Mapping[str, Any]) -> dict[Vnfc, dict[str, Any]]:
    """The VNFCs the instance reports, with what the VIM gave them."""
    info = instance.get("instantiatedVnfInfo") or {}
    found: dict[Vnfc, dict[str, Any]] = {}
    for item in info.get("vnfcResourceInfo") or []:
        vdu_id, _, index = str(item["id"]).rpartition("-")
        found[Vnfc(vdu_id, int(index))] = {
            "serverId": item["computeResource"]["resourceId"],
            "zone": item.get("zoneId"),
            "ports": [
                {"cpId": cp["cpdId"], "portId": cp.get("vnfLinkPortId")}
                for cp in item.get("vnfcCpInfo") or []
            ],
        }
    return found


async def grant_step(ctx: StepContext) -> None:
    operation = await load(ctx)
    info = operation.instance.get("instantiatedVnfInfo") or {}
    flavour = operation.package.flavour(str(info.get("flavourId")))
    if flavour is None:
        return  # nothing to grant against: the instance never got a flavour
    request = grant_request(
        ctx.params, operation.instance, GrantedLcmOperation.TERMINATE, flavour,
        remove=_vnfcs(operation.instance),
    )  # fmt: skip
    await ask(ctx, request)


async def servers_step(ctx: StepContext) -> None:
    operation = await load(ctx)
    vim = await open_vim(ctx, operation)
    servers = await cloud.servers_of(vim, operation.instance_id)
    terminate = (
        TerminateVnfRequest.model_validate(operation.params)
        if operation.occurrence.operation == "TERMINATE"
        else None
    )
    if terminate is not None and terminate.termination_type is TerminationType.GRACEFUL:
        timeout = float(terminate.graceful_termination_timeout or 60)
        for server in servers:
            await cloud.stop_server(vim, server.id)
        # A guest that does not stop in time is deleted anyway (SOL003 5.5.2.8).
        with contextlib.suppress(VimTimeout):
            await asyncio.gather(
                *(vim.compute.wait_for_server(s.id, "SHUTOFF", patience=timeout) for s in servers)
            )
    for server in servers:
        await vim.compute.delete_server(server.id)
    await asyncio.gather(
        *(vim.compute.wait_for_server(s.id, "DELETED", patience=DELETE_PATIENCE) for s in servers)
    )


async def ports_step(ctx: StepContext) -> None:
    operation = await load(ctx)
    vim = await open_vim(ctx, operation)
    for port in await cloud.ports_of(vim, operation.instance_id):
        with contextlib.suppress(VimNotFound):
            await vim.network.delete_port(port.id)


async def groups_step(ctx: StepContext) -> None:
    operation = await load(ctx)
    names = set(operation.bookkeeping.get("serverGroups") or [])
    if not names:
        return
    vim = await open_vim(ctx, operation)
    for group_id in await cloud.server_groups_named(vim, names):
        await cloud.delete_server_group(vim, group_id)


async def _not_instantiated(ctx: StepContext) -> dict[Vnfc, dict[str, Any]]:
    """The instance back to NOT_INSTANTIATED; the VNFCs it had."""
    operation = await load(ctx)
    had = _vnfcs(operation.instance)
    document = {
        key: value
        for key, value in operation.instance.items()
        if key not in ("instantiatedVnfInfo", "vimConnectionInfo")
    }
    document["instantiationState"] = InstantiationState.NOT_INSTANTIATED.value
    document["_links"] = links(operation.instance_id, InstantiationState.NOT_INSTANTIATED)
    document[BOOKKEEPING] = {"vim": operation.bookkeeping.get("vim")}
    await ctx[LIFECYCLE].save_instance(operation.instance_id, document, [ctx.fence])
    return had


async def finish_terminate(ctx: StepContext) -> None:
    operation = await load(ctx)
    had = await _not_instantiated(ctx)
    vim = operation.bookkeeping.get("vim") or ""
    changes = vnfc_changes(operation.package.vnfd_id, had, vim, "REMOVED")
    await finish(ctx, Trigger.SUCCEEDED, changes)


async def finish_rollback(ctx: StepContext) -> None:
    await _not_instantiated(ctx)
    await finish(ctx, Trigger.ROLLBACK_SUCCEEDED)


def _removal(first: tuple[str, ...]) -> list[Step]:
    return [
        guarded("servers", servers_step, after=first),
        guarded("ports", ports_step, after=("servers",)),
        guarded("groups", groups_step, after=("servers",)),
    ]


TERMINATE = [
    guarded("grant", grant_step),
    *_removal(("grant",)),
    guarded("finish", finish_terminate, after=("ports", "groups")),
]
ROLLBACK = [*_removal(()), guarded("finish", finish_rollback, after=("ports", "groups"))]
