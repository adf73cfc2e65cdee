"""The SOL005 API under load, side by side with a bare aiohttp handler.

``nfvo serve`` (embedded Redis, authentication on as deployed: every request carries
the admin client's bearer token, validated per request) holds 10,000 VNF package
records created through the API. A load generator in
its own process measures, in one run:

- single-resource GET throughput, against a bare aiohttp handler answering the same
  document from the same Redis (the least a real GET must do); goal: at least 40 % of
  the bare handler's requests per second;
- p99 latency of filtered list pages of 100 served from a secondary index
  (``filter=(eq,onboardingState,CREATED)``) at 300 requests/s; goal: under 30 ms.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

import aiohttp
import orjson
import redis

from benchmarks.report import Bound, report
from nfvo.sol.callbacks import basic_header
from nfvo.store.embedded import EmbeddedRedis, free_port

RECORDS = 10_000
PASSWORD = "bench-admin-secret"
API = "/vnfpkgm/v2"
HEADERS = {"Version": "2.4.0", "Accept": "application/json", "Content-Type": "application/json"}


def start_serve(redis_url: str, data_dir: Path, port: int) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "NFVO_REDIS_URL": redis_url,
        "NFVO_DATA_DIR": str(data_dir),
        "NFVO_ADMIN_PASSWORD": PASSWORD,
        "NFVO_LOG_LEVEL": "ERROR",
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "nfvo", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
    )
    assert process.stdout is not None
    line = process.stdout.readline().decode()
    if not line.startswith("READY"):
        process.kill()
        raise RuntimeError(f"nfvo serve did not start: {line!r}")
    return process


def admin_token(base: str) -> str:
    """A client-credentials token of the built-in endpoint, as any OSS would get one."""
    request = urllib.request.Request(
        f"{base}/oauth2/token",
        data=b"grant_type=client_credentials",
        headers={
            "Authorization": basic_header("admin", PASSWORD),
            "Content-Type": "application/x-www-form-urlencoded",
        },
    )
    with urllib.request.urlopen(request) as response:
        return str(orjson.loads(response.read())["access_token"])


async def seed(base: str, headers: dict[str, str]) -> tuple[str, float]:
    """Create the records through the API; returns one id and the creation rate."""
    semaphore = asyncio.Semaphore(64)
    ids: list[str] = []

    async def create(session: aiohttp.ClientSession, index: int) -> None:
        body = {"userDefinedData": {"batch": str(index % 10), "index": str(index)}}
        async with (
            semaphore,
            session.post(
                f"{base}{API}/vnf_packages", data=orjson.dumps(body), headers=headers
            ) as response,
        ):
            assert response.status == 201, await response.text()
            ids.append((await response.json())["id"])

    started = time.perf_counter()
    async with aiohttp.ClientSession() as session:
        await asyncio.gather(*(create(session, index) for index in range(RECORDS)))
    return ids[0], RECORDS / (time.perf_counter() - started)


def load(*arguments: str) -> dict[str, Any]:
    output = subprocess.run(
        [sys.executable, "-m", "benchmarks._load", *arguments],
        check=True,
        capture_output=True,
        timeout=300,
    ).stdout
    return dict(orjson.loads(output))


def wait_for_port(port: int) -> None:
    import socket

    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise RuntimeError(f"nothing listens on {port}")


def stop(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM, and SIGKILL if it is still there after 30 s: a run never leaves one behind."""
    process.terminate()
    try:
        process.wait(30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def main() -> None:
    with EmbeddedRedis() as store, tempfile.TemporaryDirectory() as data:
        port, bare_port = free_port(), free_port()
        serve = start_serve(store.url, Path(data), port)
        bare = subprocess.Popen(
            [sys.executable, "-m", "benchmarks._bare", str(bare_port), store.url]
        )
        try:
            base = f"http://127.0.0.1:{port}"
            bearer = f"Bearer {admin_token(base)}"
            headers = {**HEADERS, "Authorization": bearer}
            one_id, seed_rps = asyncio.run(seed(base, headers))
            document = redis.Redis.from_url(store.url)
            single_url = f"{base}{API}/vnf_packages/{one_id}"
            request = urllib.request.Request(single_url, headers=headers)
            with urllib.request.urlopen(request) as response:
                document.set("bench:bare:doc", response.read())
            wait_for_port(bare_port)
            token = ("--header", f"Authorization: {bearer}")
            ours = load("closed", single_url, "--requests", "10000", "--concurrency", "32", *token)
            theirs = load(
                "closed",
                f"http://127.0.0.1:{bare_port}/doc",
                "--requests",
                "10000",
                "--concurrency",
                "32",
            )
            listing = load(
                "open",
                f"{base}{API}/vnf_packages?filter=(eq,onboardingState,CREATED)",
                "--rate",
                "300",
                "--seconds",
                "10",
                *token,
            )
        finally:
            for process in (serve, bare):
                stop(process)
    for result in (ours, theirs, listing):
        assert result["ok"] == result["requests"], result
    figures = {
        "records": RECORDS,
        "seed_creates_per_s": round(seed_rps, 1),
        "get_rps": round(ours["rps"], 1),
        "bare_get_rps": round(theirs["rps"], 1),
        "get_ratio": round(ours["rps"] / theirs["rps"], 3),
        "filtered_page_p50_ms": round(listing["p50_ms"], 2),
        "filtered_page_p99_ms": round(listing["p99_ms"], 2),
        "filtered_page_max_ms": round(listing["max_ms"], 2),
        "filtered_requests": listing["requests"],
    }
    goals: dict[str, Bound] = {
        "get_ratio": {"min": 0.4},
        "filtered_page_p99_ms": {"max": 30},
    }
    report("api", figures, goals)


if __name__ == "__main__":
    main()
