"""The instantiate job: grant, assets, one step per VNFC, finish.

``grant`` asks the NFVO (``vnfm.granting``); ``assets`` resolves each VDU's flavour and
image and makes the granted server groups (their names recorded on the instance before
they are made, so terminate finds them); ``vnfc <vdu>-<n>`` creates the VNFC's ports
and server (both found by their tags first, so a re-run creates nothing twice), renders
its day-1 user data with the addresses its ports really got, and waits for ACTIVE; a
server left in ERROR by an earlier attempt is deleted and booted again. ``finish``
writes ``instantiatedVnfInfo`` and the occurrence's ``resourceChanges`` and completes it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

from descriptors.model import Flavour, VduCp
from descriptors.requirements import VnicType
from nfvo.sol.grant import Grant, GrantedLcmOperation
from nfvo.store.errors import PermanentError
from nfvo.store.occurrence_states import Trigger
from nfvo.store.steps import Step, StepContext
from nfvo.vim.compute import ServerRequest
from nfvo.vim.facade import Vim
from nfvo.vim.network import Port, PortRequest
from nfvo.vim.tags import ResourceIdentity
from vnfm import assets, day1
from vnfm.granting import ask, grant_request
from vnfm.lifecycle import BOOKKEEPING, LIFECYCLE, links
from vnfm.plan import Vnfc, external_cp_of, flavour_of, network_of
from vnfm.results import initial_levels, instantiated_info, vnfc_changes
from vnfm.steps import Handler, Operation, finish, guarded, keep, load, open_vim
from vnfm.wire import InstantiateVnfRequest, InstantiationState

JOB_TYPE = "vnfm.instantiate"


def vnfcs_of(params: Mapping[str, Any]) -> list[Vnfc]:
    return [Vnfc.from_json(item) for item in params.get("vnfcs", [])]


def request_of(operation: Operation) -> InstantiateVnfRequest:
    """The instantiation request: this operation's, or the one the instance was
    instantiated with (scale and heal build VNFCs the same way)."""
    if operation.occurrence.operation == "INSTANTIATE":
        return InstantiateVnfRequest.model_validate(operation.params)
    return InstantiateVnfRequest.model_validate(operation.bookkeeping["instantiation"])


def realised(operation: Operation) -> dict[Vnfc, dict[str, Any]]:
    """The VNFCs the instance has, with what the VIM gave each (its bookkeeping)."""
    return {
        Vnfc.from_json(out): dict(out)
        for out in (operation.bookkeeping.get("vnfcs") or {}).values()
    }


def servers(operation: Operation) -> dict[Vnfc, str]:
    """Each VNFC's server id, for the grant's RES_MGMT references."""
    return {vnfc: str(out["serverId"]) for vnfc, out in realised(operation).items()}


async def record(
    ctx: StepContext,
    operation: Operation,
    vnfcs: Mapping[Vnfc, Mapping[str, Any]],
    levels: Mapping[str, int],
    changes: Mapping[str, Any],
) -> None:
    """The instance as it now is (INSTANTIATED with ``vnfcs``), the occurrence's
    ``resourceChanges``, then SUCCEEDED: the last step of every building operation."""
    request = request_of(operation)
    flavour = flavour_of(operation.package, request.flavour_id)
    vim = operation.bookkeeping.get("vim") or ""
    document = dict(operation.instance)
    document["instantiationState"] = InstantiationState.INSTANTIATED.value
    document["instantiatedVnfInfo"] = instantiated_info(
        operation.package.vnfd_id, flavour, request, vnfcs, vim, levels
    )
    document["_links"] = links(operation.instance_id, InstantiationState.INSTANTIATED)
    if request.vim_connection_info:
        document["vimConnectionInfo"] = request.to_wire().get("vimConnectionInfo")
    document[BOOKKEEPING] = {
        **operation.bookkeeping,
        "instantiation": request.to_wire(),
        "vnfcs": {vnfc.id: {**out, **vnfc.to_json()} for vnfc, out in vnfcs.items()},
        "levels": dict(levels),
    }
    lifecycle = ctx[LIFECYCLE]
    await lifecycle.save_instance(operation.instance_id, document, [ctx.fence])
    detail = await lifecycle.detail(operation.occurrence.id)
    await lifecycle.save_detail(
        operation.occurrence.id, replace(detail, resource_changes=dict(changes)), [ctx.fence]
    )
    await finish(ctx, Trigger.SUCCEEDED, changes)


async def grant_step(ctx: StepContext) -> None:
    operation = await load(ctx)
    request = request_of(operation)
    flavour = flavour_of(operation.package, request.flavour_id)
    await ask(
        ctx,
        grant_request(
            ctx.params, operation.instance, GrantedLcmOperation.INSTANTIATE, flavour,
            add=vnfcs_of(ctx.params), level=request.instantiation_level_id,
        ),
    )  # fmt: skip


async def assets_step(ctx: StepContext) -> dict[str, Any]:
    operation = await load(ctx)
    flavour = flavour_of(operation.package, request_of(operation).flavour_id)
    grant, vim = await operation.grant(), await open_vim(ctx, operation)
    requirements = operation.package.requirements.get(flavour.flavour_id, {})
    vdus = sorted({vnfc.vdu_id for vnfc in vnfcs_of(ctx.params)})
    flavours, images = {}, {}
    for vdu_id in vdus:
        vdu = flavour.vdu(vdu_id)
        flavours[vdu_id] = await assets.flavour_id(vim, grant, requirements[vdu_id])
        images[vdu_id] = await assets.image_id(
            vim, grant, operation.package, vdu, ctx.redis, ctx.keyspace
        )
    groups = _granted_groups(grant, flavour, vnfcs_of(ctx.params))
    known = set(operation.bookkeeping.get("serverGroups") or [])
    if not set(groups) <= known:  # intent first: terminate must find what we make
        await keep(ctx, operation, serverGroups=sorted(known | set(groups)))
    group_ids = {
        name: await vim.compute.ensure_server_group(name, policy) for name, policy in groups.items()
    }
    return {"flavours": flavours, "images": images, "serverGroups": group_ids}


def _granted_groups(grant: Grant | None, flavour: Flavour, vnfcs: Sequence[Vnfc]) -> dict[str, str]:
    groups: dict[str, str] = {}
    for vnfc in vnfcs:
        hint = grant.placement_hint(vnfc.id) if grant else None
        if hint is not None and hint.server_group_id:
            groups[hint.server_group_id] = assets.group_policy(flavour, vnfc.vdu_id)
    return groups


def _fixed_ips(
    request: InstantiateVnfRequest, cp: VduCp, flavour: Flavour, index: int
) -> list[dict[str, str]]:
    """The fixed addresses ``extCps[].cpConfig`` asks for the ``index``-th VNFC's CP."""
    cpd = external_cp_of(flavour, cp) or cp.cp_id
    for link in request.ext_virtual_links or []:
        for ext in link.ext_cps:
            if ext.cpd_id not in (cpd, cp.cp_id) or not ext.cp_config:
                continue
            configs = list(ext.cp_config.values())
            if index >= len(configs):
                return []
            return [
                {"ip_address": address}
                for data in configs[index].cp_protocol_data or []
                if data.ip_over_ethernet
                for ip in data.ip_over_ethernet.ip_addresses or []
                for address in ip.fixed_addresses or []
            ]
    return []


async def _ports(
    vim: Vim, operation: Operation, vnfc: Vnfc, flavour: Flavour, request: InstantiateVnfRequest
) -> list[tuple[VduCp, Port]]:
    cps = sorted((cp for cp in flavour.cps if cp.vdu_id == vnfc.vdu_id), key=lambda c: c.order or 0)
    made: list[tuple[VduCp, Port]] = []
    for cp in cps:
        network = network_of(flavour, request, cp)
        if network is None:
            raise PermanentError(f"CP {cp.cp_id} of {vnfc.id} has no network")
        vnic = VnicType(cp.vnic_type or "normal")
        if (
            vnic is VnicType.VIRTIO_FORWARDER
            and "virtio-forwarder" not in await vim.network.extensions()
        ):
            raise PermanentError(f"CP {cp.cp_id}: VIM {vim.name} offers no virtio-forwarder ports")
        identity = ResourceIdentity(
            operation.instance_id, cp.cp_id, vnfc.index, operation_id=operation.occurrence.id
        )
        fixed = _fixed_ips(request, cp, flavour, vnfc.index)
        port = await vim.network.create_port(
            PortRequest(identity, (await vim.network.network(network)).id, vnic, fixed_ips=fixed)
        )
        made.append((cp, port))
    return made


def _user_data(
    operation: Operation,
    vnfc: Vnfc,
    request: InstantiateVnfRequest,
    ports: list[tuple[VduCp, Port]],
) -> str | None:
    """The VNFC's day-1 user data, with the addresses its ports really got."""
    flavour = flavour_of(operation.package, request.flavour_id)
    variables: dict[str, Any] = {
        **day1.parameters(request.additional_params),
        "vnf_instance_id": operation.instance_id,
        "vdu_id": vnfc.vdu_id,
        "vnfc_index": vnfc.index,
        "hostname": ResourceIdentity(operation.instance_id, vnfc.vdu_id, vnfc.index).name(),
    }
    for cp, port in ports:
        for name in day1.address_names(vnfc.vdu_id, cp.cp_id):
            variables[name] = port.fixed_ips[0] if port.fixed_ips else ""
    try:
        return day1.render(flavour.vdu(vnfc.vdu_id), variables)
    except day1.Day1Error as error:
        raise PermanentError(str(error)) from None


def _server_request(
    operation: Operation,
    vnfc: Vnfc,
    grant: Grant | None,
    built: Mapping[str, Any],
    ports: list[tuple[VduCp, Port]],
    user_data: str | None,
    admin: bool,
) -> ServerRequest:
    """Where and how the grant says to boot the VNFC."""
    hint = grant.placement_hint(vnfc.id) if grant else None
    group = hint.server_group_id if hint else None
    reservation = _reservation(grant, vnfc)
    return ServerRequest(
        identity=ResourceIdentity(
            operation.instance_id, vnfc.vdu_id, vnfc.index, operation_id=operation.occurrence.id
        ),
        image_id=built["images"][vnfc.vdu_id],
        flavor_id=built["flavours"][vnfc.vdu_id],
        port_ids=[port.id for _, port in ports],
        zone=grant.zone_of(vnfc.id) if grant else None,
        host=hint.host if hint and admin else None,
        server_group_id=built["serverGroups"].get(group) if group else None,
        user_data=user_data,
        metadata={"nfvo_reservation": reservation} if reservation else {},
    )


def _reservation(grant: Grant | None, vnfc: Vnfc) -> str | None:
    granted = grant.add_resources if grant else []
    info = next((g for g in granted if g.resource_definition_id == vnfc.id), None)
    return info.reservation_id if info else None


def vnfc_step(vnfc: Vnfc) -> Step:
    async def build(ctx: StepContext) -> dict[str, Any]:
        operation = await load(ctx)
        request = request_of(operation)
        flavour = flavour_of(operation.package, request.flavour_id)
        grant, vim = await operation.grant(), await open_vim(ctx, operation)
        ports = await _ports(vim, operation, vnfc, flavour, request)
        user_data = _user_data(operation, vnfc, request, ports)
        wanted = _server_request(
            operation, vnfc, grant, ctx.outputs["assets"], ports, user_data,
            vim.session.spec.admin,
        )  # fmt: skip
        existing = await vim.compute.find_server(wanted.identity)
        if existing is not None and existing.status == "ERROR":  # a failed boot: boot again
            await vim.compute.delete_server(existing.id)
            await vim.compute.wait_for_server(existing.id, "DELETED", patience=120)
        server = await vim.compute.create_server(wanted)
        active = await vim.compute.wait_for_server(server.id, patience=ctx[LIFECYCLE].boot_timeout)
        return {
            "serverId": active.id,
            "host": active.host,
            "zone": active.zone,
            "reservationId": _reservation(grant, vnfc),
            "ports": [
                {
                    "cpId": cp.cp_id,
                    "portId": port.id,
                    "networkId": port.network_id,
                    "addresses": list(port.fixed_ips),
                    "macAddress": port.mac_address,
                    "extCpId": external_cp_of(flavour, cp),
                }
                for cp, port in ports
            ],
        }

    return guarded(f"vnfc {vnfc.id}", build, after=("assets",))


async def finish_step(ctx: StepContext) -> None:
    operation = await load(ctx)
    request = request_of(operation)
    flavour = flavour_of(operation.package, request.flavour_id)
    built = {vnfc: dict(ctx.outputs[f"vnfc {vnfc.id}"]) for vnfc in vnfcs_of(ctx.params)}
    vim = operation.bookkeeping.get("vim") or ""
    changes = vnfc_changes(operation.package.vnfd_id, built, vim, "ADDED")
    levels = initial_levels(flavour, request.instantiation_level_id)
    await record(ctx, operation, built, levels, changes)


def building(params: Mapping[str, Any], grant: Handler, done: Handler) -> list[Step]:
    """grant, assets, a step per VNFC of ``params``, then ``done``."""
    vnfc_steps = [vnfc_step(vnfc) for vnfc in vnfcs_of(params)]
    last = tuple(step.name for step in vnfc_steps) or ("assets",)
    return [
        guarded("grant", grant),
        guarded("assets", assets_step, after=("grant",)),
        *vnfc_steps,
        guarded("finish", done, after=last),
    ]


def plan(params: Mapping[str, Any]) -> list[Step]:
    return building(params, grant_step, finish_step)
