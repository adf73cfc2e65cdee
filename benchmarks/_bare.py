"""The baseline: a bare aiohttp handler answering a stored JSON document from Redis,
the least any real GET of a record must do. ``python -m benchmarks._bare PORT REDIS_URL``."""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator

import redis.asyncio as aioredis
from aiohttp import web

KEY = "bench:bare:doc"


async def show(request: web.Request) -> web.Response:
    body = await request.app["redis"].get(KEY)
    return web.Response(body=body, content_type="application/json")


async def connect(app: web.Application) -> AsyncIterator[None]:
    app["redis"] = aioredis.Redis.from_url(sys.argv[2])
    yield
    await app["redis"].aclose()


def main() -> None:
    app = web.Application()
    app.cleanup_ctx.append(connect)
    app.router.add_get("/doc", show)
    web.run_app(app, host="127.0.0.1", port=int(sys.argv[1]), print=None, access_log=None)


if __name__ == "__main__":
    main()
