"""The demo's main job: the 5G core deployed on the simulated OpenStack through the NS
lifecycle API, shown from what the cloud reports, scaled, and terminated to nothing.

Everything goes over HTTP as an OSS would (``nfvo.cli.ns_client``); where each VNFC
landed is read back from the cloud (Nova's servers and their hosts), never from the
orchestrator's records; the timeline comes from the NS's notifications.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from nfvo.cli.catalog_client import CatalogClient, render
from nfvo.cli.ns_client import Watch, task
from nfvo.cli.ns_pictures import critical_path, draw_landing, draw_timeline
from nfvo.vim.facade import Vim

NSD_NAME = "5gc-sa"
# The flavour, and the day-1 values every NF's boot data needs (docs/nslcm.md): the
# PLMN and the slice; each NF learns its own addresses and the NRF's by itself.
PLMN = {"mcc": "001", "mnc": "01", "sst": 1, "sd": "000001"}
INSTANTIATE = {
    "nsFlavourId": "default",
    "additionalParamsForNs": {"additionalParamsForAllVnfs": PLMN},
}
Say = Callable[[str], None]


@dataclass(frozen=True)
class Deployed:
    ns_id: str
    wall_seconds: float
    critical: list[str]
    critical_seconds: float


async def landed(vim: Vim, ns: dict[str, Any]) -> list[dict[str, str]]:
    """Every server of the NS's VNFs, as the cloud reports it."""
    profile = {v["id"]: v["vnfProfileId"] for v in ns.get("vnfInstance", [])}
    body = await vim.compute.request(
        "GET", "/servers/detail", "list servers", params={"all_tenants": "1"}
    )
    rows = []
    for server in body.get("servers", []):
        vnf = next(
            (
                t.removeprefix("nfvo-vnf:")
                for t in server.get("tags", [])
                if t.startswith("nfvo-vnf:")
            ),
            None,
        )
        if vnf in profile:
            rows.append(
                {
                    "vnf": profile[vnf],
                    "server": server["name"],
                    "host": server.get("OS-EXT-SRV-ATTR:host", ""),
                    "zone": server.get("OS-EXT-AZ:availability_zone", ""),
                    "status": server["status"],
                }
            )
    return sorted(rows, key=lambda r: (r["zone"], r["host"], r["vnf"]))


async def ours_left(vim: Vim) -> tuple[int, int]:
    """Servers and orchestrator-tagged ports the cloud still holds."""
    servers = (
        await vim.compute.request(
            "GET", "/servers/detail", "list servers", params={"all_tenants": "1"}
        )
    )["servers"]
    ports = (await vim.network.request("GET", "/ports", "list ports"))["ports"]
    tagged = [p for p in ports if any(t.startswith("nfvo") for t in p.get("tags") or [])]
    return len(servers), len(tagged)


async def main_job(
    api: CatalogClient, vim: Vim, nsd_id: str, depends: dict[str, list[str]], output: Path, say: Say
) -> Deployed:
    """Instantiate, show, scale the UPF out, terminate; pictures in ``output`` (made)."""
    await asyncio.to_thread(output.mkdir, parents=True, exist_ok=True)
    ns = await api.request(
        "POST",
        "/ns_instances",
        201,
        json={"nsdId": nsd_id, "nsName": "demo-core", "nsDescription": "the demo's 5G core"},
    )
    say(f"NS instance {ns['id']} created; instantiating flavour 'default'")
    say("(no binding given: every link takes the site's network or gets one made for it)")
    watch = Watch(api, await task(api, ns["id"], "instantiate", INSTANTIATE), ns["id"])
    done = await watch.run(1800)
    if done["operationState"] != "COMPLETED":
        detail = (done.get("error") or {}).get("detail")
        raise RuntimeError(f"instantiate ended {done['operationState']}: {detail}")
    ns = await api.request("GET", f"/ns_instances/{ns['id']}?all_fields")
    rows = await landed(vim, ns)
    say(f"\nWhere every VNFC landed (as Nova reports it): {len(rows)} servers")
    render(rows, ("vnf", "server", "host", "zone", "status"), "table")
    title = "The 5G core on the simulated lab (from Nova)"
    await asyncio.to_thread(draw_landing, rows, output / "ns-landing.png", title)
    names = {v["id"]: v["vnfProfileId"] for v in ns["vnfInstance"]}
    began = min(s[0] for s in watch.spans.values()) if watch.spans else 0.0
    spans = {names.get(k, k[:8]): (s[0] - began, s[1] - began) for k, s in watch.spans.items()}
    chain, bound = critical_path(spans, depends)
    wall = max((end for _, end in spans.values()), default=0.0)
    title = "Instantiation, one bar per VNF"
    await asyncio.to_thread(draw_timeline, spans, chain, output / "ns-timeline.png", title)
    say(f"\nTimeline: {wall:.1f} s for the VNFs; the critical path {' -> '.join(chain)}")
    say(f"takes {bound:.1f} s (the lower bound of the wall time)")
    say(f"pictures: {output / 'ns-landing.png'}, {output / 'ns-timeline.png'}")
    scale = {
        "scaleType": "SCALE_NS",
        "scaleNsData": {
            "scaleNsByStepsData": {"scalingDirection": "SCALE_OUT", "aspectId": "user_plane"}
        },
    }
    scaled = await Watch(api, await task(api, ns["id"], "scale", scale), ns["id"]).run(1800)
    ns = await api.request("GET", f"/ns_instances/{ns['id']}?all_fields")
    upfs = [r for r in await landed(vim, ns) if r["vnf"] == "upf"]
    say(
        f"\nUPF scaled out ({scaled['operationState']}): "
        + ", ".join(f"{r['server']} on {r['host']}" for r in upfs)
    )
    ended = await Watch(api, await task(api, ns["id"], "terminate", {}), ns["id"]).run(1800)
    servers, ports = await ours_left(vim)
    say(f"\nTerminated ({ended['operationState']}): the cloud holds {servers} server(s)")
    say(f"and {ports} port(s) of ours")
    await api.request("DELETE", f"/ns_instances/{ns['id']}", 204)
    return Deployed(ns["id"], wall, chain, bound)
