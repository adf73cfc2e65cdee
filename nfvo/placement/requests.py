"""Placement requests built from descriptors: an NSD with its VNFs, or one VNF.

A pure function of the stored descriptors (:mod:`descriptors.stored`: the typed NSD,
each VNF's VNFD and :class:`~descriptors.requirements.VduRequirement` per flavour and
VDU) and the site's network bindings. The grant reads them from the catalogue; the
offline ``nfvo placement plan`` turns the packages it parses into the same stored
documents first, so both build a request one way and neither runs tosca-parser here.

How the descriptors become a request:

- counts: the NS instantiation level gives the VNF instances per VNF profile; each VNF
  instance is instantiated at the profile's VNF level, whose VDU instances (or initial
  deltas plus scaling steps) give the VNFCs;
- VNFC ids are ``<vdu>-<n>``, numbered per VDU across the whole request;
- each interface's logical network is rewritten from the VNFD's name (its external CP,
  e.g. ``virtual_link_n3``) to the NS virtual link the profile connects it to (``n3_vl``),
  so two VNFs that reuse a name on different NS links stay apart; a VNFD-internal
  virtual link becomes ``<profile>.<link>``. For a lone VNF the VNFD's names stay;
- a VNFD placement rule groups the VNFCs of its target VDUs across every instance of
  the profile (scaled-out copies of one NF are what anti-affinity protects); an NSD
  rule groups every VNFC of its target profiles.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from descriptors.levels import LevelError, level_counts
from descriptors.model import Flavour, Nsd, NsFlavour, PlacementKind, PlacementRule
from descriptors.requirements import VduRequirement
from descriptors.stored import StoredVnfd
from nfvo.placement.model import (
    AffinityGroup,
    AffinityKind,
    AffinityScope,
    NetworkBinding,
    Objective,
    PlacementMode,
    PlacementRequest,
    VnfcRequest,
)

NETWORK_PREFIX = "net:"


class RequestError(ValueError):
    """The descriptors and bindings cannot make a request; the message names what is wrong."""


@dataclass(frozen=True)
class PlannedVnfc:
    """One VNFC of the request and where it comes from (for tables and pictures)."""

    vnfc_id: str
    vnf: str  # the VNF profile id, or the lone VNF's product name: its "type"
    vnf_instance: str  # <vnf>-<k>
    vdu_id: str


@dataclass(frozen=True)
class BuiltRequest:
    request: PlacementRequest
    vnfcs: tuple[PlannedVnfc, ...]

    def vnf_of(self, vnfc_id: str) -> str:
        return next(v.vnf for v in self.vnfcs if v.vnfc_id == vnfc_id)


def parse_binding(text: str) -> NetworkBinding:
    """``n3_vl=sriov-n3`` (a physnet) or ``sbi_vl=net:mgmt`` (an existing network)."""
    name, sep, target = (part.strip() for part in text.partition("="))
    if not sep or not name or not target:
        raise RequestError(f"network binding {text!r}: write NAME=PHYSNET or NAME=net:NETWORK")
    if target.startswith(NETWORK_PREFIX):
        network = target.removeprefix(NETWORK_PREFIX)
        if not network:
            raise RequestError(f"network binding {text!r}: name the network after 'net:'")
        return NetworkBinding(logical_network=name, network_id=network)
    return NetworkBinding(logical_network=name, physnet=target)


@dataclass
class _Collector:
    """VNFCs, groups and the logical networks they use, as the builder goes."""

    vnfcs: list[VnfcRequest]
    planned: list[PlannedVnfc]
    groups: list[AffinityGroup]
    per_vdu: dict[str, int]

    def add(self, vnf: str, instance: str, requirement: VduRequirement) -> str:
        index = self.per_vdu.get(requirement.vdu_id, 0)
        self.per_vdu[requirement.vdu_id] = index + 1
        vnfc_id = f"{requirement.vdu_id}-{index}"
        self.vnfcs.append(
            VnfcRequest(
                vnfc_id=vnfc_id,
                vdu_id=requirement.vdu_id,
                vnf_instance_id=instance,
                requirement=requirement,
            )
        )
        self.planned.append(PlannedVnfc(vnfc_id, vnf, instance, requirement.vdu_id))
        return vnfc_id


def build_ns_request(
    nsd: Nsd,
    vnfs: Iterable[StoredVnfd],
    bindings: Sequence[NetworkBinding],
    *,
    level: str | None = None,
    flavour_id: str | None = None,
    request_id: str = "plan",
    mode: PlacementMode = PlacementMode.HOST,
    objective: Objective = Objective.PACK,
) -> BuiltRequest:
    """The request for instantiating ``nsd`` at ``level`` (default: the flavour's default
    level) with ``bindings`` keyed by NS virtual link. Raises RequestError."""
    flavour = _ns_flavour(nsd, flavour_id)
    by_id = {vnf.vnfd.descriptor_id: vnf for vnf in vnfs}
    counts = _ns_counts(flavour, level)
    collector = _Collector([], [], [], {})
    members: dict[str, list[str]] = {}  # profile -> its VNFCs, for NSD rules
    for profile in flavour.vnf_profiles:
        vnf = by_id.get(profile.vnfd_id)
        if vnf is None:
            raise RequestError(
                f"VNF profile {profile.profile_id} needs VNF package {profile.vnfd_id} "
                f"({profile.product_name or 'unnamed'}), which was not given"
            )
        networks = {
            **{
                vl.vl_id: f"{profile.profile_id}.{vl.vl_id}"
                for vl in _flavour(vnf, profile.flavour_id).virtual_links
            },
            **profile.virtual_links,
        }
        members[profile.profile_id] = _add_vnf(
            collector,
            vnf,
            profile.profile_id,
            instances=counts.get(profile.profile_id, profile.min_instances),
            flavour_id=profile.flavour_id,
            level=profile.instantiation_level,
            networks=networks,
        )
    for rule in flavour.placement_rules:
        collector.groups.append(_ns_group(rule, members))
    links = {vl.vl_id for vl in flavour.virtual_links}
    return _finish(collector, bindings, links, request_id, mode, objective)


def build_vnf_request(
    vnf: StoredVnfd,
    bindings: Sequence[NetworkBinding],
    *,
    level: str | None = None,
    flavour_id: str | None = None,
    request_id: str = "plan",
    mode: PlacementMode = PlacementMode.HOST,
    objective: Objective = Objective.PACK,
) -> BuiltRequest:
    """The request for one VNF at its instantiation ``level``, ``bindings`` keyed by the
    VNFD's logical networks (virtual links and external CPs). Raises RequestError."""
    chosen = flavour_id or (vnf.vnfd.flavours[0].flavour_id if vnf.vnfd.flavours else "default")
    collector = _Collector([], [], [], {})
    name = vnf.vnfd.product_name or vnf.vnfd.descriptor_id
    _add_vnf(collector, vnf, name, instances=1, flavour_id=chosen, level=level, networks=None)
    return _finish(collector, bindings, set(), request_id, mode, objective)


def _ns_flavour(nsd: Nsd, flavour_id: str | None) -> NsFlavour:
    if not nsd.flavours:
        raise RequestError(f"NSD {nsd.name} has no deployment flavour")
    if flavour_id is None:
        return nsd.flavours[0]
    for flavour in nsd.flavours:
        if flavour.flavour_id == flavour_id:
            return flavour
    known = ", ".join(f.flavour_id for f in nsd.flavours)
    raise RequestError(f"NSD {nsd.name} has no flavour {flavour_id!r} (it has {known})")


def _ns_counts(flavour: NsFlavour, level: str | None) -> dict[str, int]:
    chosen = level or flavour.default_level
    if chosen is None:
        return {}
    for candidate in flavour.instantiation_levels:
        if candidate.level_id == chosen:
            return dict(candidate.vnf_instances)
    known = ", ".join(lv.level_id for lv in flavour.instantiation_levels) or "none"
    raise RequestError(f"NS flavour {flavour.flavour_id} has no level {chosen!r} (it has {known})")


def _flavour(vnf: StoredVnfd, flavour_id: str) -> Flavour:
    for flavour in vnf.vnfd.flavours:
        if flavour.flavour_id == flavour_id:
            return flavour
    raise RequestError(f"VNF {vnf.vnfd.product_name} has no flavour {flavour_id!r}")


def vdu_counts(flavour: Flavour, level: str | None) -> dict[str, int]:
    """VNFCs per VDU of one VNF instance at ``level`` (default: the flavour's default)."""
    try:
        return level_counts(flavour, level)
    except LevelError as exc:
        raise RequestError(str(exc)) from None


def _add_vnf(
    collector: _Collector,
    vnf: StoredVnfd,
    name: str,
    *,
    instances: int,
    flavour_id: str,
    level: str | None,
    networks: Mapping[str, str] | None,
) -> list[str]:
    """Add ``instances`` copies of one VNF; returns their VNFC ids."""
    flavour = _flavour(vnf, flavour_id)
    needs = vnf.requirements.get(flavour_id, {})
    counts = vdu_counts(flavour, level)
    # One requirement object per VDU: the engine shares fit answers between equal objects.
    requirements = {
        vdu_id: _renamed(needs[vdu_id], networks) for vdu_id in counts if vdu_id in needs
    }
    by_vdu: dict[str, list[str]] = {vdu_id: [] for vdu_id in requirements}
    for k in range(instances):
        for vdu_id, requirement in requirements.items():
            for _ in range(counts[vdu_id]):
                by_vdu[vdu_id].append(collector.add(name, f"{name}-{k}", requirement))
    for rule in flavour.placement_rules:
        targets = [m for vdu_id in rule.targets for m in by_vdu.get(vdu_id, [])]
        if targets:
            collector.groups.append(_group(f"{name}-{rule.rule_id}", rule, targets))
    return [m for ids in by_vdu.values() for m in ids]


def _renamed(requirement: VduRequirement, networks: Mapping[str, str] | None) -> VduRequirement:
    if networks is None:
        return requirement
    interfaces = [
        iface.model_copy(update={"logical_network": networks[iface.logical_network]})
        if iface.logical_network is not None and iface.logical_network in networks
        else iface
        for iface in requirement.interfaces
    ]
    return requirement.model_copy(update={"interfaces": interfaces})


def _group(group_id: str, rule: PlacementRule, members: list[str]) -> AffinityGroup:
    try:
        scope = AffinityScope(rule.scope)
    except ValueError as exc:
        raise RequestError(
            f"placement rule {rule.rule_id} has unknown scope {rule.scope!r}"
        ) from exc
    kind = (
        AffinityKind.AFFINITY if rule.kind is PlacementKind.AFFINITY else AffinityKind.ANTI_AFFINITY
    )
    return AffinityGroup(group_id=group_id, kind=kind, scope=scope, members=members)


def _ns_group(rule: PlacementRule, members: Mapping[str, list[str]]) -> AffinityGroup:
    unknown = [target for target in rule.targets if target not in members]
    if unknown:
        raise RequestError(f"NSD placement rule {rule.rule_id} targets unknown VNFs {unknown}")
    return _group(rule.rule_id, rule, [m for target in rule.targets for m in members[target]])


def _finish(
    collector: _Collector,
    bindings: Sequence[NetworkBinding],
    links: set[str],
    request_id: str,
    mode: PlacementMode,
    objective: Objective,
) -> BuiltRequest:
    if not collector.vnfcs:
        raise RequestError("the descriptors ask for no VNFC at this level")
    _check_bindings(collector.vnfcs, bindings, links)
    request = PlacementRequest(
        request_id=request_id,
        vnfcs=collector.vnfcs,
        groups=collector.groups,
        network_bindings=list(bindings),
        mode=mode,
        objective=objective,
    )
    return BuiltRequest(request, tuple(collector.planned))


def _check_bindings(
    vnfcs: Sequence[VnfcRequest], bindings: Sequence[NetworkBinding], links: set[str]
) -> None:
    """Every binding names a network the VNFCs use (or an NS virtual link, which a SAP
    alone may use); every SR-IOV port has a physnet."""
    used = links | {
        iface.logical_network
        for vnfc in vnfcs
        for iface in vnfc.requirement.interfaces
        if iface.logical_network
    }
    unknown = sorted(b.logical_network for b in bindings if b.logical_network not in used)
    if unknown:
        raise RequestError(
            f"bindings name networks no VNFC uses: {', '.join(unknown)} "
            f"(used: {', '.join(sorted(used)) or 'none'})"
        )
    physnets = {b.logical_network for b in bindings if b.physnet}
    for vnfc in vnfcs:
        for iface in vnfc.requirement.interfaces:
            if iface.vnic_type.needs_sriov and iface.logical_network not in physnets:
                raise RequestError(
                    f"{vnfc.vnfc_id}: port {iface.cp_id} ({iface.vnic_type}) is on logical "
                    f"network {iface.logical_network or '(none)'}, which has no physnet binding"
                )
