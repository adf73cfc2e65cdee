"""The VIM facade's own CPU per server created and waited for, with its port.

The simulator runs in its own process at zero boot time (``python -m
simulators.openstack --time-scale 0``), so this process's CPU time
(``time.process_time()``, every thread: the event loop and the facade's SDK pool) is the
facade's alone: openstacksdk, keystoneauth, requests, our retries and parsing. N servers,
each with its port, are created through the idempotent creates (port lookup + create,
server lookup + create) and waited for (``wait_for_server``), CONCURRENCY at a time.
Prints one JSON line (benchmarks.report).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import yaml

from benchmarks.report import report
from benchmarks.simulator import free_port
from nfvo.vim.compute import FlavorSpec, ServerRequest
from nfvo.vim.facade import Vim
from nfvo.vim.network import PortRequest
from nfvo.vim.session import VimSpec
from nfvo.vim.tags import ResourceIdentity

REPO = Path(__file__).resolve().parents[1]
INVENTORY = REPO / "simulators" / "openstack" / "inventories" / "region.yaml"
SERVERS = 200
CONCURRENCY = 8
GOAL_MS = 10.0


async def start_simulator(clouds: Path) -> tuple[asyncio.subprocess.Process, str]:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "simulators.openstack", "--inventory", str(INVENTORY),
        "--generate-hosts", "60", "--port", str(free_port()), "--clouds-yaml", str(clouds),
        "--time-scale", "0", "--log-level", "WARNING",
        cwd=REPO, stdout=asyncio.subprocess.PIPE,
    )  # fmt: skip
    assert process.stdout is not None
    line = (await asyncio.wait_for(process.stdout.readline(), 60)).decode().strip()
    if not line.startswith("READY "):
        raise RuntimeError(f"simulator did not start: {line!r}")
    return process, line.split()[1]


async def one_server(vim: Vim, vnf: str, index: int, setup: dict[str, str]) -> None:
    port = await vim.network.create_port(
        PortRequest(ResourceIdentity(vnf, "cp", index), setup["network_id"])
    )
    request = ServerRequest(
        ResourceIdentity(vnf, "vdu", index), setup["image_id"], setup["flavor_id"], [port.id]
    )
    server = await vim.compute.create_server(request)
    await vim.compute.wait_for_server(server.id, interval=0.01)


async def setup_of(vim: Vim) -> dict[str, str]:
    images = await vim.session.request("image", "GET", "/images", call="list images")
    return {
        "image_id": next(i["id"] for i in images["images"] if i["name"] == "cirros"),
        "flavor_id": (await vim.compute.ensure_flavor(FlavorSpec(1, 512, 1))).id,
        "network_id": (await vim.network.network("mgmt")).id,
    }


async def measure(vim: Vim, count: int) -> dict[str, Any]:
    setup = await setup_of(vim)
    vnf = str(uuid.uuid4())
    await one_server(vim, vnf, count, setup)  # warm: token, discovery, extensions
    cursor = iter(range(count))

    async def worker() -> None:
        for index in cursor:
            await one_server(vim, vnf, index, setup)

    cpu, wall = time.process_time(), time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    return {
        "servers": count,
        "cpu_ms_per_server": round(cpu * 1000 / count, 2),
        "wall_ms_per_server": round(wall * 1000 / count, 2),
        "servers_per_second": round(count / wall, 1),
    }


async def main(count: int) -> bool:
    with tempfile.TemporaryDirectory() as scratch:
        clouds = Path(scratch) / "clouds.yaml"
        process, _url = await start_simulator(clouds)
        try:
            entry = yaml.safe_load(clouds.read_text())["clouds"]["sim"]
            spec = VimSpec("bench", dict(entry), admin=True, max_concurrency=CONCURRENCY)
            async with Vim(spec) as vim:
                figures = await measure(vim, count)
        finally:
            process.terminate()
            await process.wait()
    return report("vim", figures, {"cpu_ms_per_server": {"max": GOAL_MS}})


if __name__ == "__main__":
    parser = argparse.ArgumentParser(prog="python -m benchmarks.vim")
    parser.add_argument("--servers", type=int, default=SERVERS)
    sys.exit(0 if asyncio.run(main(parser.parse_args().servers)) else 1)
