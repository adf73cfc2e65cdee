"""What each step of an NS operation does: the action registry of ``lcm.ns`` jobs.

Each action is idempotent (it finds before it creates) and takes its arguments from
its :class:`~nfvo.lcm.ns_plans.StepSpec`. NS virtual links and SAP ports carry the
orchestrator's tags on the VIM (the NS id in place of a VNF's, the link or SAP as the
element), so a re-run finds them; a link bound to an existing network is never
created or deleted. VNFs go through :class:`~nfvo.lcm.ns_vnfs.VnfDriver` over SOL003.
``ns.finish`` writes what the operation built (or removed) into the NS instance, its
``resourceChanges``, and moves the occurrence on.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

from nfvo.lcm.ns_lifecycle import NS_LIFECYCLE, NsLifecycle
from nfvo.lcm.ns_operations import NsIntent
from nfvo.lcm.ns_plans import LinkPart, SapPart, VnfPart
from nfvo.lcm.ns_records import LCM
from nfvo.lcm.ns_results import record_outcome
from nfvo.lcm.ns_vnfs import VnfDriver
from nfvo.store.errors import PermanentError
from nfvo.store.steps import StepContext
from nfvo.vim.facade import Vim
from nfvo.vim.network import NetworkRequest, PortRequest
from nfvo.vim.tags import ResourceIdentity

Action = Callable[[StepContext, dict[str, Any]], Awaitable[dict[str, Any]]]


class StepView:
    """What one step of an NS operation reads: the lifecycle, the NS and its intent."""

    def __init__(self, ctx: StepContext) -> None:
        self.ctx = ctx
        self.lcm: NsLifecycle = ctx[NS_LIFECYCLE]
        self.ns_instance_id = str(ctx.params["nsInstanceId"])
        self.occurrence_id = str(ctx.params["occurrenceId"])

    async def intent(self) -> NsIntent:
        ns = await self.lcm.records.get(self.ns_instance_id)
        return NsIntent.from_json(ns.document[LCM])

    async def vim(self) -> Vim:
        return await self.lcm.vims.open_vim((await self.intent()).vim)

    def identity(self, element: str) -> ResourceIdentity:
        """Tags of an NS-level resource: the NS stands where a VNF instance would."""
        return ResourceIdentity(
            self.ns_instance_id,
            element,
            ns_instance_id=self.ns_instance_id,
            operation_id=self.occurrence_id,
        )

    async def predecessor_addresses(self, part: VnfPart, intent: NsIntent) -> dict[str, str]:
        """``<profile>_address`` of each VNF ``part`` waits for (its first instance): the
        first IP of its external CP on a virtual link the two share, else of its first
        external CP, as its VNFM reports it. How an AMF's day-1 data learns the NRF's."""
        found: dict[str, str] = {}
        mine = set(part.ext_links.values())
        for profile in part.after:
            before = next((v for v in intent.parts.vnfs if v.profile_id == profile), None)
            if before is None:
                continue
            member = await self.lcm.records.member(self.ns_instance_id, before.key)
            if member is None or member.vnf_instance_id is None:
                continue
            client = await self.lcm.vnfms.client(member.vnfm)
            vnf = await client.vnf(member.vnf_instance_id) or {}
            shared = sorted(cp for cp, vl in before.ext_links.items() if vl in mine)
            address = _address(vnf, shared)
            if address:
                found[f"{profile}_address"] = address
        return found

    async def driver(self, vnfm: str) -> VnfDriver:
        client = await self.lcm.vnfms.client(vnfm)
        await self.lcm.vnf_notices.ensure_subscribed(vnfm, client)
        return VnfDriver(
            self.lcm.records,
            self.lcm.granting,
            client,
            self.ns_instance_id,
            [self.ctx.fence],
            self.lcm.vnf_notices,
        )

    async def changed(self, key: str, change: str, status: str) -> None:
        """NsChangeNotification about the NS's VNF ``key`` (if it exists)."""
        member = await self.lcm.records.member(self.ns_instance_id, key)
        if member is None or member.vnf_instance_id is None:
            return
        ns = await self.lcm.records.get(self.ns_instance_id)
        occurrence = await self.lcm.records.occurrences.get(self.occurrence_id)
        await self.lcm.notices.changed(
            ns.document, [member.vnf_instance_id], occurrence, change, status
        )

    async def network_id(self, vim: Vim, link: LinkPart) -> str:
        """The network a link stands for: its binding's, or the one made for it."""
        if link.network is not None:
            return (await vim.network.network(link.network)).id
        made = await vim.network.find_network(self.identity(link.link))
        if made is None:
            raise PermanentError(f"the network of virtual link {link.link} does not exist")
        return made.id


# -- virtual links ------------------------------------------------------------------------


async def ensure_link(ctx: StepContext, args: dict[str, Any]) -> dict[str, Any]:
    view, link = StepView(ctx), LinkPart.from_json(args)
    vim = await view.vim()
    if link.network is not None:
        return {"networkId": (await vim.network.network(link.network)).id, "created": False}
    links = [p.link for p in (await view.intent()).parts.links]
    index = links.index(link.link) if link.link in links else len(links)
    request = NetworkRequest(
        view.identity(link.link),
        cidr=f"10.{200 + index // 250}.{index % 250}.0/24",
        physnet=link.physnet,
    )
    network = await vim.network.create_network(request)
    return {"networkId": network.id, "created": True}


async def remove_link(ctx: StepContext, args: dict[str, Any]) -> dict[str, Any]:
    view, link = StepView(ctx), LinkPart.from_json(args)
    if link.network is not None:
        return {}  # bound to a network someone else owns
    vim = await view.vim()
    made = await vim.network.find_network(view.identity(link.link))
    if made is None:
        return {}
    await vim.network.delete_network(made.id)
    return {"networkId": made.id}


# -- SAPs ----------------------------------------------------------------------------------


async def ensure_sap(ctx: StepContext, args: dict[str, Any]) -> dict[str, Any]:
    """A SAP is a port on its network, its address the one external peers reach."""
    view, sap = StepView(ctx), SapPart.from_json(args)
    vim = await view.vim()
    if sap.network is not None:
        network = (await vim.network.network(sap.network)).id
    else:
        parts = (await view.intent()).parts
        link = next((p for p in parts.links if p.link == sap.link), None)
        if link is None:
            raise PermanentError(f"SAP {sap.sap} is on {sap.link}, which is no link of the NS")
        network = await view.network_id(vim, link)
    port = await vim.network.create_port(PortRequest(view.identity(sap.sap), network))
    return {
        "portId": port.id,
        "networkId": network,
        "addresses": list(port.fixed_ips),
        "macAddress": port.mac_address,
    }


async def remove_sap(ctx: StepContext, args: dict[str, Any]) -> dict[str, Any]:
    view, sap = StepView(ctx), SapPart.from_json(args)
    vim = await view.vim()
    port = await vim.network.find_port(view.identity(sap.sap))
    if port is not None:
        await vim.network.delete_port(port.id)
    return {"portId": port.id if port else None}


# -- VNFs ----------------------------------------------------------------------------------


async def create_vnf(ctx: StepContext, args: dict[str, Any]) -> dict[str, Any]:
    part = VnfPart.from_json(args)
    member = await (await StepView(ctx).driver(part.vnfm)).create(part)
    return {"vnfInstanceId": member.vnf_instance_id}


async def instantiate_vnf(ctx: StepContext, args: dict[str, Any]) -> dict[str, Any]:
    view, part = StepView(ctx), VnfPart.from_json(args)
    intent = await view.intent()
    vim = await view.vim()
    links = {p.link: p for p in intent.parts.links}
    ext_links = []
    for vl in sorted(set(part.ext_links.values())):
        cps = [{"cpdId": cp} for cp, link in sorted(part.ext_links.items()) if link == vl]
        ext_links.append(
            {
                "id": vl,
                "resourceId": await view.network_id(vim, links[vl]),
                "vimConnectionId": intent.vim,
                "extCps": cps,
            }
        )
    body: dict[str, Any] = {
        "flavourId": part.flavour_id,
        "extVirtualLinks": ext_links,
        "additionalParams": {
            **await view.predecessor_addresses(part, intent),
            **(part.params.get("additionalParams") or {}),
            "nsInstanceId": view.ns_instance_id,
        },
    }
    if part.level_id:
        body["instantiationLevelId"] = part.level_id
    for name in ("vnfConfigurableProperties", "extensions"):
        if part.params.get(name):
            body[name] = part.params[name]
    driver = await view.driver(part.vnfm)
    return await driver.instantiate(part, body)


async def terminate_vnf(ctx: StepContext, args: dict[str, Any]) -> dict[str, Any]:
    part = VnfPart.from_json(args)
    graceful = args.get("terminationType", "GRACEFUL") == "GRACEFUL"
    return await (await StepView(ctx).driver(part.vnfm)).terminate(part, graceful)


async def delete_vnf(ctx: StepContext, args: dict[str, Any]) -> dict[str, Any]:
    part = VnfPart.from_json(args)
    return await (await StepView(ctx).driver(part.vnfm)).delete(part)


def _changing(task: str, operation: str) -> Action:
    """scale, heal, operate: one SOL003 task on an instantiated VNF, started once."""

    async def change(ctx: StepContext, args: dict[str, Any]) -> dict[str, Any]:
        view = StepView(ctx)
        part = VnfPart.from_json(args["vnf"])
        occurrence = await view.lcm.records.occurrences.get(view.occurrence_id)
        since = occurrence.start_time.timestamp()
        driver = await view.driver(part.vnfm)
        return await driver.change(part, task, operation, args["body"], since)

    return change


# -- waiting and finishing ---------------------------------------------------------------------


async def wait_until(ctx: StepContext, args: dict[str, Any]) -> dict[str, Any]:
    """Hold the operation until ``at`` (terminationTime, scaleTime)."""
    remaining = datetime.fromisoformat(args["at"]).timestamp() - datetime.now().timestamp()
    while remaining > 0 and not ctx.cancel_requested():
        await asyncio.sleep(min(remaining, 1.0))
        remaining -= 1.0
    return {}


async def finish(ctx: StepContext, args: dict[str, Any]) -> dict[str, Any]:
    view = StepView(ctx)
    await record_outcome(
        view.lcm, view.ns_instance_id, view.occurrence_id, args, ctx.outputs, [ctx.fence]
    )
    return {}


def announced(change: str, action: Action) -> Action:
    """``action`` on one VNF, its start and end told to the NS's subscribers."""

    async def run(ctx: StepContext, args: dict[str, Any]) -> dict[str, Any]:
        view = StepView(ctx)
        key = str((args.get("vnf") or args)["key"])
        await view.changed(key, change, "START")
        try:
            outputs = await action(ctx, args)
        except Exception:
            await view.changed(key, change, "FAILED")
            raise
        await view.changed(key, change, "COMPLETED")
        return outputs

    return run


ACTIONS: dict[str, Action] = {
    "link.ensure": ensure_link,
    "link.remove": remove_link,
    "sap.ensure": ensure_sap,
    "sap.remove": remove_sap,
    "vnf.create": create_vnf,
    "vnf.instantiate": announced("VNF_INSTANTIATE", instantiate_vnf),
    "vnf.terminate": announced("VNF_TERMINATE", terminate_vnf),
    "vnf.delete": delete_vnf,
    "vnf.scale": announced("VNF_SCALE", _changing("scale", "SCALE")),
    "vnf.heal": announced("VNF_HEAL", _changing("heal", "HEAL")),
    "vnf.operate": announced("VNF_OPERATE", _changing("operate", "OPERATE")),
    "ns.wait": wait_until,
    "ns.finish": finish,
}


def _address(vnf: dict[str, Any], preferred: list[str]) -> str | None:
    """The first IP address of the VNF's external CPs, those of ``preferred`` first."""
    cps = (vnf.get("instantiatedVnfInfo") or {}).get("extCpInfo") or []
    ranked = sorted(cps, key=lambda cp: cp.get("cpdId") not in preferred)
    for cp in ranked:
        for protocol in cp.get("cpProtocolInfo") or []:
            for ip in (protocol.get("ipOverEthernet") or {}).get("ipAddresses") or []:
                for address in ip.get("addresses") or []:
                    return str(address)
    return None
