"""Placement's queries as a real Placement answers them: ``resources``, ``required`` and
``member_of`` on /resource_providers (each at its microversion), allocation candidates,
resource classes, traits, a project's usages, and generations that move with the
allocations."""

from __future__ import annotations

from typing import Any

from simulators.openstack.aggregates import aggregate_uuid, zone_aggregate_uuid
from simulators.openstack.simulator import Simulator
from tests.integration.simulators.conftest import Http, boot, make_flavor, named


def at(version: str) -> dict[str, str]:
    return {"OpenStack-API-Version": f"placement {version}"}


async def providers(http: Http, query: str, version: str = "1.39") -> list[str]:
    status, body, _ = await http.call(
        "GET", f"/placement/resource_providers?{query}", None, at(version)
    )
    assert status == 200, body
    return sorted(p["name"] for p in body["resource_providers"])


async def test_filters_narrow_the_providers(sim: Simulator, admin_http: Http) -> None:
    every = [f"compute-0{i}" for i in range(1, 6)]
    assert await providers(admin_http, "") == every
    # compute-03 has 20 dedicated CPUs; the others 48.
    assert await providers(admin_http, "resources=PCPU:21") == [
        "compute-01",
        "compute-02",
        "compute-04",
        "compute-05",
    ]
    assert await providers(admin_http, "resources=PCPU:20,MEMORY_MB:1024") == every
    assert await providers(admin_http, "required=CUSTOM_OVS_DPDK") == ["compute-04"]
    assert await providers(admin_http, "required=!HW_CPU_HYPERTHREADING") == ["compute-03"]
    assert await providers(admin_http, "required=in:CUSTOM_OVS_DPDK,HW_CPU_X86_AVX2") == every
    sriov = aggregate_uuid("agg-sriov")
    assert await providers(admin_http, f"member_of={sriov}") == ["compute-01", "compute-02"]
    zone = zone_aggregate_uuid("az-2")
    both = f"member_of={sriov}&member_of={zone}"
    assert await providers(admin_http, both) == ["compute-02"]
    assert await providers(admin_http, f"member_of=!{sriov}") == [
        "compute-03",
        "compute-04",
        "compute-05",
    ]
    assert await providers(admin_http, f"member_of=in:{sriov},{zone}") == [
        "compute-01",
        "compute-02",
        "compute-04",
        "compute-05",
    ]


async def test_what_is_used_is_not_free(sim: Simulator, admin_http: Http) -> None:
    flavor = await make_flavor(
        admin_http, "pinned", 40, 4096, {"hw:cpu_policy": "dedicated", "hw:numa_nodes": "2"}
    )
    status, body = await boot(admin_http, "big", flavor, host="compute-01")
    assert status == 202, body
    assert "compute-01" not in await providers(admin_http, "resources=PCPU:21")


async def test_filters_need_their_microversion_and_known_names(admin_http: Http) -> None:
    for query, version in (
        ("resources=VCPU:1", "1.3"),
        ("required=HW_CPU_X86_AVX2", "1.17"),
        ("member_of=6bd69058-193b-5d55-a0c3-80e78387a6b0", "1.2"),
        ("in_tree=6bd69058-193b-5d55-a0c3-80e78387a6b0", "1.13"),
    ):
        status, body, _ = await admin_http.call(
            "GET", f"/placement/resource_providers?{query}", None, at(version)
        )
        assert status == 400, (query, version)
        assert "Invalid query string parameters" in body["errors"][0]["detail"]
    for query, detail in (
        ("resources=VCPU", "Badly formed resources parameter"),
        ("resources=FOO:1", "No such resource class FOO"),
        ("required=CUSTOM_NOPE", "No such trait(s): CUSTOM_NOPE."),
        ("member_of=nope", "valid UUID"),
    ):
        status, body, _ = await admin_http.call(
            "GET", f"/placement/resource_providers?{query}", None, at("1.39")
        )
        assert (status, detail in body["errors"][0]["detail"]) == (400, True), query
    status, body, _ = await admin_http.call(
        "GET", "/placement/resource_providers?required=!HW_CPU_X86_AVX2", None, at("1.21")
    )
    assert status == 400


async def test_allocation_candidates(sim: Simulator, admin_http: Http) -> None:
    query = "resources=VCPU:1,MEMORY_MB:1024&required=CUSTOM_OVS_DPDK"
    status, body, _ = await admin_http.call(
        "GET", f"/placement/allocation_candidates?{query}", None, at("1.39")
    )
    assert status == 200, body
    compute_04 = sim.cloud.hosts["compute-04"].provider_id
    assert body["allocation_requests"] == [
        {
            "allocations": {compute_04: {"resources": {"VCPU": 1, "MEMORY_MB": 1024}}},
            "mappings": {"": [compute_04]},
        }
    ]
    summary = body["provider_summaries"][compute_04]
    assert summary["resources"]["VCPU"] == {"capacity": 64, "used": 0}
    assert "CUSTOM_OVS_DPDK" in summary["traits"]
    assert summary["root_provider_uuid"] == compute_04
    status, body, _ = await admin_http.call(
        "GET", "/placement/allocation_candidates?resources=PCPU:1&limit=2", None, at("1.11")
    )
    assert status == 200
    assert len(body["allocation_requests"]) == 2
    assert isinstance(body["allocation_requests"][0]["allocations"], list)  # before 1.12
    status, _, _ = await admin_http.call(
        "GET", "/placement/allocation_candidates?resources=VCPU:1", None, at("1.9")
    )
    assert status == 404
    status, body, _ = await admin_http.call(
        "GET", "/placement/allocation_candidates?resources=VCPU:100000", None, at("1.39")
    )
    assert body == {"allocation_requests": [], "provider_summaries": {}}


async def test_classes_traits_and_usages(sim: Simulator, admin_http: Http) -> None:
    status, body, _ = await admin_http.call("GET", "/placement/resource_classes", None, at("1.2"))
    names = [c["name"] for c in body["resource_classes"]]
    assert status == 200
    assert {"VCPU", "PCPU", "MEMORY_MB", "DISK_GB", "SRIOV_NET_VF"} <= set(names)
    status, _, _ = await admin_http.call("GET", "/placement/resource_classes/FOO", None, at("1.2"))
    assert status == 404
    status, body, _ = await admin_http.call("GET", "/placement/traits", None, at("1.6"))
    assert len(body["traits"]) > 300 and "CUSTOM_OVS_DPDK" in body["traits"]
    status, body, _ = await admin_http.call(
        "GET", "/placement/traits?name=startswith:CUSTOM_&associated=true", None, at("1.6")
    )
    assert body["traits"] == ["CUSTOM_OVS_DPDK"]
    status, body, _ = await admin_http.call(
        "GET", "/placement/traits?name=in:HW_CPU_HYPERTHREADING,COMPUTE_NODE", None, at("1.6")
    )
    assert sorted(body["traits"]) == ["COMPUTE_NODE", "HW_CPU_HYPERTHREADING"]
    status, _, _ = await admin_http.call("GET", "/placement/traits", None, at("1.5"))
    assert status == 404

    flavor = named(sim, "flavors", "m1.small")
    await boot(admin_http, "u", flavor)
    project = sim.cloud.project_by_name("admin")
    assert project is not None
    status, body, _ = await admin_http.call(
        "GET", f"/placement/usages?project_id={project.id}", None, at("1.9")
    )
    assert body["usages"] == {"VCPU": 1, "MEMORY_MB": 2048, "DISK_GB": 20}
    status, body, _ = await admin_http.call(
        "GET", f"/placement/usages?project_id={project.id}", None, at("1.38")
    )
    assert body["usages"]["INSTANCE"] == body["usages"]["all"]


async def test_generations_move_with_allocations(sim: Simulator, admin_http: Http) -> None:
    provider = sim.cloud.hosts["compute-05"].provider_id

    async def generation() -> Any:
        _, body, _ = await admin_http.call(
            "GET", f"/placement/resource_providers/{provider}", None, at("1.14")
        )
        _, usages, _ = await admin_http.call(
            "GET", f"/placement/resource_providers/{provider}/usages"
        )
        assert usages["resource_provider_generation"] == body["generation"]
        return body["generation"]

    first = await generation()
    _, body = await boot(admin_http, "g", named(sim, "flavors", "m1.small"), host="compute-05")
    assert await generation() == first + 1
    await admin_http.call("DELETE", f"/compute/v2.1/servers/{body['server']['id']}")
    assert await generation() == first + 2
