"""One grant decided: quotas, flavours, placement with a reservation, the Grant built.

:class:`Decider` turns a PENDING :class:`GrantRecord` into a GRANTED one (the Grant as
answered, the reservations held) or a REJECTED one (the reason). The NFVO's knowledge
around the VNF (the NS it belongs to: its VIM, networks, zones and rules) comes from
a :class:`GrantScopes`; a VNF outside any NS is granted on the default VIM with the
request's own ``additionalParams.networkBindings`` and the site's defaults.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

from descriptors.stored import StoredVnfd
from nfvo.catalog.store import CatalogStore
from nfvo.lcm.grant_records import GrantRecord, GrantState, grant_href
from nfvo.lcm.grant_requests import (
    GrantRefusal,
    GrantRequestError,
    GrantScope,
    computes,
    logical_networks,
    placement_request,
    requirements_of,
)
from nfvo.lcm.networks import BINDINGS_KEY, BindingError, LinkBinding, parse_bindings, site_default
from nfvo.lcm.quotas import QuotaNeeds, check_quotas
from nfvo.placement.flavours import GrantPlacement, flavours_for, grant_placement
from nfvo.placement.model import PlacementMode, PlacementRequest
from nfvo.placement.sites import NoSiteInventory, Sites
from nfvo.sol.grant import (
    Grant,
    GrantInfo,
    GrantLinks,
    GrantRequest,
    GrantVimAssets,
    ResourceType,
    VimComputeResourceFlavour,
    VimSoftwareImage,
)
from nfvo.sol.problems import NotFound
from nfvo.sol.wire import Link
from nfvo.store.errors import StoreNotFound
from nfvo.vim.errors import VimError
from nfvo.vim.facade import Vim
from nfvo.vim.inventory import SiteInventory
from nfvo.vim.registry import VimRecord, VimRegistry, to_connection_info


class GrantScopes(Protocol):
    async def scope_of(self, request: GrantRequest) -> GrantScope:
        """What the NFVO knows around ``request``'s VNF instance.

        Raises GrantRequestError when the request's own parameters are malformed."""


class OwnBindings:
    """The scope of a VNF outside any NS: the default VIM, the request's bindings."""

    async def scope_of(self, request: GrantRequest) -> GrantScope:
        raw = (request.additional_params or {}).get(BINDINGS_KEY)
        try:
            return GrantScope(bindings=parse_bindings(raw, f"additionalParams.{BINDINGS_KEY}"))
        except BindingError as error:
            raise GrantRequestError(str(error)) from None


class Decider:
    def __init__(
        self, catalog: CatalogStore, sites: Sites, vims: VimRegistry, scopes: GrantScopes
    ) -> None:
        self.catalog, self.sites, self.vims, self.scopes = catalog, sites, vims, scopes

    async def vim_of(self, record: GrantRecord) -> str | None:
        """The VIM a grant is decided on: its NS's, else the default (None: none yet)."""
        scope = await self.scopes.scope_of(record.asked)
        if scope.vim is not None:
            return scope.vim
        return await self.vims.default_name()

    async def decide(self, record: GrantRecord) -> GrantRecord:
        request = record.asked
        vim_name = await self.vim_of(record)
        if vim_name is None:
            return _rejected(record, "no VIM is registered to grant on (nfvo vim add)")
        decided = record.but(vim=vim_name)
        try:
            scope = await self.scopes.scope_of(request)
            # ask() checked the asker may use this VNFD (granting.py): read it the same way.
            vnf = await self.catalog.vnf_descriptor(
                request.vnfd_id, project=scope.project or record.owner, any_owner=not scope.project
            )
            vim_record = await self.vims.get(vim_name)
            vim = await self.vims.open_vim(vim_name)
            notes = await check_quotas(
                vim, _needs(request, vnf), vim_record.cloud["auth"].get("project_name")
            )
            placed, held, more = await self._place(record.id, request, vnf, scope, vim_record, vim)
            images = await _images(vim, request, vnf)
        except GrantRefusal as refusal:
            return _rejected(decided, refusal.reason, shortage=refusal.shortage)
        except (GrantRequestError, NotFound, StoreNotFound, VimError) as error:
            return _rejected(decided, str(getattr(error, "detail", error)))
        grant = _grant(record.id, request, vim_record, placed, images)
        return decided.but(
            state=GrantState.GRANTED,
            grant=grant,
            reservations=held,
            notes=(*notes, *more),
        )

    async def _place(
        self,
        grant_id: str,
        request: GrantRequest,
        vnf: StoredVnfd,
        scope: GrantScope,
        vim_record: VimRecord,
        vim: Vim,
    ) -> tuple[GrantPlacement | None, tuple[str, ...], list[str]]:
        """The placement of the request's VNFCs (None when it adds none), the
        reservations it holds and notes on what it rests on."""
        if not computes(request):
            return None, (), []
        needs = requirements_of(request, vnf)
        inventory = SiteInventory(vim_record.site) if vim_record.site else None
        bindings = dict(scope.bindings)
        try:
            for network, sriov in logical_networks(needs).items():
                bindings.setdefault(network, site_default(network, sriov, inventory))
        except BindingError as error:
            raise GrantRefusal(str(error)) from None
        located = await _locate(vim, request)
        mode = PlacementMode.HOST if vim_record.admin else PlacementMode.ZONE_AND_SERVER_GROUP
        wanted = placement_request(grant_id, request, vnf, _with(scope, bindings), located, mode)
        flavour_ids = await _flavours(vim, wanted)
        try:
            placer = await self.sites.placer(vim_record.name)
        except NoSiteInventory as missing:
            return (
                _unplaced(wanted, vim_record.name, flavour_ids),
                (),
                [f"{missing}: Nova places the VNFCs"],
            )
        decision = await placer.decide(wanted)
        if not decision.feasible:
            raise GrantRefusal(f"no room for the VNFCs: {decision.explanation}", shortage=True)
        placed = grant_placement(wanted, decision, vim_record.name, flavour_ids)
        held = tuple(sorted({p.reservation_id for p in decision.placements if p.reservation_id}))
        return placed, held, list(decision.caveats)


def _with(scope: GrantScope, bindings: Mapping[str, LinkBinding]) -> GrantScope:
    return GrantScope(
        vim=scope.vim,
        bindings=bindings,
        zones=scope.zones,
        rules=scope.rules,
        ns_instance_id=scope.ns_instance_id,
    )


def _needs(request: GrantRequest, vnf: StoredVnfd) -> QuotaNeeds:
    requirements = list(requirements_of(request, vnf).values())
    return QuotaNeeds(
        instances=len(requirements),
        cores=sum(r.vcpus for r in requirements),
        ram_mb=sum(r.memory_mb for r in requirements),
        ports=sum(len(r.interfaces) for r in requirements),
        networks=sum(1 for r in request.add_resources if r.type is ResourceType.VL),
    )


async def _locate(vim: Vim, request: GrantRequest) -> dict[str, str]:
    """The host of every server a RES_MGMT reference of the constraints names."""
    servers = {
        ref.resource_id
        for constraint in request.placement_constraints
        for ref in constraint.resource
        if ref.id_type == "RES_MGMT"
    }
    located: dict[str, str] = {}
    for server_id in sorted(servers):
        try:
            server = await vim.compute.server(server_id)
        except VimError:
            continue  # gone: nothing to keep away from
        if server.host:
            located[server_id] = server.host
    return located


async def _flavours(vim: Vim, wanted: PlacementRequest) -> dict[str, str]:
    """Flavour name -> the VIM's id: created with the extra specs where we are admin,
    matched among existing flavours otherwise (a refusal names what an admin must make)."""
    ids: dict[str, str] = {}
    for spec in flavours_for(wanted).values():
        try:
            ids[spec.name] = (await vim.compute.ensure_flavor(spec)).id
        except VimError as error:
            raise GrantRefusal(f"flavour: {error}") from None
    return ids


def _unplaced(
    wanted: PlacementRequest, vim_name: str, flavour_ids: Mapping[str, str]
) -> GrantPlacement:
    """Flavours only: a VIM without a site inventory leaves the hosts to Nova."""
    return GrantPlacement(
        zones=[],
        add_resources=[
            GrantInfo(resource_definition_id=v.vnfc_id, vim_connection_id=vim_name)
            for v in wanted.vnfcs
        ],
        vim_assets=GrantVimAssets(
            compute_resource_flavours=[
                VimComputeResourceFlavour(
                    vim_connection_id=vim_name,
                    vnfd_virtual_compute_desc_id=vdu_id,
                    vim_flavour_id=flavour_ids.get(spec.name, spec.name),
                )
                for vdu_id, spec in flavours_for(wanted).items()
            ]
        ),
        additional_params={},
    )


async def _images(vim: Vim, request: GrantRequest, vnf: StoredVnfd) -> list[VimSoftwareImage]:
    """The VIM's image of each VDU asked for, where the VIM already has it (by the
    package's hash); the VNFM uploads the others."""
    flavour_id = request.flavour_id or next(iter(vnf.requirements), None)
    flavour = next((f for f in vnf.vnfd.flavours if f.flavour_id == flavour_id), None)
    if flavour is None:
        return []
    images: list[VimSoftwareImage] = []
    for vdu_id in sorted({r.vdu_id for r in computes(request) if r.vdu_id}):
        vdu = next((v for v in flavour.vdus if v.vdu_id == vdu_id), None)
        if vdu is None or vdu.image is None:
            continue
        found = await vim.storage.find_image(
            f"{vdu.image.checksum.algorithm}:{vdu.image.checksum.hash}"
        )
        if found is not None:
            images.append(
                VimSoftwareImage(
                    vim_connection_id=vim.name,
                    vnfd_software_image_id=vdu_id,
                    vim_software_image_id=found.id,
                )
            )
    return images


def _grant(
    grant_id: str,
    request: GrantRequest,
    vim_record: VimRecord,
    placed: GrantPlacement | None,
    images: list[VimSoftwareImage],
) -> dict[str, Any]:
    """The Grant (SOL003 9.5.2.3) as answered, with the VIM's ``vimConnectionInfo``."""
    vim_name = vim_record.name
    computed = {info.resource_definition_id for info in (placed.add_resources if placed else [])}
    others = [
        GrantInfo(resource_definition_id=r.id, vim_connection_id=vim_name)
        for r in request.add_resources
        if r.id not in computed
    ]
    flavours = placed.vim_assets.compute_resource_flavours if placed else []
    grant = Grant(
        id=grant_id,
        vnf_instance_id=request.vnf_instance_id,
        vnf_lcm_op_occ_id=request.vnf_lcm_op_occ_id,
        zones=placed.zones if placed else [],
        add_resources=[*(placed.add_resources if placed else []), *others],
        remove_resources=[
            GrantInfo(resource_definition_id=r.id, vim_connection_id=vim_name)
            for r in request.remove_resources
        ],
        update_resources=[
            GrantInfo(resource_definition_id=r.id, vim_connection_id=vim_name)
            for r in request.update_resources
        ],
        vim_assets=GrantVimAssets(compute_resource_flavours=flavours, software_images=images),
        additional_params=placed.additional_params if placed else None,
        links=GrantLinks(
            self=Link(href=grant_href(grant_id)),
            vnf_lcm_op_occ=request.links.vnf_lcm_op_occ,
            vnf_instance=request.links.vnf_instance,
        ),
    ).to_wire()
    # SOL003 9.5.2.3: the VIM the NFVO manages, so the VNFM can reach it with our access.
    info = to_connection_info(vim_record, include_secrets=True)
    grant["vimConnectionInfo"] = {vim_name: info}
    return grant


def _rejected(record: GrantRecord, reason: str, *, shortage: bool = False) -> GrantRecord:
    return record.but(state=GrantState.REJECTED, reason=reason, shortage=shortage)
