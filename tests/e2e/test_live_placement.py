"""The live graph reconciled with Placement on the simulated cloud: usage Placement
counts that no server explains is held, Placement's ratios and reservations win, and
without Placement the graph says why it was not read."""

from __future__ import annotations

import copy
import uuid
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import yaml

from nfvo.placement.engine import place
from nfvo.placement.live import NO_ADMIN, live_graph
from nfvo.placement.model import PlacementRequest, VnfcRequest
from nfvo.vim.facade import Vim
from nfvo.vim.inventory import SiteInventory, load_inventory
from nfvo.vim.session import RetryPolicy, VimSpec
from simulators.openstack import keystone_admin
from simulators.openstack.config import SimConfig
from simulators.openstack.simulator import Simulator
from tests.e2e.cloud import BINDINGS, LAB, requirement


async def allocate(vim: Vim, host: str, resources: dict[str, int]) -> str:
    """What a consumer we cannot see holds: an admin's PUT /allocations/{consumer}."""
    providers = await vim.placement.root_providers()
    consumer = str(uuid.uuid4())
    body = {
        "allocations": {providers[host]: {"resources": resources}},
        "project_id": uuid.uuid4().hex,
        "user_id": uuid.uuid4().hex,
        "consumer_generation": None,
        "consumer_type": "INSTANCE",
    }
    await vim.session.request(
        "placement", "PUT", f"/allocations/{consumer}", call="allocate", json=body,
        microversion="1.39",
    )  # fmt: skip
    return consumer


def upf_request(tmp_path: Path) -> PlacementRequest:
    vnfc = VnfcRequest(vnfc_id="upf-0", vdu_id="upf", requirement=requirement("upf", tmp_path))
    return PlacementRequest(request_id="r", vnfcs=[vnfc], network_bindings=BINDINGS)


async def test_pinned_cpus_held_outside_nova_are_not_planned_onto(
    cloud: tuple[Simulator, Vim], tmp_path: Path
) -> None:
    _, vim = cloud
    inventory = load_inventory(LAB)
    request = upf_request(tmp_path)
    before = await live_graph(inventory, vim)
    assert not before.caveats
    assert place(request, before.graph.capacity_view()).placements[0].host == "compute-01"

    await allocate(vim, "compute-01", {"PCPU": 48})
    after = await live_graph(inventory, vim)
    assert after.graph.states["compute-01"].pinned == [0, 0]
    decision = place(request, after.graph.capacity_view())
    assert decision.feasible, str(decision.explanation)
    assert decision.placements[0].host != "compute-01"
    assert decision.graph_age_seconds is not None
    assert any("compute-01 (48 PCPU)" in caveat for caveat in after.caveats), after.caveats
    assert any("24 from cell 0, 24 from cell 1" in caveat for caveat in after.caveats)


async def test_unattributed_usage_is_taken_where_placement_counts_it(
    cloud: tuple[Simulator, Vim],
) -> None:
    _, vim = cloud
    inventory = load_inventory(LAB)
    empty = (await live_graph(inventory, vim)).graph.states["compute-02"]
    held = {"PCPU": 20, "VCPU": 6, "MEMORY_MB": 8192, "DISK_GB": 100}
    await allocate(vim, "compute-02", held)
    live = await live_graph(inventory, vim)
    state = live.graph.states["compute-02"]
    # Pinned CPUs from the cell with the most free (a tie keeps cell order).
    assert state.pinned == [empty.pinned[0] - 20, empty.pinned[1]]
    assert empty.vcpus - state.vcpus == 6
    assert empty.host_memory - state.host_memory == 8192
    assert empty.disk - state.disk == 100
    assert state.shared == empty.shared  # host-wide, not from a cell
    assert live.graph.usages["placement:compute-02"].claim.resources() == held
    notes = " ".join(live.caveats)
    assert "compute-02 (100 DISK_GB, 8192 MEMORY_MB, 20 PCPU, 6 VCPU)" in notes
    assert "compute-02: 20 from cell 0" in notes


def with_host(inventory: SiteInventory, name: str, **changes: Any) -> SiteInventory:
    document = copy.deepcopy(inventory.document)
    host = next(h for h in document["hosts"] if h["name"] == name)
    host.update(changes)
    return SiteInventory(document)


async def test_placement_ratios_and_reservations_win(cloud: tuple[Simulator, Vim]) -> None:
    _, vim = cloud
    # The site inventory says ratio 1.0 and nothing reserved; Nova reports 4.0 and 4096 MiB.
    stale = with_host(
        load_inventory(LAB),
        "compute-05",
        allocation_ratios={"cpu": 1.0, "ram": 1.0, "disk": 1.0},
        reserved_host_memory_mb=0,
    )
    live = await live_graph(stale, vim)
    host = live.graph.hosts["compute-05"]
    assert (host.cpu_ratio, host.reserved_memory_mb) == (4.0, 4096)
    snapshot = await vim.placement.snapshot(["compute-05"])
    vcpu = snapshot.providers["compute-05"].inventories["VCPU"]
    assert live.graph.states["compute-05"].vcpus == vcpu.capacity == 64
    notes = " ".join(live.caveats)
    assert "Placement's allocation_ratio of VCPU differs" in notes
    assert "compute-05: 4.0 not 1.0" in notes
    assert "Placement's reserved of MEMORY_MB differs" in notes
    assert "compute-05: 4096 not 0" in notes
    assert "unattributed" not in notes


async def test_without_admin_rights_placement_is_not_read(cloud: tuple[Simulator, Vim]) -> None:
    sim, _ = cloud
    entry = yaml.safe_load(sim.clouds_yaml_path.read_text())["clouds"]["sim-member"]
    async with Vim(VimSpec("lab", entry, admin=False)) as member:
        live = await live_graph(load_inventory(LAB), member)
    assert live.caveats[0] == NO_ADMIN
    assert live.caveats[1].startswith("Placement not read, usage from the servers alone:")
    assert "(403)" in live.caveats[1] and "Policy doesn't allow" in live.caveats[1]


async def test_placement_failing_leaves_the_servers_usage(cloud: tuple[Simulator, Vim]) -> None:
    sim, vim = cloud
    await allocate(vim, "compute-01", {"PCPU": 48})
    async with (
        aiohttp.ClientSession() as http,
        http.put(f"{sim.url}/_sim/faults/services/placement", json={"error_rate": 1.0}) as response,
    ):
        assert response.status < 300
    live = await live_graph(load_inventory(LAB), vim)
    assert len(live.caveats) == 1 and live.caveats[0].startswith("Placement not read")
    assert "(5" in live.caveats[0]  # a 5xx, after the session's retries
    assert live.graph.states["compute-01"].pinned == [24, 24]


async def test_a_cloud_without_placement_says_so(monkeypatch: pytest.MonkeyPatch) -> None:
    services = [s for s in keystone_admin.SERVICES if s[0] != "placement"]
    monkeypatch.setattr(keystone_admin, "SERVICES", services)
    async with Simulator(LAB, config=SimConfig(time_scale=0)) as sim:
        entry = yaml.safe_load(sim.clouds_yaml_path.read_text())["clouds"]["sim"]
        spec = VimSpec("lab", entry, admin=True, retry=RetryPolicy(base_delay=0.01))
        async with Vim(spec) as vim:
            live = await live_graph(load_inventory(LAB), vim)
    assert len(live.caveats) == 1
    assert live.caveats[0].startswith("Placement not read")
    assert "service catalog" in live.caveats[0]
