"""The task resources of an NS instance (SOL005 6.4.4 to 6.4.8): each request checked
and planned, then started through :meth:`NsLifecycle.start`.

- ``instantiate``: the NSD's flavour at a level, bound and placed (``ns_operations``);
- ``terminate``: every part torn down, now or at ``terminationTime``;
- ``scale``: SCALE_NS by an NS scaling aspect's steps or to a level (VNF instances of
  the profiles it scales added or removed), SCALE_VNF by a VNF's aspect and steps;
- ``heal``: HealVnfData (a VNF healed by its VNFM) or HealNsData (every VNF).
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from descriptors.model import NsFlavour
from descriptors.stored import StoredNsd
from nfvo.lcm.ns_lifecycle import DEFAULT_STEP_TIMEOUT, NsLifecycle
from nfvo.lcm.ns_operations import NsIntent, dependencies, ns_flavour, plan_instantiation, vnf_part
from nfvo.lcm.ns_plans import Parts, VnfPart, action_steps, build_steps, delayed, teardown_steps
from nfvo.lcm.ns_records import LCM
from nfvo.lcm.ns_wire import (
    HealNsRequest,
    InstantiateNsRequest,
    LcmOperationType,
    NsState,
    ScaleNsRequest,
    ScaleType,
    ScaleVnfType,
    ScalingDirection,
    TerminateNsRequest,
)
from nfvo.sol.problems import Conflict, NotFound, Unprocessable
from nfvo.sol.tokens import Principal
from nfvo.store.errors import StoreNotFound
from nfvo.store.occurrences import Occurrence
from nfvo.store.repository import Versioned
from nfvo.vim.inventory import SiteInventory


def at_time(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


async def nsd_of(lcm: NsLifecycle, ns: Versioned) -> StoredNsd:
    stored = await lcm.catalog.descriptor(str(ns.document["nsdInfoId"]))
    if not isinstance(stored, StoredNsd):
        raise Conflict(f"nsdInfo {ns.document['nsdInfoId']} holds no NSD")
    return stored


def instantiated(ns: Versioned) -> NsIntent:
    if ns.document["nsState"] != NsState.INSTANTIATED.value:
        raise Conflict(f"NS instance {ns.id} is NOT_INSTANTIATED: instantiate it first")
    return NsIntent.from_json(ns.document[LCM])


async def instantiate(
    lcm: NsLifecycle, ns_instance_id: str, body: InstantiateNsRequest, viewer: Principal
) -> Occurrence:
    ns = await lcm.show(ns_instance_id, viewer)
    if ns.document["nsState"] != NsState.NOT_INSTANTIATED.value:
        raise Conflict(f"NS instance {ns_instance_id} is INSTANTIATED already")
    nsd = await nsd_of(lcm, ns)
    vnfds = await lcm.catalog.constituents(nsd, project=ns.document["owner"])
    extra = body.additional_params_for_ns or {}
    vim_name = str(extra.get("vim") or await lcm.vims.default_name() or "")
    if not vim_name:
        raise Unprocessable("no VIM is registered to instantiate on (nfvo vim add)")
    try:
        vim = await lcm.vims.get(vim_name)
    except StoreNotFound:
        raise Unprocessable(f"additionalParamsForNs.vim: no VIM named {vim_name!r}") from None
    site = SiteInventory(vim.site) if vim.site else None
    intent = plan_instantiation(
        ns_instance_id, nsd, vnfds, body, vim.name, site, await lcm.vnfms.default_name()
    )
    for name in sorted(set(intent.vnfms.values())):
        try:
            await lcm.vnfms.get(name)
        except NotFound as missing:
            raise Unprocessable(f"additionalParamsForNs.vnfms: {missing.detail}") from None
    flavour = ns_flavour(nsd, intent.flavour_id)
    needs = dependencies(flavour)
    finish = {"operation": LcmOperationType.INSTANTIATE.value, "outcome": "build"}
    steps = delayed(build_steps(intent.parts, needs, finish), at_time(body.start_time))
    return await lcm.start(
        ns,
        LcmOperationType.INSTANTIATE,
        body.to_wire(),
        steps,
        intent=intent.to_json(),
        step_timeout=_step_timeout(extra),
        built=intent.parts,
        dependencies=needs,
    )


def _step_timeout(extra: dict[str, Any]) -> float:
    raw = extra.get("stepTimeoutSeconds", DEFAULT_STEP_TIMEOUT)
    if not isinstance(raw, int | float) or isinstance(raw, bool) or raw <= 0:
        raise Unprocessable("additionalParamsForNs.stepTimeoutSeconds must be a positive number")
    return float(raw)


async def terminate(
    lcm: NsLifecycle, ns_instance_id: str, body: TerminateNsRequest, viewer: Principal
) -> Occurrence:
    ns = await lcm.show(ns_instance_id, viewer)
    intent = instantiated(ns)
    needs = dependencies(ns_flavour(await nsd_of(lcm, ns), intent.flavour_id))
    finish = {"operation": LcmOperationType.TERMINATE.value, "outcome": "teardown"}
    steps = delayed(teardown_steps(intent.parts, needs, finish), at_time(body.termination_time))
    return await lcm.start(ns, LcmOperationType.TERMINATE, body.to_wire(), steps)


async def scale(
    lcm: NsLifecycle, ns_instance_id: str, body: ScaleNsRequest, viewer: Principal
) -> Occurrence:
    ns = await lcm.show(ns_instance_id, viewer)
    intent = instantiated(ns)
    if body.scale_type is ScaleType.SCALE_VNF:
        return await _scale_vnfs(lcm, ns, intent, body)
    data = body.scale_ns_data
    if data is None:
        raise Unprocessable("scaleType SCALE_NS needs scaleNsData")
    flavour = ns_flavour(await nsd_of(lcm, ns), intent.flavour_id)
    levels = _scale_levels(ns, data, flavour)
    wanted = _counts_at(flavour, levels, intent)
    have = Counter(v.profile_id for v in intent.parts.vnfs)
    added: list[VnfPart] = []
    removed: list[VnfPart] = []
    for profile, count in wanted.items():
        mine = sorted(
            (v for v in intent.parts.vnfs if v.profile_id == profile),
            key=lambda v: int(v.key.rsplit("-", 1)[1]),
        )
        if count > have[profile]:
            top = int(mine[-1].key.rsplit("-", 1)[1]) + 1 if mine else 0
            params = {profile: mine[0].params} if mine else {}
            added += [
                vnf_part(flavour, profile, top + i, intent.vnfms, params)
                for i in range(count - have[profile])
            ]
        elif count < have[profile]:
            removed += mine[count:]
    status = [{"nsScalingAspectId": a, "nsScaleLevelId": str(level)} for a, level in levels.items()]
    needs = dependencies(flavour)
    operation = LcmOperationType.SCALE
    at = at_time(body.scale_time)
    finish: dict[str, Any] = {"operation": operation.value, "scaleStatus": status}
    if added:
        parts = Parts(vnfs=tuple(added))
        finish["outcome"] = "build"
        steps = delayed(build_steps(parts, needs, finish), at)
        grown = intent.parts.plus(Parts(vnfs=tuple(added)))
        return await lcm.start(
            ns,
            operation,
            body.to_wire(),
            steps,
            intent={"parts": grown.to_json()},
            step_timeout=intent_timeout(ns),
            built=parts,
            dependencies=needs,
        )
    parts = Parts(vnfs=tuple(removed))
    finish.update(outcome="shrink", removed=parts.to_json())
    steps = delayed(teardown_steps(parts, needs, finish), at)
    return await lcm.start(ns, operation, body.to_wire(), steps, step_timeout=intent_timeout(ns))


def intent_timeout(ns: Versioned) -> float:
    request = (ns.document.get(LCM) or {}).get("stepTimeout")
    return float(request) if request else DEFAULT_STEP_TIMEOUT


def _scale_levels(ns: Versioned, data: Any, flavour: NsFlavour) -> dict[str, int]:
    """The NS scale level of every aspect after the request (422 outside its levels)."""
    aspects = {a.aspect_id: a for a in flavour.scaling_aspects}
    current = {a: 0 for a in aspects}
    for entry in (ns.document.get(LCM) or {}).get("scaleStatus") or []:
        current[entry["nsScalingAspectId"]] = int(entry["nsScaleLevelId"])
    if data.scale_ns_by_steps_data is not None:
        by = data.scale_ns_by_steps_data
        aspect = aspects.get(by.aspect_id)
        if aspect is None:
            known = ", ".join(sorted(aspects)) or "none"
            raise Unprocessable(
                f"scaleNsData.scaleNsByStepsData.aspectId {by.aspect_id!r} is not an NS "
                f"scaling aspect ({known})"
            )
        sign = 1 if by.scaling_direction is ScalingDirection.SCALE_OUT else -1
        level = current[by.aspect_id] + sign * by.number_of_steps
        if level not in aspect.levels:
            raise Unprocessable(
                f"scaling {by.aspect_id} {by.scaling_direction.value} by {by.number_of_steps} "
                f"would reach level {level}; its levels are {sorted(aspect.levels)}"
            )
        return {**current, by.aspect_id: level}
    to_level = data.scale_ns_to_level_data
    if to_level is None or not to_level.ns_scale_info:
        raise Unprocessable(
            "scaleNsData needs scaleNsByStepsData or scaleNsToLevelData.nsScaleInfo"
        )
    for position, info in enumerate(to_level.ns_scale_info):
        aspect = aspects.get(info.ns_scaling_aspect_id)
        if (
            aspect is None
            or not info.ns_scale_level_id.isdigit()
            or int(info.ns_scale_level_id) not in aspect.levels
        ):
            raise Unprocessable(
                f"scaleNsData.scaleNsToLevelData.nsScaleInfo[{position}] names no level of "
                "an NS scaling aspect"
            )
        current[info.ns_scaling_aspect_id] = int(info.ns_scale_level_id)
    return current


def _counts_at(flavour: NsFlavour, levels: dict[str, int], intent: NsIntent) -> dict[str, int]:
    counts = Counter(v.profile_id for v in intent.parts.vnfs)
    for aspect in flavour.scaling_aspects:
        for profile, per_level in aspect.vnf_instances.items():
            if levels.get(aspect.aspect_id) in per_level:
                counts[profile] = per_level[levels[aspect.aspect_id]]
    return dict(counts)


async def _scale_vnfs(
    lcm: NsLifecycle, ns: Versioned, intent: NsIntent, body: ScaleNsRequest
) -> Occurrence:
    targets: list[tuple[str, dict[str, Any]]] = []
    for position, data in enumerate(body.scale_vnf_data or []):
        where = f"scaleVnfData[{position}]"
        part = await part_of(lcm, ns, intent, data.vnf_instance_id, f"{where}.vnfInstanceId")
        if data.scale_vnf_type not in (ScaleVnfType.SCALE_OUT, ScaleVnfType.SCALE_IN):
            raise Unprocessable(
                f"{where}.scaleVnfType {data.scale_vnf_type.value}: only SCALE_OUT and SCALE_IN"
            )
        if data.scale_by_step_data is None:
            raise Unprocessable(
                f"{where}.scaleByStepData is required for {data.scale_vnf_type.value}"
            )
        step = data.scale_by_step_data
        request = {
            "type": data.scale_vnf_type.value,
            "aspectId": step.aspect_id,
            "numberOfSteps": step.number_of_steps,
        }
        if step.additional_params:
            request["additionalParams"] = step.additional_params
        targets.append((part.key, {"vnf": part.to_json(), "body": request}))
    if not targets:
        raise Unprocessable("scaleType SCALE_VNF needs scaleVnfData")
    finish = {"operation": LcmOperationType.SCALE.value, "outcome": "change"}
    steps = delayed(action_steps("vnf.scale", targets, finish), at_time(body.scale_time))
    return await lcm.start(
        ns, LcmOperationType.SCALE, body.to_wire(), steps, step_timeout=intent_timeout(ns)
    )


async def part_of(
    lcm: NsLifecycle, ns: Versioned, intent: NsIntent, vnf_instance_id: str, where: str
) -> VnfPart:
    member = await lcm.records.member_of_vnf(vnf_instance_id)
    part = next((v for v in intent.parts.vnfs if member and v.key == member.key), None)
    if member is None or member.ns_instance_id != ns.id or part is None:
        raise Unprocessable(f"{where} {vnf_instance_id!r} is no VNF instance of NS {ns.id}")
    return part


async def heal(
    lcm: NsLifecycle, ns_instance_id: str, body: HealNsRequest, viewer: Principal
) -> Occurrence:
    ns = await lcm.show(ns_instance_id, viewer)
    intent = instantiated(ns)
    targets: list[tuple[str, dict[str, Any]]] = []
    if body.heal_vnf_data:
        for position, data in enumerate(body.heal_vnf_data):
            part = await part_of(
                lcm, ns, intent, data.vnf_instance_id, f"healVnfData[{position}].vnfInstanceId"
            )
            request: dict[str, Any] = {}
            if data.cause:
                request["cause"] = data.cause
            if data.additional_params:
                request["additionalParams"] = data.additional_params
            targets.append((part.key, {"vnf": part.to_json(), "body": request}))
    elif body.heal_ns_data is not None:
        cause = f"NS healing: {body.heal_ns_data.degree_healing.value}"
        targets = [
            (v.key, {"vnf": v.to_json(), "body": {"cause": cause}}) for v in intent.parts.vnfs
        ]
    else:
        raise Unprocessable("a heal request needs healNsData or healVnfData")
    finish = {"operation": LcmOperationType.HEAL.value, "outcome": "change"}
    steps = action_steps("vnf.heal", targets, finish)
    return await lcm.start(
        ns, LcmOperationType.HEAL, body.to_wire(), steps, step_timeout=intent_timeout(ns)
    )
