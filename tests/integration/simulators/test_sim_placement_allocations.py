"""Placement allocations written by consumers other than servers: PUT and DELETE
/allocations/{consumer_uuid} with Placement's bodies, codes and error bodies, counted
in the provider's usages and honoured by the scheduler."""

from __future__ import annotations

import uuid
from typing import Any

from simulators.openstack.simulator import Simulator
from tests.integration.simulators.conftest import Http, boot, make_flavor, show
from tests.integration.simulators.test_sim_scheduling import NO_VALID_HOST

LATEST = {"OpenStack-API-Version": "placement 1.39"}


def version(text: str) -> dict[str, str]:
    return {"OpenStack-API-Version": f"placement {text}"}


def body(provider: str, resources: dict[str, int], generation: int | None = None) -> dict[str, Any]:
    return {
        "allocations": {provider: {"resources": resources}},
        "project_id": uuid.uuid4().hex,
        "user_id": uuid.uuid4().hex,
        "consumer_generation": generation,
        "consumer_type": "INSTANCE",
    }


async def usages(http: Http, provider: str) -> dict[str, int]:
    status, data, _ = await http.call("GET", f"/placement/resource_providers/{provider}/usages")
    assert status == 200, data
    result: dict[str, int] = data["usages"]
    return result


async def test_an_allocation_is_counted_and_the_scheduler_honours_it(
    sim: Simulator, admin_http: Http
) -> None:
    provider = sim.cloud.hosts["compute-01"].provider_id
    consumer = str(uuid.uuid4())
    wanted = {"PCPU": 48, "VCPU": 3, "MEMORY_MB": 4096, "DISK_GB": 10}
    status, data, headers = await admin_http.call(
        "PUT", f"/placement/allocations/{consumer}", body(provider, wanted), LATEST
    )
    assert status == 204, data
    assert headers["OpenStack-API-Version"] == "placement 1.39"
    assert await usages(admin_http, provider) == wanted
    _, shown, _ = await admin_http.call("GET", f"/placement/allocations/{consumer}", None, LATEST)
    assert shown["allocations"][provider]["resources"] == wanted
    assert shown["consumer_generation"] == 1
    _, listed, _ = await admin_http.call(
        "GET", f"/placement/resource_providers/{provider}/allocations"
    )
    assert listed["allocations"][consumer]["resources"] == wanted

    # Every PCPU of compute-01 is held: a pinned guest forced there finds no host.
    flavor = await make_flavor(admin_http, "pin", 2, 2048, {"hw:cpu_policy": "dedicated"})
    _, booted = await boot(admin_http, "p", flavor, host="compute-01")
    server = await show(admin_http, booted["server"]["id"])
    assert server["status"] == "ERROR" and server["fault"]["message"] == NO_VALID_HOST

    status, _, _ = await admin_http.call("DELETE", f"/placement/allocations/{consumer}")
    assert status == 204
    assert await usages(admin_http, provider) == dict.fromkeys(wanted, 0)
    status, data, _ = await admin_http.call("DELETE", f"/placement/allocations/{consumer}")
    assert status == 404
    assert data["errors"][0]["detail"] == f"No allocations for consumer '{consumer}'"
    _, booted = await boot(admin_http, "p2", flavor, host="compute-01")
    assert (await show(admin_http, booted["server"]["id"]))["status"] == "ACTIVE"


async def test_consumer_generations_guard_replacement(sim: Simulator, admin_http: Http) -> None:
    provider = sim.cloud.hosts["compute-02"].provider_id
    path = f"/placement/allocations/{uuid.uuid4()}"
    assert (await admin_http.call("PUT", path, body(provider, {"VCPU": 2}), LATEST))[0] == 204
    status, data, _ = await admin_http.call("PUT", path, body(provider, {"VCPU": 4}), LATEST)
    assert status == 409
    assert data["errors"][0]["code"] == "placement.concurrent_update"
    assert "expected 1 but got None" in data["errors"][0]["detail"]
    status, _, _ = await admin_http.call("PUT", path, body(provider, {"VCPU": 4}, 1), LATEST)
    assert status == 204
    assert (await usages(admin_http, provider))["VCPU"] == 4
    # An empty allocations object (1.28+) removes the consumer's allocations.
    empty = {**body(provider, {}, 2), "allocations": {}}
    assert (await admin_http.call("PUT", path, empty, LATEST))[0] == 204
    assert (await usages(admin_http, provider))["VCPU"] == 0


async def test_refusals_say_why(sim: Simulator, admin_http: Http, member_http: Http) -> None:
    provider = sim.cloud.hosts["compute-03"].provider_id
    path = f"/placement/allocations/{uuid.uuid4()}"

    async def refusal(payload: Any, headers: dict[str, str] = LATEST) -> tuple[int, str]:
        status, data, _ = await admin_http.call("PUT", path, payload, headers)
        return status, data["errors"][0]["detail"]

    status, detail = await refusal(body(provider, {"PCPU": 10_000}))
    assert status == 409
    assert detail.endswith("The requested amount would violate inventory constraints.")
    status, detail = await refusal(body(provider, {"CUSTOM_GOLD": 1}))
    assert status == 409 and "Inventory for 'CUSTOM_GOLD'" in detail
    missing = str(uuid.uuid4())
    status, detail = await refusal(body(missing, {"VCPU": 1}))
    assert (status, detail) == (
        400,
        f"Allocation for resource provider '{missing}' that does not exist.",
    )
    no_type = {k: v for k, v in body(provider, {"VCPU": 1}).items() if k != "consumer_type"}
    assert await refusal(no_type) == (
        400,
        "JSON does not validate: 'consumer_type' is a required property",
    )
    status, _, _ = await admin_http.call(
        "PUT", "/placement/allocations/not-a-uuid", body(provider, {"VCPU": 1}), LATEST
    )
    assert status == 400
    status, data, _ = await member_http.call("PUT", path, body(provider, {"VCPU": 1}), LATEST)
    assert status == 403 and data["errors"][0]["status"] == 403

    # Filling the capacity exactly is allowed; one more is refused.
    _, inventories, _ = await admin_http.call(
        "GET", f"/placement/resource_providers/{provider}/inventories"
    )
    vcpu = inventories["inventories"]["VCPU"]
    free = int((vcpu["total"] - vcpu["reserved"]) * vcpu["allocation_ratio"])
    for start in range(0, free, vcpu["max_unit"]):
        step = min(vcpu["max_unit"], free - start)
        consumer = f"/placement/allocations/{uuid.uuid4()}"
        status, data, _ = await admin_http.call(
            "PUT", consumer, body(provider, {"VCPU": step}), LATEST
        )
        assert status == 204, data
    status, detail = await refusal(body(provider, {"VCPU": 1}))
    assert status == 409 and detail.endswith("The requested amount would exceed the capacity.")


async def test_list_format_before_1_12(sim: Simulator, admin_http: Http) -> None:
    provider = sim.cloud.hosts["compute-04"].provider_id
    payload = {
        "allocations": [{"resource_provider": {"uuid": provider}, "resources": {"DISK_GB": 5}}],
    }
    path = f"/placement/allocations/{uuid.uuid4()}"
    assert (await admin_http.call("PUT", path, payload, version("1.0")))[0] == 204
    assert (await usages(admin_http, provider))["DISK_GB"] == 5
    status, data, _ = await admin_http.call("PUT", path, payload, version("1.8"))
    assert status == 400
    assert data["errors"][0]["detail"].endswith("'project_id' is a required property")


async def test_nova_keeps_its_servers_allocations(sim: Simulator, admin_http: Http) -> None:
    flavor = await make_flavor(admin_http, "small", 1, 512)
    _, booted = await boot(admin_http, "s", flavor, host="compute-05")
    server_id = booted["server"]["id"]
    provider = sim.cloud.hosts["compute-05"].provider_id
    status, _, _ = await admin_http.call(
        "PUT", f"/placement/allocations/{server_id}", body(provider, {"VCPU": 1}, 1), LATEST
    )
    assert status == 409
