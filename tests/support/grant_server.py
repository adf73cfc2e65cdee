"""A small NFVO Grant API (SOL003 clause 9, ``/grant/v1``) for the VNF manager's tests,
deciding with the real placement engine until the NFVO's own Grant API lands.

It is an API app (``make_api_app``), so tests mount it beside the catalogue exactly
where the NFVO serves it. Each request's VNFCs (``COMPUTE`` resources) get their VDU's
requirement from the shipped package with that vnfdId, the request's placement
constraints become affinity groups, logical networks are bound to the lab's physnets,
and the decision (``Placer`` over the lab's graph less its reservations) is answered
through ``grant_placement``: zones, reservation ids, flavours and the placement hint.
``reject`` makes it answer 403 to the next requests; ``asynchronous`` answers 202 and
decides on the first poll; every request is kept in ``requests``.
"""

from __future__ import annotations

import tempfile
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiohttp import web

from descriptors.loader import load_package
from descriptors.requirements import VduRequirement
from descriptors.summary import SHIPPED
from nfvo.placement.flavours import grant_placement
from nfvo.placement.model import (
    AffinityGroup,
    AffinityKind,
    AffinityScope,
    NetworkBinding,
    PlacementRequest,
    VnfcRequest,
)
from nfvo.placement.reservations import Placer
from nfvo.sol.bodies import json_response, read_model
from nfvo.sol.grant import Grant, GrantedLcmOperation, GrantLinks, GrantRequest, ResourceType
from nfvo.sol.http import make_api_app
from nfvo.sol.problems import Forbidden, NotFound
from nfvo.sol.routes import Route
from nfvo.sol.wire import Link

# The lab's physnets per logical network of the shipped VNFDs.
PHYSNETS = {
    "virtual_link_sbi": "physnet-mgmt",
    "virtual_link_n2": "physnet-mgmt",
    "virtual_link_n4": "physnet-mgmt",
    "virtual_link_n3": "sriov-n3",
    "virtual_link_n6": "sriov-n6",
}
SCOPE = "grant:write"  # what the VNF manager's token must carry when auth is on
_SCOPES = {"NFVI_NODE": AffinityScope.NFVI_NODE, "ZONE": AffinityScope.ZONE}


def _requirements() -> dict[str, dict[str, dict[str, VduRequirement]]]:
    """vnfdId -> flavour -> VDU -> requirement, for every shipped VNF package."""
    found: dict[str, dict[str, dict[str, VduRequirement]]] = {}
    with tempfile.TemporaryDirectory() as workdir:
        for source in sorted(SHIPPED.iterdir()):
            loaded = load_package(source, Path(workdir) / source.name)
            if loaded.vnfd is not None:
                found[loaded.vnfd.descriptor_id] = loaded.requirements
    return found


@dataclass
class GrantServer:
    placer: Placer
    vim_connection_id: str = "lab"
    # A server's host, for RES_MGMT references (a real NFVO asks its VIM).
    locate: Callable[[str], Awaitable[str | None]] | None = None
    reject: str | None = None  # the reason to give while set
    asynchronous: bool = False
    requests: list[dict[str, Any]] = field(default_factory=list)
    held: dict[str, set[str]] = field(default_factory=dict)  # VNF -> reservation ids
    grants: dict[str, dict[str, Any]] = field(default_factory=dict)
    pending: dict[str, GrantRequest] = field(default_factory=dict)
    _needs: dict[str, dict[str, dict[str, VduRequirement]]] = field(default_factory=dict)

    def app(self) -> web.Application:
        routes = (
            Route("POST", "/grants", self._create, SCOPE, status=201, request_model=GrantRequest),
            Route("GET", "/grants/{grantId}", self._show, SCOPE),
        )
        return make_api_app("grant", 1, ["1.7.0"], routes)

    async def _create(self, request: web.Request) -> web.Response:
        body = await read_model(request, GrantRequest)
        self.requests.append(body.to_wire())
        if self.reject is not None:
            raise Forbidden(self.reject)
        grant_id = str(uuid.uuid4())
        if self.asynchronous:
            self.pending[grant_id] = body
            return web.Response(status=202, headers={"Location": f"/grant/v1/grants/{grant_id}"})
        grant = await self.decide(grant_id, body)
        return json_response(
            grant, status=201, headers={"Location": f"/grant/v1/grants/{grant_id}"}
        )

    async def _show(self, request: web.Request) -> web.Response:
        grant_id = request.match_info["grantId"]
        if grant_id in self.pending:
            await self.decide(grant_id, self.pending.pop(grant_id))
        if grant_id not in self.grants:
            raise NotFound(f"no grant {grant_id}")
        return json_response(self.grants[grant_id])

    async def decide(self, grant_id: str, body: GrantRequest) -> dict[str, Any]:
        links = GrantLinks(
            self=Link(href=f"/grant/v1/grants/{grant_id}"),
            vnf_lcm_op_occ=body.links.vnf_lcm_op_occ,
            vnf_instance=body.links.vnf_instance,
        )
        computes = [r for r in body.add_resources if r.type is ResourceType.COMPUTE]
        if body.operation is GrantedLcmOperation.TERMINATE:  # what it held is free again
            for reservation_id in self.held.pop(body.vnf_instance_id, set()):
                await self.placer.reservations.release(reservation_id)
        fields: dict[str, Any] = {}
        if computes and body.operation is not GrantedLcmOperation.TERMINATE:
            fields = await self._placement(body, computes)
        grant = Grant(
            id=grant_id,
            vnf_instance_id=body.vnf_instance_id,
            vnf_lcm_op_occ_id=body.vnf_lcm_op_occ_id,
            remove_resources=[],
            links=links,
            **fields,
        ).to_wire()
        self.grants[grant_id] = grant
        return grant

    async def _placement(self, body: GrantRequest, computes: list[Any]) -> dict[str, Any]:
        if not self._needs:
            self._needs = _requirements()
        needs = self._needs[body.vnfd_id][body.flavour_id or "default"]
        vnfcs = [
            VnfcRequest(
                vnfc_id=r.id,
                vdu_id=r.vdu_id,
                vnf_instance_id=body.vnf_instance_id,
                requirement=needs[r.vdu_id],
            )
            for r in computes
        ]
        groups, avoided = [], set()
        for position, c in enumerate(body.placement_constraints):
            members = [ref.resource_id for ref in c.resource if ref.id_type == "GRANT"]
            anti = c.affinity_or_anti_affinity == "ANTI_AFFINITY"
            if anti and c.scope == "NFVI_NODE" and self.locate is not None:
                for ref in c.resource:
                    if ref.id_type == "RES_MGMT":
                        avoided.add(await self.locate(ref.resource_id))
            if c.scope in _SCOPES and len(members) > 1:
                groups.append(
                    AffinityGroup(
                        group_id=f"rule{position}",
                        kind=AffinityKind.ANTI_AFFINITY if anti else AffinityKind.AFFINITY,
                        scope=_SCOPES[c.scope],
                        members=members,
                    )
                )
        used = {i.logical_network for v in vnfcs for i in v.requirement.interfaces}
        request = PlacementRequest(
            request_id=body.vnf_lcm_op_occ_id,
            vnfcs=vnfcs,
            groups=groups,
            network_bindings=[
                NetworkBinding(logical_network=name, physnet=physnet)
                for name, physnet in PHYSNETS.items()
                if name in used
            ],
        )
        # The siblings' hosts are out of bounds for this decision only.
        graph = self.placer.graph
        added = {host for host in avoided if host and host not in graph.unavailable}
        graph.unavailable |= added
        try:
            decision = await self.placer.decide(request)
        finally:
            graph.unavailable -= added
        if not decision.feasible:
            raise Forbidden(f"no placement: {decision.explanation}")
        held = self.held.setdefault(body.vnf_instance_id, set())
        held |= {p.reservation_id for p in decision.placements if p.reservation_id}
        placed = grant_placement(request, decision, self.vim_connection_id)
        return {
            "zones": placed.zones,
            "add_resources": placed.add_resources,
            "vim_assets": placed.vim_assets,
            "additional_params": placed.additional_params,
        }
