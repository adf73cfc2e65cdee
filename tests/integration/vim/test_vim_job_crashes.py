"""A job of 20 VIM steps (10 ports, 10 servers of one VNF) against the simulator in its
own process, the worker in another, SIGKILLed at random points; then a flaky and a slow
VIM. Every run ends with the job complete and each resource made exactly once."""

from __future__ import annotations

import asyncio
import random
import uuid
from collections import Counter
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import redis.asyncio as aioredis
import yaml

from nfvo.store.jobs import Jobs, JobState
from nfvo.store.keys import Keyspace
from nfvo.store.secrets import KEY_FILE_NAME, SecretBox, key_file
from nfvo.store.steps import StepStatus
from nfvo.vim.compute import FlavorSpec
from nfvo.vim.facade import Vim
from nfvo.vim.registry import VimRecord, VimRegistry
from nfvo.vim.tags import ResourceIdentity
from simulators.openstack.inventory import INVENTORY_DIR
from tests.integration.vim import vim_job_types
from tests.support.nfvo_processes import sharing
from tests.support.nfvo_processes import worker as nfvo_worker
from tests.support.processes import ManagedProcess, python_argv

REPO_ROOT = Path(__file__).resolve().parents[3]
LEASE_SECONDS = 1.0
COUNT = 10


class SimProcess:
    def __init__(self, process: ManagedProcess, clouds_yaml: Path) -> None:
        self.process = process
        self.clouds_yaml = clouds_yaml

    @property
    def url(self) -> str:
        log = self.process.log_path.read_text() if self.process.log_path else ""
        return next(line.split()[1] for line in log.splitlines() if line.startswith("READY "))


@pytest.fixture
def sim_process(
    process_factory: type[ManagedProcess], free_port: int, tmp_path: Path
) -> SimProcess:
    clouds = tmp_path / "clouds.yaml"
    argv = python_argv(
        "-m", "simulators.openstack", "--inventory", str(INVENTORY_DIR / "lab.yaml"),
        "--port", str(free_port), "--clouds-yaml", str(clouds), "--time-scale", "0",
        "--log-level", "WARNING",
    )  # fmt: skip
    process = process_factory(argv, cwd=REPO_ROOT)

    def ready() -> bool:
        return b"READY " in (process.log_path.read_bytes() if process.log_path else b"")

    process.ready = ready
    process.start()
    return SimProcess(process, clouds)


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    """The workers' data directory: their secret key, which opens the VIM's record."""
    return tmp_path / "nfvo"


@pytest.fixture
async def admin(
    sim_process: SimProcess, redis: aioredis.Redis, keyspace: Keyspace, data_dir: Path
) -> AsyncIterator[Vim]:
    """The simulator as an admin facade; and registered as VIM ``sim`` for the workers."""
    entry = dict(yaml.safe_load(sim_process.clouds_yaml.read_text())["clouds"]["sim"])
    box = SecretBox(key_file(data_dir / KEY_FILE_NAME))
    record = VimRecord("sim", entry, admin=True, retry=vim_job_types.FAST_RETRIES)
    await VimRegistry(redis, keyspace, box).add(record)
    async with Vim(record.spec()) as vim:
        yield vim


def worker(
    process_factory: type[ManagedProcess],
    redis_url: str,
    keyspace: Keyspace,
    data_dir: Path,
    log_level: str = "WARNING",
) -> ManagedProcess:
    environment = {**sharing(redis_url, keyspace.prefix, data_dir), "NFVO_LOG_LEVEL": log_level}
    options = ("--jobs", vim_job_types.__name__, "--lease-seconds", str(LEASE_SECONDS))
    return nfvo_worker(process_factory, environment, *options)


async def job_params(admin: Vim, sim: SimProcess, pause: tuple[float, float]) -> dict[str, Any]:
    flavor = await admin.compute.ensure_flavor(FlavorSpec(1, 512, 1))
    return {
        "vim": "sim",
        "vnf": str(uuid.uuid4()),
        "network_id": (await admin.network.network("mgmt")).id,
        "image_id": (await admin.storage.image_named("cirros")).id,
        "flavor_id": flavor.id,
        "count": COUNT,
        "pause": pause,
    }


async def set_faults(sim: SimProcess, service: str, **rates: float) -> None:
    async with (
        aiohttp.ClientSession() as http,
        http.put(f"{sim.url}/_sim/faults/services/{service}", json=rates) as response,
    ):
        assert response.status in (200, 204), await response.text()


def names(vnf: str, element: str) -> list[str]:
    return sorted(ResourceIdentity(vnf, element, n).name() for n in range(COUNT))


async def assert_each_resource_once(
    admin: Vim, sim: SimProcess, jobs: Jobs, job_id: str, vnf: str
) -> None:
    """Listed by the VNF's tag as admin: 10 ports and 10 servers, one per index, the very
    ones the step records name; and Nova began exactly one build per server name."""
    tag = {"tags": f"nfvo-vnf:{vnf}"}
    ports = (await admin.network.request("GET", "/ports", "list", params=tag))["ports"]
    servers = (await admin.compute.request("GET", "/servers/detail", "list", params=tag))["servers"]
    assert sorted(p["name"] for p in ports) == names(vnf, vim_job_types.PORT_ELEMENT)
    assert sorted(s["name"] for s in servers) == names(vnf, vim_job_types.SERVER_ELEMENT)
    assert {s["status"] for s in servers} == {"ACTIVE"}
    records = await jobs.steps(job_id)
    assert {r.status for r in records.values()} == {StepStatus.SUCCEEDED}
    recorded = {r.outputs.get("port_id") or r.outputs["server_id"] for r in records.values()}
    assert recorded == {p["id"] for p in ports} | {s["id"] for s in servers}
    async with aiohttp.ClientSession() as http, http.get(f"{sim.url}/_sim/notifications") as r:
        notes = (await r.json())["notifications"]
    builds = Counter(
        n["payload"]["nova_object.data"]["display_name"]
        for n in notes
        if n["event_type"] == "instance.create.start"
        and n["payload"]["nova_object.data"]["display_name"].endswith(vnf)
    )
    assert sorted(builds.values()) == [1] * COUNT  # no server was ever built twice


async def crash_rounds(
    process: ManagedProcess,
    redis: aioredis.Redis,
    keyspace: Keyspace,
    params: dict[str, Any],
    kills: int,
) -> tuple[Jobs, str]:
    jobs = Jobs(redis, keyspace)
    job = await jobs.enqueue(vim_job_types.VIM_JOB, params)
    process.start()
    await asyncio.sleep(random.uniform(0.2, 1.0))
    for kill in range(kills):
        process.kill()
        process.start()
        if kill < kills - 1:  # past the lapsed lease, into the resumed run
            await asyncio.sleep(random.uniform(0.3, 1.8))
    done = await jobs.wait(job.id, 120)
    assert done.state is JobState.SUCCEEDED, done.error
    assert done.runs >= 2  # it really was interrupted and resumed
    return jobs, job.id


@pytest.mark.parametrize(
    ("kills", "pause"),
    [
        pytest.param(5, (0.03, 0.1), id="five"),
        pytest.param(20, (0.1, 0.3), id="twenty", marks=pytest.mark.deep),
    ],
)
async def test_a_sigkilled_worker_makes_each_resource_once(
    kills: int,
    pause: tuple[float, float],
    process_factory: type[ManagedProcess],
    redis_url: str,
    redis: aioredis.Redis,
    keyspace: Keyspace,
    sim_process: SimProcess,
    admin: Vim,
    data_dir: Path,
) -> None:
    params = await job_params(admin, sim_process, pause=pause)
    process = worker(process_factory, redis_url, keyspace, data_dir)
    jobs, job_id = await crash_rounds(process, redis, keyspace, params, kills=kills)
    await assert_each_resource_once(admin, sim_process, jobs, job_id, params["vnf"])


async def test_a_flaky_slow_vim_with_crashes_still_makes_each_resource_once(
    process_factory: type[ManagedProcess],
    redis_url: str,
    redis: aioredis.Redis,
    keyspace: Keyspace,
    sim_process: SimProcess,
    admin: Vim,
    data_dir: Path,
) -> None:
    """10 % of calls answer 5xx, 20 % of connections drop after the effect (the case
    that makes a create look again before retrying), every call 20 ms late."""
    params = await job_params(admin, sim_process, pause=(0.0, 0.02))
    for service in ("compute", "network"):
        await set_faults(sim_process, service, error_rate=0.1, drop_rate=0.2, latency_ms=20)
    process = worker(process_factory, redis_url, keyspace, data_dir, log_level="INFO")
    jobs, job_id = await crash_rounds(process, redis, keyspace, params, kills=2)
    for service in ("compute", "network"):
        await set_faults(sim_process, service, error_rate=0.0, drop_rate=0.0, latency_ms=0)
    await assert_each_resource_once(admin, sim_process, jobs, job_id, params["vnf"])
    log = process.log_path.read_text() if process.log_path else ""
    assert "retrying" in log, "the faults never fired: the test proved nothing"
