"""The NSD half of the reader: a parsed TOSCA template in, an :class:`Nsd` out."""

from __future__ import annotations

from typing import Any

from descriptors.imports import ImportSession
from descriptors.model import (
    Nsd,
    NsFlavour,
    NsInstantiationLevel,
    NsScalingAspect,
    NsVirtualLink,
    Sap,
    VnfDependency,
    VnfProfile,
)
from descriptors.node_types import NS, NS_VL, SAP, VNF
from descriptors.policies import default_level, placement_rules
from descriptors.problems import has_errors
from descriptors.tosca import (
    layer_protocols,
    nodes_of,
    plain,
    policies_of,
    policy_targets,
    properties,
    requirements,
)


def read_nsd(template: Any, session: ImportSession) -> Nsd | None:
    """The NSD of a template holding one NS node (one flavour: the NS node's)."""
    if has_errors(session.problems):
        return None
    ns = properties(nodes_of(template, NS)[0])
    vnf_nodes = nodes_of(template, VNF)
    vnf_names = {n.name for n in vnf_nodes}
    levels, default_level = _ns_levels(template)
    flavour = NsFlavour(
        flavour_id=str(ns.get("flavour_id")),
        vnf_profiles=[_vnf_profile(n, vnf_names) for n in vnf_nodes],
        virtual_links=[_ns_virtual_link(n) for n in nodes_of(template, NS_VL)],
        saps=[_sap(n) for n in nodes_of(template, SAP)],
        dependencies=[
            VnfDependency(vnf=n.name, depends_on=target)
            for n in vnf_nodes
            for name, target in requirements(n)
            if name == "dependency" and target in vnf_names
        ],
        instantiation_levels=levels,
        default_level=default_level,
        scaling_aspects=_ns_aspects(template),
        placement_rules=placement_rules(template, "tosca.policies.nfv"),
    )
    return Nsd(
        descriptor_id=str(ns.get("descriptor_id")),
        designer=str(ns.get("designer")),
        version=str(ns.get("version")),
        name=str(ns.get("name")),
        invariant_id=str(ns.get("invariant_id")),
        flavours=[flavour],
    )


def _vnf_profile(node: Any, vnf_names: set[str]) -> VnfProfile:
    props = properties(node)
    profile = props.get("vnf_profile") or {}
    return VnfProfile(
        profile_id=node.name,
        vnfd_id=str(props.get("descriptor_id")),
        flavour_id=str(props.get("flavour_id")),
        product_name=str(props.get("product_name") or ""),
        provider=str(props.get("provider") or ""),
        node_type=node.type,
        min_instances=int(profile.get("min_number_of_instances", 1)),
        max_instances=int(profile.get("max_number_of_instances", 1)),
        instantiation_level=profile.get("instantiation_level"),
        virtual_links={
            name: target
            for name, target in requirements(node)
            if name != "dependency" and target not in vnf_names
        },
    )


def _ns_virtual_link(node: Any) -> NsVirtualLink:
    props = properties(node)
    profile = props.get("vl_profile") or {}
    return NsVirtualLink(
        vl_id=node.name,
        layer_protocols=layer_protocols(props),
        description=str(props.get("description") or ""),
        max_bitrate=(profile.get("max_bitrate_requirements") or {}).get("root"),
        min_bitrate=(profile.get("min_bitrate_requirements") or {}).get("root"),
    )


def _sap(node: Any) -> Sap:
    props = properties(node)
    reqs = dict(requirements(node))
    return Sap(
        sap_id=node.name,
        layer_protocols=[str(p) for p in props.get("layer_protocols") or []],
        virtual_link=reqs.get("internal_virtual_link") or reqs.get("external_virtual_link"),
    )


def _ns_levels(template: Any) -> tuple[list[NsInstantiationLevel], str | None]:
    counts: dict[str, dict[str, int]] = {}
    for policy in policies_of(template, "tosca.policies.nfv.VnfToInstantiationLevelMapping"):
        for level_id, number in (plain(policy.properties).get("number_of_instances") or {}).items():
            for vnf in policy_targets(template, policy):
                counts.setdefault(level_id, {})[vnf] = int(number)
    levels = [
        NsInstantiationLevel(
            level_id=level_id,
            description=str(level.get("description") or ""),
            vnf_instances=counts.get(level_id, {}),
        )
        for policy in policies_of(template, "tosca.policies.nfv.NsInstantiationLevels")
        for level_id, level in (plain(policy.properties).get("ns_levels") or {}).items()
    ]
    return levels, default_level(template)


def _ns_aspects(template: Any) -> list[NsScalingAspect]:
    per_vnf: dict[str, dict[str, dict[int, int]]] = {}
    for policy in policies_of(template, "tosca.policies.nfv.VnfToLevelMapping"):
        props = plain(policy.properties)
        mapping = {int(k): int(v) for k, v in (props.get("number_of_instances") or {}).items()}
        for vnf in policy_targets(template, policy):
            per_vnf.setdefault(str(props.get("aspect")), {})[vnf] = mapping
    return [
        NsScalingAspect(
            aspect_id=aspect_id,
            name=str(a.get("name", aspect_id)),
            description=str(a.get("description", "")),
            levels={
                int(k): str((v or {}).get("description", ""))
                for k, v in (a.get("ns_scale_levels") or {}).items()
            },
            vnf_instances=per_vnf.get(aspect_id, {}),
        )
        for policy in policies_of(template, "tosca.policies.nfv.NsScalingAspects")
        for aspect_id, a in (plain(policy.properties).get("aspects") or {}).items()
    ]
