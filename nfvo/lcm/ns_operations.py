"""An NS operation's request turned into the NS's intent and its steps (pure).

Everything a client can get wrong is found here, before an occurrence is recorded or
anything is touched, and answered 422 naming the attribute: an unknown flavour, level,
profile, aspect or VNF instance; an unsupported part of SOL005 (PNFs, nested NSs, WAN
connections); a binding that cannot be made. The NS-level choices the grants will
need (VIM, networks, zones, rules) are resolved once, here, and stored with the NS.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from descriptors.model import NsFlavour
from descriptors.stored import StoredNsd, StoredVnfd
from nfvo.lcm.networks import BINDINGS_KEY, BindingError, LinkBinding, parse_bindings, site_default
from nfvo.lcm.ns_plans import LinkPart, Parts, SapPart, VnfPart
from nfvo.lcm.ns_wire import InstantiateNsRequest, ParamsForVnf, VnfLocationConstraint
from nfvo.placement.requests import RequestError, vdu_counts
from nfvo.sol.problems import Unprocessable
from nfvo.vim.inventory import SiteInventory

ZONE_CA_TYPE = 22  # RFC 4776 "LOC": our convention for an availability zone
VNFMS_KEY = "vnfms"
VIM_KEY = "vim"
# additionalParamsForNs key: additionalParams every VNF gets (the PLMN, slices, ...); a
# profile's own additionalParamsForVnf win over them.
ALL_VNFS_KEY = "additionalParamsForAllVnfs"


@dataclass(frozen=True)
class NsIntent:
    """What an instantiation decided once for the NS's life (stored in ``_lcm``)."""

    vim: str
    flavour_id: str
    level_id: str | None
    bindings: dict[str, LinkBinding]  # NS virtual link or SAP -> where it lands
    zones: dict[str, list[str]]  # VNF profile -> allowed zones
    rules: list[dict[str, Any]]  # NS-level (anti-)affinity: kind, scope, profiles
    vnfms: dict[str, str]  # VNF profile -> VNFM name
    parts: Parts

    def to_json(self) -> dict[str, Any]:
        return {
            "vim": self.vim,
            "flavourId": self.flavour_id,
            "levelId": self.level_id,
            "bindings": {
                k: {"network": b.network, "physnet": b.physnet} for k, b in self.bindings.items()
            },
            "zones": self.zones,
            "rules": self.rules,
            "vnfms": self.vnfms,
            "parts": self.parts.to_json(),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> NsIntent:
        return cls(
            vim=data["vim"],
            flavour_id=data["flavourId"],
            level_id=data.get("levelId"),
            bindings={
                k: LinkBinding(k, v.get("network"), v.get("physnet"))
                for k, v in data["bindings"].items()
            },
            zones={k: list(v) for k, v in data.get("zones", {}).items()},
            rules=list(data.get("rules", [])),
            vnfms=dict(data.get("vnfms", {})),
            parts=Parts.from_json(data.get("parts")),
        )


def ns_flavour(nsd: StoredNsd, flavour_id: str) -> NsFlavour:
    for flavour in nsd.nsd.flavours:
        if flavour.flavour_id == flavour_id:
            return flavour
    known = ", ".join(f.flavour_id for f in nsd.nsd.flavours) or "none"
    raise Unprocessable(
        f"nsFlavourId {flavour_id!r} is not a flavour of NSD {nsd.nsd.name} (it has {known})"
    )


def level_counts(flavour: NsFlavour, level_id: str | None, where: str) -> dict[str, int]:
    """VNF instances per profile at ``level_id`` (the flavour's default if None)."""
    chosen = level_id or flavour.default_level
    if chosen is None:
        return {p.profile_id: p.min_instances for p in flavour.vnf_profiles}
    for level in flavour.instantiation_levels:
        if level.level_id == chosen:
            return {
                p.profile_id: level.vnf_instances.get(p.profile_id, p.min_instances)
                for p in flavour.vnf_profiles
            }
    known = ", ".join(lv.level_id for lv in flavour.instantiation_levels) or "none"
    raise Unprocessable(
        f"{where} {chosen!r} is not a level of NS flavour {flavour.flavour_id} (it has {known})"
    )


def dependencies(flavour: NsFlavour) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for dependency in flavour.dependencies:
        found.setdefault(dependency.vnf, []).append(dependency.depends_on)
    return found


def _refuse_unsupported(body: InstantiateNsRequest) -> None:
    for name, value in (
        ("addpnfData", body.addpnf_data),
        ("nestedNsInstanceData", body.nested_ns_instance_data),
        ("wanConnectionData", body.wan_connection_data),
        ("vnfInstanceData", body.vnf_instance_data),
    ):
        if value:
            raise Unprocessable(f"{name} is not supported by this NFVO: leave it out")


def _profiles(flavour: NsFlavour) -> set[str]:
    return {p.profile_id for p in flavour.vnf_profiles}


def _check_profile(profile: str, flavour: NsFlavour, where: str) -> None:
    if profile not in _profiles(flavour):
        known = ", ".join(sorted(_profiles(flavour)))
        raise Unprocessable(
            f"{where} {profile!r} is not a VNF profile of NS flavour {flavour.flavour_id} ({known})"
        )


def zones_of(
    constraints: Sequence[VnfLocationConstraint] | None, flavour: NsFlavour
) -> dict[str, list[str]]:
    zones: dict[str, list[str]] = {}
    for position, constraint in enumerate(constraints or []):
        where = f"locationConstraints[{position}]"
        _check_profile(constraint.vnf_profile_id, flavour, f"{where}.vnfProfileId")
        named = [
            e.ca_value
            for e in constraint.location_constraints.civic_address_element or []
            if e.ca_type == ZONE_CA_TYPE
        ]
        if named:
            zones[constraint.vnf_profile_id] = named
    return zones


def _params(
    body: Sequence[ParamsForVnf] | None, flavour: NsFlavour, where: str
) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    for position, params in enumerate(body or []):
        _check_profile(params.vnf_profile_id, flavour, f"{where}[{position}].vnfProfileId")
        found[params.vnf_profile_id] = params.to_wire()
    return found


def _rules(
    body: InstantiateNsRequest, flavour: NsFlavour, vnfds: Mapping[str, str]
) -> list[dict[str, Any]]:
    """NSD placement rules and the request's, each over VNF profiles."""
    rules = [
        {
            "id": rule.rule_id,
            "kind": rule.kind.value.replace("-", "_"),
            "scope": rule.scope,
            "profiles": rule.targets,
        }
        for rule in flavour.placement_rules
    ]
    for position, rule in enumerate(body.additional_affinity_or_anti_affinity_rule or []):
        where = f"additionalAffinityOrAntiAffinityRule[{position}]"
        profiles = list(rule.vnf_profile_id or [])
        profiles += [p for p, vnfd in vnfds.items() if vnfd in (rule.vnfd_id or [])]
        for profile in profiles:
            _check_profile(profile, flavour, f"{where}.vnfProfileId")
        if rule.vnf_instance_id:
            raise Unprocessable(
                f"{where}.vnfInstanceId: name VNF profiles or VNFDs; VNF instances come later"
            )
        if rule.scope not in ("NFVI_NODE", "ZONE"):
            raise Unprocessable(
                f"{where}.scope {rule.scope}: OpenStack places within NFVI_NODE or ZONE only"
            )
        kind = "affinity" if rule.affinity_or_anti_affiinty == "AFFINITY" else "anti_affinity"
        rules.append(
            {
                "id": f"request-rule-{position}",
                "kind": kind,
                "scope": rule.scope.lower(),
                "profiles": profiles,
            }
        )
    return rules


def _sriov_links(flavour: NsFlavour, vnfds: Mapping[str, StoredVnfd]) -> set[str]:
    """The NS virtual links some VNF's SR-IOV port is connected to."""
    links: set[str] = set()
    for profile in flavour.vnf_profiles:
        vnf = vnfds[profile.vnfd_id]
        for requirement in vnf.requirements.get(profile.flavour_id, {}).values():
            for interface in requirement.interfaces:
                link = profile.virtual_links.get(interface.logical_network or "")
                if link and interface.vnic_type.needs_sriov:
                    links.add(link)
    return links


def plan_instantiation(
    ns_instance_id: str,
    nsd: StoredNsd,
    vnfds: Sequence[StoredVnfd],
    body: InstantiateNsRequest,
    vim: str,
    site: SiteInventory | None,
    default_vnfm: str | None,
) -> NsIntent:
    """The NS's intent: its VIM, bindings, zones, rules, VNFMs and parts. Unprocessable."""
    _refuse_unsupported(body)
    flavour = ns_flavour(nsd, body.ns_flavour_id)
    counts = level_counts(flavour, body.ns_instantiation_level_id, "nsInstantiationLevelId")
    by_vnfd = {v.vnfd.descriptor_id: v for v in vnfds}
    extra = body.additional_params_for_ns or {}
    try:
        bindings = parse_bindings(extra.get(BINDINGS_KEY), f"additionalParamsForNs.{BINDINGS_KEY}")
        sriov = _sriov_links(flavour, by_vnfd)
        known = {vl.vl_id for vl in flavour.virtual_links} | {s.sap_id for s in flavour.saps}
        unknown = sorted(set(bindings) - known)
        if unknown:
            raise BindingError(
                f"additionalParamsForNs.{BINDINGS_KEY} names {unknown}, which are no virtual link "
                f"or SAP of NS flavour {flavour.flavour_id} ({', '.join(sorted(known))})"
            )
        for vl in flavour.virtual_links:
            bindings.setdefault(vl.vl_id, site_default(vl.vl_id, vl.vl_id in sriov, site))
    except BindingError as error:
        raise Unprocessable(str(error)) from None
    vnfms = dict(extra.get(VNFMS_KEY) or {})
    for profile in vnfms:
        _check_profile(profile, flavour, f"additionalParamsForNs.{VNFMS_KEY}")
    for profile in flavour.vnf_profiles:
        if profile.profile_id not in vnfms:
            if default_vnfm is None:
                raise Unprocessable("no VNFM is registered to drive the VNFs (nfvo vnfm add)")
            vnfms[profile.profile_id] = default_vnfm
    params = _params(body.additional_params_for_vnf, flavour, "additionalParamsForVnf")
    shared = extra.get(ALL_VNFS_KEY) or {}
    if not isinstance(shared, dict):
        raise Unprocessable(f"additionalParamsForNs.{ALL_VNFS_KEY} must be an object")
    for profile in flavour.vnf_profiles:
        own = params.setdefault(profile.profile_id, {})
        own["additionalParams"] = {**shared, **(own.get("additionalParams") or {})}
    parts = Parts(
        links=tuple(
            LinkPart(vl.vl_id, bindings[vl.vl_id].network, bindings[vl.vl_id].physnet)
            for vl in flavour.virtual_links
        ),
        vnfs=tuple(
            vnf_part(flavour, profile.profile_id, index, vnfms, params)
            for profile in flavour.vnf_profiles
            for index in range(counts[profile.profile_id])
        ),
        saps=tuple(_sap(sap.sap_id, sap.virtual_link, bindings, body) for sap in flavour.saps),
    )
    _check_levels(flavour, by_vnfd)
    return NsIntent(
        vim=vim,
        flavour_id=flavour.flavour_id,
        level_id=body.ns_instantiation_level_id or flavour.default_level,
        bindings=bindings,
        zones=zones_of(body.location_constraints, flavour),
        rules=_rules(body, flavour, {p.profile_id: p.vnfd_id for p in flavour.vnf_profiles}),
        vnfms=vnfms,
        parts=parts,
    )


def vnf_part(
    flavour: NsFlavour,
    profile_id: str,
    index: int,
    vnfms: Mapping[str, str],
    params: Mapping[str, dict[str, Any]],
) -> VnfPart:
    profile = next(p for p in flavour.vnf_profiles if p.profile_id == profile_id)
    return VnfPart(
        key=f"{profile_id}-{index}",
        profile_id=profile_id,
        vnfd_id=profile.vnfd_id,
        vnfm=vnfms[profile_id],
        flavour_id=profile.flavour_id,
        level_id=profile.instantiation_level,
        ext_links=dict(profile.virtual_links),
        params=dict(params.get(profile_id, {})),
        after=tuple(d.depends_on for d in flavour.dependencies if d.vnf == profile_id),
    )


def _sap(
    sap_id: str, link: str | None, bindings: Mapping[str, LinkBinding], body: InstantiateNsRequest
) -> SapPart:
    data = next((d for d in body.sap_data or [] if d.sapd_id == sap_id), None)
    bound = bindings.get(sap_id)
    return SapPart(
        sap=sap_id,
        link=link,
        network=bound.network if bound else None,
        name=data.sap_name if data else sap_id,
        description=data.description if data else "",
    )


def _check_levels(flavour: NsFlavour, vnfds: Mapping[str, StoredVnfd]) -> None:
    """Each profile's VNF level exists in its VNFD (the VNFM would refuse it later)."""
    for profile in flavour.vnf_profiles:
        vnf = vnfds.get(profile.vnfd_id)
        vnf_flavour = (
            next((f for f in vnf.vnfd.flavours if f.flavour_id == profile.flavour_id), None)
            if vnf
            else None
        )
        if vnf_flavour is None:
            raise Unprocessable(
                f"VNF profile {profile.profile_id}: VNFD {profile.vnfd_id} has no flavour "
                f"{profile.flavour_id}"
            )
        try:
            vdu_counts(vnf_flavour, profile.instantiation_level)
        except RequestError as error:
            raise Unprocessable(f"VNF profile {profile.profile_id}: {error}") from None
