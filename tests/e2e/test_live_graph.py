"""The graph of a live cloud: usage read back from the servers Nova runs."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import aiohttp
import yaml

from nfvo.placement.live import NO_ADMIN, LiveSite, live_graph
from nfvo.placement.model import PlacementRequest, VnfcRequest
from nfvo.placement.reservations import Placer, Reservations
from nfvo.store.events import Event
from nfvo.vim.facade import Vim
from nfvo.vim.infrastructure import build_graph
from nfvo.vim.inventory import load_inventory
from nfvo.vim.session import VimSpec
from simulators.openstack.simulator import Simulator
from tests.e2e.cloud import BINDINGS, LAB, boot, requirement


async def test_usage_of_running_servers_is_counted_once(
    cloud: tuple[Simulator, Vim], redis: Any, keyspace: Any, tmp_path: Path
) -> None:
    _, vim = cloud
    inventory = load_inventory(LAB)
    upf = requirement("upf", tmp_path)
    vnfcs = [
        VnfcRequest(vnfc_id=f"upf-{i}", vdu_id="upf", vnf_instance_id=f"vnf-{i}", requirement=upf)
        for i in range(2)
    ]
    reservations = Reservations(redis, keyspace)
    placer = Placer(build_graph(inventory), reservations)
    decision = await placer.decide(
        PlacementRequest(request_id="r", vnfcs=vnfcs, network_bindings=BINDINGS)
    )
    assert decision.feasible, str(decision.explanation)
    for placement, vnfc in zip(decision.placements, vnfcs, strict=True):
        await boot(vim, vnfc, placement.host, placement.zone)

    # Held: the reservation counts the UPFs, their servers are skipped.
    held = await live_graph(inventory, vim, reservations)
    assert held.servers_counted == 0 and not held.caveats

    # Committed: the servers themselves count, with the same pinned CPUs and VFs.
    for reservation in await reservations.active():
        await reservations.commit(reservation.id)
    live = await live_graph(inventory, vim, reservations)
    assert live.servers_counted == 2, live.caveats
    assert not live.caveats  # Placement counts nothing the servers do not explain
    empty = build_graph(inventory)
    for placement in decision.placements:
        assert placement.host is not None
        before, after = empty.states[placement.host], live.graph.states[placement.host]
        assert sum(before.pinned) - sum(after.pinned) >= 9  # 8 vCPUs + the emulator thread
        assert sum(before.pages_1gb) - sum(after.pages_1gb) >= 16


async def test_without_admin_rights_the_graph_says_so(cloud: tuple[Simulator, Vim]) -> None:
    sim, _ = cloud
    entry = yaml.safe_load(sim.clouds_yaml_path.read_text())["clouds"]["sim-member"]
    async with Vim(VimSpec("lab", entry, admin=False)) as member:
        live = await live_graph(load_inventory(LAB), member)
    assert live.caveats[0] == NO_ADMIN
    assert live.caveats[1].startswith("Placement not read")  # 403: Placement is admin only


async def test_the_site_is_kept_current_by_events(cloud: tuple[Simulator, Vim]) -> None:
    sim, vim = cloud
    site = LiveSite(load_inventory(LAB), vim, max_age=3600)
    first = await site.current()
    assert await site.current() is first  # no event, not stale: no rebuild
    assert not first.graph.unavailable
    async with (
        aiohttp.ClientSession() as http,
        http.post(f"{sim.url}/_sim/hosts/compute-01/down") as response,
    ):
        assert response.status < 300
    site.notice(Event(source="vim/lab/nova", type="vim.server.updated", subject="servers/x"))
    second = await site.current()
    assert second is not first
    # At time scale 0 Nova's service_down_time has passed at once: the service reads down.
    assert "compute-01" in second.graph.unavailable
    assert "compute-01" not in [h.name for h in second.graph.capacity_view().hosts]
    assert any("compute-01" in caveat for caveat in second.caveats)


async def test_a_held_reservation_stands_only_for_the_servers_made_after_it(
    cloud: tuple[Simulator, Vim], redis: Any, keyspace: Any, tmp_path: Path
) -> None:
    """A scale-out of a running VNF: its running server counts as the cloud runs it, the
    new one is the held reservation's; committing rebuilds a live site's graph."""
    _, vim = cloud
    inventory = load_inventory(LAB)
    upf = requirement("upf", tmp_path)
    reservations = Reservations(redis, keyspace)
    placer = Placer(build_graph(inventory), reservations)
    site = LiveSite(inventory, vim, reservations, max_age=3600)
    first = VnfcRequest(vnfc_id="upf-0", vdu_id="upf", vnf_instance_id="vnf-x", requirement=upf)
    decided = await placer.decide(
        PlacementRequest(request_id="r1", vnfcs=[first], network_bindings=BINDINGS)
    )
    await boot(vim, first, decided.placements[0].host, decided.placements[0].zone)
    before = await site.current()
    assert before.servers_counted == 0  # held: the reservation counts it
    for reservation in await reservations.active():
        await reservations.commit(reservation.id)
    committed = await site.current()
    assert committed is not before and committed.servers_counted == 1

    await asyncio.sleep(1.05)  # the cloud stamps servers to the second
    second = first.model_copy(update={"vnfc_id": "upf-1"})
    scaled = await placer.decide(
        PlacementRequest(request_id="r2", vnfcs=[second], network_bindings=BINDINGS)
    )
    await boot(vim, second, scaled.placements[0].host, scaled.placements[0].zone)
    live = await live_graph(inventory, vim, reservations)
    assert live.servers_counted == 1  # the sibling, not the server of the held reservation
