"""Injected faults: failed builds, slow or failing services, dropped connections."""

from __future__ import annotations

import asyncio
import random
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from simulators.openstack.web import Handler, json_response

SERVICES = ("identity", "compute", "network", "image", "volume", "placement")
FAIL_MESSAGE = (
    "Exceeded maximum number of retries. Exhausted all hosts available for "
    "retrying build failures for instance {id}."
)


@dataclass
class ServiceFault:
    error_rate: float = 0.0
    latency_ms: float = 0.0
    drop_rate: float = 0.0


@dataclass
class FaultState:
    fail_creates: int = 0
    fail_message: str = FAIL_MESSAGE
    services: dict[str, ServiceFault] = field(default_factory=dict)
    rng: random.Random = field(default_factory=random.Random)

    def take_create_failure(self) -> str | None:
        if self.fail_creates <= 0:
            return None
        self.fail_creates -= 1
        return self.fail_message

    def view(self) -> dict[str, Any]:
        return {
            "fail_creates": self.fail_creates,
            "services": {name: vars(f) for name, f in self.services.items()},
        }


FAULTS: web.AppKey[FaultState] = web.AppKey("faults", FaultState)

_ERROR_BODIES = {
    "compute": {"computeFault": {"code": 500, "message": "Unexpected API Error."}},
    "volume": {"computeFault": {"code": 500, "message": "Unexpected API Error."}},
    "network": {
        "NeutronError": {
            "type": "HTTPInternalServerError",
            "message": "Request Failed: internal server error while processing your request.",
            "detail": "",
        }
    },
}


def _service(path: str) -> str | None:
    head = path.lstrip("/").split("/", 1)[0]
    return head if head in SERVICES else None


@web.middleware
async def fault_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Added latency, 5xx answers (before any effect) and connections dropped after the
    effect but before the answer, per service."""
    service = _service(request.path)
    state = request.config_dict[FAULTS]
    fault = state.services.get(service) if service else None
    if fault is None:
        return await handler(request)
    if fault.latency_ms:
        await asyncio.sleep(fault.latency_ms / 1000)
    if fault.error_rate and state.rng.random() < fault.error_rate:
        body = _ERROR_BODIES.get(
            service or "",
            {
                "error": {
                    "code": 500,
                    "title": "Internal Server Error",
                    "message": "simulated failure",
                }
            },
        )
        return json_response(body, 500)
    response = await handler(request)
    if fault.drop_rate and state.rng.random() < fault.drop_rate and request.transport:
        request.transport.abort()
    return response
