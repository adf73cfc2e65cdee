"""What an operator reads of the cloud's make-up through the real openstacksdk:
Keystone's services, endpoints and role assignments, Nova's aggregates, hypervisor
uptime, consoles and key pairs, Neutron's agents and zones, Cinder's zones and types,
and the VLAN an SR-IOV port is bound on."""

from __future__ import annotations

from datetime import datetime

import aiohttp
import openstack
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

from simulators.openstack.simulator import Simulator
from tests.integration.simulators.conftest import (
    Http,
    boot,
    connect,
    in_thread,
    make_port,
    named,
    show,
)


async def test_keystone_catalogue_and_assignments(sim: Simulator, member_http: Http) -> None:
    def work() -> tuple[list[str], list[str], list[tuple[str, str]], list[str]]:
        conn = connect(sim.clouds_yaml_path)
        services = sorted(s.name for s in conn.identity.services())
        compute = next(conn.identity.services(type="compute"))
        urls = [e.url for e in conn.identity.endpoints(service_id=compute.id)]
        admin_user = conn.identity.find_user("admin")
        roles = {r.id: r.name for r in conn.identity.roles()}
        assigned = [
            (roles[a.role["id"]], a.scope["project"]["id"])
            for a in conn.identity.role_assignments(user_id=admin_user.id)
        ]
        effective = sorted(
            roles[a.role["id"]]
            for a in conn.identity.role_assignments(user_id=admin_user.id, effective=True)
        )
        return services, urls, assigned, effective

    services, urls, assigned, effective = await in_thread(work)
    assert services == ["cinder", "cinderv3", "glance", "keystone", "neutron", "nova", "placement"]
    assert urls == [f"{sim.url}/compute/v2.1"] * 3
    admin = sim.cloud.project_by_name("admin")
    assert admin is not None
    assert assigned == [("admin", admin.id)]
    assert effective == ["admin", "member", "reader"]
    for path in (
        "/identity/v3/services",
        "/identity/v3/endpoints",
        "/identity/v3/role_assignments",
    ):
        status, body, _ = await member_http.call("GET", path)
        assert status == 403, path
        assert "not authorized" in body["error"]["message"]


async def test_aggregates_hypervisor_uptime_and_zones(sim: Simulator, member_http: Http) -> None:
    def work() -> tuple[dict[str, list[str]], str | None, str, list[str]]:
        conn = connect(sim.clouds_yaml_path)
        aggregates = {a.name: sorted(a.hosts) for a in conn.compute.aggregates()}
        zone = conn.compute.find_aggregate("az-2").availability_zone
        hypervisor = conn.compute.get_hypervisor(conn.compute.find_hypervisor("compute-01").id)
        zones = sorted(z.name for z in conn.block_storage.availability_zones())
        return aggregates, zone, hypervisor.uptime, zones

    aggregates, zone, uptime, volume_zones = await in_thread(work)
    assert aggregates == {
        "agg-sriov": ["compute-01", "compute-02"],
        "agg-dpdk": ["compute-04"],
        "az-1": ["compute-01", "compute-03"],
        "az-2": ["compute-02", "compute-04", "compute-05"],
    }
    assert zone == "az-2"
    assert " up " in uptime and "load average" in uptime
    assert volume_zones == ["az-1", "az-2"]
    status, _, _ = await member_http.call("GET", "/compute/v2.1/os-aggregates")
    assert status == 403


async def test_console_url_opens_the_servers_console(sim: Simulator, admin_http: Http) -> None:
    _, body = await boot(admin_http, "con", named(sim, "flavors", "m1.small"))
    server_id = body["server"]["id"]

    def work() -> str:
        conn = connect(sim.clouds_yaml_path)
        return str(conn.compute.create_console(server_id, "novnc")["url"])

    url = await in_thread(work)
    async with aiohttp.ClientSession() as http, http.get(url) as response:
        assert response.status == 200
        assert f"Console of con ({server_id})" in await response.text()
    status, body, _ = await admin_http.call(
        "POST",
        f"/compute/v2.1/servers/{server_id}/remote-consoles",
        {"remote_console": {"protocol": "spice", "type": "spice-html5"}},
        {"OpenStack-API-Version": "compute 2.6"},
    )
    assert (status, body["badRequest"]["message"]) == (400, "Unavailable console type spice-html5.")


async def test_keypairs_are_checked_as_nova_checks_them(sim: Simulator) -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(x509.NameOID.COMMON_NAME, "ops")])
    certificate = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(datetime(2026, 1, 1))
        .not_valid_after(datetime(2036, 1, 1))
        .sign(key, hashes.SHA256())
    )
    pem = certificate.public_bytes(serialization.Encoding.PEM).decode()

    def work() -> tuple[str, str, str, str]:
        conn = connect(sim.clouds_yaml_path)
        with pytest.raises(openstack.exceptions.BadRequestException) as broken:
            conn.compute.create_keypair(name="broken", public_key="ssh-rsa AAAAB3Nza not-a-key")
        with pytest.raises(openstack.exceptions.BadRequestException) as unsafe:
            conn.compute.create_keypair(name="bad/name", public_key="ssh-rsa AAAA")
        made = conn.compute.create_keypair(name="made")  # 2.1: Nova makes the key
        cert = conn.compute.create_keypair(name="cert", public_key=pem, type="x509")
        return str(broken.value), str(unsafe.value), made.private_key, cert.fingerprint

    broken, unsafe, private_key, fingerprint = await in_thread(work)
    assert "Keypair data is invalid: failed to generate fingerprint" in broken
    assert "Keypair name contains unsafe characters" in unsafe
    assert private_key.startswith("-----BEGIN RSA PRIVATE KEY-----")
    expected = certificate.fingerprint(hashes.SHA1()).hex()
    assert fingerprint == ":".join(expected[i : i + 2] for i in range(0, len(expected), 2))


async def test_agents_and_network_zones(sim: Simulator, member_http: Http) -> None:
    def work() -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
        conn = connect(sim.clouds_yaml_path)
        agents = sorted((a.agent_type, a.host) for a in conn.network.agents())
        zones = sorted((z.name, z.resource) for z in conn.network.availability_zones())
        return agents, zones

    agents, zones = await in_thread(work)
    assert ("DHCP agent", "controller") in agents
    assert [h for kind, h in agents if kind == "Open vSwitch agent"] == [
        f"compute-0{i}" for i in range(1, 6)
    ]
    assert [h for kind, h in agents if kind == "NIC Switch agent"] == [
        "compute-01",
        "compute-02",
        "compute-03",
    ]
    assert zones == [("nova", "network")]
    status, body, _ = await member_http.call("GET", "/network/v2.0/agents")
    assert (status, body["agents"]) == (200, [])


async def test_an_sriov_port_reports_its_segments_vlan(sim: Simulator, admin_http: Http) -> None:
    port = await make_port(admin_http, sim, "n3-sriov", "direct")
    _, body = await boot(admin_http, "v", named(sim, "flavors", "m1.small"), ports=[port])
    assert (await show(admin_http, body["server"]["id"]))["status"] == "ACTIVE"
    _, shown, _ = await admin_http.call("GET", f"/network/v2.0/ports/{port}")
    assert shown["port"]["binding:vif_type"] == "hw_veb"
    assert shown["port"]["binding:vif_details"]["vlan"] == "300"


async def test_volume_types(sim: Simulator) -> None:
    def work() -> list[str]:
        conn = connect(sim.clouds_yaml_path, "sim-member")
        return [t.name for t in conn.block_storage.types()]

    assert await in_thread(work) == ["__DEFAULT__"]
