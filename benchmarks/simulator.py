"""How fast the OpenStack simulator answers on a 1,000-host cloud holding 10,000 servers.

The simulator runs in its own process (``python -m simulators.openstack``); this process
seeds it through ``/_sim/bulk/servers`` and loads it over loopback with an aiohttp client,
a bounded number of requests per scenario. The simulator's own CPU time per request comes
from ``/proc/<pid>/stat``. Prints one JSON line (benchmarks.report).
"""

from __future__ import annotations

import asyncio
import os
import random
import socket
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import aiohttp

from benchmarks.report import report

REPO = Path(__file__).resolve().parents[1]
INVENTORY = REPO / "simulators" / "openstack" / "inventories" / "region.yaml"
HOSTS = 1000
SERVERS = 10_000
CONCURRENCY = 16
REQUESTS = 4000
CREATES = 300
LATEST = {"OpenStack-API-Version": "compute 2.96"}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def start_simulator(clouds: Path) -> tuple[asyncio.subprocess.Process, str]:
    port = free_port()
    generated = HOSTS - 3  # region.yaml names three hosts of its own
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "simulators.openstack",
        "--inventory",
        str(INVENTORY),
        "--generate-hosts",
        str(generated),
        "--port",
        str(port),
        "--clouds-yaml",
        str(clouds),
        "--time-scale",
        "0",
        "--log-level",
        "WARNING",
        cwd=REPO,
        stdout=asyncio.subprocess.PIPE,
    )
    assert process.stdout is not None
    line = (await asyncio.wait_for(process.stdout.readline(), 60)).decode().strip()
    if not line.startswith("READY "):
        raise RuntimeError(f"simulator did not start: {line!r}")
    return process, line.split()[1]


async def token(http: aiohttp.ClientSession, url: str, user: str, password: str) -> str:
    body = {
        "auth": {
            "identity": {
                "methods": ["password"],
                "password": {
                    "user": {"name": user, "domain": {"name": "Default"}, "password": password}
                },
            }
        }
    }
    async with http.post(f"{url}/identity/v3/auth/tokens", json=body) as response:
        response.raise_for_status()
        return response.headers["X-Subject-Token"]


async def load(
    http: aiohttp.ClientSession, pid: int, count: int, request: Callable[[int], Any]
) -> dict[str, float]:
    """Run ``count`` requests with CONCURRENCY workers; requests/s and simulator CPU."""
    cursor = iter(range(count))
    latencies: list[float] = []

    async def worker() -> None:
        for index in cursor:
            started = time.perf_counter()
            await request(index)
            latencies.append(time.perf_counter() - started)

    cpu_before, started = cpu_seconds(pid), time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))
    elapsed, cpu = time.perf_counter() - started, cpu_seconds(pid) - cpu_before
    latencies.sort()
    return {
        "rps": round(count / elapsed, 1),
        "sim_cpu_ms_per_request": round(cpu * 1000 / count, 3),
        "sim_capacity_rps": round(count / cpu, 1) if cpu else float("inf"),
        "p99_ms": round(latencies[int(len(latencies) * 0.99) - 1] * 1000, 2),
    }


async def get_json(http: aiohttp.ClientSession, url: str, headers: dict[str, str]) -> Any:
    async with http.get(url, headers=headers) as response:
        if response.status != 200:
            raise RuntimeError(f"GET {url}: {response.status} {await response.text()}")
        return await response.json(content_type=None)


async def get(http: aiohttp.ClientSession, url: str, headers: dict[str, str]) -> None:
    """A GET whose body is read but not parsed: the load is on the simulator."""
    async with http.get(url, headers=headers) as response:
        await response.read()
        if response.status != 200:
            raise RuntimeError(f"GET {url}: {response.status}")


async def scenarios(url: str, pid: int) -> dict[str, dict[str, float]]:
    connector = aiohttp.TCPConnector(limit=CONCURRENCY)
    async with aiohttp.ClientSession(connector=connector) as http:
        async with http.post(
            f"{url}/_sim/bulk/servers",
            json={
                "count": SERVERS,
                "flavor": "m1.small",
                "project": "core",
                "network": "mgmt",
                "return_ids": True,
            },
        ) as response:
            seeded = (await response.json())["ids"]
        assert len(seeded) == SERVERS, len(seeded)
        member = {"X-Auth-Token": await token(http, url, "nfvo", "nfvo-secret"), **LATEST}
        rng = random.Random(7)
        compute = f"{url}/compute/v2.1"
        figures = {
            "server_get": await load(
                http,
                pid,
                REQUESTS,
                lambda _: get(http, f"{compute}/servers/{rng.choice(seeded)}", member),
            ),
            "server_list_50": await load(
                http, pid, REQUESTS, lambda _: get(http, f"{compute}/servers?limit=50", member)
            ),
            "server_detail_10": await load(
                http,
                pid,
                REQUESTS,
                lambda _: get(http, f"{compute}/servers/detail?limit=10", member),
            ),
            "server_detail_50": await load(
                http,
                pid,
                REQUESTS // 4,
                lambda _: get(http, f"{compute}/servers/detail?limit=50", member),
            ),
            "port_list_50": await load(
                http,
                pid,
                REQUESTS // 4,
                lambda _: get(http, f"{url}/network/v2.0/ports?limit=50", member),
            ),
        }
        flavors = await get_json(http, f"{compute}/flavors", member)
        flavor = next(f["id"] for f in flavors["flavors"] if f["name"] == "m1.small")
        images = await get_json(http, f"{url}/image/v2/images?name=cirros", member)
        boot = {
            "name": "bench",
            "flavorRef": flavor,
            "imageRef": images["images"][0]["id"],
            "networks": "none",
        }
        figures["create_delete_pair"] = await load(
            http, pid, CREATES, lambda _: create_delete(http, compute, member, boot)
        )
        return figures


async def create_delete(
    http: aiohttp.ClientSession, compute: str, headers: dict[str, str], boot: dict[str, Any]
) -> None:
    """One server created and deleted (each a request) at zero boot time."""
    async with http.post(f"{compute}/servers", json={"server": boot}, headers=headers) as response:
        if response.status != 202:
            raise RuntimeError(f"create: {response.status} {await response.text()}")
        server_id = (await response.json())["server"]["id"]
    async with http.delete(f"{compute}/servers/{server_id}", headers=headers) as response:
        if response.status != 204:
            raise RuntimeError(f"delete: {response.status}")


async def main() -> bool:
    with tempfile.TemporaryDirectory(prefix="sim-bench-") as tmp:
        process, url = await start_simulator(Path(tmp) / "clouds.yaml")
        try:
            results = await scenarios(url, process.pid)
        finally:
            process.terminate()
            await process.wait()
    figures: dict[str, Any] = {"hosts": HOSTS, "servers": SERVERS, "concurrency": CONCURRENCY}
    for name, values in results.items():
        for key, value in values.items():
            figures[f"{name}_{key}"] = value
    goals = {
        "server_get_rps": {"min": 2000},
        "server_list_50_rps": {"min": 2000},
        "server_detail_10_rps": {"min": 2000},
    }
    return report("simulator", figures, goals)


if __name__ == "__main__":
    asyncio.run(main())
