"""A grant request as a placement request: the VNFCs asked for, their rules and networks.

Pure: the SOL003 ``GrantRequest``, the stored VNFD (its requirement per flavour and
VDU), and what the NFVO knows around the VNF (:class:`GrantScope`) in; a
``PlacementRequest`` out, or :class:`GrantRequestError` (the request is malformed:
422) or :class:`GrantRefusal` (it cannot be granted as asked: 403), each naming the
resource or rule at fault.

- every ``COMPUTE`` resource to add is one VNFC: ``resourceDefinitionId`` its id,
  ``vduId`` its requirement; the VNF instance owns it (live usage is told apart by it);
- ``placementConstraints`` become affinity groups over the resources of the request
  (``GRANT``) and the hosts of running ones (``RES_MGMT``: servers, located by the
  caller), scope ``NFVI_NODE`` or ``ZONE``; ``NFVI_POP`` holds trivially on one VIM;
- the scope adds the NS's own rules (a VNFD rule across the profile's instances, an NSD
  rule across VNFs, ``additionalAffinityOrAntiAffinityRule``) as groups whose running
  members are hosts, and the zones ``locationConstraints`` allow;
- the VNFD's logical networks are bound as the scope says (the NS's links, else the
  grant's own ``additionalParams.networkBindings``, else the site).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from descriptors.requirements import VduRequirement
from descriptors.stored import StoredVnfd
from nfvo.lcm.networks import LinkBinding
from nfvo.placement.model import (
    AffinityGroup,
    AffinityKind,
    AffinityScope,
    NetworkBinding,
    PlacementMode,
    PlacementRequest,
    VnfcRequest,
)
from nfvo.sol.grant import GrantRequest, PlacementConstraint, ResourceDefinition, ResourceType

_SCOPES = {"NFVI_NODE": AffinityScope.NFVI_NODE, "ZONE": AffinityScope.ZONE}


class GrantRequestError(ValueError):
    """The request is malformed for its VNFD (answered 422)."""


class GrantRefusal(Exception):
    """The request cannot be granted (answered 403); ``reason`` says why."""

    def __init__(self, reason: str, *, shortage: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.shortage = shortage  # capacity or quota: the NS notifies a capacity shortage


@dataclass(frozen=True)
class SiblingRule:
    """A rule of the NS over this VNF's VNFCs and VNFCs already running elsewhere."""

    rule_id: str
    kind: AffinityKind
    scope: AffinityScope
    placed_hosts: tuple[str, ...]
    vdu_ids: frozenset[str] | None = None  # the VDUs it places; None: every VDU


@dataclass(frozen=True)
class GrantScope:
    """What the NFVO knows around one VNF instance's grant."""

    vim: str | None = None  # the VIM the VNF is on; None: the default VIM
    bindings: Mapping[str, LinkBinding] = field(default_factory=dict)  # by VNFD network
    zones: tuple[str, ...] | None = None  # locationConstraints; None: any zone
    rules: tuple[SiblingRule, ...] = ()
    ns_instance_id: str | None = None
    # Whose packages the VNFD is read from: the NS's owner; None outside an NS (the
    # asking client's project, as for any other read of the catalogue).
    project: str | None = None


def computes(request: GrantRequest) -> list[ResourceDefinition]:
    return [r for r in request.add_resources if r.type is ResourceType.COMPUTE]


def requirements_of(request: GrantRequest, vnf: StoredVnfd) -> dict[str, VduRequirement]:
    """resourceDefinitionId -> the VDU's requirement, for every COMPUTE to add."""
    flavour_id = request.flavour_id or _only_flavour(vnf)
    needs = vnf.requirements.get(flavour_id)
    if needs is None:
        known = ", ".join(sorted(vnf.requirements)) or "none"
        raise GrantRequestError(
            f"flavourId {flavour_id!r} is not a flavour of VNFD {request.vnfd_id} (it has {known})"
        )
    found: dict[str, VduRequirement] = {}
    for position, resource in enumerate(request.add_resources):
        if resource.type is not ResourceType.COMPUTE:
            continue
        where = f"addResources[{position}]"
        if not resource.vdu_id:
            raise GrantRequestError(f"{where} (COMPUTE {resource.id}) names no vduId")
        if resource.vdu_id not in needs:
            raise GrantRequestError(
                f"{where}.vduId {resource.vdu_id!r} is not a VDU of flavour {flavour_id} "
                f"of VNFD {request.vnfd_id} (its VDUs: {', '.join(sorted(needs))})"
            )
        if resource.id in found:
            raise GrantRequestError(f"{where}.id {resource.id!r} is listed twice")
        found[resource.id] = needs[resource.vdu_id]
    return found


def _only_flavour(vnf: StoredVnfd) -> str:
    if len(vnf.requirements) == 1:
        return next(iter(vnf.requirements))
    raise GrantRequestError(
        f"the request names no flavourId and VNFD {vnf.vnfd.descriptor_id} has "
        f"{len(vnf.requirements)} flavours"
    )


def placement_request(
    grant_id: str,
    request: GrantRequest,
    vnf: StoredVnfd,
    scope: GrantScope,
    located: Mapping[str, str],
    mode: PlacementMode,
) -> PlacementRequest:
    """The placement request of the grant's COMPUTE resources; ``located`` maps the
    servers its ``RES_MGMT`` references name to their hosts."""
    needs = requirements_of(request, vnf)
    vnfcs = [
        VnfcRequest(
            vnfc_id=vnfc_id,
            vdu_id=requirement.vdu_id,
            vnf_instance_id=request.vnf_instance_id,
            requirement=requirement,
            zones=list(scope.zones) if scope.zones is not None else None,
        )
        for vnfc_id, requirement in needs.items()
    ]
    groups = [
        group
        for position, constraint in enumerate(request.placement_constraints)
        if (group := _constraint_group(position, constraint, needs, located)) is not None
    ]
    groups += [group for rule in scope.rules if (group := _sibling_group(rule, needs))]
    bindings = _bindings(needs, scope.bindings)
    return PlacementRequest(
        request_id=grant_id, vnfcs=vnfcs, groups=groups, network_bindings=bindings, mode=mode
    )


def _constraint_group(
    position: int,
    constraint: PlacementConstraint,
    needs: Mapping[str, VduRequirement],
    located: Mapping[str, str],
) -> AffinityGroup | None:
    where = f"placementConstraints[{position}]"
    if constraint.scope == "NFVI_POP":
        return None  # one VIM is one PoP: the rule holds whatever the hosts
    scope = _SCOPES.get(constraint.scope)
    if scope is None:
        raise GrantRefusal(
            f"{where} asks for {constraint.affinity_or_anti_affinity} with scope "
            f"{constraint.scope}, which OpenStack cannot be asked for (NFVI_NODE, ZONE, NFVI_POP)"
        )
    members = [r.resource_id for r in constraint.resource if r.id_type == "GRANT"]
    unknown = [m for m in members if m not in needs]
    if unknown:
        raise GrantRequestError(
            f"{where} names GRANT resources that are no COMPUTE resource to add: {unknown}"
        )
    servers = [r.resource_id for r in constraint.resource if r.id_type == "RES_MGMT"]
    placed = sorted({located[s] for s in servers if s in located})
    if not members:
        return None  # only running resources: nothing of this request to place
    kind = (
        AffinityKind.AFFINITY
        if constraint.affinity_or_anti_affinity == "AFFINITY"
        else AffinityKind.ANTI_AFFINITY
    )
    if len(members) < 2 and not placed:
        return None  # a rule over one VNFC holds by itself
    return AffinityGroup(
        group_id=f"constraint{position}",
        kind=kind,
        scope=scope,
        members=members,
        best_effort=bool(constraint.fallback_best_effort),
        placed_hosts=placed,
    )


def _sibling_group(rule: SiblingRule, needs: Mapping[str, VduRequirement]) -> AffinityGroup | None:
    members = [
        vnfc_id
        for vnfc_id, requirement in needs.items()
        if rule.vdu_ids is None or requirement.vdu_id in rule.vdu_ids
    ]
    if not members or (len(members) < 2 and not rule.placed_hosts):
        return None
    return AffinityGroup(
        group_id=rule.rule_id,
        kind=rule.kind,
        scope=rule.scope,
        members=members,
        placed_hosts=list(rule.placed_hosts),
    )


def logical_networks(needs: Mapping[str, VduRequirement]) -> dict[str, bool]:
    """Every logical network the VNFCs' ports use, and whether an SR-IOV port is on it."""
    networks: dict[str, bool] = {}
    for requirement in needs.values():
        for interface in requirement.interfaces:
            if interface.logical_network is not None:
                sriov = networks.get(interface.logical_network, False)
                networks[interface.logical_network] = sriov or interface.vnic_type.needs_sriov
    return networks


def _bindings(
    needs: Mapping[str, VduRequirement], bindings: Mapping[str, LinkBinding]
) -> list[NetworkBinding]:
    found: list[NetworkBinding] = []
    for network, sriov in logical_networks(needs).items():
        binding = bindings.get(network)
        placed = binding.placement() if binding is not None else None
        if sriov and (placed is None or placed.physnet is None):
            raise GrantRefusal(
                f"logical network {network} carries SR-IOV ports but is bound to no physical "
                f"network ({binding.text() if binding else 'no binding'}): bind it to a "
                "physnet, or to an existing network on one"
            )
        if placed is not None:
            found.append(placed)
    return found
