"""What the NFVO knows around a grant when the VNF belongs to one of its NSs.

A grant names a VNF instance; its member record names the NS. From the NS's intent
(``nfvo.lcm.ns_operations``) the grant gets the VIM, each of the VNF's external CPs
bound as its NS virtual link is, the zones ``locationConstraints`` allow its
profile, and the rules that reach beyond the VNF: its VNFD's rules over the other
instances of its profile (scaled-out copies of one NF are what anti-affinity
protects), and the NS's rules over the VNFs of other profiles. Running VNFCs are
located by the NFVO's own grants (their placement hints); a VNF outside any NS gets
the scope of :class:`~nfvo.lcm.decisions.OwnBindings`.
"""

from __future__ import annotations

from collections.abc import Iterable

from nfvo.catalog.store import CatalogStore
from nfvo.lcm.decisions import OwnBindings
from nfvo.lcm.grant_records import GrantRecords, GrantState, Settlement
from nfvo.lcm.grant_requests import GrantScope, SiblingRule
from nfvo.lcm.networks import LinkBinding
from nfvo.lcm.ns_operations import NsIntent
from nfvo.lcm.ns_records import LCM, Member, NsRecords
from nfvo.placement.model import AffinityKind, AffinityScope
from nfvo.sol.grant import GrantRequest, ResourceType


class NsScopes:
    def __init__(self, records: NsRecords, grants: GrantRecords, catalog: CatalogStore) -> None:
        self.records, self.grants, self.catalog = records, grants, catalog
        self.outside = OwnBindings()

    async def scope_of(self, request: GrantRequest) -> GrantScope:
        member = await self.records.member_of_vnf(request.vnf_instance_id)
        ns = await self.records.find(member.ns_instance_id) if member else None
        if member is None or ns is None or not ns.document.get(LCM):
            return await self.outside.scope_of(request)
        intent = NsIntent.from_json(ns.document[LCM])
        part = next((v for v in intent.parts.vnfs if v.key == member.key), None)
        ext_links = part.ext_links if part else {}
        bindings = {
            cp: LinkBinding(cp, intent.bindings[vl].network, intent.bindings[vl].physnet)
            for cp, vl in ext_links.items()
            if vl in intent.bindings
        }
        zones = intent.zones.get(member.profile_id)
        return GrantScope(
            vim=intent.vim,
            bindings=bindings,
            zones=tuple(zones) if zones else None,
            rules=tuple(await self._rules(member, intent, ns.document["owner"])),
            ns_instance_id=member.ns_instance_id,
            project=ns.document["owner"],
        )

    async def _rules(self, member: Member, intent: NsIntent, owner: str) -> list[SiblingRule]:
        others = [
            m
            for m in await self.records.members_of(member.ns_instance_id)
            if m.vnf_instance_id and m.key != member.key
        ]
        rules: list[SiblingRule] = []
        vnf = await self.catalog.vnf_descriptor(member.vnfd_id, project=owner)
        flavour_id = next((v.flavour_id for v in intent.parts.vnfs if v.key == member.key), None)
        flavour = next((f for f in vnf.vnfd.flavours if f.flavour_id == flavour_id), None)
        twins = [m for m in others if m.profile_id == member.profile_id]
        for rule in flavour.placement_rules if flavour and twins else []:
            scope = _scope(rule.scope)
            if scope is None:
                continue
            hosts = await self._hosts((m.vnf_instance_id or "" for m in twins), set(rule.targets))
            rules.append(
                SiblingRule(
                    f"{member.profile_id}-{rule.rule_id}",
                    _kind(rule.kind.value),
                    scope,
                    tuple(sorted(hosts)),
                    frozenset(rule.targets),
                )
            )
        for ns_rule in intent.rules:
            scope = _scope(str(ns_rule["scope"]))
            if scope is None or member.profile_id not in ns_rule["profiles"]:
                continue
            reached = [m for m in others if m.profile_id in ns_rule["profiles"]]
            hosts = await self._hosts((m.vnf_instance_id or "" for m in reached), None)
            rules.append(
                SiblingRule(
                    str(ns_rule["id"]), _kind(str(ns_rule["kind"])), scope, tuple(sorted(hosts))
                )
            )
        return rules

    async def _hosts(self, vnf_instance_ids: Iterable[str], vdu_ids: set[str] | None) -> set[str]:
        """The hosts the NFVO granted to the VNFCs of these VNFs (of ``vdu_ids``)."""
        hosts: set[str] = set()
        for vnf_instance_id in vnf_instance_ids:
            for grant in await self.grants.where("vnf_instance_id", vnf_instance_id):
                if grant.state is not GrantState.GRANTED or grant.settled is Settlement.RELEASED:
                    continue
                placement = ((grant.grant or {}).get("additionalParams") or {}).get(
                    "placement"
                ) or {}
                for resource in grant.asked.add_resources:
                    hint = placement.get(resource.id) or {}
                    wanted = vdu_ids is None or resource.vdu_id in vdu_ids
                    if resource.type is ResourceType.COMPUTE and wanted and hint.get("host"):
                        hosts.add(str(hint["host"]))
        return hosts


def _scope(text: str) -> AffinityScope | None:
    try:
        scope = AffinityScope(text.lower())
    except ValueError:
        return None
    return scope if scope.supported else None


def _kind(text: str) -> AffinityKind:
    return (
        AffinityKind.AFFINITY
        if text.replace("-", "_") == "affinity"
        else AffinityKind.ANTI_AFFINITY
    )
