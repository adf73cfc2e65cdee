"""Fixtures every test tier shares.

- ``redis_url``: one Redis for the whole session: ``REDIS_URL`` when set (CI starts a
  private server), else a throw-away embedded redis-server.
- ``keyspace``: a key prefix unique to the test, so tests never see each other's keys
  and nothing ever flushes a database.
- ``redis``: an async client on ``redis_url``.
- ``free_port``, ``process_factory`` (children that can be SIGKILLed and restarted).
- ``private_redis``: a redis-server of the test's own, to kill, restart or pause.
- ``shared_dir``: the shared material beside the repository (ETSI documents, corpus);
  tests needing it skip cleanly when it is absent.
Markers: ``deep`` runs only in ``make test-deep``; ``root`` skips unless run as root.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
import redis.asyncio as aioredis

from nfvo.store.connection import connect
from nfvo.store.embedded import EmbeddedRedis, find_redis_server
from nfvo.store.embedded import free_port as _free_port
from nfvo.store.keys import Keyspace
from tests.support.processes import ManagedProcess, RedisServer

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED_DIR = REPO_ROOT.parent / "shared"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if os.geteuid() == 0:
        return
    skip = pytest.mark.skip(reason="needs root (network namespaces, veth, bridges)")
    for item in items:
        if "root" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def redis_url() -> Iterator[str]:
    url = os.environ.get("REDIS_URL") or os.environ.get("NFVO_REDIS_URL")
    if url:
        yield url
        return
    with EmbeddedRedis() as server:
        yield server.url


@pytest.fixture
def keyspace() -> Keyspace:
    return Keyspace(f"test-{uuid.uuid4().hex[:12]}")


@pytest.fixture
async def redis(redis_url: str, keyspace: Keyspace) -> AsyncIterator[aioredis.Redis]:
    client = connect(redis_url)
    yield client
    keys = [key async for key in client.scan_iter(match=keyspace.pattern(), count=1000)]
    if keys:
        await client.delete(*keys)
    await client.aclose()


@pytest.fixture
def free_port() -> int:
    return _free_port()


@pytest.fixture
def process_factory(tmp_path: Path) -> Iterator[type[ManagedProcess]]:
    started: list[ManagedProcess] = []

    class Tracked(ManagedProcess):
        def start(self) -> ManagedProcess:
            if self not in started:
                started.append(self)
            if self.log_path is None:
                self.log_path = tmp_path / f"process-{len(started)}.log"
            return super().start()

    yield Tracked
    for process in started:
        process.terminate()


@pytest.fixture
def private_redis(free_port: int, tmp_path: Path) -> Iterator[RedisServer]:
    server = RedisServer(find_redis_server(), free_port, tmp_path)
    server.start()
    yield server
    if server.running:
        server.resume()  # a paused server would not see the SIGTERM
    server.terminate()


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    if not SHARED_DIR.is_dir():
        pytest.skip("the shared material beside the repository is absent")
    return SHARED_DIR
