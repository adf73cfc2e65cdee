"""The ``update`` task resource (SOL005 6.4.5): the update types this NFVO serves.

| updateType      | what it does                                                     |
| --------------- | ---------------------------------------------------------------- |
| INSTANTIATE_VNF | a new VNF of a profile of the NS's flavour, built like the others |
| REMOVE_VNF      | VNFs of the NS terminated and deleted                             |
| OPERATE_VNF     | VNFs started or stopped by their VNFMs                            |
| ADD_SAP         | SAPs of the NSD's flavour added (a port on their link)            |
| REMOVE_SAP      | SAPs removed                                                      |

Any other type is refused by name (422), never ignored.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from descriptors.model import NsFlavour
from nfvo.lcm.ns_lifecycle import NsLifecycle
from nfvo.lcm.ns_operations import NsIntent, dependencies, ns_flavour, vnf_part
from nfvo.lcm.ns_plans import Parts, SapPart, action_steps, build_steps, delayed, teardown_steps
from nfvo.lcm.ns_tasks import at_time, instantiated, intent_timeout, nsd_of, part_of
from nfvo.lcm.ns_wire import LcmOperationType, UpdateNsRequest
from nfvo.sol.problems import Unprocessable
from nfvo.sol.tokens import Principal
from nfvo.store.occurrences import Occurrence
from nfvo.store.repository import Versioned

SERVED = ("INSTANTIATE_VNF", "REMOVE_VNF", "OPERATE_VNF", "ADD_SAP", "REMOVE_SAP")


async def update(
    lcm: NsLifecycle, ns_instance_id: str, body: UpdateNsRequest, viewer: Principal
) -> Occurrence:
    ns = await lcm.show(ns_instance_id, viewer)
    intent = instantiated(ns)
    if body.update_type not in SERVED:
        raise Unprocessable(
            f"updateType {body.update_type} is not supported here (served: {', '.join(SERVED)})"
        )
    flavour = ns_flavour(await nsd_of(lcm, ns), intent.flavour_id)
    needs = dependencies(flavour)
    operation, at = LcmOperationType.UPDATE, at_time(body.update_time)
    finish: dict[str, Any] = {"operation": operation.value}
    params = body.to_wire()
    if body.update_type in ("INSTANTIATE_VNF", "ADD_SAP"):
        added = (
            _new_vnfs(intent, flavour, body)
            if body.update_type == "INSTANTIATE_VNF"
            else (_new_saps(intent, flavour, body))
        )
        finish["outcome"] = "build"
        steps = delayed(build_steps(added, needs, finish), at)
        grown = {"parts": intent.parts.plus(added).to_json()}
        return await lcm.start(
            ns,
            operation,
            params,
            steps,
            intent=grown,
            step_timeout=intent_timeout(ns),
            built=added,
            dependencies=needs,
        )
    if body.update_type == "OPERATE_VNF":
        targets = []
        for position, data in enumerate(body.operate_vnf_data or []):
            part = await part_of(
                lcm, ns, intent, data.vnf_instance_id, f"operateVnfData[{position}].vnfInstanceId"
            )
            request = {k: v for k, v in data.to_wire().items() if k != "vnfInstanceId"}
            targets.append((part.key, {"vnf": part.to_json(), "body": request}))
        if not targets:
            raise Unprocessable("updateType OPERATE_VNF needs operateVnfData")
        finish["outcome"] = "change"
        steps = delayed(action_steps("vnf.operate", targets, finish), at)
        return await lcm.start(ns, operation, params, steps, step_timeout=intent_timeout(ns))
    removed = await _removed(lcm, ns, intent, body)
    finish.update(outcome="shrink", removed=removed.to_json())
    steps = delayed(teardown_steps(removed, needs, finish), at)
    return await lcm.start(ns, operation, params, steps, step_timeout=intent_timeout(ns))


VNF_PARAMS = (
    "vnfInstanceName",
    "vnfInstanceDescription",
    "vnfConfigurableProperties",
    "additionalParams",
    "metadata",
    "extensions",
)


def _new_vnfs(intent: NsIntent, flavour: NsFlavour, body: UpdateNsRequest) -> Parts:
    added = []
    taken = {v.key for v in intent.parts.vnfs}
    for position, data in enumerate(body.instantiate_vnf_data or []):
        where = f"instantiateVnfData[{position}]"
        wanted = data.vnf_profile_id
        profiles = [
            p
            for p in flavour.vnf_profiles
            if p.profile_id == wanted or (not wanted and p.vnfd_id == data.vnfd_id)
        ]
        if len(profiles) != 1 or profiles[0].vnfd_id != data.vnfd_id:
            raise Unprocessable(
                f"{where}: no single VNF profile of NS flavour {flavour.flavour_id} "
                f"has VNFD {data.vnfd_id}"
            )
        profile = profiles[0]
        if data.vnf_flavour_id != profile.flavour_id:
            raise Unprocessable(
                f"{where}.vnfFlavourId {data.vnf_flavour_id}: profile {profile.profile_id} "
                f"uses {profile.flavour_id}"
            )
        index = next(i for i in range(len(taken) + 1) if f"{profile.profile_id}-{i}" not in taken)
        taken.add(f"{profile.profile_id}-{index}")
        given = {k: v for k, v in data.to_wire().items() if k in VNF_PARAMS}
        part = vnf_part(
            flavour, profile.profile_id, index, intent.vnfms, {profile.profile_id: given}
        )
        if data.vnf_instantiation_level_id:
            part = replace(part, level_id=data.vnf_instantiation_level_id)
        added.append(part)
    if not added:
        raise Unprocessable("updateType INSTANTIATE_VNF needs instantiateVnfData")
    return Parts(vnfs=tuple(added))


def _new_saps(intent: NsIntent, flavour: NsFlavour, body: UpdateNsRequest) -> Parts:
    have = {s.sap for s in intent.parts.saps}
    saps = {s.sap_id: s for s in flavour.saps}
    added = []
    for position, data in enumerate(body.add_sap or []):
        sap = saps.get(data.sapd_id)
        if sap is None or data.sapd_id in have:
            why = "is no SAP of the NS flavour" if sap is None else "is in the NS already"
            raise Unprocessable(f"addSap[{position}].sapdId {data.sapd_id} {why}")
        bound = intent.bindings.get(data.sapd_id)
        added.append(
            SapPart(
                data.sapd_id,
                sap.virtual_link,
                bound.network if bound else None,
                data.sap_name,
                data.description,
            )
        )
    if not added:
        raise Unprocessable("updateType ADD_SAP needs addSap")
    return Parts(saps=tuple(added))


async def _removed(
    lcm: NsLifecycle, ns: Versioned, intent: NsIntent, body: UpdateNsRequest
) -> Parts:
    if body.update_type == "REMOVE_SAP":
        gone = set(body.remove_sap_id or [])
        unknown = sorted(gone - {s.sap for s in intent.parts.saps})
        if unknown or not gone:
            raise Unprocessable(f"removeSapId names no SAP of the NS: {unknown or 'none given'}")
        return Parts(saps=tuple(s for s in intent.parts.saps if s.sap in gone))
    vnfs = []
    for position, vnf_instance_id in enumerate(body.remove_vnf_instance_id or []):
        vnfs.append(
            await part_of(lcm, ns, intent, vnf_instance_id, f"removeVnfInstanceId[{position}]")
        )
    if not vnfs:
        raise Unprocessable("updateType REMOVE_VNF needs removeVnfInstanceId")
    return Parts(vnfs=tuple(vnfs))
