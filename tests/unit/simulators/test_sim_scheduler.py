"""Extra specs into a request; NUMA, pinning, huge pages and PCI fits on one host."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from simulators.openstack.hosts import HostState, build_host
from simulators.openstack.inventory import HostSpec, NicSpec, NumaCellSpec
from simulators.openstack.scheduler.claims import Claim, apply_claim, release_claim
from simulators.openstack.scheduler.filters import SchedulingContext, select_host
from simulators.openstack.scheduler.numa import NumaFit, fit_numa
from simulators.openstack.scheduler.pci import fit_pci
from simulators.openstack.scheduler.request import (
    InvalidRequest,
    PciRequest,
    build_request,
    parse_cpu_set,
)


def cell(index: int, socket: int = 0, cores: int = 4, threads: int = 2) -> NumaCellSpec:
    return NumaCellSpec(
        id=index,
        cores=cores,
        threads_per_core=threads,
        memory_mb=16384,
        hugepages_2mb=512,
        hugepages_1gb=4,
        dedicated_cores=2,
        socket=socket,
    )


def host(name: str = "h1", sockets: tuple[int, ...] = (0, 1), nics: int = 1) -> HostState:
    cells = tuple(cell(i, s) for i, s in enumerate(sockets))
    nic_specs = tuple(
        NicSpec(f"ens{i}", f"0000:3b:00.{i}", "phys-a", 0, 2, False) for i in range(nics)
    )
    spec = HostSpec(
        name, "az", (), 100, cells, 0, nic_specs, False, 4.0, 1.0, 1.0, ("HW_CPU_HYPERTHREADING",)
    )
    return build_host(spec, uuid.uuid4())


def flavor(vcpus: int, ram: int, **specs: str) -> dict[str, Any]:
    return {"vcpus": vcpus, "ram": ram, "disk": 1, "extra_specs": specs}


def no_pci(_: list[int] | None) -> str | None:
    return None


def test_cpu_sets() -> None:
    assert parse_cpu_set("0-3,^2,6") == {0, 1, 3, 6}
    with pytest.raises(InvalidRequest):
        parse_cpu_set("a-b")


def test_shared_guest_has_no_numa_topology() -> None:
    spec = build_request(flavor(2, 2048))
    assert spec.cells is None and spec.pcpus == 0 and spec.shared_vcpus == 2


def test_dedicated_guest_gets_one_cell_and_forbidden_trait_for_isolate() -> None:
    spec = build_request(
        flavor(4, 4096, **{"hw:cpu_policy": "dedicated", "hw:cpu_thread_policy": "isolate"})
    )
    assert spec.cells is not None and len(spec.cells) == 1
    assert spec.pcpus == 4 and spec.forbidden_traits == {"HW_CPU_HYPERTHREADING"}


@pytest.mark.parametrize(
    "specs",
    [
        {"hw:cpu_policy": "sometimes"},
        {"hw:numa_nodes": "3"},
        {"hw:cpu_policy": "mixed", "hw:cpu_dedicated_mask": "0-3"},
        {"hw:emulator_threads_policy": "isolate"},
        {"hw:mem_page_size": "3MB"},
        {"hw:numa_nodes": "2", "hw:numa_cpus.0": "0", "hw:numa_mem.0": "1024"},
        {"hw:pci_numa_affinity_policy": "whatever"},
    ],
)
def test_invalid_extra_specs(specs: dict[str, str]) -> None:
    with pytest.raises(InvalidRequest):
        build_request(flavor(4, 4096, **specs))


def test_pinning_prefers_whole_cores() -> None:
    state = host()
    spec = build_request(flavor(2, 2048, **{"hw:cpu_policy": "dedicated"}))
    fit = fit_numa(state, spec, no_pci)
    assert isinstance(fit, NumaFit)
    pinned = sorted(fit.cells[0].pinning.values())
    chosen = next(cell for cell in state.cells if cell.id == fit.cells[0].host_cell)
    assert chosen.siblings[pinned[0]] == chosen.siblings[pinned[1]]


def test_isolate_reserves_the_sibling_threads() -> None:
    state = host()
    spec = build_request(
        flavor(2, 2048, **{"hw:cpu_policy": "dedicated", "hw:cpu_thread_policy": "isolate"})
    )
    fit = fit_numa(state, spec, no_pci)
    assert isinstance(fit, NumaFit)
    assert len(fit.cells[0].reserved_siblings) == 2
    too_many = build_request(
        flavor(3, 2048, **{"hw:cpu_policy": "dedicated", "hw:cpu_thread_policy": "isolate"})
    )
    reason = fit_numa(state, too_many, no_pci)
    assert isinstance(reason, str) and "free cores" in reason


def test_huge_pages_are_counted_per_cell() -> None:
    state = host()
    spec = build_request(flavor(1, 4096, **{"hw:mem_page_size": "1GB"}))
    fit = fit_numa(state, spec, no_pci)
    assert isinstance(fit, NumaFit)
    claim = Claim("h1", 1, 0, 4096, 1, fit.cells)
    apply_claim(state, claim)
    assert state.cells[fit.cells[0].host_cell].pages_free[1024] == 0
    release_claim(state, claim)
    assert state.cells[0].pages_free[1024] == 4


def test_pci_policies_and_socket() -> None:
    state = host(sockets=(0, 0), nics=1)  # both cells on socket 0, the NIC on cell 0
    request = [PciRequest("p", "vf", "phys-a", "direct")]
    assert isinstance(fit_pci(state, request, [1], "required"), str)
    assert isinstance(fit_pci(state, request, [1], "legacy"), str)
    assert not isinstance(fit_pci(state, request, [1], "preferred"), str)
    assert not isinstance(fit_pci(state, request, [1], "socket"), str)
    other = host(sockets=(0, 1), nics=1)
    assert isinstance(fit_pci(other, request, [1], "socket"), str)
    assert not isinstance(fit_pci(other, request, None, "required"), str)


def test_pf_needs_every_vf_free() -> None:
    state = host(nics=1)
    claims = fit_pci(
        state,
        [PciRequest("a", "vf", "phys-a", "direct"), PciRequest("b", "vf", "phys-a", "direct")],
        None,
        "legacy",
    )
    assert not isinstance(claims, str)
    assert [c.vf_index for c in claims] == [0, 1]
    third = fit_pci(state, [PciRequest("a", "vf", "phys-a", "direct")] * 3, None, "legacy")
    assert isinstance(third, str)
    state.nics[0].used_vfs.add(0)
    assert isinstance(
        fit_pci(state, [PciRequest("c", "pf", "phys-a", "direct-physical")], None, "legacy"), str
    )


def test_select_host_reports_the_filter_that_emptied_the_list() -> None:
    hosts = [host("a"), host("b")]
    spec = build_request(flavor(1, 100_000))
    result = select_host(hosts, SchedulingContext(spec, 60.0))
    assert not isinstance(result, Claim)
    assert result.reason.startswith("PlacementAllocationCandidates")
    assert "MEMORY_MB" in result.reason
    spread = select_host(hosts, SchedulingContext(build_request(flavor(1, 1024)), 60.0))
    assert isinstance(spread, Claim)
