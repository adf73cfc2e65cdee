"""Decisions made by the engine, created through the VIM facade on the simulated cloud,
land ACTIVE on the decided host, in the predicted NUMA cell, on the predicted PFs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from nfvo.placement.model import NetworkBinding, PlacementRequest, VnfcRequest
from nfvo.placement.reservations import Placer, Reservations
from nfvo.vim.facade import Vim
from nfvo.vim.infrastructure import build_graph
from nfvo.vim.inventory import load_inventory
from simulators.openstack.simulator import Simulator
from tests.e2e.cloud import LAB, SITE_NETWORKS, boot, real_placement, requirement


async def test_the_5g_core_lands_where_placement_decided(
    cloud: tuple[Simulator, Vim], redis: Any, keyspace: Any, tmp_path: Path
) -> None:
    sim, vim = cloud
    vnfcs = [
        VnfcRequest(vnfc_id=f"{nf}-{i}", vdu_id=nf, requirement=requirement(nf, tmp_path))
        for nf, count in (("upf", 2), ("amf", 2), ("smf", 1), ("nrf", 1))
        for i in range(count)
    ]
    request = PlacementRequest(
        request_id="e2e",
        vnfcs=vnfcs,
        network_bindings=[
            NetworkBinding(logical_network=name, physnet=physnet)
            for name, (physnet, _) in SITE_NETWORKS.items()
        ],
    )
    placer = Placer(build_graph(load_inventory(LAB)), Reservations(redis, keyspace))
    decision = await placer.decide(request)
    assert decision.feasible, str(decision.explanation)
    for placement in decision.placements:
        vnfc = next(v for v in vnfcs if v.vnfc_id == placement.vnfc_id)
        server_id = await boot(vim, vnfc, placement.host, placement.zone)
        given = await real_placement(sim, server_id)
        assert given["host"] == placement.host
        if vnfc.requirement.needs_numa:
            assert [c["host_cell"] for c in given["numa_cells"]] == placement.numa_cells, (
                placement,
                given["numa_cells"],
                given["pci_devices"],
            )
        predicted = sorted((pf.physnet, pf.device) for pf in placement.physical_functions)
        real = sorted((d["physnet"], d["pci_address"] or d["pf"]) for d in given["pci_devices"])
        assert real == predicted, f"{placement.vnfc_id}: Nova chose other PFs than predicted"
