"""The baseline: a bare aiohttp handler answering stored JSON documents from Redis, the
least any real GET must do. ``python -m benchmarks._bare PORT REDIS_URL``.

``/doc`` answers one stored document (one GET); ``/page`` answers a page of
:data:`PAGE` documents stored apart (one MGET, the bodies joined into a JSON array, as
a list of records must at least read and join them).
"""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator
from typing import cast

import redis.asyncio as aioredis
from aiohttp import web

KEY = "bench:bare:doc"
PAGE = 100
PAGE_KEYS = [f"bench:bare:page:{index}" for index in range(PAGE)]
REDIS = web.AppKey("REDIS", aioredis.Redis)


async def show(request: web.Request) -> web.Response:
    body = await request.app[REDIS].get(KEY)
    return web.Response(body=body, content_type="application/json")


async def page(request: web.Request) -> web.Response:
    bodies = cast(list[bytes], await request.app[REDIS].mget(PAGE_KEYS))  # all were stored
    body = b"[" + b",".join(bodies) + b"]"
    return web.Response(body=body, content_type="application/json")


async def connect(app: web.Application) -> AsyncIterator[None]:
    app[REDIS] = aioredis.Redis.from_url(sys.argv[2])
    yield
    await app[REDIS].aclose()


def main() -> None:
    app = web.Application()
    app.cleanup_ctx.append(connect)
    app.router.add_get("/doc", show)
    app.router.add_get("/page", page)
    web.run_app(app, host="127.0.0.1", port=int(sys.argv[1]), print=None, access_log=None)


if __name__ == "__main__":
    main()
