"""The VNF manager on the simulated OpenStack, driven over HTTP.

One served root, as ``nfvo serve`` composes it: the NFVO's catalogue (the shipped
packages onboarded by its real workers), a Grant API deciding with the real placement
engine (``tests.support.grant_server``, until the NFVO's own lands) and the VNF
manager's ``/vnflcm/v2`` on its own runtime (its keyspace, workers, VIM registry with
the simulator registered as admin and its notifications bridged).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import redis.asyncio as aioredis
import yaml
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from descriptors.build import build_package
from nfvo.api.app import build_app
from nfvo.config import load_settings
from nfvo.placement.reservations import Placer, Reservations
from nfvo.platform import Background
from nfvo.runtime import compose as compose_nfvo
from nfvo.sol.callbacks import basic_header
from nfvo.store.keys import Keyspace
from nfvo.vim.facade import Vim
from nfvo.vim.infrastructure import build_graph
from nfvo.vim.inventory import load_inventory
from nfvo.vim.registry import VimRecord
from nfvo.vim.session import RetryPolicy, VimSpec
from simulators.openstack.config import SimConfig
from simulators.openstack.inventory import INVENTORY_DIR
from simulators.openstack.simulator import Simulator
from tests.support.grant_server import GrantServer
from vnfm.runtime import VnfmRuntime, api_app, running
from vnfm.runtime import compose as compose_vnfm

REPO = Path(__file__).resolve().parents[3]
LAB = INVENTORY_DIR / "lab.yaml"
LCM = {"Version": "2.3.0"}
PKGM = {"Version": "2.4.0"}
FAST = RetryPolicy(attempts=6, base_delay=0.01, max_delay=0.05)
Client = TestClient[web.Request, web.Application]


@dataclass
class Stack:
    sim: Simulator
    client: Client
    grants: GrantServer
    vnfm: VnfmRuntime
    vim: Vim  # the simulator as admin, to look at what the VNFM made
    vnfds: dict[str, str]  # NF name -> vnfdId
    headers: dict[str, str] = field(default_factory=dict)  # Authorization, when on

    async def lcm(self, method: str, path: str, **kwargs: Any) -> tuple[int, Any, Any]:
        headers = {**LCM, **self.headers}
        response = await self.client.request(method, f"/vnflcm/v2{path}", headers=headers, **kwargs)
        body = await response.json() if response.content_type.endswith("json") else None
        return response.status, body, response.headers

    async def create(self, nf: str, **fields: Any) -> dict[str, Any]:
        status, body, _ = await self.lcm(
            "POST", "/vnf_instances", json={"vnfdId": self.vnfds[nf], **fields}
        )
        assert status == 201, body
        return dict(body)

    async def wait(self, location: str, within: float = 90.0) -> dict[str, Any]:
        """Poll the occurrence until it leaves STARTING/PROCESSING/ROLLING_BACK."""
        async with asyncio.timeout(within):
            while True:
                response = await self.client.get(location, headers={**LCM, **self.headers})
                body: dict[str, Any] = await response.json()
                if body["operationState"] not in ("STARTING", "PROCESSING", "ROLLING_BACK"):
                    return body
                await asyncio.sleep(0.05)

    async def task(self, instance_id: str, task: str, body: dict[str, Any]) -> str:
        status, problem, headers = await self.lcm(
            "POST", f"/vnf_instances/{instance_id}/{task}", json=body
        )
        assert status == 202, problem
        return str(headers["Location"])


def ext_links(nf_cps: dict[str, str], networks: dict[str, str]) -> list[dict[str, Any]]:
    """``extVirtualLinks`` attaching each external CP to the lab network named."""
    by_network: dict[str, list[str]] = {}
    for cpd, network in nf_cps.items():
        by_network.setdefault(network, []).append(cpd)
    return [
        {"id": f"ext-{name}", "resourceId": networks[name],
         "extCps": [{"cpdId": cpd} for cpd in cpds]}
        for name, cpds in by_network.items()
    ]  # fmt: skip


@pytest.fixture(scope="session")
def csars(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("vnfm-csars")
    return {nf: build_package(REPO / "descriptors/packages" / nf, out) for nf in ("nrf", "upf")}


async def onboard(client: Client, csar: Path, headers: dict[str, str] | None = None) -> str:
    auth = headers or {}
    created = await client.post("/vnfpkgm/v2/vnf_packages", json={}, headers={**PKGM, **auth})
    href = (await created.json())["_links"]["self"]["href"]
    uploaded = await client.put(
        f"{href}/package_content",
        data=csar.read_bytes(),
        headers={**PKGM, **auth, "Content-Type": "application/zip"},
    )
    assert uploaded.status == 202
    async with asyncio.timeout(60):
        while True:
            body = await (await client.get(href, headers={**PKGM, **auth})).json()
            if body["onboardingState"] == "ONBOARDED":
                return str(body["vnfdId"])
            assert body["onboardingState"] != "ERROR", body
            await asyncio.sleep(0.05)


StackFactory = Callable[..., Awaitable[Stack]]


@pytest.fixture
async def make_stack(
    redis: aioredis.Redis,
    redis_url: str,
    keyspace: Keyspace,
    tmp_path: Path,
    free_port: int,
    csars: dict[str, Path],
) -> AsyncIterator[StackFactory]:
    """Start a stack with settings ``overrides``; ``operator`` (client id, secret) is who
    the test is when authentication is on."""
    exits = contextlib.AsyncExitStack()

    async def start(operator: tuple[str, str] | None = None, **overrides: Any) -> Stack:
        streams = f"{keyspace.prefix}-os"
        config = SimConfig(time_scale=0, redis_url=redis_url, stream_prefix=streams)
        sim = await exits.enter_async_context(Simulator(LAB, config=config))
        values: dict[str, Any] = {
            "redis_url": redis_url,
            "key_prefix": keyspace.prefix,
            "data_dir": tmp_path,
            "auth_enabled": False,
            "vnfm_nfvo_url": f"http://127.0.0.1:{free_port}",
            "vnfm_boot_timeout_seconds": 60,
            # Subscribers in these tests listen on loopback, which the policy refuses.
            "callback_allowed_networks": ["127.0.0.0/8"],
        }
        settings = load_settings(None, **(values | overrides))
        nfvo = compose_nfvo(settings, redis)
        vnfm = compose_vnfm(settings, redis)
        entry = yaml.safe_load(sim.clouds_yaml_path.read_text())["clouds"]["sim"]
        await vnfm.platform.vims.add(
            VimRecord(name="lab", cloud=entry, admin=True, notifications=streams, retry=FAST)
        )
        placer = Placer(build_graph(load_inventory(LAB)), Reservations(redis, keyspace, "lab"))
        grants = GrantServer(placer)
        app = build_app(nfvo, [grants.app(), api_app(vnfm)])
        client: Client = TestClient(TestServer(app, host="127.0.0.1", port=free_port))
        await exits.enter_async_context(
            nfvo.platform.running(Background(workers=2, follow_vims=False, grace=2))
        )
        await exits.enter_async_context(running(vnfm, Background(workers=8, grace=2)))
        vim = await exits.enter_async_context(Vim(VimSpec("lab", entry, admin=True, retry=FAST)))

        async def locate(server_id: str) -> str | None:
            return (await vim.compute.server(server_id)).host

        grants.locate = locate
        await client.start_server()
        exits.push_async_callback(client.close)
        headers = {}
        if operator is not None:
            form = {"grant_type": "client_credentials"}
            issued = await client.post(
                "/oauth2/token", data=form, headers={"Authorization": basic_header(*operator)}
            )
            headers = {"Authorization": f"Bearer {(await issued.json())['access_token']}"}
        vnfds = {nf: await onboard(client, csar, headers) for nf, csar in csars.items()}
        return Stack(sim, client, grants, vnfm, vim, vnfds, headers)

    async with exits:
        yield start


@pytest.fixture
async def stack(make_stack: StackFactory) -> Stack:
    return await make_stack()
