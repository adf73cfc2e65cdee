"""The VNF manager SIGKILLed at random points of instantiate, scale and terminate.

Two managers run alone (``nfvo vnfm serve``, each its own process, a one-second lease)
on one Redis, in front of the NFVO's catalogue and grant API served here, on the
simulated cloud. During each operation, a random moment after it is requested, the
process holding the operation's job (read from its lease) is SIGKILLed and started
again while the other takes the job over: every operation ends COMPLETED, or
FAILED_TEMP and then COMPLETED on retry; the cloud never holds a second server or port
for a VNFC, and nothing of the VNF after terminate. 5 rounds here, 20 under ``deep``.
"""

from __future__ import annotations

import asyncio
import random
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import redis.asyncio as aioredis
import yaml
from aiohttp.test_utils import TestClient, TestServer
from cryptography.fernet import Fernet

from nfvo.api.app import build_app
from nfvo.config import load_settings
from nfvo.placement.reservations import Placer, Reservations
from nfvo.platform import Background
from nfvo.runtime import compose as compose_nfvo
from nfvo.store.embedded import free_port as another_port
from nfvo.store.keys import Keyspace
from nfvo.vim.facade import Vim
from nfvo.vim.infrastructure import build_graph
from nfvo.vim.inventory import load_inventory
from nfvo.vim.registry import VimRecord
from nfvo.vim.session import VimSpec
from simulators.openstack.config import Delay, SimConfig
from simulators.openstack.simulator import Simulator
from tests.e2e.vnfm.conftest import FAST, LAB, LCM, csars, ext_links, onboard
from tests.e2e.vnfm.test_instantiate_terminate import DAY1
from tests.e2e.vnfm.test_upf import UPF_CPS
from tests.support.grant_server import GrantServer
from tests.support.processes import ManagedProcess
from vnfm.runtime import compose as compose_vnfm

__all__ = ["csars"]
REPO = Path(__file__).resolve().parents[3]


@dataclass
class Crashing:
    managers: list[tuple[ManagedProcess, str]]  # each process and its URL
    redis: aioredis.Redis
    leases: str  # the SCAN pattern of the managers' job leases
    vim: Vim
    vnfd_id: str
    networks: dict[str, str]
    restarting: asyncio.Task[None] | None = None

    async def call(self, method: str, path: str, **kw: Any) -> tuple[int, Any, Any]:
        """One request to whichever manager answers."""
        async with asyncio.timeout(60):
            while True:
                for process, url in self.managers:
                    if not process.running:
                        continue
                    try:
                        async with (
                            aiohttp.ClientSession() as http,
                            http.request(method, f"{url}/vnflcm/v2{path}", headers=LCM, **kw) as r,
                        ):
                            body = await r.json() if r.content_type.endswith("json") else None
                            return r.status, body, r.headers
                    except aiohttp.ClientConnectionError:
                        continue
                await asyncio.sleep(0.2)

    async def holder(self) -> ManagedProcess:
        """The manager holding a job's lease now (``<token>:<host>-<pid>-<hex>``), else any."""
        async for key in self.redis.scan_iter(match=self.leases):
            value = await self.redis.get(key)
            if value is None:
                continue
            pid = value.decode().split(":", 1)[1].rsplit("-", 2)[1]
            for process, _ in self.managers:
                if process.running and str(process.pid) == pid:
                    return process
        return next(process for process, _ in self.managers if process.running)

    async def kill_one(self) -> None:
        if self.restarting is not None:
            await self.restarting  # both up again before the next kill
        victim = await self.holder()
        await asyncio.to_thread(victim.kill)
        self.restarting = asyncio.create_task(asyncio.to_thread(victim.start))

    async def settle(self, location: str) -> dict[str, Any]:
        path = location.removeprefix("/vnflcm/v2")
        async with asyncio.timeout(90):
            while True:
                _, body, _ = await self.call("GET", path)
                if body["operationState"] not in ("STARTING", "PROCESSING", "ROLLING_BACK"):
                    return dict(body)
                await asyncio.sleep(0.1)

    async def survive(self, task_path: str, body: dict[str, Any], rng: random.Random) -> None:
        """POST the task and SIGKILL its manager a random moment later; the operation
        must complete, at worst after one retry."""
        status, problem, headers = await self.call("POST", task_path, json=body)
        assert status == 202, problem
        await asyncio.sleep(rng.uniform(0.0, 1.2))
        await self.kill_one()
        occurrence = await self.settle(headers["Location"])
        if occurrence["operationState"] == "FAILED_TEMP":
            await self.call("POST", headers["Location"].removeprefix("/vnflcm/v2") + "/retry")
            occurrence = await self.settle(headers["Location"])
        assert occurrence["operationState"] == "COMPLETED", occurrence.get("error")

    async def owned(self, instance_id: str) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        tags = f"nfvo,nfvo-vnf:{instance_id}"
        servers = await self.vim.compute.request(
            "GET", "/servers/detail", "t", params={"tags": tags}
        )
        ports = await self.vim.network.request("GET", "/ports", "t", params={"tags": tags})
        return servers["servers"], ports["ports"]


@pytest.fixture
async def crashing(
    redis: aioredis.Redis,
    redis_url: str,
    keyspace: Keyspace,
    tmp_path: Path,
    free_port: int,
    csars: dict[str, Path],
    process_factory: type[ManagedProcess],
) -> AsyncIterator[Crashing]:
    streams = f"{keyspace.prefix}-os"
    boot, delete = Delay("uniform", 0.1, 0.4), Delay("fixed", 0.1)
    config = SimConfig(
        time_scale=1, boot_time=boot, delete_time=delete, redis_url=redis_url, stream_prefix=streams
    )
    secret = Fernet.generate_key().decode()
    common = {"redis_url": redis_url, "key_prefix": keyspace.prefix, "auth_enabled": False,
              "secret_key": secret}  # fmt: skip
    async with Simulator(LAB, config=config) as sim:
        settings = load_settings(None, data_dir=tmp_path / "nfvo", **common)
        nfvo = compose_nfvo(settings, redis)
        entry = yaml.safe_load(sim.clouds_yaml_path.read_text())["clouds"]["sim"]
        # Registered with the manager's own registry (its keyspace, the shared secret key).
        registry = compose_vnfm(settings, redis).platform.vims
        await registry.add(
            VimRecord(name="lab", cloud=entry, admin=True, notifications=streams, retry=FAST)
        )
        placer = Placer(build_graph(load_inventory(LAB)), Reservations(redis, keyspace, "lab"))
        grants = GrantServer(placer)
        client = TestClient(
            TestServer(build_app(nfvo, [grants.app()]), host="127.0.0.1", port=free_port)
        )
        env = {f"NFVO_{key.upper()}": str(value) for key, value in common.items()} | {
            "NFVO_DATA_DIR": str(tmp_path / "vnfm"),
            "NFVO_VNFM_NFVO_URL": f"http://127.0.0.1:{free_port}",
            "NFVO_LOG_LEVEL": "WARNING",
        }
        managers = [_manager(process_factory, env, another_port()) for _ in range(2)]
        async with (
            nfvo.platform.running(Background(workers=2, follow_vims=False, grace=1)),
            Vim(VimSpec("lab", entry, admin=True, retry=FAST)) as vim,
        ):
            await client.start_server()
            try:
                vnfd_id = await onboard(client, csars["upf"])
                await asyncio.gather(*(asyncio.to_thread(p.start) for p, _ in managers))
                networks = {n: (await vim.network.network(n)).id for n in set(UPF_CPS.values())}
                leases = f"{settings.effective_vnfm_key_prefix}:lease:jobs:*"
                crashing = Crashing(managers, redis, leases, vim, vnfd_id, networks)
                yield crashing
                if crashing.restarting is not None:
                    await crashing.restarting
            finally:
                await client.close()


def _manager(
    factory: type[ManagedProcess], env: dict[str, str], port: int
) -> tuple[ManagedProcess, str]:
    argv = [sys.executable, "-c", "from nfvo.cli.main import main; main()", "vnfm", "serve",
            "--port", str(port), "--lease-seconds", "1", "--grace", "1"]  # fmt: skip
    process = factory(argv, env=env, cwd=REPO, ready_timeout=90)
    process.ready = lambda: (
        process.log_path is not None and process.log_path.exists()
        and process.log_path.read_bytes().count(b"READY ") >= process.starts
    )  # fmt: skip
    return process, f"http://127.0.0.1:{port}"


async def _rounds(crashing: Crashing, count: int) -> None:
    """``count`` rounds of instantiate, scale out, terminate, a kill during each."""
    rng = random.Random(11)
    for _ in range(count):
        status, instance, _ = await crashing.call(
            "POST", "/vnf_instances", json={"vnfdId": crashing.vnfd_id}
        )
        assert status == 201, instance
        base = f"/vnf_instances/{instance['id']}"
        instantiate = {"flavourId": "default", "additionalParams": DAY1,
                       "extVirtualLinks": ext_links(UPF_CPS, crashing.networks)}  # fmt: skip
        await crashing.survive(f"{base}/instantiate", instantiate, rng)
        servers, ports = await crashing.owned(instance["id"])
        assert (len(servers), len(ports)) == (1, 4)
        scale = {"type": "SCALE_OUT", "aspectId": "upf_scale"}
        await crashing.survive(f"{base}/scale", scale, rng)
        servers, ports = await crashing.owned(instance["id"])
        assert (len(servers), len(ports)) == (2, 8)
        assert len({s["name"] for s in servers}) == 2
        await crashing.survive(f"{base}/terminate", {"terminationType": "FORCEFUL"}, rng)
        assert await crashing.owned(instance["id"]) == ([], [])
        status, _, _ = await crashing.call("DELETE", base)
        assert status == 204


async def test_killed_managers_leave_no_duplicate_nor_orphan(crashing: Crashing) -> None:
    await _rounds(crashing, 5)


@pytest.mark.deep
async def test_killed_managers_leave_no_duplicate_nor_orphan_deep(crashing: Crashing) -> None:
    await _rounds(crashing, 20)
