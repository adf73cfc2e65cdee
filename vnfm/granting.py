"""The grant exchange (SOL003 clause 9): what the manager asks its NFVO before it
touches the cloud, and the step that asks.

The request lists a resource per VNFC (``COMPUTE``, ``resourceDefinitionId`` = the
VNFC id ``<vdu>-<index>``), per virtual storage and per internal virtual link, the
VNFD's affinity and anti-affinity rules as ``placementConstraints``, and the
occurrence's links. The grant is stored with the occurrence before the occurrence
moves on, so a step re-run after a crash reuses it instead of asking again. A grant
that carries ``vimConnectionInfo`` registers those VIMs with the manager; the one the
grant names is the one the operation uses.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Mapping
from dataclasses import replace
from typing import Any

from descriptors.model import Flavour, PlacementKind
from nfvo.sol.grant import (
    ConstraintResourceRef,
    GrantedLcmOperation,
    GrantRequest,
    GrantRequestLinks,
    PlacementConstraint,
    ResourceDefinition,
    ResourceType,
)
from nfvo.sol.wire import Link
from nfvo.store.errors import AlreadyExists, StoreNotFound
from nfvo.store.occurrence_states import OperationState, Trigger
from nfvo.store.steps import StepContext
from nfvo.vim.registry import VIMS, VimRecord, VimRegistry, record_from_connection_info
from vnfm.lifecycle import LIFECYCLE
from vnfm.nfvo_client import NFVO
from vnfm.notices import instance_href, occurrence_href
from vnfm.plan import Vnfc
from vnfm.steps import keep, load

_SCOPES = {"nfvi_node": "NFVI_NODE", "zone": "ZONE", "zone_group": "ZONE_GROUP",
           "nfvi_pop": "NFVI_POP"}  # fmt: skip


def compute(vnfc: Vnfc, vnfd_id: str) -> ResourceDefinition:
    return ResourceDefinition(
        id=vnfc.id,
        type=ResourceType.COMPUTE,
        vdu_id=vnfc.vdu_id,
        vnfd_id=vnfd_id,
        resource_template_id=[vnfc.vdu_id],
    )


def constraints(
    flavour: Flavour, vnfcs: Iterable[Vnfc], existing: Mapping[Vnfc, str] | None = None
) -> list[PlacementConstraint]:
    """The VNFD's placement rules over the VNFCs of the request, and over the instance's
    VNFCs that stay (``RES_MGMT`` references to their servers), so a scaled-out or
    recreated VNFC keeps its distance from its siblings."""
    listed, kept = list(vnfcs), dict(existing or {})
    found: list[PlacementConstraint] = []
    for rule in flavour.placement_rules:
        refs = [
            ConstraintResourceRef(id_type="GRANT", resource_id=v.id)
            for v in listed
            if v.vdu_id in rule.targets
        ]
        refs += [
            ConstraintResourceRef(id_type="RES_MGMT", resource_id=server_id)
            for v, server_id in kept.items()
            if v.vdu_id in rule.targets and v not in listed
        ]
        if not refs or len(refs) < 2 or rule.scope not in _SCOPES:
            continue
        kind = "AFFINITY" if rule.kind is PlacementKind.AFFINITY else "ANTI_AFFINITY"
        found.append(
            PlacementConstraint(
                affinity_or_anti_affinity=kind, scope=_SCOPES[rule.scope], resource=refs
            )
        )
    return found


def grant_request(
    ctx_params: Mapping[str, Any],
    instance: Mapping[str, Any],
    operation: GrantedLcmOperation,
    flavour: Flavour,
    *,
    add: Iterable[Vnfc] = (),
    remove: Iterable[Vnfc] = (),
    level: str | None = None,
    additional: Mapping[str, Any] | None = None,
    existing: Mapping[Vnfc, str] | None = None,
) -> GrantRequest:
    added, removed = list(add), list(remove)
    vnfd_id = str(instance["vnfdId"])
    internal = [
        ResourceDefinition(id=vl.vl_id, type=ResourceType.VL, resource_template_id=vl.vl_id)
        for vl in flavour.virtual_links
    ]
    return GrantRequest(
        vnf_instance_id=str(instance["id"]),
        vnf_lcm_op_occ_id=str(ctx_params["occurrenceId"]),
        vnfd_id=vnfd_id,
        flavour_id=flavour.flavour_id,
        operation=operation,
        is_automatic_invocation=False,
        instantiation_level_id=level,
        add_resources=[compute(v, vnfd_id) for v in added]
        + (internal if operation is GrantedLcmOperation.INSTANTIATE else []),
        remove_resources=[compute(v, vnfd_id) for v in removed]
        + (internal if operation is GrantedLcmOperation.TERMINATE else []),
        placement_constraints=constraints(flavour, added, existing),
        additional_params=dict(additional) if additional else None,
        links=GrantRequestLinks(
            vnf_lcm_op_occ=Link(href=occurrence_href(str(ctx_params["occurrenceId"]))),
            vnf_instance=Link(href=instance_href(str(instance["id"]))),
        ),
    )


async def register_vim(registry: VimRegistry, record: VimRecord) -> None:
    """Register ``record`` unless the same connection is registered already: replacing a
    VIM closes its facade, which other operations may be using at that moment."""
    try:
        current = await registry.get(record.name)
    except StoreNotFound:
        current = None
    if current is not None and (current.cloud, current.admin) == (record.cloud, record.admin):
        return
    with contextlib.suppress(AlreadyExists):  # registered meanwhile by another operation
        await registry.add(record, replace_existing=current is not None)


async def _register_granted_vims(ctx: StepContext, raw: Mapping[str, Any]) -> str | None:
    """Register the grant's ``vimConnectionInfo``; the name of the VIM it grants on."""
    chosen = None
    for key, info in (raw.get("vimConnectionInfo") or {}).items():
        record = record_from_connection_info(key, info)
        await register_vim(ctx[VIMS], record)
        chosen = chosen or record.name
    return chosen


async def ask(ctx: StepContext, request: GrantRequest) -> None:
    """Ask for the grant once per occurrence; then STARTING -> PROCESSING."""
    lifecycle = ctx[LIFECYCLE]
    operation = await load(ctx)
    detail = await lifecycle.detail(operation.occurrence.id)
    if detail.grant is None:
        grant, raw = await ctx[NFVO].grant(request)
        detail = replace(detail, grant_id=grant.id, grant=raw)
        await lifecycle.save_detail(operation.occurrence.id, detail, [ctx.fence])
        vim = await _register_granted_vims(ctx, raw) or ctx.params.get("vim")
        granted_vim = next(
            (info.vim_connection_id for info in grant.add_resources if info.vim_connection_id),
            None,
        )
        chosen = vim or granted_vim or operation.bookkeeping.get("vim")
        await keep(ctx, operation, vim=chosen or (await ctx[VIMS].default()).name)
    if operation.occurrence.operation_state is OperationState.STARTING:
        await lifecycle.move(operation.occurrence.id, Trigger.GRANTED, fence=ctx.fence)
