"""``/health/live`` and ``/health/ready``, for a supervisor or Kubernetes probes.

Live: the process answers (200). Ready: 200 when the store answers, every background
service runs and every registered VIM answers, else 503; the body says which check
failed. Both are open (probes carry no token), so they name states, never errors'
texts, addresses or anything a log would hold (docs/operator-guide.md).
"""

from __future__ import annotations

from typing import Any

import orjson
from aiohttp import web

from nfvo.platform import Platform

LIVE = "/health/live"
READY = "/health/ready"


def health_routes(platform: Platform) -> list[web.RouteDef]:
    async def live(_request: web.Request) -> web.Response:
        return _json(200, {"status": "live"})

    async def ready(_request: web.Request) -> web.Response:
        health = await platform.health()
        body: dict[str, Any] = {
            "status": "ready" if health.ready else "not ready",
            "store": "ok" if health.store == "ok" else "unreachable",
            "services": [
                {"name": s.name, "state": s.state.value, "restarts": s.restarts}
                for s in health.services
            ],
            "vims": [{"name": v.name, "reachable": v.reachable} for v in health.vims],
        }
        return _json(200 if health.ready else 503, body)

    return [web.get(LIVE, live), web.get(READY, ready)]


def _json(status: int, body: dict[str, Any]) -> web.Response:
    headers = {"Cache-Control": "no-store"}
    return web.Response(
        status=status, body=orjson.dumps(body), content_type="application/json", headers=headers
    )
