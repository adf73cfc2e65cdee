"""Item 13: what the log and the audit say is what happened.

- A client that hangs up in the middle of an upload is no server error: it is logged
  at INFO without a traceback (an ERROR with a traceback per dropped upload lets
  anyone fill the operator's log), the entry is CREATED again, no partial file stays,
  and the audit records 499 (the client closed the request), not 500.
- A request the store failed is answered 503, and audited as 503, not 500.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import aiohttp
import redis.asyncio as aioredis

from nfvo.store.events import EventStream, read_all
from nfvo.store.keys import Keyspace
from tests.security.conftest import PACKAGES, VERSIONS, ServeFactory
from tests.support.processes import ManagedProcess, port_open

V = VERSIONS["vnfpkgm"]
NFVO = str(Path(sys.executable).parent / "nfvo")


async def _audited(redis: aioredis.Redis, keyspace: Keyspace, method: str) -> list[int]:
    events = await read_all(redis, keyspace, EventStream.AUDIT)
    return [event.data["status"] for event in events if event.data["method"] == method]


async def test_a_client_hanging_up_mid_upload_is_info_and_499(
    redis_url: str,
    redis: aioredis.Redis,
    keyspace: Keyspace,
    tmp_path: Path,
    free_port: int,
    process_factory: type[ManagedProcess],
) -> None:
    # ``nfvo serve`` itself: aiohttp's test server cancels a handler whose client left,
    # the served one lets the read fail, which is what operators saw.
    log = tmp_path / "serve.log"
    env = {
        "NFVO_REDIS_URL": redis_url,
        "NFVO_KEY_PREFIX": keyspace.prefix,
        "NFVO_DATA_DIR": str(tmp_path / "data"),
        "NFVO_LOG_LEVEL": "INFO",
    }
    server = process_factory(
        [NFVO, "serve", "--no-auth", "--port", str(free_port)],
        env=env,
        ready=port_open(free_port),
        log_path=log,
    ).start()
    base = f"http://127.0.0.1:{free_port}"
    async with aiohttp.ClientSession(base) as client:
        created = await client.post(PACKAGES, json={}, headers=V)
        path = (await created.json())["_links"]["self"]["href"]
        _, writer = await asyncio.open_connection("127.0.0.1", free_port)
        writer.write(
            f"PUT {path}/package_content HTTP/1.1\r\nHost: nfvo\r\nVersion: 2.4.0\r\n"
            "Content-Type: application/zip\r\nContent-Length: 10000000\r\n\r\n".encode()
            + b"PK\x03\x04"
            + b"z" * 200_000
        )
        await writer.drain()
        await asyncio.sleep(0.3)
        writer.close()  # the client goes away with 9.8 MB still to send
        async with asyncio.timeout(20):
            while True:
                if await _audited(redis, keyspace, "PUT"):
                    break
                await asyncio.sleep(0.05)
        shown = await (await client.get(path, headers=V)).json()
    assert await _audited(redis, keyspace, "PUT") == [499]
    assert shown["onboardingState"] == "CREATED"
    assert not [p for p in (tmp_path / "data" / "blobs").rglob("*") if p.is_file()]
    assert server.terminate() == 0
    text = log.read_text()
    assert "closed the connection" in text
    assert "Traceback" not in text and "ERROR" not in text, text


async def test_a_store_failure_is_audited_as_the_503_the_client_saw(
    serve_catalogue: ServeFactory, redis: aioredis.Redis, keyspace: Keyspace
) -> None:
    client = await serve_catalogue()
    # Another writer left the packages' ordering key of the wrong type: every create
    # fails inside Redis (WRONGTYPE), while the audit stream still takes entries.
    await redis.set(keyspace.ordering("vnfpkg"), "not a sorted set")
    response = await client.post(PACKAGES, json={}, headers=V)
    assert response.status == 503
    problem = await response.json()
    assert "WRONGTYPE" not in problem["detail"] and "vnfpkg" not in problem["detail"]
    assert await _audited(redis, keyspace, "POST") == [503]
