"""The plan picture on a larger site: only used hosts, wrapped zones, valid files."""

from __future__ import annotations

from pathlib import Path

import pytest

from nfvo.cli.plan_picture import MAX_HOSTS, ChipRows, draw_plan, host_lines
from nfvo.placement.engine import plan
from nfvo.placement.requests import BuiltRequest, PlannedVnfc
from tests.unit.placement.builders import graph, host, nic, request, sriov, vdu


@pytest.mark.parametrize("suffix", [".png", ".svg"])
def test_large_site_draws_only_used_hosts(tmp_path: Path, suffix: str) -> None:
    hosts = [
        host(f"h{i:02}", zone=("az-1", "az-2")[i % 2], nics=[nic("p0", "sriov-n3")])
        for i in range(MAX_HOSTS + 4)
    ]
    site = graph(*hosts)
    placement_request = request(vdu("vnfc", interfaces=sriov("n3")), count=30)
    planned = tuple(PlannedVnfc(v.vnfc_id, "nf", "nf-0", v.vdu_id) for v in placement_request.vnfcs)
    view = site.capacity_view()
    result = plan(placement_request, view)
    assert result.decision.feasible
    picture = tmp_path / f"big{suffix}"
    draw_plan(view, result, BuiltRequest(placement_request, planned), picture, "big")
    data = picture.read_bytes()
    assert data.startswith(b"\x89PNG" if suffix == ".png" else b"<?xml")
    assert len(data) < 600_000
    # Only the hosts the plan uses are drawn, a zone's hosts wrapped into lines.
    guests = {usage.host: [] for usage in result.usages}
    lines = host_lines(view, guests, ChipRows(1, 1))  # type: ignore[arg-type]
    drawn = [h.name for line in lines for h, _ in line]
    assert sorted(drawn) == sorted(guests) and len(drawn) < len(view.hosts)
