"""Chaos while a client keeps onboarding the shipped packages (``make test-deep``).

Redis killed and restarted, every connection cut (``CLIENT KILL``), the embedded Redis
killed, the server SIGKILLed in the middle of uploads and of onboardings: each while
``tests.support.onboarder.Onboarder`` goes on creating, uploading, onboarding and
deleting. Afterwards every entry ends ONBOARDED, or ERROR with a reason, or CREATED (an
upload the crash abandoned, recovered); none stays UPLOADING or PROCESSING; no answer
was a 500; nothing a dead process wrote is left on disk (partial blob writes, staged
blobs, scratch folders).
"""

from __future__ import annotations

import asyncio
import os
import random
import signal
from collections import Counter
from collections.abc import Awaitable, Callable, Iterator
from functools import partial
from pathlib import Path

import orjson
import pytest
import redis.asyncio as aioredis

from nfvo.store.connection import connect
from nfvo.store.embedded import find_redis_server, free_port
from nfvo.store.keys import Keyspace
from tests.support.nfvo_processes import NO_REDIS_URL, serve, sharing
from tests.support.onboarder import NSD_NAME, Onboarder, leftovers, settled, unsettled
from tests.support.processes import ManagedProcess, RedisServer
from tests.support.waiting import eventually

pytestmark = [pytest.mark.deep, pytest.mark.timeout(420)]

Chaos = Callable[[Onboarder], Awaitable[None]]


@pytest.fixture
def packages(shipped: dict[str, Path]) -> dict[str, bytes]:
    """The VNF packages, then the NSD that composes them."""
    names = sorted(shipped, key=lambda name: name == NSD_NAME)
    return {name: shipped[name].read_bytes() for name in names}


@pytest.fixture
def persistent_redis(free_port: int, tmp_path: Path) -> Iterator[RedisServer]:
    """A Redis of the test's own with an append-only file: killed, it comes back whole."""
    directory = tmp_path / "redis"
    directory.mkdir()
    server = RedisServer(find_redis_server(), free_port, directory, persistent=True)
    server.start()
    yield server
    server.terminate()


def nfvo_serve(
    process_factory: type[ManagedProcess], environment: dict[str, str | None]
) -> tuple[ManagedProcess, str]:
    port = free_port()
    server = serve(process_factory, environment, port)
    server.ready_timeout = 30.0
    return server.start(), f"http://127.0.0.1:{port}"


async def keep_onboarding(api: str, packages: dict[str, bytes], chaos: Chaos) -> Onboarder:
    """Run ``chaos`` while the client onboards; the client, stopped once chaos is over."""
    stop = asyncio.Event()
    client = Onboarder(api, packages)
    running = asyncio.create_task(client.run(stop))
    try:
        await asyncio.sleep(2)  # onboarding under way before anything breaks
        await chaos(client)
        await asyncio.sleep(3)  # and going on once everything is back
    finally:
        stop.set()
        await running
    return client


async def assert_recovered(
    client: Onboarder, api: str, data_dir: Path, live: tuple[int, ...]
) -> None:
    listed = await settled(api)
    assert not unsettled(listed), unsettled(listed)
    errors = {status for status in client.statuses if status >= 500 and status != 503}
    assert not errors, client.statuses
    assert client.onboarded >= 5, (client.onboarded, client.statuses, client.failures)
    assert not leftovers(data_dir, live), leftovers(data_dir, live)


async def test_redis_killed_and_restarted(
    process_factory: type[ManagedProcess],
    persistent_redis: RedisServer,
    keyspace: Keyspace,
    tmp_path: Path,
    packages: dict[str, bytes],
) -> None:
    data_dir = tmp_path / "nfvo"
    environment = sharing(persistent_redis.url, keyspace.prefix, data_dir)
    server, api = nfvo_serve(process_factory, environment)

    async def chaos(client: Onboarder) -> None:
        for _ in range(3):
            await asyncio.sleep(random.uniform(1.5, 3.0))
            persistent_redis.kill()
            await asyncio.sleep(random.uniform(0.5, 2.0))
            persistent_redis.start()

    client = await keep_onboarding(api, packages, chaos)
    assert client.failures, "the outages went unnoticed: nothing was tested"
    await assert_recovered(client, api, data_dir, (server.pid,))


async def test_connections_killed(
    process_factory: type[ManagedProcess],
    private_redis: RedisServer,
    keyspace: Keyspace,
    tmp_path: Path,
    packages: dict[str, bytes],
) -> None:
    data_dir = tmp_path / "nfvo"
    environment = sharing(private_redis.url, keyspace.prefix, data_dir)
    server, api = nfvo_serve(process_factory, environment)
    killer = connect(private_redis.url)

    async def chaos(client: Onboarder) -> None:
        killed = 0
        for _ in range(40):
            await asyncio.sleep(random.uniform(0.1, 0.5))
            killed += int(await killer.execute_command("CLIENT KILL TYPE normal SKIPME yes"))
        assert killed >= 40, "no connection of the server's was cut"

    try:
        client = await keep_onboarding(api, packages, chaos)
    finally:
        await killer.aclose()
    await assert_recovered(client, api, data_dir, (server.pid,))


async def test_embedded_redis_killed(
    process_factory: type[ManagedProcess], tmp_path: Path, packages: dict[str, bytes]
) -> None:
    data_dir = tmp_path / "nfvo"
    server, api = nfvo_serve(process_factory, {**NO_REDIS_URL, "NFVO_DATA_DIR": str(data_dir)})
    pidfile = data_dir / "redis.pid"

    async def chaos(client: Onboarder) -> None:
        for _ in range(3):
            await asyncio.sleep(random.uniform(1.5, 3.0))
            dead = int(pidfile.read_text())
            os.kill(dead, signal.SIGKILL)
            await eventually(partial(_revived, pidfile, dead), within=20, interval=0.1)

    client = await keep_onboarding(api, packages, chaos)
    assert client.failures, "the outages went unnoticed: nothing was tested"
    await assert_recovered(client, api, data_dir, (server.pid, int(pidfile.read_text())))


def _revived(pidfile: Path, dead: int) -> bool:
    try:
        pid = int(pidfile.read_text())
    except (OSError, ValueError):
        return False
    return pid != dead and Path(f"/proc/{pid}").exists()


async def test_server_killed_during_uploads_and_onboarding(
    process_factory: type[ManagedProcess],
    redis_url: str,
    redis: aioredis.Redis,
    keyspace: Keyspace,
    tmp_path: Path,
    packages: dict[str, bytes],
) -> None:
    data_dir = tmp_path / "nfvo"
    server, api = nfvo_serve(process_factory, sharing(redis_url, keyspace.prefix, data_dir))
    caught: Counter[str] = Counter()

    async def kill_when(client: Onboarder, moment: str) -> None:
        """SIGKILL the server while the client's entry is in ``moment``'s state."""
        async with asyncio.timeout(30):
            while True:
                if moment == "UPLOADING":
                    await client.uploading.wait()
                    await asyncio.sleep(random.uniform(0.02, 0.2))
                else:
                    await client.submitted.wait()
                    await asyncio.sleep(random.uniform(0.0, 0.03))
                server.kill()
                state = await _stored_state(redis, keyspace, client.current)
                caught[state] += 1
                server.start()
                if state == moment:
                    return
                await asyncio.sleep(0.5)

    async def chaos(client: Onboarder) -> None:
        for moment in ("UPLOADING", "PROCESSING", "UPLOADING", "PROCESSING"):
            await kill_when(client, moment)
            await asyncio.sleep(1.0)

    client = await keep_onboarding(api, packages, chaos)
    assert caught["UPLOADING"] >= 2 and caught["PROCESSING"] >= 2, caught
    await assert_recovered(client, api, data_dir, (server.pid,))


async def _stored_state(redis: aioredis.Redis, keyspace: Keyspace, href: str | None) -> str:
    """The onboarding state of the entry at ``href`` as stored (the server being down)."""
    if href is None:
        return "none"
    kind = "nsd" if "/ns_descriptors/" in href else "vnfpkg"
    body = await redis.hget(keyspace.document(kind, href.rsplit("/", 1)[1]), "body")
    return str(orjson.loads(body)["onboarding_state"]) if body else "none"
