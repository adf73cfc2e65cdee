"""Consistency across a descriptor's parts, which TOSCA types cannot express: every
name one part uses must exist in another, counts must fit profiles, and VNF
dependencies must leave an order to instantiate in.

Each finding comes with an :class:`descriptors.locations.Anchor`: the node or policy
of the flavour's template it is about, so the operator is sent to the file, path and
line (the loader resolves it in the file that defines the flavour).
"""

from __future__ import annotations

from collections.abc import Iterator

from descriptors.locations import Anchor
from descriptors.model import Flavour, Nsd, NsFlavour, Vnfd, VnfDependency
from descriptors.problems import Problem

Finding = tuple[Problem, Anchor]
_LEVELS = "tosca.policies.nfv.InstantiationLevels"
_VDU_LEVELS = "tosca.policies.nfv.VduInstantiationLevels"
_DELTAS = "tosca.policies.nfv.VduScalingAspectDeltas"
_NS_LEVELS = "tosca.policies.nfv.NsInstantiationLevels"


def check_vnfd(vnfd: Vnfd) -> list[Problem]:
    return [problem for flavour in vnfd.flavours for problem, _ in flavour_findings(flavour)]


def check_nsd(nsd: Nsd) -> list[Problem]:
    return [problem for flavour in nsd.flavours for problem, _ in ns_flavour_findings(flavour)]


def flavour_findings(flavour: Flavour) -> list[Finding]:
    """What does not fit together in one VNF deployment flavour, and where it is."""
    return [(_inconsistent(f"flavour {flavour.flavour_id}: {m}"), a) for m, a in _gaps(flavour)]


def ns_flavour_findings(flavour: NsFlavour) -> list[Finding]:
    """What does not fit together in one NS deployment flavour, and where it is."""
    return [
        (_inconsistent(f"NS flavour {flavour.flavour_id}: {m}"), a) for m, a in _ns_gaps(flavour)
    ]


def _gaps(flavour: Flavour) -> Iterator[tuple[str, Anchor]]:
    vdus = {vdu.vdu_id: vdu for vdu in flavour.vdus}
    links = {vl.vl_id for vl in flavour.virtual_links}
    aspects = {aspect.aspect_id: aspect for aspect in flavour.scaling_aspects}
    for cp in flavour.cps:
        at = Anchor(node=cp.cp_id, keys=("requirements",))
        if cp.vdu_id not in vdus:
            yield f"connection point {cp.cp_id} binds to {cp.vdu_id or 'nothing'}, not a VDU", at
        if cp.virtual_link and cp.virtual_link not in links:
            yield f"connection point {cp.cp_id} links to {cp.virtual_link}, not a virtual link", at
    for aspect in flavour.scaling_aspects:
        for vdu_id, deltas in aspect.vdu_deltas.items():
            missing = sorted(set(aspect.step_deltas) - set(deltas))
            if missing:
                at = Anchor(policy_type=_DELTAS, target=vdu_id, keys=("properties", "deltas"))
                yield (
                    f"aspect {aspect.aspect_id} steps by {missing}, undefined for VDU {vdu_id}",
                    at,
                )
    for level in flavour.instantiation_levels:
        in_level = ("properties", "levels", level.level_id)
        for aspect_id, scale_level in level.scale_info.items():
            at = Anchor(policy_type=_LEVELS, keys=(*in_level, "scale_info", aspect_id))
            if aspect_id not in aspects:
                yield (
                    f"level {level.level_id} scales {aspect_id}, which is not a scaling aspect",
                    at,
                )
            elif scale_level > aspects[aspect_id].max_scale_level:
                yield f"level {level.level_id} puts {aspect_id} above its max_scale_level", at
        for vdu_id, count in level.vdu_instances.items():
            vdu = vdus.get(vdu_id)
            if vdu is not None and not vdu.min_instances <= count <= vdu.max_instances:
                at = Anchor(policy_type=_VDU_LEVELS, target=vdu_id, keys=in_level)
                yield (
                    f"level {level.level_id} wants {count} of VDU {vdu_id}, outside its profile",
                    at,
                )
    levels = {level.level_id for level in flavour.instantiation_levels}
    if flavour.default_level and flavour.default_level not in levels:
        at = Anchor(policy_type=_LEVELS, keys=("properties", "default_level"))
        yield f"default level {flavour.default_level} is not an instantiation level", at


def _ns_gaps(flavour: NsFlavour) -> Iterator[tuple[str, Anchor]]:
    links = {vl.vl_id for vl in flavour.virtual_links}
    for profile in flavour.vnf_profiles:
        if profile.min_instances > profile.max_instances:
            at = Anchor(node=profile.profile_id, keys=("properties", "vnf_profile"))
            yield f"VNF {profile.profile_id} has more minimum than maximum instances", at
        for requirement, link in profile.virtual_links.items():
            if link not in links:
                at = Anchor(node=profile.profile_id, keys=("requirements",))
                yield f"VNF {profile.profile_id} connects {requirement} to {link}, not an NS VL", at
    levels = {level.level_id for level in flavour.instantiation_levels}
    if flavour.default_level and flavour.default_level not in levels:
        at = Anchor(policy_type=_NS_LEVELS, keys=("properties", "default_level"))
        yield f"default level {flavour.default_level} is not an NS instantiation level", at
    cycle = _dependency_cycle(flavour.dependencies)
    if cycle:
        at = Anchor(node=cycle[0], keys=("requirements",))
        yield (
            f"VNF dependencies form a cycle ({' -> '.join(cycle)}), so no order can start them",
            at,
        )


def _dependency_cycle(dependencies: list[VnfDependency]) -> list[str]:
    after: dict[str, list[str]] = {}
    for dependency in dependencies:
        after.setdefault(dependency.vnf, []).append(dependency.depends_on)
    state: dict[str, int] = {}  # 1 on the current path, 2 done

    def visit(vnf: str, path: list[str]) -> list[str]:
        state[vnf] = 1
        for before in after.get(vnf, []):
            if state.get(before) == 1:
                return [*path[path.index(before) :], before] if before in path else [vnf, before]
            if before not in state and (found := visit(before, [*path, before])):
                return found
        state[vnf] = 2
        return []

    for vnf in sorted(after):
        if vnf not in state and (found := visit(vnf, [vnf])):
            return found
    return []


def _inconsistent(message: str) -> Problem:
    return Problem(message=message, code="inconsistent")
