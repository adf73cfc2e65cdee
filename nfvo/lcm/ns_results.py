"""An NS operation's end written down: the NS instance as built, the occurrence's
``resourceChanges``, its last transition and the RESULT notifications.

``record_outcome`` is the work of every operation's ``finish`` step. What it writes
comes from the VNFMs and the VIM as they now are (each member's VnfInstance, each
link's network, each SAP's port), so a finish run again after a crash writes the same.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from nfvo.catalog.records import Kind
from nfvo.lcm.ns_lifecycle import NsLifecycle
from nfvo.lcm.ns_operations import NsIntent
from nfvo.lcm.ns_plans import Parts
from nfvo.lcm.ns_records import LCM, Member
from nfvo.lcm.ns_wire import NsState
from nfvo.store.guards import Guard
from nfvo.store.occurrence_states import Trigger

# outcome -> (the trigger that ends the occurrence, the change type of what it touched)
_OUTCOMES = {
    "build": (Trigger.SUCCEEDED, "ADD"),
    "change": (Trigger.SUCCEEDED, "MODIFY"),
    "shrink": (Trigger.SUCCEEDED, "REMOVE"),
    "teardown": (Trigger.SUCCEEDED, "REMOVE"),
    "rollback": (Trigger.ROLLBACK_SUCCEEDED, "REMOVE"),
}


async def record_outcome(
    lcm: NsLifecycle,
    ns_instance_id: str,
    occurrence_id: str,
    args: Mapping[str, Any],
    outputs: Mapping[str, Mapping[str, Any]],
    guards: Sequence[Guard],
) -> None:
    outcome = str(args["outcome"])
    trigger, change_type = _OUTCOMES[outcome]
    occurrence = await lcm.records.occurrences.get(occurrence_id)
    ns = await lcm.records.get(ns_instance_id)
    intent = NsIntent.from_json(ns.document[LCM]) if ns.document.get(LCM) else None
    removed = Parts.from_json(args.get("removed"))
    parts = intent.parts.minus(removed) if intent else Parts()
    empty = outcome == "teardown" or (
        outcome == "rollback" and occurrence.operation == "INSTANTIATE"
    )
    members = await lcm.records.members_of(ns_instance_id)
    vnfs = [] if empty else await _vnf_instances(lcm, members)
    document = dict(ns.document)
    for name in ("flavourId", "vnfInstance", "virtualLinkInfo", "sapInfo", "nsScaleStatus"):
        document.pop(name, None)
    if empty:
        document["nsState"] = NsState.NOT_INSTANTIATED.value
        document[LCM] = {}
    elif intent is not None:
        document["nsState"] = NsState.INSTANTIATED.value
        document["flavourId"] = intent.flavour_id
        document["vnfInstance"] = vnfs
        document["virtualLinkInfo"] = _links(intent, outputs)
        document["sapInfo"] = _saps(parts, outputs, document.get("sapInfo"))
        document[LCM] = {**ns.document[LCM], "parts": parts.to_json()}
        if args.get("scaleStatus"):
            document["nsScaleStatus"] = args["scaleStatus"]
            document[LCM]["scaleStatus"] = args["scaleStatus"]
        elif ns.document[LCM].get("scaleStatus"):
            document["nsScaleStatus"] = ns.document[LCM]["scaleStatus"]
    changes = _resource_changes(args, outputs, change_type, members)
    await lcm.records.instances.put(ns_instance_id, document, version=ns.version, guards=guards)
    detail = await lcm.records.detail(occurrence_id)
    await lcm.records.save_detail(occurrence_id, detail.but(resource_changes=changes), guards)
    if lcm.records.occurrences.machine.allows(occurrence.operation_state, trigger):
        occurrence = await lcm.records.occurrences.transition(
            occurrence_id, trigger, fence=_fence(guards)
        )
    await lcm.notices.occurrence(document, occurrence, "RESULT", changes)


def _fence(guards: Sequence[Guard]) -> Any:
    return guards[0] if guards else None


async def _vnf_instances(lcm: NsLifecycle, members: Sequence[Member]) -> list[dict[str, Any]]:
    """Each member's VnfInstance as its VNFM shows it, with the NS's own fields."""
    found: list[dict[str, Any]] = []
    for member in sorted(members, key=lambda m: m.key):
        if member.vnf_instance_id is None:
            continue
        client = await lcm.vnfms.client(member.vnfm)
        vnf = await client.vnf(member.vnf_instance_id)
        if vnf is None:
            continue
        packages = await lcm.catalog.where(Kind.VNF_PACKAGE, "vnfdId", member.vnfd_id)
        shown = {k: v for k, v in vnf.items() if k != "_links"}
        shown["vnfPkgId"] = packages[0].id if packages else ""
        shown["vnfProfileId"] = member.profile_id
        found.append(shown)
    return found


def _links(intent: NsIntent, outputs: Mapping[str, Mapping[str, Any]]) -> list[dict[str, Any]]:
    links = []
    for part in intent.parts.links:
        made = outputs.get(f"link {part.link}") or {}
        handle = {
            "vimId": intent.vim,
            "resourceId": made.get("networkId") or part.network or "",
            "vimLevelResourceType": "network",
        }
        links.append(
            {
                "id": part.link,
                "nsVirtualLinkDescId": part.link,
                "nsVirtualLinkProfileId": part.link,
                "resourceHandle": [handle],
            }
        )
    return links


def _saps(
    parts: Parts, outputs: Mapping[str, Mapping[str, Any]], before: Any
) -> list[dict[str, Any]]:
    known = {s["id"]: s for s in before or []}
    saps = []
    for part in parts.saps:
        made = outputs.get(f"sap {part.sap}")
        if made is None and part.sap in known:
            saps.append(known[part.sap])
            continue
        made = made or {}
        protocol = {
            "layerProtocol": "IP_OVER_ETHERNET",
            "ipOverEthernet": {
                "macAddress": made.get("macAddress"),
                "ipAddresses": [{"type": "IPV4", "addresses": made.get("addresses") or []}],
            },
        }
        saps.append(
            {
                "id": part.sap,
                "sapdId": part.sap,
                "sapName": part.name or part.sap,
                "description": part.description,
                "sapProtocolInfo": [protocol],
            }
        )
    return saps


def _resource_changes(
    args: Mapping[str, Any],
    outputs: Mapping[str, Mapping[str, Any]],
    change_type: str,
    members: Sequence[Member],
) -> dict[str, Any]:
    """What the occurrence's steps touched, by kind (SOL005 6.5.2.3 resourceChanges)."""
    by_key = {m.key: m for m in members}
    result = "ROLLED_BACK" if args.get("outcome") == "rollback" else "COMPLETED"
    vnfs, links, saps = [], [], []
    for name, out in outputs.items():
        verb, _, key = name.partition(" ")
        if verb in ("instantiate", "terminate", "scale", "heal", "operate") and out.get(
            "vnfInstanceId"
        ):
            member = by_key.get(key)
            vnfs.append(
                {
                    "vnfInstanceId": out["vnfInstanceId"],
                    "vnfdId": member.vnfd_id if member else "",
                    "vnfProfileId": member.profile_id if member else key.rsplit("-", 1)[0],
                    "vnfName": key,
                    "changeType": _vnf_change(verb, change_type),
                    "changeResult": result,
                }
            )
        elif name.startswith(("link ", "remove link ")) and out.get("networkId"):
            link = name.rsplit(" ", 1)[-1]
            links.append(
                {
                    "nsVirtualLinkInstanceId": link,
                    "nsVirtualLinkDescId": link,
                    "vlProfileId": link,
                    "changeType": "ADD" if verb == "link" else "DELETE",
                    "changeResult": result,
                }
            )
        elif name.startswith(("sap ", "remove sap ")) and out.get("portId"):
            sap = name.rsplit(" ", 1)[-1]
            saps.append(
                {
                    "sapInstanceId": sap,
                    "sapdId": sap,
                    "sapName": sap,
                    "changeType": "ADD" if verb == "sap" else "REMOVE",
                    "changeResult": result,
                }
            )
    return {"affectedVnfs": vnfs, "affectedVls": links, "affectedSaps": saps}


def _vnf_change(verb: str, change_type: str) -> str:
    """ChangeType of an AffectedVnf (SOL005 6.5.3.2): ADD, REMOVE, INSTANTIATE, TERMINATE,
    SCALE, CHANGE_FLAVOUR, HEAL, OPERATE, ..."""
    return {
        "instantiate": "INSTANTIATE",
        "terminate": "TERMINATE",
        "scale": "SCALE",
        "heal": "HEAL",
        "operate": "OPERATE",
    }.get(verb, change_type)
