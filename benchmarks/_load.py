"""A load generator in its own process, so it never shares a core with what it loads.

``python -m benchmarks._load closed URL --concurrency C --requests N``: as fast as the
server answers, C requests in flight; prints requests/s.
``python -m benchmarks._load open URL --rate R --seconds S``: requests started at a
fixed rate whatever the answers, each timed from when it was due (so neither a slow
server nor a late generator hides a queue: no coordinated omission); prints latency
percentiles.
``--header "NAME: VALUE"`` (repeatable) adds a request header, e.g. a bearer token.
Both print one JSON object; requests are bounded in count and time.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from typing import Any

import aiohttp
import orjson

HEADERS = {"Version": "2.4.0", "Accept": "application/json"}


async def _one(
    session: aiohttp.ClientSession, url: str, due: float | None = None
) -> tuple[float, int]:
    started = time.perf_counter() if due is None else due
    async with session.get(url) as response:
        await response.read()
        return time.perf_counter() - started, response.status


async def closed(
    url: str, concurrency: int, requests: int, headers: dict[str, str]
) -> dict[str, Any]:
    remaining = requests
    statuses: dict[int, int] = {}

    async def worker(session: aiohttp.ClientSession) -> None:
        nonlocal remaining
        while remaining > 0:
            remaining -= 1
            _, status = await _one(session, url)
            statuses[status] = statuses.get(status, 0) + 1

    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector, headers=headers) as session:
        await _one(session, url)  # warm the connection
        started = time.perf_counter()
        await asyncio.gather(*(worker(session) for _ in range(concurrency)))
        elapsed = time.perf_counter() - started
    return {
        "rps": requests / elapsed,
        "ok": statuses.get(200, 0),
        "requests": requests,
        "statuses": {str(status): count for status, count in statuses.items()},
    }


async def open_loop(
    url: str, rate: float, seconds: float, headers: dict[str, str]
) -> dict[str, Any]:
    latencies: list[float] = []
    statuses: dict[int, int] = {}

    async def fire(session: aiohttp.ClientSession, due: float) -> None:
        latency, status = await _one(session, url, due)
        latencies.append(latency)
        statuses[status] = statuses.get(status, 0) + 1

    connector = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(connector=connector, headers=headers) as session:
        await _one(session, url)
        tasks = []
        start = time.perf_counter()
        for index in range(int(rate * seconds)):
            due = start + index / rate
            delay = due - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(fire(session, due)))
        await asyncio.wait_for(asyncio.gather(*tasks), timeout=seconds + 30)
    latencies.sort()
    quantiles = statistics.quantiles(latencies, n=100)
    return {
        "requests": len(latencies),
        "ok": statuses.get(200, 0),
        "statuses": {str(status): count for status, count in statuses.items()},
        "p50_ms": quantiles[49] * 1000,
        "p99_ms": quantiles[98] * 1000,
        "max_ms": latencies[-1] * 1000,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("mode", choices=["closed", "open"])
    parser.add_argument("url")
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--requests", type=int, default=10_000)
    parser.add_argument("--rate", type=float, default=300)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--header", action="append", default=[], help="NAME: VALUE")
    args = parser.parse_args()
    headers = dict(HEADERS)
    for line in args.header:
        name, _, value = line.partition(":")
        headers[name.strip()] = value.strip()
    if args.mode == "closed":
        result = asyncio.run(closed(args.url, args.concurrency, args.requests, headers))
    else:
        result = asyncio.run(open_loop(args.url, args.rate, args.seconds, headers))
    sys.stdout.write(orjson.dumps(result).decode() + "\n")


if __name__ == "__main__":
    main()
