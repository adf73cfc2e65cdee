"""Redis connections: the configured URL, or an embedded server when there is none."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import redis.asyncio as aioredis

from nfvo.store.embedded import EmbeddedRedis

# Connections one process opens at most; a request finding none free waits up to
# POOL_WAIT_SECONDS, so a burst queues (and a longer one is a 503) rather than opening a
# connection per request until Redis or the file-descriptor limit refuses.
MAX_CONNECTIONS = 64
POOL_WAIT_SECONDS = 10.0
# A command unanswered this long fails (the connection is dropped and opened afresh);
# blocking reads block for less (nfvo.store.consumers.MAX_BLOCK_SECONDS). Said here
# rather than left to the client library, whose default has changed between versions.
SOCKET_TIMEOUT_SECONDS = 10.0


def connect(url: str) -> aioredis.Redis:
    """A client for ``url`` (``redis://``, ``rediss://`` or ``unix://``), bytes in and out."""
    pool = aioredis.BlockingConnectionPool.from_url(
        url,
        decode_responses=False,
        health_check_interval=30,
        socket_timeout=SOCKET_TIMEOUT_SECONDS,
        socket_connect_timeout=SOCKET_TIMEOUT_SECONDS,
        max_connections=MAX_CONNECTIONS,
        timeout=POOL_WAIT_SECONDS,
    )
    return aioredis.Redis.from_pool(pool)  # owns the pool: closing the client closes it


@asynccontextmanager
async def redis_for(
    url: str | None, data_dir: Path | None, *, owned: bool, binary: Path | None = None
) -> AsyncIterator[aioredis.Redis]:
    """The Redis a command should use.

    With ``url``, that server. Without, an embedded one: ``owned`` (a server process such
    as ``nfvo serve``) keeps an append-only file in ``data_dir``; otherwise throw-away.
    """
    async with store_for(url, data_dir, owned=owned, binary=binary) as (client, _embedded):
        yield client


@asynccontextmanager
async def store_for(
    url: str | None, data_dir: Path | None, *, owned: bool, binary: Path | None = None
) -> AsyncIterator[tuple[aioredis.Redis, EmbeddedRedis | None]]:
    """:func:`redis_for`, and the embedded server when there is one (to watch it)."""
    embedded: EmbeddedRedis | None = None
    if url is None:
        embedded = EmbeddedRedis(data_dir if owned else None, binary=binary)
        url = embedded.start()
    client = connect(url)
    try:
        yield client, embedded
    finally:
        await client.aclose()
        if embedded is not None:
            embedded.stop()
