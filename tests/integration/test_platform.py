"""The shared platform of a process: its wiring checked at start, its VIM event sources
following the registry, its placement sites planning on a registered cloud."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import redis.asyncio as aioredis
import yaml

from nfvo.config import Settings, load_settings
from nfvo.placement.model import PlacementRequest, VnfcRequest
from nfvo.placement.reservations import ReservationState
from nfvo.placement.sites import NoSiteInventory, Sites
from nfvo.platform import NOTHING, Background, Platform
from nfvo.runtime import compose
from nfvo.store.blobs import BLOBS
from nfvo.store.events import EventStream, read_all
from nfvo.store.keys import Keyspace
from nfvo.store.resources import MissingResource
from nfvo.store.steps import Step, StepContext
from nfvo.vim.compute import FlavorSpec, ServerRequest
from nfvo.vim.inventory import load_inventory
from nfvo.vim.network import PortRequest
from nfvo.vim.registry import VimRecord
from nfvo.vim.sources import VimEventSources
from nfvo.vim.tags import ResourceIdentity
from simulators.openstack.config import SimConfig
from simulators.openstack.inventory import INVENTORY_DIR
from simulators.openstack.simulator import Simulator
from tests.e2e.cloud import BINDINGS, requirement
from tests.integration.vim.conftest import FAST_RETRIES
from tests.support.waiting import eventually

LAB = INVENTORY_DIR / "lab.yaml"


@pytest.fixture
def settings(redis_url: str, keyspace: Keyspace, tmp_path: Path) -> Settings:
    return load_settings(None, redis_url=redis_url, key_prefix=keyspace.prefix, data_dir=tmp_path)


@pytest.fixture
async def sim(redis_url: str, keyspace: Keyspace) -> AsyncIterator[Simulator]:
    """The lab cloud, writing its notifications to our Redis under ``<prefix>-os``."""
    config = SimConfig(time_scale=0, redis_url=redis_url, stream_prefix=f"{keyspace.prefix}-os")
    async with Simulator(LAB, config=config) as simulator:
        yield simulator


def lab_record(sim: Simulator, keyspace: Keyspace, **options: object) -> VimRecord:
    entry = yaml.safe_load(sim.clouds_yaml_path.read_text())["clouds"]["sim"]
    return VimRecord("lab", dict(entry), admin=True, retry=FAST_RETRIES, **options)  # type: ignore[arg-type]


async def _reads_blobs(ctx: StepContext) -> None:
    ctx[BLOBS]


async def test_a_job_type_needing_what_the_process_lacks_stops_the_start(
    settings: Settings, redis: aioredis.Redis, keyspace: Keyspace
) -> None:
    platform = Platform(settings, redis, keyspace)  # the VNFM's kind: no blob store
    platform.jobs.register("archive", [Step("read", _reads_blobs)], needs=(BLOBS,))
    with pytest.raises(MissingResource, match="job type archive needs blob store"):
        async with platform.running(NOTHING):
            pass


async def test_the_runtime_runs_what_its_background_asks_for(
    settings: Settings, redis: aioredis.Redis
) -> None:
    runtime = compose(settings, redis)
    async with runtime.platform.running(Background(workers=2, grace=1)) as platform:
        names = platform.supervisor.names
        assert [name.split(" ", 1)[1] for name in names] == [
            "workers",
            "notifications",
            "VIM events",
            "NS lifecycle",
        ]
        assert platform.pool is not None and platform.pool.concurrency == 2
    assert {h.state.value for h in platform.supervisor.health()} == {"stopped"}


async def test_vim_event_sources_follow_the_registry(
    settings: Settings, redis: aioredis.Redis, keyspace: Keyspace, sim: Simulator
) -> None:
    platform = Platform(settings, redis, keyspace)
    vims = platform.vims
    sources = VimEventSources(vims, redis, keyspace, rescan=0.05)
    stop = asyncio.Event()
    following = asyncio.create_task(sources.run(stop))
    try:
        await vims.add(lab_record(sim, keyspace, notifications=f"{keyspace.prefix}-os"))
        await eventually(lambda: "lab" in sources.following)
        vim = await vims.open_vim("lab")
        flavor = await vim.compute.ensure_flavor(FlavorSpec(1, 512, 1))
        image = await vim.storage.image_named("cirros")
        network = await vim.network.network("mgmt")
        port = await vim.network.create_port(
            PortRequest(ResourceIdentity("vnf-1", "cp"), network.id)
        )
        server = await vim.compute.create_server(
            ServerRequest(ResourceIdentity("vnf-1", "vdu"), image.id, flavor.id, [port.id])
        )

        async def heard_of_it() -> bool:
            events = await read_all(redis, keyspace, EventStream.VIM)
            return any(event.subject == f"servers/{server.id}" for event in events)

        await eventually(heard_of_it)

        await vims.add(lab_record(sim, keyspace, poll_interval=5.0), replace_existing=True)
        await eventually(lambda: sources.following.get("lab") == ("poll", 5.0))
        await vims.remove("lab")
        await eventually(lambda: not sources.following)
    finally:
        stop.set()
        await following
        await vims.close()


async def test_sites_place_on_a_registered_cloud_and_hold_a_reservation(
    settings: Settings, redis: aioredis.Redis, keyspace: Keyspace, sim: Simulator, tmp_path: Path
) -> None:
    platform = Platform(settings, redis, keyspace)
    sites = Sites(platform.vims, redis, keyspace)
    await platform.vims.add(lab_record(sim, keyspace))
    with pytest.raises(NoSiteInventory, match="VIM lab has no site inventory"):
        await sites.placer()
    site = load_inventory(LAB).document
    await platform.vims.add(lab_record(sim, keyspace, site=site), replace_existing=True)
    placer = await sites.placer("lab")
    vnfc = VnfcRequest(
        vnfc_id="upf-0",
        vdu_id="upf",
        requirement=requirement("upf", tmp_path),
        vnf_instance_id="vnf-upf",
    )
    decision = await placer.decide(
        PlacementRequest(request_id="grant-1", vnfcs=[vnfc], network_bindings=BINDINGS)
    )
    assert decision.feasible, decision.explanation
    [held] = await sites.reservations("lab").active()
    assert held.state is ReservationState.HELD
    assert decision.placements[0].reservation_id == held.id
    await platform.vims.close()
