"""Plan rows: what each VNFC takes and what each host has left."""

from __future__ import annotations

from descriptors.requirements import CpuPolicy, PageSize
from nfvo.placement.engine import plan
from nfvo.placement.report import plan_report, vf_summary
from nfvo.placement.requests import BuiltRequest, PlannedVnfc
from nfvo.vim.usage import CellClaim, Claim, Usage
from tests.unit.placement.builders import cell, graph, host, nic, request, sriov, vdu


def built_for(*requirements: object, count: int = 1) -> BuiltRequest:
    placement_request = request(*requirements, count=count)  # type: ignore[arg-type]
    planned = tuple(
        PlannedVnfc(v.vnfc_id, f"nf-{v.vdu_id}", f"nf-{v.vdu_id}-0", v.vdu_id)
        for v in placement_request.vnfcs
    )
    return BuiltRequest(placement_request, planned)


def test_rows_count_claims_and_earlier_usage() -> None:
    site = graph(
        host(
            "h1",
            numa_cells=[cell(0, dedicated=6, pages_1gb=8), cell(1, dedicated=6, pages_1gb=8)],
            nics=[nic("p0", "sriov-n3", 0), nic("p1", "sriov-n6", 0)],
        ),
        host("h2"),
    )
    # Something already runs on h1: two pinned CPUs in cell 0.
    site.apply(Usage("h1", "old", Claim(cells=(CellClaim(0, pinned_cpus=2),))))
    upf = vdu(
        "upf",
        vcpus=2,
        memory_mb=2048,
        cpu_policy=CpuPolicy.DEDICATED,
        page_size=PageSize.SIZE_1GB,
        numa_nodes=1,
        interfaces=sriov("n3", "n6"),
    )
    built = built_for(upf, vdu("cp", vcpus=2))
    view = site.capacity_view()
    report = plan_report(built, view, plan(built.request, view))
    assert report.feasible and report.explanation is None
    rows = {row.vnfc_id: row for row in report.vnfcs}
    assert rows["upf-0"].vnf == "nf-upf"
    assert (rows["upf-0"].pinned_cpus, rows["upf-0"].pages_1gb) == (2, 2)
    assert vf_summary(rows["upf-0"].vfs) == "sriov-n3: p0; sriov-n6: p1"
    assert rows["cp-0"].shared_vcpus == 2 and rows["cp-0"].numa_cells == []
    h1 = next(row for row in report.hosts if row.host == "h1")
    assert str(h1.pinned_cpus) == "4/12"  # 2 before the plan, 2 by it
    assert str(h1.pages_1gb) == "2/16"
    assert {k: str(v) for k, v in h1.vfs.items()} == {"sriov-n3": "1/4", "sriov-n6": "1/4"}
    data = report.to_json()
    assert data["hosts_used"] == [row.host for row in report.hosts_used]


def test_refusal_has_no_rows_but_the_explanation() -> None:
    built = built_for(vdu("big", vcpus=2, cpu_policy=CpuPolicy.DEDICATED, numa_nodes=1), count=9)
    view = graph(host("h1")).capacity_view()
    report = plan_report(built, view, plan(built.request, view))
    assert not report.feasible and report.vnfcs == []
    assert report.explanation is not None and "pinned CPUs" in report.explanation
    assert report.hosts_used == []


def test_whole_pf_and_small_page_rows() -> None:
    site = graph(host("h1", nics=[nic("p0", "sriov-n3", 0), nic("p1", "sriov-n6", 0)]))
    passthrough = vdu(
        "pt",
        cpu_policy=CpuPolicy.DEDICATED,
        numa_nodes=1,
        interfaces=sriov("n3", vnic_type="direct-physical"),
    )
    built = built_for(passthrough)
    view = site.capacity_view()
    row = plan_report(built, view, plan(built.request, view)).vnfcs[0]
    assert row.whole_pfs == {"sriov-n3": ["p0"]} and row.vfs == {}
    assert (row.pages_1gb, row.pages_2mb, row.memory_mb) == (0, 0, 2048)
