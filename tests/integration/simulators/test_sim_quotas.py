"""Quotas through the real openstacksdk: Nova's os-quota-sets and /limits, Neutron's
quotas, Cinder's os-quota-sets and /limits, and each service refusing a create that
would go over them with its own code and message."""

from __future__ import annotations

from typing import Any

import openstack
import pytest

from simulators.openstack.simulator import Simulator
from tests.integration.simulators.conftest import Http, connect, in_thread, named


def _tenant(sim: Simulator) -> str:
    project = sim.cloud.project_by_name("tenant-a")
    assert project is not None
    return project.id


async def test_compute_quotas_read_set_and_enforced(sim: Simulator) -> None:
    tenant = _tenant(sim)

    def work() -> dict[str, Any]:
        admin, member = connect(sim.clouds_yaml_path), connect(sim.clouds_yaml_path, "sim-member")
        defaults = admin.compute.get_quota_set_defaults(tenant)
        admin.compute.update_quota_set(tenant, instances=1, cores=2, key_pairs=1)
        shown = member.compute.get_quota_set(tenant, usage=True)
        flavor, image = named(sim, "flavors", "m1.small"), named(sim, "images", "cirros")
        member.compute.create_server(name="a", flavor_id=flavor, image_id=image, networks="none")
        with pytest.raises(openstack.exceptions.ForbiddenException) as too_many:
            member.compute.create_server(
                name="b", flavor_id=flavor, image_id=image, networks="none"
            )
        member.compute.create_keypair(name="one")
        with pytest.raises(openstack.exceptions.ForbiddenException) as keypairs:
            member.compute.create_keypair(name="two")
        with pytest.raises(openstack.exceptions.ForbiddenException):  # members set no quotas
            member.compute.update_quota_set(tenant, instances=50)
        used = member.compute.get_quota_set(tenant, usage=True).usage
        limits = member.compute.get_limits().absolute
        admin.compute.revert_quota_set(tenant)
        return {
            "defaults": defaults,
            "shown": shown,
            "too_many": str(too_many.value),
            "keypairs": str(keypairs.value),
            "used": used,
            "limits": limits,
            "reverted": admin.compute.get_quota_set(tenant).instances,
        }

    result = await in_thread(work)
    assert (result["defaults"].instances, result["defaults"].cores) == (100, 640)
    assert (result["shown"].instances, result["shown"].cores) == (1, 2)
    assert (
        "Quota exceeded for instances: Requested 1, but already used 1 of 1 instances"
        in (result["too_many"])
    )
    assert "Quota exceeded, too many key pairs." in result["keypairs"]
    assert (result["used"]["instances"], result["used"]["cores"]) == (1, 1)
    assert (result["limits"].instances, result["limits"].instances_used) == (1, 1)
    assert result["reverted"] == 100


async def test_compute_quota_errors_as_nova_words_them(sim: Simulator, admin_http: Http) -> None:
    tenant = _tenant(sim)
    url = f"/compute/v2.1/os-quota-sets/{tenant}"
    status, body, _ = await admin_http.call("PUT", url, {"quota_set": {"cores": -2}})
    assert status == 400
    status, body, _ = await admin_http.call("PUT", url, {"quota_set": {"bogus": 1}})
    assert (status, "bogus" in body["badRequest"]["message"]) == (400, True)
    status, body, _ = await admin_http.call(
        "GET", f"{url}/detail", headers={"OpenStack-API-Version": "compute 2.35"}
    )
    assert status == 200
    assert body["quota_set"]["floating_ips"] == {"limit": 10, "in_use": 0, "reserved": 0}
    status, body, _ = await admin_http.call(
        "GET", url, headers={"OpenStack-API-Version": "compute 2.57"}
    )
    assert "floating_ips" not in body["quota_set"] and "injected_files" not in body["quota_set"]


async def test_cores_and_ram_together_and_ports_nova_makes(
    sim: Simulator, admin_http: Http, member_http: Http
) -> None:
    tenant = _tenant(sim)
    await admin_http.call(
        "PUT", f"/compute/v2.1/os-quota-sets/{tenant}", {"quota_set": {"cores": 1, "ram": 1024}}
    )
    server = {
        "name": "big",
        "flavorRef": named(sim, "flavors", "m1.medium"),
        "imageRef": named(sim, "images", "cirros"),
        "networks": [{"uuid": named(sim, "networks", "mgmt")}],
    }
    status, body, _ = await member_http.call("POST", "/compute/v2.1/servers", {"server": server})
    assert (status, body["forbidden"]["message"]) == (
        403,
        "Quota exceeded for cores, ram: Requested 2, 4096, but already used 0, 0 of 1, 1024 "
        "cores, ram",
    )
    await admin_http.call("DELETE", f"/compute/v2.1/os-quota-sets/{tenant}")
    await admin_http.call("PUT", f"/network/v2.0/quotas/{tenant}", {"quota": {"port": 0}})
    status, body, _ = await member_http.call("POST", "/compute/v2.1/servers", {"server": server})
    assert (status, body["forbidden"]["message"]) == (403, "Maximum number of ports exceeded")
    assert not [p for p in sim.cloud.ports.values() if p.project_id == tenant]


async def test_network_quotas(sim: Simulator, member_http: Http) -> None:
    tenant = _tenant(sim)

    def work() -> tuple[Any, Any, str]:
        admin, member = connect(sim.clouds_yaml_path), connect(sim.clouds_yaml_path, "sim-member")
        admin.network.update_quota(tenant, networks=1, ports=5)
        shown = member.network.get_quota(tenant, details=True)
        member.network.create_network(name="own")
        with pytest.raises(openstack.exceptions.ConflictException) as over:
            member.network.create_network(name="second")
        defaults = member.network.get_quota_default(tenant)
        return shown, defaults, str(over.value)

    shown, defaults, over = await in_thread(work)
    assert shown.networks == {"limit": 1, "used": 0, "reserved": 0}
    assert defaults.networks == 100
    assert "Quota exceeded for resources: ['network']." in over
    status, _, _ = await member_http.call("GET", "/network/v2.0/quotas")
    assert status == 403
    status, _, _ = await member_http.call(
        "PUT", f"/network/v2.0/quotas/{tenant}", {"quota": {"network": 10}}
    )
    assert status == 403


async def test_network_quota_below_usage_needs_force(sim: Simulator, admin_http: Http) -> None:
    admin = sim.cloud.project_by_name("admin")
    assert admin is not None
    url = f"/network/v2.0/quotas/{admin.id}"
    status, body, _ = await admin_http.call(
        "PUT", url, {"quota": {"network": 1, "check_limit": True}}
    )
    assert status == 400
    assert body["NeutronError"]["type"] == "InvalidQuotaValue"
    status, body, _ = await admin_http.call("PUT", url, {"quota": {"network": 1}})
    assert (status, body["quota"]["network"]) == (200, 1)


async def test_volume_quotas_and_limits(sim: Simulator) -> None:
    tenant = _tenant(sim)

    def work() -> tuple[Any, Any, str, str]:
        admin, member = connect(sim.clouds_yaml_path), connect(sim.clouds_yaml_path, "sim-member")
        admin.block_storage.update_quota_set(tenant, volumes=2, gigabytes=10)
        member.block_storage.create_volume(size=6, name="first")
        with pytest.raises(openstack.exceptions.HttpException) as size:
            member.block_storage.create_volume(size=6, name="too-big")
        member.block_storage.create_volume(size=1, name="second")
        with pytest.raises(openstack.exceptions.HttpException) as count:
            member.block_storage.create_volume(size=1, name="third")
        shown = member.block_storage.get_quota_set(tenant, usage=True)
        limits = member.block_storage.get_limits()
        return shown, limits, str(size.value), str(count.value)

    shown, limits, size, count = await in_thread(work)
    assert (shown.volumes, shown.usage["volumes"], shown.usage["gigabytes"]) == (2, 2, 7)
    assert limits.absolute.max_total_volume_gigabytes == 10
    assert limits.absolute.total_gigabytes_used == 7
    assert "413" in size and "quota is 10G and 6G has been consumed" in size
    assert "Maximum number of volumes allowed (2) exceeded for quota 'volumes'." in count
