"""``nfvo serve`` SIGKILLed at random points of instantiate, scale and terminate.

The NFVO runs as a real process; the simulated cloud and a third-party VNFM run in the
test (they survive the kills, as a cloud and a VNFM would). After each restart every
operation ends COMPLETED, or FAILED_TEMP and then COMPLETED on retry; the cloud never
holds a duplicate or orphan server, port or network, no reservation is left held, and
terminate leaves nothing of the NS behind.
"""

from __future__ import annotations

import asyncio
import json
import random
from collections import Counter
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import redis.asyncio as aioredis
from cryptography.fernet import Fernet

from descriptors.stored import StoredVnfd
from nfvo.catalog.records import Kind
from nfvo.catalog.store import CatalogStore
from nfvo.cli.catalog_client import Access, onboard_shipped
from nfvo.lcm.vnfms import VnfmRecord, VnfmRegistry
from nfvo.placement.reservations import Reservations, ReservationState
from nfvo.store.blobs import LocalBlobStore
from nfvo.store.keys import Keyspace
from nfvo.store.secrets import SecretBox
from nfvo.vim.facade import Vim
from nfvo.vim.registry import VimRegistry
from simulators.openstack.simulator import Simulator
from tests.integration.catalog.conftest import SHIPPED
from tests.integration.lcm.conftest import lab_vim
from tests.integration.lcm.fivegc import CLIENTS, NSD_ID, VNF_NAMES, VNFM_CLIENT, spec_of
from tests.support.processes import ManagedProcess, port_open, python_argv
from tests.support.vnfm import MiniVnfm

pytestmark = pytest.mark.timeout(1200)
REPO_ROOT = Path(__file__).resolve().parents[3]
NSLCM = {"Version": "2.3.0"}
ADMIN = ("admin", "admin-s3cret-loquat")


class Cluster:
    """The served NFVO process, what it drives, and a client of its API."""

    def __init__(self, process: ManagedProcess, url: str, vim: Vim, vnfm: MiniVnfm) -> None:
        self.process, self.url, self.vim, self.vnfm = process, url, vim, vnfm
        self.http = aiohttp.ClientSession()
        self.token = ""
        self.kills = 0

    async def login(self) -> None:
        form = {
            "grant_type": "client_credentials",
            "client_id": ADMIN[0],
            "client_secret": ADMIN[1],
        }
        async with self.http.post(f"{self.url}/oauth2/token", data=form) as response:
            self.token = (await response.json())["access_token"]

    async def call(self, method: str, path: str, body: Any = None) -> tuple[int, Any, str]:
        headers = {**NSLCM, "Authorization": f"Bearer {self.token}"}
        for _ in range(100):  # the server may be down for a moment: a client tries again
            try:
                async with self.http.request(
                    method, f"{self.url}{path}", json=body, headers=headers
                ) as response:
                    payload = await response.json() if response.content_length else None
                    return response.status, payload, response.headers.get("Location", "")
            except aiohttp.ClientError:
                await asyncio.sleep(0.2)
        raise AssertionError(f"{method} {path}: the NFVO never answered")

    async def crash_during(self, location: str) -> None:
        """SIGKILL the NFVO at a random moment of the operation, then start it again."""
        await asyncio.sleep(random.uniform(0.05, 1.5))
        self.process.kill()
        self.kills += 1
        await asyncio.to_thread(self.process.start)
        await self.login()

    async def finish(self, location: str) -> dict[str, Any]:
        """The occurrence once it ends; FAILED_TEMP is retried until it completes."""
        async with asyncio.timeout(300):
            while True:
                status, occurrence, _ = await self.call("GET", location)
                assert status == 200, occurrence
                state = occurrence["operationState"]
                if state == "FAILED_TEMP":
                    retried, body, _ = await self.call("POST", f"{location}/retry")
                    assert retried in (202, 409), body
                elif state not in ("PROCESSING", "ROLLING_BACK"):
                    return dict(occurrence)
                await asyncio.sleep(0.2)

    async def close(self) -> None:
        await self.http.close()


async def cloud_is_clean(vim: Vim, servers_expected: int) -> None:
    """No duplicate server, no port without its server (SAP ports stand alone)."""
    servers = (
        await vim.compute.request("GET", "/servers/detail", "list", params={"all_tenants": "1"})
    )["servers"]
    names = Counter(s["name"] for s in servers)
    assert all(n == 1 for n in names.values()), names
    assert len(servers) == servers_expected, [s["name"] for s in servers]
    alive = {s["id"] for s in servers}
    ports = (await vim.network.request("GET", "/ports", "list"))["ports"]
    for port in ports:
        tags = port.get("tags") or []
        if any(t.startswith("nfvo-vnf:") for t in tags) and not any(
            t.startswith("nfvo-ns:") for t in tags
        ):
            assert port["device_id"] in alive, f"orphan port {port['name']}"


@pytest.fixture
async def cluster(
    lab: Simulator,
    redis: aioredis.Redis,
    redis_url: str,
    keyspace: Keyspace,
    tmp_path: Path,
    free_port: int,
    process_factory: type[ManagedProcess],
) -> AsyncIterator[Cluster]:
    secret = Fernet.generate_key()
    url = f"http://127.0.0.1:{free_port}"
    env = {
        "NFVO_REDIS_URL": redis_url,
        "NFVO_KEY_PREFIX": keyspace.prefix,
        "NFVO_DATA_DIR": str(tmp_path / "data"),
        "NFVO_SECRET_KEY": secret.decode(),
        "NFVO_NFVO_URL": url,
        "NFVO_ADMIN_PASSWORD": ADMIN[1],
        "NFVO_AUTH_CLIENTS": json.dumps(CLIENTS),
    }
    argv = python_argv(
        "-c", "from nfvo.cli.main import main; main()", "serve", "--port", str(free_port)
    )
    process = process_factory(
        argv, env=env, cwd=REPO_ROOT, ready=port_open(free_port), ready_timeout=60
    )
    box = SecretBox(secret)
    vims = VimRegistry(redis, keyspace, box)
    await vims.add(lab_vim(lab, keyspace))
    await asyncio.to_thread(process.start)
    await onboard_shipped(url, SHIPPED, Access(client=ADMIN))
    store = CatalogStore(redis, keyspace, LocalBlobStore(tmp_path / "unused"))
    specs = []
    for name in VNF_NAMES:
        (package,) = await store.where(Kind.VNF_PACKAGE, "vnfProductName", f"nfvo-5gc-{name}")
        stored = await store.descriptor(package.id)
        assert isinstance(stored, StoredVnfd)
        specs.append(spec_of(stored))
    vnfm = MiniVnfm(specs, url, VNFM_CLIENT)
    runner = await vnfm.serve()
    vnfms = VnfmRegistry(redis, keyspace, box)
    # The default VNFM: `nfvo serve` registers its own VNF manager, default only if none is.
    mini = VnfmRecord("mini", vnfm.url, vnfm.client[0], vnfm.client[1], is_default=True)
    await vnfms.add(mini)
    ready = Cluster(process, url, await vims.open_vim("lab"), vnfm)
    await ready.login()
    try:
        yield ready
    finally:
        await ready.close()
        await vnfm.close()
        await runner.cleanup()
        await vims.close()


async def crash_round(cluster: Cluster, reservations: Reservations) -> None:
    status, ns, _ = await cluster.call(
        "POST",
        "/nslcm/v2/ns_instances",
        {"nsdId": NSD_ID, "nsName": "crashed", "nsDescription": ""},
    )
    assert status == 201, ns
    operations = [
        ("instantiate", {"nsFlavourId": "default"}, 9),
        (
            "scale",
            {
                "scaleType": "SCALE_NS",
                "scaleNsData": {
                    "scaleNsByStepsData": {
                        "scalingDirection": "SCALE_OUT",
                        "aspectId": "user_plane",
                    }
                },
            },
            10,
        ),
        ("terminate", {}, 0),
    ]
    for task, body, servers in operations:
        status, problem, location = await cluster.call(
            "POST", f"/nslcm/v2/ns_instances/{ns['id']}/{task}", body
        )
        assert status == 202, problem
        await cluster.crash_during(location)
        done = await cluster.finish(location)
        assert done["operationState"] == "COMPLETED", done
        await cloud_is_clean(cluster.vim, servers)
    held = await reservations.active((ReservationState.HELD,))
    assert held == []
    status, _, _ = await cluster.call("DELETE", f"/nslcm/v2/ns_instances/{ns['id']}")
    assert status == 204


@pytest.mark.parametrize("rounds", [pytest.param(5), pytest.param(20, marks=pytest.mark.deep)])
async def test_kills_at_random_points_leave_every_operation_completed_and_the_cloud_clean(
    cluster: Cluster, redis: aioredis.Redis, keyspace: Keyspace, rounds: int
) -> None:
    networks = {
        n["id"] for n in (await cluster.vim.network.request("GET", "/networks", "list"))["networks"]
    }
    reservations = Reservations(redis, keyspace, site="lab")
    for _ in range(rounds):
        await crash_round(cluster, reservations)
    after = {
        n["id"] for n in (await cluster.vim.network.request("GET", "/networks", "list"))["networks"]
    }
    assert after == networks  # every network made for an NS is gone with it
    assert cluster.kills == 3 * rounds
