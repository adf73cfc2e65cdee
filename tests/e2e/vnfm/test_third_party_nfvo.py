"""Someone else's NFVO drives the VNF manager with nothing but HTTP and SOL003 JSON.

The NFVO here is plain aiohttp and dictionaries (no code of this project): it serves one
onboarded package (the shipped NRF's files, zipped), answers grants with a zone and the
VIM's ``vimConnectionInfo`` (so the manager learns the cloud from the grant alone), and
receives notifications at its callback. The manager runs as ``nfvo vnfm serve`` in its
own process; the cloud is the simulator.
"""

from __future__ import annotations

import asyncio
import hashlib
import io
import sys
import uuid
import zipfile
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import yaml
from aiohttp import web

from nfvo.store.embedded import free_port as another_port
from simulators.openstack.config import SimConfig
from simulators.openstack.inventory import INVENTORY_DIR
from simulators.openstack.simulator import Simulator
from tests.support.processes import ManagedProcess

REPO = Path(__file__).resolve().parents[3]
NRF = REPO / "descriptors/packages/nrf"
VNFD_ID = "fa3b7012-dd21-5773-816d-e610f089e8ec"
LCM = {"Version": "2.3.0", "Accept": "application/json"}
DAY1 = {"nrf_address": "192.0.2.9", "mcc": "001", "mnc": "01", "sst": 1, "sd": "000001"}


def zipped(source: Path) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for path in sorted(source.rglob("*")):
            if path.is_file():
                archive.write(path, path.relative_to(source).as_posix())
    return buffer.getvalue()


class ThirdPartyNfvo:
    """Package management (one package), granting and a notification callback."""

    def __init__(self, cloud: dict[str, Any]) -> None:
        self.package = zipped(NRF)
        self.cloud = cloud
        self.grants: list[dict[str, Any]] = []
        self.notifications: list[dict[str, Any]] = []
        self.arrived = asyncio.Event()
        self.url = ""

    async def results(self, count: int) -> None:
        """Until ``count`` RESULT notifications have arrived."""
        while len([n for n in self.notifications if n["notificationStatus"] == "RESULT"]) < count:
            self.arrived.clear()
            await self.arrived.wait()

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_get("/vnfpkgm/v2/onboarded_vnf_packages/{vnfdId}", self.package_info)
        app.router.add_get(
            "/vnfpkgm/v2/onboarded_vnf_packages/{vnfdId}/package_content", self.content
        )
        app.router.add_post("/grant/v1/grants", self.grant)
        app.router.add_get("/callback", self.callback_test)
        app.router.add_post("/callback", self.callback)
        return app

    async def package_info(self, request: web.Request) -> web.Response:
        if request.match_info["vnfdId"] != VNFD_ID:
            return web.json_response({"status": 404, "detail": "no such package"}, status=404)
        digest = hashlib.sha256(self.package).hexdigest()
        return web.json_response({
            "id": "pkg-1", "vnfdId": VNFD_ID, "onboardingState": "ONBOARDED",
            "operationalState": "ENABLED", "usageState": "NOT_IN_USE",
            "checksum": {"algorithm": "SHA-256", "hash": digest},
            "_links": {"self": {"href": "/vnfpkgm/v2/vnf_packages/pkg-1"}},
        })  # fmt: skip

    async def content(self, request: web.Request) -> web.Response:
        return web.Response(body=self.package, content_type="application/zip")

    async def grant(self, request: web.Request) -> web.Response:
        body = await request.json()
        self.grants.append(body)
        auth = self.cloud["auth"]
        grant = {
            "id": str(uuid.uuid4()),
            "vnfInstanceId": body["vnfInstanceId"],
            "vnfLcmOpOccId": body["vnfLcmOpOccId"],
            "vimConnectionInfo": {
                "site-a": {
                    "vimId": "site-a",
                    "vimType": "ETSINFV.OPENSTACK_KEYSTONE.V_3",
                    "interfaceInfo": {"endpoint": auth["auth_url"]},
                    "accessInfo": {
                        "username": auth["username"], "password": auth["password"],
                        "project": auth["project_name"],
                        "projectDomain": auth.get("project_domain_name", "Default"),
                        "userDomain": auth.get("user_domain_name", "Default"),
                        "region": self.cloud.get("region_name", "RegionOne"),
                    },
                    "extra": {"admin": True},
                }
            },
            "zones": [{"id": "z1", "zoneId": "az-2", "vimConnectionId": "site-a"}],
            "addResources": [
                {"resourceDefinitionId": r["id"], "zoneId": "z1", "vimConnectionId": "site-a"}
                for r in body.get("addResources", [])
                if r["type"] == "COMPUTE"
            ],
            "_links": {
                "self": {"href": f"{self.url}/grant/v1/grants/g"},
                "vnfLcmOpOcc": body["_links"]["vnfLcmOpOcc"],
                "vnfInstance": body["_links"]["vnfInstance"],
            },
        }  # fmt: skip
        return web.json_response(grant, status=201)

    async def callback_test(self, request: web.Request) -> web.Response:
        return web.Response(status=204)

    async def callback(self, request: web.Request) -> web.Response:
        self.notifications.append(await request.json())
        self.arrived.set()
        return web.Response(status=204)


@pytest.fixture
async def world(
    redis_url: str, tmp_path: Path, process_factory: type[ManagedProcess]
) -> AsyncIterator[tuple[ThirdPartyNfvo, str, Simulator]]:
    async with Simulator(INVENTORY_DIR / "lab.yaml", config=SimConfig(time_scale=0)) as sim:
        cloud = yaml.safe_load(sim.clouds_yaml_path.read_text())["clouds"]["sim"]
        nfvo = ThirdPartyNfvo(cloud)
        runner = web.AppRunner(nfvo.app(), access_log=None)
        await runner.setup()
        port = another_port()
        await web.TCPSite(runner, "127.0.0.1", port).start()
        nfvo.url = f"http://127.0.0.1:{port}"
        manager_port = another_port()
        env = {
            "NFVO_REDIS_URL": redis_url,
            "NFVO_KEY_PREFIX": f"test-{uuid.uuid4().hex[:12]}",
            "NFVO_DATA_DIR": str(tmp_path / "vnfm"),
            "NFVO_VNFM_NFVO_URL": nfvo.url,
            "NFVO_LOG_LEVEL": "WARNING",
            "NFVO_CALLBACK_ALLOWED_NETWORKS": '["127.0.0.0/8"]',  # this NFVO is on loopback
        }
        argv = [sys.executable, "-c", "from nfvo.cli.main import main; main()", "vnfm", "serve",
                "--no-auth", "--port", str(manager_port)]  # fmt: skip
        manager = process_factory(argv, env=env, cwd=REPO, ready_timeout=90)
        manager.ready = lambda: (
            manager.log_path is not None
            and b"READY " in (manager.log_path.read_bytes() if manager.log_path.exists() else b"")
        )
        await asyncio.to_thread(manager.start)
        try:
            yield nfvo, f"http://127.0.0.1:{manager_port}/vnflcm/v2", sim
        finally:
            await runner.cleanup()


async def settle(http: aiohttp.ClientSession, location: str) -> dict[str, Any]:
    async with asyncio.timeout(90):
        while True:
            async with http.get(location, headers=LCM) as response:
                body: dict[str, Any] = await response.json()
            if body["operationState"] not in ("STARTING", "PROCESSING"):
                return body
            await asyncio.sleep(0.1)


async def test_a_third_party_nfvo_drives_the_manager_over_sol003(
    world: tuple[ThirdPartyNfvo, str, Simulator],
) -> None:
    nfvo, lcm, sim = world
    root = lcm.removesuffix("/vnflcm/v2")
    async with aiohttp.ClientSession() as http:
        wanted = {"notificationTypes": ["VnfLcmOperationOccurrenceNotification"]}
        subscribe = {"callbackUri": f"{nfvo.url}/callback", "filter": wanted}
        async with http.post(f"{lcm}/subscriptions", json=subscribe, headers=LCM) as response:
            assert response.status == 201, await response.text()
        async with http.post(f"{lcm}/vnf_instances", json={"vnfdId": VNFD_ID}, headers=LCM) as r:
            assert r.status == 201, await r.text()
            instance = await r.json()
        instantiate = {
            "flavourId": "default",
            "extVirtualLinks": [{"id": "sbi", "resourceId": "mgmt",
                                 "extCps": [{"cpdId": "virtual_link_sbi"}]}],
            "additionalParams": DAY1,
        }  # fmt: skip
        href = f"{lcm}/vnf_instances/{instance['id']}"
        async with http.post(f"{href}/instantiate", json=instantiate, headers=LCM) as response:
            assert response.status == 202, await response.text()
            location = root + response.headers["Location"]
        occurrence = await settle(http, location)
        assert occurrence["operationState"] == "COMPLETED", occurrence.get("error")
        assert nfvo.grants[0]["operation"] == "INSTANTIATE"
        async with http.get(href, headers=LCM) as response:
            shown = await response.json()
        [vnfc] = shown["instantiatedVnfInfo"]["vnfcResourceInfo"]
        assert vnfc["zoneId"] == "az-2"
        assert vnfc["computeResource"]["vimConnectionId"] == "site-a"
        terminate = {"terminationType": "FORCEFUL"}
        async with http.post(f"{href}/terminate", json=terminate, headers=LCM) as response:
            assert response.status == 202
            location = root + response.headers["Location"]
        assert (await settle(http, location))["operationState"] == "COMPLETED"
        async with asyncio.timeout(20):
            await nfvo.results(2)
        states = [n["operationState"] for n in nfvo.notifications]
        assert states[:3] == ["STARTING", "PROCESSING", "COMPLETED"], states
        async with http.get(f"{sim.url}/_sim/hosts") as response:
            hosts = (await response.json())["hosts"]
        assert [server for host in hosts for server in host["servers"]] == []
