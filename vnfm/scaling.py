"""SCALE (SOL003 5.4.5): VNFCs added or removed by aspect and steps, within the VNFD.

Checked before anything is recorded (422 naming what is wrong): the aspect exists, the
new level stays within ``0..max_scale_level``, every VDU's count within its profile's
min and max. Scale out adds ``<vdu>-<n>`` after the highest index of each VDU and builds
them exactly as instantiation does (grant, assets, a step per VNFC); scale in removes
the highest indexes (grant, then their servers and ports, found by their tags).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from descriptors.levels import scaled_counts
from nfvo.sol.grant import GrantedLcmOperation
from nfvo.sol.problems import Unprocessable
from nfvo.store.steps import Step, StepContext
from nfvo.vim.tags import ResourceIdentity
from vnfm import instantiation
from vnfm.granting import ask, grant_request
from vnfm.packages import VnfPackage
from vnfm.plan import Vnfc, flavour_of
from vnfm.results import vnfc_changes
from vnfm.steps import guarded, load, open_vim
from vnfm.wire import ScaleType, ScaleVnfRequest

JOB_TYPE = "vnfm.scale"


def plan_scale(
    package: VnfPackage, bookkeeping: Mapping[str, Any], body: ScaleVnfRequest
) -> dict[str, Any]:
    """The job's parameters: the VNFCs to add or remove and the aspect's new level."""
    flavour = flavour_of(package, str(bookkeeping["instantiation"]["flavourId"]))
    aspect = next((a for a in flavour.scaling_aspects if a.aspect_id == body.aspect_id), None)
    if aspect is None:
        known = ", ".join(a.aspect_id for a in flavour.scaling_aspects) or "none"
        raise Unprocessable(f"aspectId {body.aspect_id!r} is not a scaling aspect (it has {known})")
    steps = body.number_of_steps if body.type is ScaleType.SCALE_OUT else -body.number_of_steps
    level = int((bookkeeping.get("levels") or {}).get(aspect.aspect_id, 0)) + steps
    if not 0 <= level <= aspect.max_scale_level:
        raise Unprocessable(
            f"{body.type.value} by {body.number_of_steps} would put aspect {aspect.aspect_id} at "
            f"level {level}, outside 0..{aspect.max_scale_level}"
        )
    current = [Vnfc.from_json(out) for out in (bookkeeping.get("vnfcs") or {}).values()]
    counts: dict[str, int] = {}
    for vnfc in current:
        counts[vnfc.vdu_id] = counts.get(vnfc.vdu_id, 0) + 1
    wanted = scaled_counts(flavour, counts, aspect.aspect_id, steps)
    add, remove = [], []
    for vdu_id, count in wanted.items():
        vdu = flavour.vdu(vdu_id)
        if not vdu.min_instances <= count <= vdu.max_instances:
            raise Unprocessable(
                f"{body.type.value} would give VDU {vdu_id} {count} instances, outside its "
                f"{vdu.min_instances}..{vdu.max_instances}"
            )
        have = sorted((v for v in current if v.vdu_id == vdu_id), key=lambda v: v.index)
        top = have[-1].index + 1 if have else 0
        add += [Vnfc(vdu_id, top + k) for k in range(max(count - len(have), 0))]
        remove += have[count:] if count < len(have) else []
    return {
        "vnfcs": [v.to_json() for v in add],
        "remove": [v.to_json() for v in remove],
        "aspectId": aspect.aspect_id,
        "level": level,
    }


def _removed(params: Mapping[str, Any]) -> list[Vnfc]:
    return [Vnfc.from_json(item) for item in params.get("remove", [])]


async def grant_step(ctx: StepContext) -> None:
    operation = await load(ctx)
    flavour = flavour_of(operation.package, instantiation.request_of(operation).flavour_id)
    await ask(
        ctx,
        grant_request(
            ctx.params, operation.instance, GrantedLcmOperation.SCALE, flavour,
            add=instantiation.vnfcs_of(ctx.params), remove=_removed(ctx.params),
            existing=instantiation.servers(operation),
        ),
    )  # fmt: skip


def remove_step(vnfc: Vnfc) -> Step:
    async def remove(ctx: StepContext) -> None:
        operation = await load(ctx)
        vim = await open_vim(ctx, operation)
        server = await vim.compute.find_server(
            ResourceIdentity(operation.instance_id, vnfc.vdu_id, vnfc.index)
        )
        if server is not None:
            await vim.compute.delete_server(server.id)
            await vim.compute.wait_for_server(server.id, "DELETED", patience=300)
        flavour = flavour_of(operation.package, instantiation.request_of(operation).flavour_id)
        for cp in (cp for cp in flavour.cps if cp.vdu_id == vnfc.vdu_id):
            port = await vim.network.find_port(
                ResourceIdentity(operation.instance_id, cp.cp_id, vnfc.index)
            )
            if port is not None:
                await vim.network.delete_port(port.id)

    return guarded(f"remove {vnfc.id}", remove, after=("grant",))


async def finish_step(ctx: StepContext) -> None:
    operation = await load(ctx)
    have = instantiation.realised(operation)
    added = {
        vnfc: dict(ctx.outputs[f"vnfc {vnfc.id}"]) for vnfc in instantiation.vnfcs_of(ctx.params)
    }
    removed = {vnfc: have.pop(vnfc) for vnfc in _removed(ctx.params) if vnfc in have}
    vim = operation.bookkeeping.get("vim") or ""
    vnfd_id = operation.package.vnfd_id
    changes = vnfc_changes(vnfd_id, added, vim, "ADDED")
    gone = vnfc_changes(vnfd_id, removed, vim, "REMOVED")
    changes = {key: changes[key] + gone[key] for key in changes}
    levels = {
        **(operation.bookkeeping.get("levels") or {}),
        ctx.params["aspectId"]: ctx.params["level"],
    }
    await instantiation.record(ctx, operation, {**have, **added}, levels, changes)


def plan(params: Mapping[str, Any]) -> list[Step]:
    if params.get("vnfcs"):
        return instantiation.building(params, grant_step, finish_step)
    removals = [remove_step(vnfc) for vnfc in _removed(params)]
    return [
        guarded("grant", grant_step),
        *removals,
        guarded("finish", finish_step, after=tuple(s.name for s in removals) or ("grant",)),
    ]
