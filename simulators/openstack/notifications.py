"""Nova versioned notifications and Masakari host-monitor notifications on Redis streams.

The layout (docs/schemas/vim-notifications.v1.schema.json): one entry per notification
with one field ``message``; Nova's wrapped in oslo.messaging's 2.0 envelope on
``{prefix}:versioned_notifications.info``/``.error``, the host monitor's body on
``{prefix}:host_notifications``. Without a Redis URL nothing is published.
"""

from __future__ import annotations

import logging
import uuid
from collections import deque
from datetime import UTC, datetime
from typing import Any

import orjson
import redis.asyncio as aioredis
from redis.exceptions import RedisError

LOG = logging.getLogger("simulators.openstack.notifications")
STREAM_MAXLEN = 100_000


def oslo_timestamp(moment: datetime | None = None) -> str:
    return (moment or datetime.now(UTC)).strftime("%Y-%m-%d %H:%M:%S.%f")


def nova_object(name: str, version: str, data: dict[str, Any]) -> dict[str, Any]:
    return {
        "nova_object.name": name,
        "nova_object.namespace": "nova",
        "nova_object.version": version,
        "nova_object.data": data,
    }


class Publisher:
    """Writes notifications to Redis (when configured) and keeps the last ones in memory."""

    def __init__(self, redis_url: str | None, prefix: str = "openstack") -> None:
        self.prefix = prefix
        self.recent: deque[dict[str, Any]] = deque(maxlen=1000)
        self._redis: aioredis.Redis | None = (
            aioredis.Redis.from_url(redis_url) if redis_url else None
        )

    async def close(self) -> None:
        if self._redis is not None:
            await self._redis.aclose()

    def stream(self, suffix: str) -> str:
        return f"{self.prefix}:{suffix}"

    async def nova(
        self, event_type: str, payload: dict[str, Any], publisher_id: str, priority: str = "INFO"
    ) -> None:
        message = {
            "message_id": str(uuid.uuid4()),
            "publisher_id": publisher_id,
            "event_type": event_type,
            "priority": priority,
            "payload": payload,
            "timestamp": oslo_timestamp(),
        }
        self.recent.append({"stream": "nova", **message})
        topic = (
            "versioned_notifications.error"
            if priority == "ERROR"
            else "versioned_notifications.info"
        )
        envelope = {"oslo.version": "2.0", "oslo.message": orjson.dumps(message).decode()}
        await self._add(self.stream(topic), orjson.dumps(envelope))

    async def host(
        self, hostname: str, event: str, cluster_status: str, host_status: str = "NORMAL"
    ) -> None:
        body = {
            "notification": {
                "type": "COMPUTE_HOST",
                "hostname": hostname,
                "generated_time": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f"),
                "payload": {
                    "event": event,
                    "cluster_status": cluster_status,
                    "host_status": host_status,
                },
            }
        }
        self.recent.append({"stream": "host", **body})
        await self._add(self.stream("host_notifications"), orjson.dumps(body))

    async def _add(self, key: str, message: bytes) -> None:
        if self._redis is None:
            return
        try:
            await self._redis.xadd(
                key, {"message": message}, maxlen=STREAM_MAXLEN, approximate=True
            )
        except RedisError as exc:
            LOG.warning("could not publish to %s: %s", key, exc)
