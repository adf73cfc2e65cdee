"""The demo's cloud: the simulated OpenStack as its own process, seen as a real one.

``make demo`` starts ``python -m simulators.openstack`` on the site inventory, boots
a workload someone else already runs there (through the VIM facade, as any client of
the cloud would), and reads the live infrastructure graph back through openstacksdk
(Nova's hosts and servers, Neutron's ports, Placement's usages), so the plan that
follows is made around what is really in use. The orchestrator sees only what a real
OpenStack exposes; nothing here reads the simulator's ``/_sim/`` views.
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import click
import yaml

from descriptors.requirements import CpuPolicy, VduRequirement
from nfvo.placement.flavours import flavour_spec
from nfvo.placement.live import LiveGraph, live_graph
from nfvo.store.embedded import free_port
from nfvo.vim.compute import ServerRequest
from nfvo.vim.facade import Vim
from nfvo.vim.inventory import load_inventory
from nfvo.vim.network import PortRequest
from nfvo.vim.session import VimSpec
from nfvo.vim.tags import ResourceIdentity

# A database another team runs, pinned to the first lab host: most of its pinned CPUs.
WORKLOAD = VduRequirement(
    vdu_id="db", vcpus=20, memory_mb=32768, disk_gb=40, cpu_policy=CpuPolicy.DEDICATED
)
WORKLOAD_HOST, WORKLOAD_ZONE, WORKLOAD_NETWORK = "compute-01", "az-1", "mgmt"


@asynccontextmanager
async def simulated_cloud(inventory: Path) -> AsyncIterator[Vim]:
    """The simulator serving ``inventory``, and an admin facade on it."""
    with tempfile.TemporaryDirectory(prefix="nfvo-demo-cloud-") as work:
        clouds, log = Path(work) / "clouds.yaml", Path(work) / "simulator.log"
        argv = ["--inventory", str(inventory), "--port", str(free_port()),
                "--clouds-yaml", str(clouds), "--time-scale", "0"]  # fmt: skip
        with log.open("wb") as errors:  # its log is shown only if it fails to start
            process = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "simulators.openstack",
                *argv,
                stdout=asyncio.subprocess.PIPE,
                stderr=errors,
            )
        assert process.stdout is not None
        try:
            line = (await asyncio.wait_for(process.stdout.readline(), 60)).decode()
            if not line.startswith("READY"):
                why = log.read_text(errors="replace")[-2000:]
                raise click.ClickException(f"the simulated OpenStack did not start:\n{why}")
            entry = yaml.safe_load(clouds.read_text())["clouds"]["sim"]
            async with Vim(VimSpec("lab", entry, admin=True)) as vim:
                yield vim
        finally:
            process.terminate()
            await asyncio.wait_for(process.wait(), 30)


async def boot_existing_workload(vim: Vim) -> str:
    """Boot :data:`WORKLOAD` on its host, as the cloud's other users would."""
    network = await vim.network.network(WORKLOAD_NETWORK)
    image = await vim.storage.image_named("cirros")
    identity = ResourceIdentity("another-team", "db")
    port = await vim.network.create_port(PortRequest(identity, network.id))
    flavor = await vim.compute.ensure_flavor(flavour_spec(WORKLOAD))
    request = ServerRequest(
        identity, image.id, flavor.id, [port.id], zone=WORKLOAD_ZONE, host=WORKLOAD_HOST
    )
    server = await vim.compute.create_server(request)
    active = await vim.compute.wait_for_server(server.id, interval=0.05)
    return f"{WORKLOAD.vcpus} pinned vCPUs, {WORKLOAD.memory_mb // 1024} GiB on {active.host}"


async def observed_site(vim: Vim, inventory: Path) -> LiveGraph:
    return await live_graph(load_inventory(inventory), vim)
